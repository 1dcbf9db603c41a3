#include "labeille/core/test_names.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace labeille::test_names {

namespace {

bool is_word(std::string_view s) {  // [A-Za-z0-9_-]+
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<int> small_number(std::string_view s) {  // digits only, at most 9
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoi(std::string(s));
}

}  // namespace

std::string fixture(std::string_view package) { return fmt::format("ft.{}", package); }
std::string setup(std::string_view package) { return fmt::format("ft.{}.setup", package); }
std::string probe(std::string_view package) { return fmt::format("ft.{}.probe", package); }

int iteration_width(int iterations) {
  return std::max<int>(2, static_cast<int>(std::to_string(std::max(iterations, 0)).size()));
}

std::string iteration_stem(std::string_view mode, int iteration, int width) {
  return fmt::format("{}.iter{:0{}d}", mode, iteration, width);
}

std::string iteration(std::string_view package, std::string_view mode, int n, int width) {
  return fmt::format("ft.{}.{}", package, iteration_stem(mode, n, width));
}

std::optional<Parsed> parse(std::string_view n) {
  // The suffix fixes <mode> and <NN> (or the kind); the name proper starts at the first
  // "ft." that leaves a non-empty <pkg> (what TEST_PREFIX put before it is dropped).
  auto named = [&](std::size_t end_of_pkg, std::string kind, int number) -> std::optional<Parsed> {
    for (auto p = n.find("ft."); p != std::string_view::npos && p + 3 < end_of_pkg; p = n.find("ft.", p + 1))
      return Parsed{std::string(n.substr(p + 3, end_of_pkg - p - 3)), std::move(kind), number,
                    std::string(n.substr(p))};
    return std::nullopt;
  };
  if (auto it = n.rfind(".iter"); it != std::string_view::npos) {
    auto number = small_number(n.substr(it + 5));
    auto head = n.substr(0, it);
    auto dot = head.rfind('.');
    if (number && dot != std::string_view::npos && is_word(head.substr(dot + 1))) {
      // A stress iteration's <mode> is "stress.<gil mode>" (so a package named "x.stress"
      // would read as x's stress iterations: docs/analyzers.md).
      const auto start = head.substr(0, dot).ends_with(".stress") ? dot - 7 : dot;
      if (auto t = named(start, std::string(head.substr(start + 1)), *number)) return t;
    }
  }
  for (std::string_view kind : {"setup", "probe"})
    if (n.size() > kind.size() + 1 && n.substr(n.size() - kind.size()) == kind && n[n.size() - kind.size() - 1] == '.')
      if (auto t = named(n.size() - kind.size() - 1, std::string(kind), 0)) return t;
  return std::nullopt;
}

}  // namespace labeille::test_names
