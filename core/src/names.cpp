#include "labeille/core/names.hpp"

#include <unistd.h>

#include <regex>

namespace labeille {

bool is_pep508_name(std::string_view name) {
  static const std::regex pep508("^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$");
  return std::regex_match(name.begin(), name.end(), pep508);
}

bool is_package_name(std::string_view name) {
  return is_pep508_name(name) && name.find("..") == std::string_view::npos;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

}  // namespace labeille
