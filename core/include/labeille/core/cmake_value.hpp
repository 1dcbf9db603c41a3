// The one way a value reaches generated CMake code (docs/cmake.md, "Values through the
// CMake boundary"). Every string the driver, the registry tool or a test hands to the
// LabeilleFT module goes through these, never through `-D` or string concatenation:
//
// - cmake_bracket(): a bracket argument ([=[...]=]) whose `=` run is longer than any `]=*]`
//   in the value, so no content (`;`, `[[`, `]=]`, `\`, `$`, `"`, newlines) ends it early
//   or is expanded: the module receives the bytes as they were;
// - cmake_list(): a list for the module's list variables (LABEILLE_FT_ENV, _EXTRA_DEPS,
//   _TSAN_SUPPRESSIONS, _CLI_ARGS). A CMake list cannot carry every string (`;` splits it, an
//   unbalanced `[` glues items together), so each item is percent-encoded for the five
//   bytes `%`, `;`, `[`, `]`, `\` (%25 %3B %5B %5D %5C) and the module decodes every item
//   (_labeille_ft_item_decode) before use;
// - check_cmake_value(): a value that is not valid UTF-8, holds a NUL or a carriage return
//   (CMake reads its files in text mode: "\r\n" becomes "\n") is refused with a
//   labeille::Error naming the option and the value, never changed silently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace labeille {

std::string cmake_bracket(std::string_view value);
std::string cmake_list_item(std::string_view item);
std::string cmake_list(const std::vector<std::string>& items);
// `set(<name> <bracket>)\n`: one line of a settings file the module reads.
std::string cmake_set(std::string_view name, std::string_view value);

// Throws Error("<what> \"<value>\": ...", exit_code) unless `value` is valid UTF-8
// without NUL bytes and carriage returns.
void check_cmake_value(std::string_view value, std::string_view what, int exit_code);

}  // namespace labeille
