#include "labeille/core/outcome.hpp"

namespace labeille {

std::string_view to_string(Outcome o) {
  switch (o) {
#define LABEILLE_X(id, name, code, counts, desc) \
  case Outcome::id:                              \
    return name;
    LABEILLE_FT_OUTCOMES(LABEILLE_X)
#undef LABEILLE_X
  }
  return "error";
}

int exit_code(Outcome o) {
  switch (o) {
#define LABEILLE_X(id, name, code, counts, desc) \
  case Outcome::id:                              \
    return code;
    LABEILLE_FT_OUTCOMES(LABEILLE_X)
#undef LABEILLE_X
  }
  return 5;
}

bool counts_as_iteration(Outcome o) {
  switch (o) {
#define LABEILLE_X(id, name, code, counts, desc) \
  case Outcome::id:                              \
    return counts;
    LABEILLE_FT_OUTCOMES(LABEILLE_X)
#undef LABEILLE_X
  }
  return false;
}

std::string_view describe(Outcome o) {
  switch (o) {
#define LABEILLE_X(id, name, code, counts, desc) \
  case Outcome::id:                              \
    return desc;
    LABEILLE_FT_OUTCOMES(LABEILLE_X)
#undef LABEILLE_X
  }
  return "";
}

std::optional<Outcome> outcome_from_string(std::string_view s) {
#define LABEILLE_X(id, name, code, counts, desc) \
  if (s == name) return Outcome::id;
  LABEILLE_FT_OUTCOMES(LABEILLE_X)
#undef LABEILLE_X
  return std::nullopt;
}

std::string_view to_string(Category c) {
  switch (c) {
#define LABEILLE_X(id, name, rank, desc) \
  case Category::id:                     \
    return name;
    LABEILLE_FT_CATEGORIES(LABEILLE_X)
#undef LABEILLE_X
  }
  return "unknown";
}

int rank(Category c) {
  switch (c) {
#define LABEILLE_X(id, name, rank, desc) \
  case Category::id:                     \
    return rank;
    LABEILLE_FT_CATEGORIES(LABEILLE_X)
#undef LABEILLE_X
  }
  return 99;
}

std::string_view describe(Category c) {
  switch (c) {
#define LABEILLE_X(id, name, rank, desc) \
  case Category::id:                     \
    return desc;
    LABEILLE_FT_CATEGORIES(LABEILLE_X)
#undef LABEILLE_X
  }
  return "";
}

std::optional<Category> category_from_string(std::string_view s) {
#define LABEILLE_X(id, name, rank, desc) \
  if (s == name) return Category::id;
  LABEILLE_FT_CATEGORIES(LABEILLE_X)
#undef LABEILLE_X
  return std::nullopt;
}

std::string_view to_string(GilMode m) {
  switch (m) {
    case GilMode::Off: return "0";
    case GilMode::On: return "1";
    case GilMode::Unset: return "unset";
  }
  return "unset";
}

std::optional<GilMode> gil_mode_from_string(std::string_view s) {
  if (s == "0" || s == "gil0") return GilMode::Off;
  if (s == "1" || s == "gil1") return GilMode::On;
  if (s == "unset" || s == "none") return GilMode::Unset;
  return std::nullopt;
}

}  // namespace labeille
