// The results model: what `labeille ft fold` writes and every view reads.
// Every key the Python labeille tool defines keeps its name and JSON type in what we
// write, so its readers accept ours, and ours accept its; our additions are keys it does
// not use (docs/records.md has both schemas, field by field).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "labeille/core/record.hpp"  // SourceInfo, DeclaredInfo

namespace labeille::analyzers {

struct TestResult {
  std::string id;       // "classname::name" from pytest's JUnit
  std::string status;   // passed | failed | error | skipped (JSON: PASSED, FAILED, ERROR, SKIPPED)
  std::string message;  // first line of the failure message
};

struct IterationResult {
  int index = 0;                 // 1-based position among the package's counted runs
  std::string status;            // pass | fail | crash | deadlock | timeout | error
  std::optional<int> exit_code;
  double duration_s = 0;
  std::string crash_signal;      // "SIGSEGV", "" when none (JSON: the name or null)
  std::string crash_signature;
  // The distinct ThreadSanitizer warning types of the run, sorted ("data race", ...).
  std::vector<std::string> tsan_warnings;
  bool output_stalled = false;
  std::string last_output_line;
  std::string stderr_tail;       // last lines only (the record keeps 64 KiB)
  std::vector<TestResult> test_results;
  int tests_passed = 0, tests_failed = 0, tests_errored = 0, tests_skipped = 0;
  // Our additions.
  int tsan_warning_count = 0;    // TSAN reports seen, before dedup (JSON: tsan_warning_count)
  int iteration = 0, attempt = 0;
  std::string stall_cpu_state;   // idle | busy | ""
  std::string stall_signature;   // "stall (idle) | a.py:3 f ; b.py:9 g": top frame of every thread
  std::optional<bool> gil_enabled;
  std::string attempt_id;
  std::string mode;         // gil0 | gil1 | ... (the runner's --mode)
  // One line that says why this run did not pass (evidence.hpp): pytest's reason when the
  // tests did not run, the first failing test and its JUnit message, the crash or stall
  // signature, the timeout. "" for a pass.
  std::string first_error;
};

struct ExtensionResult {
  std::string module;   // JSON: module_name (the Python tool's) and module
  bool import_ok = true;
  std::optional<bool> reenabled_gil;
  std::string declaration;
  std::string import_error;
};

struct ExtensionCompat {
  bool probed = false;
  bool import_ok = true;
  std::optional<bool> gil_enabled_after_import;
  std::string gil_reenabled_by;
  std::vector<ExtensionResult> extensions;
};

// Stress iterations (labeille ft run --stress), folded. A test's counts are repetitions
// (threads x repeat per run) summed over the stress runs of a GIL mode.
struct StressTestResult {
  std::string id;
  int calls = 0, failures = 0, runs_failed = 0;  // PYTHON_GIL=0
  int gil_enabled_calls = 0, gil_enabled_failures = 0, gil_enabled_runs_failed = 0;  // PYTHON_GIL=1
  std::string message;  // the first failure's
  // free_threading: fails under stress only without the GIL (the finding);
  // thread_unsafe: fails under stress with the GIL too (a test not made for threads);
  // fails_anyway: fails under stress in both modes and in the plain runs (a failing test);
  // not_compared: fails without the GIL, no GIL=1 stress runs to tell.
  std::string kind;
};

struct StressResult {
  int threads = 0, repeat = 0;
  std::vector<IterationResult> iterations;              // PYTHON_GIL=0 stress runs
  std::vector<IterationResult> gil_enabled_iterations;  // PYTHON_GIL=1 stress runs
  int pass_count = 0, gil_enabled_pass_count = 0;
  std::string verdict;     // "3/3 stress runs failed: failure rate >= 37% (95%)"
  std::string comparison;  // as gil_comparison, or "not_compared"; "not_needed": every GIL=0 stress run passed (auto)
  std::optional<double> fisher_p;
  std::vector<StressTestResult> tests;  // every test that failed under stress
  std::map<std::string, std::string> single_threaded;  // thread-unsafe per pytest-run-parallel: id -> reason
  bool finding = false;    // fails under stress without the GIL and not with it
  std::string evidence;    // one line, shown by every view
};

// One distinct ThreadSanitizer race of a package over the whole run: the reports of every
// run that share a signature (the kind and the top frame in the package's own code of
// each of the two stacks).
struct TsanRace {
  std::string signature;  // "data race | bump_n _counter.c:8 | bump_n _counter.c:8"
  std::string kind;       // data race, use after free, lock-order inversion, thread leak, ...
  std::string location;   // "_counter.c:8"
  std::vector<std::vector<std::string>> stacks;  // the two stacks, trimmed (as in the record)
  int runs = 0;           // measured runs it was reported in
  int reports = 0;        // reports over those runs
};

struct PackageResult {
  std::string package;
  std::string category;  // a Category name; unknown strings from other writers are kept
  int iterations_completed = 0;
  int pass_count = 0, fail_count = 0, crash_count = 0;
  int timeout_count = 0;   // includes deadlocks, like the Python tool
  int deadlock_count = 0;
  int tsan_warning_iterations = 0;
  double pass_rate = 0;
  double mean_duration_s = 0;
  std::vector<std::string> failure_signatures;
  std::vector<std::string> tsan_warning_types;
  std::map<std::string, int> flaky_tests;  // test id -> failures, for tests that also passed
  bool install_ok = true;
  std::string install_error;
  double install_duration_s = 0;
  bool import_ok = true;
  std::string import_error;
  std::string commit, install_from, sdist_version;
  // The Python tool's sdist and wheel look-up, kept as read (ours: the set-up's `declared`).
  std::optional<bool> sdist_tag_matched, ft_wheel_found;
  std::string ft_wheel_version;
  std::vector<IterationResult> iterations;
  std::optional<ExtensionCompat> extension_compat;
  std::optional<double> gil_enabled_pass_rate;
  // How many GIL=1 runs counted (JSON: the length of gil_enabled_iterations, the runs).
  int gil_enabled_iterations = 0;
  // Our additions.
  std::string verdict;              // "10/10 passed: failure rate <= 26% (95%)"
  double failure_rate_low = 0, failure_rate_high = 1;
  int gil_enabled_pass_count = 0;
  double gil_enabled_duration_s = 0;  // sum over the GIL=1 runs (ft_meta total_duration_s)
  std::string gil_comparison;       // free_threading_specific | pre_existing | same | gil_only_failures | not_needed (--compare-with-gil auto) | ""
  std::optional<double> gil_fisher_p;
  std::map<std::string, int> failing_tests;  // every failing test id -> failures
  int iterations_allowed = 0;       // with skipped iterations: how many the run allowed
  std::string stop_reason;          // why the rest were skipped (--until-bound, stop-on-first-pass)
  std::optional<StressResult> stress;
  std::vector<TsanRace> tsan_races;          // distinct races, most runs first
  // First JUnit message line of each failing test (the first run it failed in).
  std::map<std::string, std::string> failing_test_messages;
  // The counted GIL=1 runs (compare-with-gil), in order, without per-test results
  // (JSON: gil_enabled_iterations, the Python tool's list of GIL=1 runs).
  std::vector<IterationResult> gil_enabled_runs;
  // Runs whose tests never ran, when no run of the package ran them (then none counts
  // and the package is unknown); both modes.
  std::vector<IterationResult> unmeasured_runs;
  // Why the tests did not run, when some run's did not: "tests did not run in 3 of 3
  // GIL=0 runs (pytest exit 2): tests/test_x.py: ModuleNotFoundError: ..."; "" otherwise.
  std::string tests_not_run;
  // The set-up record's "source" and "declared" objects (docs/records.md); absent when
  // the set-up did not write them (older runs, the Python tool's results).
  std::optional<SourceInfo> source;
  std::optional<DeclaredInfo> declared;
  // Why the set-up failed, by its root cause: the set-up record's "cause" object, key
  // "setup_cause" (absent when the set-up succeeded or named no cause).
  std::optional<CauseInfo> cause;
};

// What the views show of ft_meta.json, read once with the run. Values as the file has
// them, for display ("" when absent): numbers in their shortest form, booleans as
// true/false.
struct RunMeta {
  std::string run_id, timestamp;
  std::string python_version, python_path, python_gil_disabled;  // python_profile
  std::string hostname;                                          // system_profile
  std::string cpu_count;  // system_profile's cpu_count (ours), else cpu_cores_logical (the Python tool's)
  std::string target_python, iterations, timeout, stall_threshold;  // config
  std::string compare_with_gil_text;                             // config, as written
  bool compare_with_gil = false;                                 // ... is true
};

struct RunResults {
  std::string dir;
  std::string meta_json;  // ft_meta.json text ("" when missing), every key kept verbatim
  std::vector<PackageResult> packages;
  RunMeta meta = {};  // what the views show of meta_json, read with it
};

}  // namespace labeille::analyzers
