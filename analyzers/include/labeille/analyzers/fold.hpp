// `labeille ft fold`: attempt records (+ CTest's JUnit/Test.xml, + each attempt's pytest
// JUnit) -> one RunResults. Records are read by record_scan (src/), CTest's and pytest's
// files by ctest_inputs.hpp; this part folds them, package by package in parallel. Pure apart from reading files; re-running gives the same
// result, the same attempt seen twice (shards copied twice) counts once, and a corrupt
// record is reported and skipped.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "labeille/analyzers/ctest_inputs.hpp"  // CTest's and pytest's files fold reads
#include "labeille/analyzers/model.hpp"

namespace labeille::analyzers {

struct FoldInputs {
  std::vector<std::filesystem::path> record_dirs;
  std::vector<std::filesystem::path> ctest_junit;  // ctest --output-junit files
  std::vector<std::filesystem::path> ctest_xml;    // Testing/<tag>/Test.xml files
};

struct FoldReport {
  int records = 0;      // records read
  int duplicates = 0;   // same attempt_id seen again
  int uncounted = 0;    // interrupted / skipped attempts
  int lost = 0;         // attempts known only from CTest (no record)
  std::vector<std::string> problems;  // "path: reason" for each skipped input
};

// Folds package by package and hands the results to `sink` in package-name order, a
// chunk at a time (packages of a chunk fold in parallel): memory holds one chunk, never
// the whole run. The sink may move the packages out.
using FoldSink = std::function<void(std::vector<PackageResult>& chunk)>;
void fold_each(const FoldInputs& in, FoldReport& report, const FoldSink& sink);

// fold_each into a RunWriter (results_io.hpp): writes RUN_DIR's ft_results.jsonl,
// ft_meta.json (the keys of `meta_base` kept) and ft_summary.json; returns the number
// of packages.
std::size_t fold_to_dir(const FoldInputs& in, FoldReport& report, const std::filesystem::path& run_dir,
                        const std::string& meta_base);

// The whole run in memory (tests, small runs).
RunResults fold(const FoldInputs& in, FoldReport& report);

}  // namespace labeille::analyzers
