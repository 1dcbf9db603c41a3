// Stress iterations in the results: folding the stress attempts of a package, the
// verdict they add to its category, and their JSON form in ft_results.jsonl ("stress",
// docs/analyzers.md). The seed's categories stay: stress evidence can only turn an
// all-pass package intermittent (it fails under stress without the GIL and not with it),
// or crash / deadlock (a stress run crashed or stalled without the GIL only).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "labeille/analyzers/model.hpp"
#include "labeille/core/record.hpp"

namespace labeille::analyzers {

// One counted stress attempt: its iteration result (with pytest's per-test results) and
// the plugin's counts, when it reported.
struct StressRun {
  IterationResult it;
  std::optional<StressInfo> info;
};

// The stress runs of both GIL modes -> counts, per-test kinds, comparison, evidence.
// `plain_failing`: the tests that failed in the plain GIL=0 runs (id -> runs), which tell
// a test that fails anyway from one that only threads break.
StressResult fold_stress(std::vector<StressRun> gil0, std::vector<StressRun> gil1,
                         const std::map<std::string, int>& plain_failing = {});

// After the plain category is set: the category stress evidence gives (see above).
void apply_stress(PackageResult& p);

// The flaky view's stress section: runs, then per test its kind, repetitions failed
// with and without the GIL and the first message; the single-threaded tests listed.
std::string stress_lines(const StressResult& s);

}  // namespace labeille::analyzers
