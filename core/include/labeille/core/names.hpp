// Names every part must agree on: what a package may be called (it becomes a path and a
// CTest test name) and what this host is called (it goes into every record).
#pragma once

#include <string>
#include <string_view>

namespace labeille {

// PEP 508's name grammar: ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$, case-insensitive.
bool is_pep508_name(std::string_view name);

// The package-name rule of every part (registry, set-up, runner, the CMake module): a PEP
// 508 name without "..", at most kMaxPackageName characters, since the name becomes a path
// component (NAME_MAX is 255 bytes, and "<name>.yaml" or a venv's files go below it) and
// a CTest test name.
inline constexpr std::size_t kMaxPackageName = 200;
bool is_package_name(std::string_view name);

// PEP 503's normalized form of a distribution name ("Foo_Bar.baz" -> "foo-bar-baz"): how
// the set-up matches a name in pip's and uv's output and the views group blockers.
std::string normalize_name(std::string_view name);

// gethostname(), "" when it fails.
std::string host_name();

}  // namespace labeille
