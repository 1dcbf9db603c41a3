#include "labeille/core/names.hpp"

#include <cctype>

#include <unistd.h>


namespace labeille {

// ^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$, checked by a loop: libstdc++'s std::regex
// recurses once per character and overflowed the stack on a long hostile name (found by
// tests/fuzz).
bool is_pep508_name(std::string_view name) {
  auto alnum = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.empty() || !alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name)
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

bool is_package_name(std::string_view name) {
  return name.size() <= kMaxPackageName && is_pep508_name(name) && name.find("..") == std::string_view::npos;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

std::string normalize_name(std::string_view name) {
  std::string out;
  bool sep = false;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      sep = true;
      continue;
    }
    if (sep && !out.empty()) out += '-';
    sep = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace labeille
