// `labeille ft test [DIR]`: a maintainer's front door. DIR (default: the current
// directory) is a package checkout or an unpacked sdist; no registry.
//
// It goes through the machinery of `ft run` (run.hpp), with no second path that runs
// tests: the package is described as one labeille_ft_add_package(<name> PATH DIR ...)
// call (RunOptions::packages_cmake), so the run is a one-package CTest project under the
// run directory, supervised by the runner, with records folded into ft_results.jsonl, and
// `show`, `flaky`, `report` and `export` read it as any run. What it adds: the package's
// own declarations read into an install command (labeille_ft_testdeps.py, run by the
// target interpreter), a free-threaded interpreter found when none is given, defaults
// for one package (-n 10, stress, the GIL=1 control), the verdict with its evidence in
// a few lines, and an exit status a CI job gates on. docs/test.md has the design.
//
// Exit status (docs/exit-codes.md): 0 a category not in --fail-on (by default
// compatible, compatible_gil_fallback); 1 a free-threading problem (incompatible,
// intermittent, crash, deadlock, tsan_warnings); 5 no verdict (install_failure,
// import_failure, unknown: the tests did not run); 2 bad usage; 3 bad input (no
// interpreter found, DIR not a package); 4 CMake/CTest failed; 130 interrupted.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "labeille/driver/run.hpp"

namespace CLI {
class App;
}

namespace labeille::analyzers {
struct PackageResult;
}

namespace labeille::driver {

inline constexpr int kExitProblem = 1;    // a free-threading problem was found
inline constexpr int kExitNoVerdict = 5;
// Seconds of CPU per stress run by default (--stress-budget): a 1 s suite keeps the full 20
// repetitions x 2 threads; a 9.5 s one (more-itertools) gets 6 instead of 6-minute runs.
inline constexpr double kDefaultStressBudget = 120;  // no verdict: install/import failure, tests did not run

struct TestOptions {
  RunOptions run;  // the ft run options that make sense for one package
  std::filesystem::path dir = ".";
  std::string install_command, test_command = "python -m pytest", import_name;
  std::set<std::string> fail_on;  // categories that fail the command (default_fail_on())
};

// What fails by default: the five free-threading problems and the three no-verdicts.
std::set<std::string> default_fail_on();

// "crash,deadlock" -> the set, each checked against the category taxonomy; "none" -> {}.
// Throws Error (exit 2) naming an unknown category and listing the known ones.
std::set<std::string> parse_fail_on(const std::string& csv);

// The exit status for a package's category: 0 unless it is in `fail_on`; then
// kExitNoVerdict for install_failure, import_failure and unknown, and for a failure that
// is only pre-existing (`pre_existing`: failures_only_pre_existing()), else kExitProblem.
int exit_status_for(std::string_view category, const std::set<std::string>& fail_on, bool pre_existing = false);

// Whether every failure the category of an incompatible, intermittent, crash or deadlock
// package rests on happens with the GIL as well (the plain runs' and the stress runs'
// GIL=1 controls both "pre_existing", their Fisher p >= 0.05, and no test failing under
// stress only without the GIL, stress's finding): then the suite fails
// whatever free-threading does, and the category is no finding about it. A failure rate
// that differs significantly between the modes is a finding, even if GIL=1 fails too.
bool failures_only_pre_existing(const analyzers::PackageResult& p);

// POSIX shell quoting of one word: as is when it holds only safe characters, else in
// single quotes (a ' inside becomes '\'').
std::string shell_quote(std::string_view word);

// The free-threaded interpreter when --target-python is not given, and how it was found:
// $LABEILLE_FT_PYTHON, python3.14t then python3.13t on PATH, `uv python find 3.14t` then
// `3.13t`, then what scripts/setup.sh built (~/.cache/labeille-ft/cpython-3.1X-ft).
// Throws Error (exit 3) saying how to get one when none is found.
struct FoundPython {
  std::string path, how;
};
FoundPython find_target_python();

// One package's CTest code: labeille_ft_add_package(<name> PATH <dir> INSTALL_COMMAND ...
// TEST_COMMAND ... [IMPORT_NAME ...]), every value bracket-quoted (core/cmake_value.hpp);
// a value CMake cannot carry (NUL, carriage return, invalid UTF-8) throws Error.
std::string package_cmake(const std::string& name, const std::filesystem::path& dir, const std::string& install_command,
                          const std::string& test_command, const std::string& import_name);

int test(TestOptions opts);

// Registers `test` under `ft`.
void add_test_command(CLI::App& ft);

}  // namespace labeille::driver
