// ThreadSanitizer evidence per package: the distinct races of a run (fold) and how the
// views show them, kept apart from the other views so each stays small.
#pragma once

#include <string>
#include <vector>

#include "labeille/analyzers/model.hpp"
#include "labeille/core/record.hpp"

namespace labeille::analyzers {

// Adds one run's reports (an attempt record's `tsan`) to the package's races.
void add_tsan_run(std::vector<TsanRace>& races, const std::vector<TsanReport>& run);
// Most runs first, then signature: the order every view shows.
void sort_tsan_races(std::vector<TsanRace>& races);

// Measured runs of the package (both GIL modes): the denominator of TsanRace::runs.
int measured_runs(const PackageResult& p);

// One line for the details column: "TSAN: 1 distinct race: data race in bump_n _counter.c:8 (3/3 runs)".
std::string tsan_summary(const PackageResult& p);

// The section for `show` and `report --format text`, markdown and html; "" when no
// package of the run has a race.
std::string render_tsan_races_text(const RunResults& run);
std::string render_tsan_races_markdown(const RunResults& run);
std::string render_tsan_races_html(const RunResults& run);

}  // namespace labeille::analyzers
