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
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace labeille::driver {

struct RunOptions {
  std::string target_python;
  int iterations = 10;
  double timeout = 600;
  double setup_timeout = 1800;  // per set-up step (clone, download, install); the probe's too
  double stall_threshold = 60;
  std::vector<std::string> packages;  // --packages a,b (b==1.2 pins b's sdist)
  int top = 0;
  bool compare_with_gil = false;
  bool stop_on_first_pass = false;
  bool detect_extensions = true;
  bool tsan = false;
  std::vector<std::string> tsan_suppressions;  // --tsan-suppressions FILE (repeatable)
  bool timeout_given = false, setup_timeout_given = false, stall_threshold_given = false;  // set on the command line
  bool check_stability = false;
  std::vector<std::string> extra_deps;
  std::string installer;  // "uv" | "pip" | "": the module's default (uv when found)
  std::string test_command_suffix, test_command_override;
  std::vector<std::string> env;  // KEY=VALUE
  std::filesystem::path registry_dir, work_dir, repos_dir, venvs_dir, results_dir;
  std::filesystem::path resume;  // a run directory to complete
  int jobs = 0;                  // 0: number of CPUs
  int parallel_threads = 0;
  double until_bound = 0;        // 0: off (docs/run.md "Iterations where the evidence is weak")
  bool stress = false;           // stress iterations through pytest-run-parallel
  int stress_threads = 2;        // the module's defaults too (docs/detection.md says why)
  int stress_repeat = 20;
  bool verbose = false;
  std::string source = "repo";  // repo | sdist | auto
  std::vector<std::string> cli_args;
};

int run(RunOptions opts);

// How much slower a suite runs on a ThreadSanitizer build (docs/run.md has the
// measurement): under --tsan, the default --timeout and --stall-threshold are multiplied
// by it unless given on the command line.
inline constexpr int kTsanSlowdown = 10;
void scale_for_tsan(RunOptions& o);

// Registers `run` under `ft`.
void add_commands(CLI::App& ft);

// "ft_20260303_140000" for a UTC time in seconds since the epoch.
std::string run_dir_name(long long epoch_seconds);

// ft_meta.json's system_profile as the Python labeille tool's SystemProfile has it (every
// key, its type; docs/records.md), measured now, for results going to `results_dir`: one
// JSON object.
std::string system_profile_json(const std::filesystem::path& results_dir);

// The -D arguments that carry the options into the generated CMake project.
std::vector<std::string> cmake_definitions(const RunOptions& o, const std::filesystem::path& run_dir);

// One progress line: bar, done/total, ETA, outcome counts.
std::string progress_line(int done, int total, double elapsed_s, const std::vector<std::pair<std::string, int>>& counts,
                          int width);

}  // namespace labeille::driver
