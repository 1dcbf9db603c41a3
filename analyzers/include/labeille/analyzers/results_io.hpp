// Reading and writing a run directory: ft_meta.json, ft_results.jsonl, ft_summary.json.
// Readers are lenient where the Python tool differs (missing keys take defaults, an
// unknown category string is kept as it is) and strict where data is broken (a line
// that is not a JSON object is an Error naming file and line).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "labeille/core/fs.hpp"

#include "labeille/analyzers/model.hpp"

namespace labeille::analyzers {

std::string package_to_json_line(const PackageResult& p);
// `keep_tails` false drops each iteration's stderr_tail: no view shows it, and at
// 5,000 packages x 20 iterations the tails are most of the bytes.
PackageResult package_from_json(std::string_view json, std::string_view source, bool keep_tails = true);

// Reads RUN_DIR; throws labeille::Error when RUN_DIR or its ft_meta.json is missing.
RunResults read_run(const std::filesystem::path& run_dir, bool keep_tails = false);

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
  double total_duration_ = 0;
};

// The whole run at once.
void write_run(const RunResults& run, const std::filesystem::path& run_dir, const std::string& meta_base);

// `base` with every top-level key of `extra` added or replaced; `extra_source` names the
// file in the Error when `extra` is not a JSON object.
std::string merge_meta(const std::string& base, const std::string& extra, const std::string& extra_source);

// Tiny accessors into ft_meta.json for the views ("" when absent).
std::string meta_string(const std::string& meta_json, const std::string& dotted_key);

}  // namespace labeille::analyzers
