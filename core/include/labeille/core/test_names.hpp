// The CTest test names of a package, one scheme for every part: the CMake module makes
// them (LabeilleFT.cmake, _labeille_ft_render_setup/_probe/_iterations), the runner
// records them, the driver selects with them (--resume), the fold reads them back.
//
//   [<prefix>]ft.<pkg>.setup
//   [<prefix>]ft.<pkg>.probe
//   [<prefix>]ft.<pkg>.<mode>.iter<NN>     mode gil0 | gil1 | stress.gil0 | stress.gil1
//
// <NN> is the iteration number zero-padded to iteration_width(ITERATIONS) digits (at
// least 2); <prefix> is TEST_PREFIX ([A-Za-z0-9._-]*). The fixture of a package's tests
// is ft.<pkg>. driver_module_test checks these against the module's real output.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace labeille::test_names {

std::string fixture(std::string_view package);  // ft.<pkg>
std::string setup(std::string_view package);    // ft.<pkg>.setup
std::string probe(std::string_view package);    // ft.<pkg>.probe
// Digits of <NN> for a run of `iterations` iterations: max(2, digits of iterations).
int iteration_width(int iterations);
// <mode>.iter<NN>: an iteration's name after ft.<pkg>. (and its attempt directories' stem).
std::string iteration_stem(std::string_view mode, int iteration, int width = 2);
std::string iteration(std::string_view package, std::string_view mode, int iteration, int width = 2);

struct Parsed {
  std::string package;
  std::string kind;  // "setup", "probe", or the iteration's mode (gil0, stress.gil1, ...)
  int iteration = 0;  // 0 for setup and probe
  std::string canonical;  // the name without its prefix (starts with "ft.")
};
// The name parsed, or nullopt when it is not one of ours. A prefix is allowed: the
// shortest that leaves a name of ours wins. Parsed by hand, not std::regex (libstdc++'s
// recurses per character: a long hostile name overflowed the stack, found by tests/fuzz).
std::optional<Parsed> parse(std::string_view name);

}  // namespace labeille::test_names
