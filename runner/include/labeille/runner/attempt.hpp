// One attempt, end to end: options -> attempt directory -> environment -> supervise ->
// classify -> record (atomic) -> CTest tags. `labeille-ft-runner`'s main is one call to
// run_attempt().
//
// Exit status (docs/runner.md has the table): labeille::exit_code(outcome) — pass 0,
// fail 1, crash 2, deadlock 3, timeout 4, error 5, interrupted 130, skipped 77 (CTest's
// SKIP_RETURN_CODE); 64 for a bad command line; 70 when the record cannot be written.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "labeille/core/outcome.hpp"
#include "labeille/core/record.hpp"
#include "labeille/observe/supervise_test.hpp"

namespace labeille::runner {

struct Options {
  std::filesystem::path record_dir;
  std::string package;
  std::string mode = "gil0";
  std::string gil;  // "" = derived from mode
  int iteration = 1;
  std::string test_name;
  std::string cwd;
  std::string venv;
  double stall_threshold_s = 60;
  double timeout_s = 600;
  double grace_s = 5;
  double sample_s = 0.5;  // the stall's CPU sample and stack-dump window
  double drain_s = 2;
  std::uint64_t log_cap = 64ull << 20;
  std::vector<std::pair<std::string, std::string>> env;
  bool tsan = false;
  std::string tsan_suppressions;   // --tsan-suppressions FILE
  bool skip_if_passed = false;
  double until_bound = 0;          // --until-bound R (0: off)
  std::string control_for;         // --control-for MODE: skip unless an attempt of MODE did not pass
  std::string copy_cwd_in;         // --copy-cwd-in DIR: run in a private copy of --cwd made under DIR
  int stress_threads = 0;          // > 0: a stress attempt (stress.hpp)
  int stress_repeat = 1;
  double stress_budget_s = 0;      // --stress-budget S: repetitions from the plain runs' durations (0: off)
  bool quiet = false;
  bool echo = false;
  std::string shell;               // --shell COMMAND
  std::vector<std::string> argv;   // -- ARGV...
};

// Parses the command line; throws labeille::Error(kExitToolUsage) with the offending
// option and value. Returns nullopt after printing --help.
std::optional<Options> parse_options(int argc, char** argv);

// The outcomes of the package+mode attempts recorded so far (unreadable records are
// left out: they prove nothing). What stop-on-first-pass and --until-bound decide from.
std::vector<Outcome> earlier_outcomes(const std::filesystem::path& record_dir, const std::string& package,
                                      const std::string& mode);

// The mean duration of the package+mode attempts recorded so far that ran the suite to
// its end (pass or fail), or 0 when there is none: what --stress-budget scales from.
double earlier_mean_duration(const std::filesystem::path& record_dir, const std::string& package,
                             const std::string& mode);

// Why this attempt need not run ("" = run it): stop-on-first-pass once a pass exists,
// --until-bound once labeille::until_bound_decision() says the verdict is settled.
std::string skip_reason(const Options& o, const std::vector<Outcome>& earlier);

// Why a control (--control-for MODE) need not run, from the outcomes of MODE's attempts
// ("" = run it): every one that ran passed. With none (MODE not run, filtered out) or any
// failure, crash, stall, timeout, tests-not-run or error, the control runs.
std::string control_skip_reason(const std::vector<Outcome>& controlled);

// Runs the attempt and returns the exit status.
int run_attempt(const Options& opts, std::ostream& out);

// Renders the tags CTest turns into Test.xml fields (each on its own line: CTest's
// regular expressions are greedy within a line).
std::string ctest_tags(const AttemptRecord& r);

}  // namespace labeille::runner
