// Reading and writing a run directory: ft_meta.json, ft_results.jsonl, ft_summary.json.
// Readers are lenient where the Python tool differs (missing keys take defaults, an
// unknown category string is kept as it is) and strict where data is broken (a line
// that is not a JSON object is an Error naming file and line).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "labeille/core/fs.hpp"

#include "labeille/analyzers/model.hpp"

namespace labeille::analyzers {

std::string package_to_json_line(const PackageResult& p);

// What a reader keeps of each iteration beyond what every view needs. Views leave out
// what they do not show: at 5,000 packages x 20 iterations the stderr tails are most of
// the bytes, and with a pytest JUnit per run the per-test results are most of the
// memory (gigabytes at 200,000 runs).
struct ReadOptions {
  bool stderr_tails = true;
  bool per_test = true;  // test_results / test_messages
  // Only the results of tests that failed in some iteration (failing_tests, flaky_tests):
  // all the flaky view looks at, a few of a suite's hundreds.
  bool failing_tests_only = false;
  // When set, per-test results only for the packages it accepts (flaky: the intermittent
  // ones, or the one asked for).
  std::function<bool(const std::string& package, const std::string& category)> per_test_for;

  static ReadOptions everything() { return {}; }
  static ReadOptions without_tails() {
    ReadOptions o;
    o.stderr_tails = false;
    return o;
  }
  // What show, compat, compare and report need: no tails, no per-test results.
  static ReadOptions summary() {
    ReadOptions o = without_tails();
    o.per_test = false;
    return o;
  }
};
PackageResult package_from_json(std::string_view json, std::string_view source,
                                ReadOptions keep = ReadOptions::everything());

// Reads RUN_DIR (lines parsed in parallel); throws labeille::Error when RUN_DIR or its
// ft_meta.json is missing, or naming file:line for the first broken line.
RunResults read_run(const std::filesystem::path& run_dir, ReadOptions keep = ReadOptions::without_tails());

// Writes a run directory package by package (fold_each's sink): ft_results.jsonl grows
// in a temporary file that replaces the old one at finish(), then ft_meta.json and
// ft_summary.json are written (each atomically). Destroyed without finish() (an error),
// it leaves the old results as they were. `meta_base` is a JSON object whose keys are
// kept; counters are filled in.
class RunWriter {
 public:
  RunWriter(std::filesystem::path run_dir, std::string meta_base);
  // Serializes the packages (in parallel) and appends them in order.
  void add(std::span<const PackageResult> packages);
  void finish();

 private:
  std::filesystem::path dir_;
  std::string meta_base_;
  std::optional<AtomicFile> results_;
  std::map<std::string, int> categories_;
  int packages_ = 0, completed_ = 0, total_iterations_ = 0;
  // The Python tool's FTRunSummary counters (ft_summary.json).
  std::map<std::string, int> pass_rate_buckets_;
  int pure_python_ = 0, extension_ = 0, pure_python_compatible_ = 0, extension_compatible_ = 0, tsan_packages_ = 0;
  double total_duration_ = 0;
};

// The file a work directory keeps the last run's durations in, and its text: one
// "<package>\t<key>\t<seconds>" line per package and key (setup: the set-up; gil0, gil1,
// stress.gil0, stress.gil1: the mean of that mode's counted runs; a GIL=1 mode that did
// not run takes its GIL=0 mean, the same suite). The module turns them into CTest COST,
// so the next run starts its longest packages first (docs/cmake.md).
inline constexpr std::string_view kDurationsFile = "durations.tsv";
std::string durations_tsv(const RunResults& run);

// The whole run at once.
void write_run(const RunResults& run, const std::filesystem::path& run_dir, const std::string& meta_base);

// ft_meta.json has one writer, write_meta: the start of `labeille ft run` (counters 0)
// and every fold (RunWriter::finish) go through it. `base` is a JSON object (run_id,
// timestamp, profiles, config, cli_args) whose keys are kept; run_id and timestamp are
// filled in when absent; the counters are set.
struct MetaCounters {
  int packages_total = 0, packages_completed = 0, total_iterations = 0;
  double total_duration_s = 0;
};
void write_meta(const std::filesystem::path& run_dir, const std::string& base, const MetaCounters& counters = {});

// ft_meta.json's text, checked: an Error (exit 3) naming the file and field when it is
// empty, not JSON, not an object, or a known field has the wrong type.
std::string read_meta(const std::filesystem::path& file);

// `base` with every top-level key of `extra` added or replaced; both are checked as
// read_meta checks, `extra_source` naming `extra`'s file in the Error.
std::string merge_meta(const std::string& base, const std::string& extra, const std::string& extra_source);

// Tiny accessors into ft_meta.json for the views ("" when absent).
std::string meta_string(const std::string& meta_json, const std::string& dotted_key);

}  // namespace labeille::analyzers
