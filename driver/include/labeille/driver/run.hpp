// `labeille ft run`: the seed's command, as a driver over the same path every other use
// takes. It writes a small CMake project that uses the LabeilleFT module, configures it,
// runs CTest in dashboard mode (Test.xml kept, JUnit written) and folds the records into
// <results-dir>/ft_<UTC timestamp>/. It never runs a test itself: CTest does.
//
// Everything of a run lives in its result directory: ft_meta.json (written at the start,
// so an interrupted run is readable), records/, ctest/ (project, build, logs), then
// ft_results.jsonl and ft_summary.json. --resume RUN_DIR reruns only the tests that have
// no record yet.
//
// Exit status: 0 the run completed (whatever the categories), 2 bad command line,
// 3 bad input (interpreter not free-threaded, registry missing), 4 configuring or
// running CTest failed, 130 interrupted (the partial run is folded and resumable).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace CLI {
class App;
class Option;
}

namespace labeille::driver {

struct RunOptions {
  std::string target_python;
  // Settings whose defaults (and x10 scaling under --tsan) the LabeilleFT module owns
  // (docs/cmake.md "Run-wide defaults"): set only when given on the command line, and
  // only those reach the module. ft_meta.json's config block is the module's.
  std::optional<int> iterations;
  std::optional<double> timeout;
  std::optional<double> setup_timeout;  // per set-up step (clone, download, install); the probe's too
  std::optional<double> stall_threshold;
  std::optional<double> until_bound;    // docs/run.md "Iterations where the evidence is weak"
  std::optional<int> parallel_threads;
  std::optional<int> stress_threads;
  std::optional<int> stress_repeat;
  std::optional<double> stress_budget;  // seconds of CPU per stress run (0: off; ft test: 120)
  std::optional<std::string> source;     // repo | sdist | auto
  std::optional<std::string> installer;  // uv | pip (the module's default: uv when found)
  std::vector<std::string> packages;     // --packages a,b (b==1.2 pins b's sdist)
  int top = 0;
  bool compare_with_gil = false;
  std::string gil_control = "always";  // --compare-with-gil [always|auto]: auto runs GIL=1 only where GIL=0 did not all pass
  bool serial_iterations = false;      // one package's iterations one after another (else side by side)
  bool stop_on_first_pass = false;
  bool detect_extensions = true;
  bool tsan = false;
  std::vector<std::string> tsan_suppressions;  // --tsan-suppressions FILE (repeatable)
  bool check_stability = false;
  std::vector<std::string> extra_deps;
  std::string test_command_suffix, test_command_override;
  std::vector<std::string> env;  // KEY=VALUE
  std::filesystem::path registry_dir, work_dir, repos_dir, venvs_dir, results_dir;
  std::filesystem::path resume;  // a run directory to complete
  int jobs = 0;                  // 0: number of CPUs
  bool stress = false;           // stress iterations through pytest-run-parallel
  bool verbose = false;
  std::vector<std::string> cli_args;
  // `labeille ft test` (test_command.hpp): the package described as CMake code
  // (labeille_ft_add_package(... PATH ...)) instead of a registry, a run directory fixed
  // in advance, a JSON object merged into ft_meta.json ("" = none), and no summary table
  // (it prints its own verdict). Empty / true: `ft run`'s behaviour.
  std::string packages_cmake;
  std::filesystem::path run_dir;
  std::string meta_extra;
  bool print_summary = true;
};

int run(RunOptions opts);

// --compare-with-gil [always|auto] on `cmd`: without a value `always` (the seed's
// meaning). The value is optional, so a following word is taken as one only when no
// required positional argument still needs it (CLI11 keeps those); a value other than
// always or auto is refused. Sets `on` and `mode`.
CLI::Option* add_compare_with_gil(CLI::App& cmd, bool& on, std::string& mode);

// Registers `run` under `ft`.
void add_commands(CLI::App& ft);

// This process's arguments after the program name, as ft_meta.json records them
// (/proc/self/cmdline: NUL-separated, exactly as exec received them).
std::vector<std::string> command_line();

// --env items as the module takes them: KEY=VALUE, KEY a shell variable name, VALUE
// anything; exit 2 (usage) naming the item otherwise. `ft run` and `ft test` both.
void check_env_items(const std::vector<std::string>& env);

// "ft_20260303_140000" for a UTC time in seconds since the epoch.
std::string run_dir_name(long long epoch_seconds);

// The run's settings file (ctest/src/settings.cmake), read by the generated project
// before find_package(LabeilleFT): one set() per value the user gave, each value a
// bracket argument and each list item encoded (core/cmake_value.hpp), so every string
// reaches the module intact. Paths inside the run directory are written relative to
// the file (a moved or copied run directory configures into itself). Throws Error
// (exit 2) for a value CMake cannot carry (not UTF-8).
std::string run_settings(const RunOptions& o, const std::filesystem::path& run_dir);

// Refuses (Error, exit 2) a --results-dir or --resume directory CMake cannot build in:
// CMake's own modules take a build directory holding ';' as a list and write outside it.
void check_run_dir(const std::filesystem::path& run_dir, std::string_view option);

// One progress line: bar, done/total, ETA, outcome counts.
std::string progress_line(int done, int total, double elapsed_s, const std::vector<std::pair<std::string, int>>& counts,
                          int width);

}  // namespace labeille::driver
