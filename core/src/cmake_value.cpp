#include "labeille/core/cmake_value.hpp"

#include <fmt/format.h>

#include "labeille/core/error.hpp"
#include "labeille/core/text.hpp"

namespace labeille {

std::string cmake_bracket(std::string_view value) {
  // The shortest [=*[ whose closer ]=*] first occurs at the very end of value + closer
  // (so neither the value nor its tail glued to the closer can end the argument early).
  const std::string text(value);
  std::string eq = "=";
  while ((text + "]" + eq + "]").find("]" + eq + "]") != text.size()) eq += '=';
  // CMake drops a newline right after the opening bracket: give it one to drop.
  const char* lead = text.starts_with('\n') ? "\n" : "";
  return "[" + eq + "[" + lead + text + "]" + eq + "]";
}

std::string cmake_list_item(std::string_view item) {
  std::string out;
  out.reserve(item.size());
  for (char c : item) {
    switch (c) {
      case '%': out += "%25"; break;
      case ';': out += "%3B"; break;
      case '[': out += "%5B"; break;
      case ']': out += "%5D"; break;
      case '\\': out += "%5C"; break;
      default: out += c;
    }
  }
  return out;
}

std::string cmake_list(const std::vector<std::string>& items) {
  std::string joined;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) joined += ';';
    joined += cmake_list_item(items[i]);
  }
  return cmake_bracket(joined);
}

std::string cmake_set(std::string_view name, std::string_view value) {
  return fmt::format("set({} {})\n", name, cmake_bracket(value));
}

void check_cmake_value(std::string_view value, std::string_view what, int exit_code) {
  if (value.find('\r') != std::string_view::npos)
    throw Error(fmt::format("{} \"{}\": holds a carriage return, which CMake drops before a newline; refused rather "
                            "than changed",
                            what, safe_text(value)),
                exit_code);
  if (sanitize_utf8(value) == value) return;
  throw Error(fmt::format("{} \"{}\": not valid UTF-8 (or holds a NUL byte); CMake cannot carry it intact, so it is "
                          "refused rather than changed",
                          what, safe_text(value)),
              exit_code);
}

}  // namespace labeille
