// The "stress" object of an ft_results.jsonl line (docs/analyzers.md), for results_io.
#pragma once

#include "iteration_json.hpp"

#include "labeille/analyzers/model.hpp"
#include "labeille/core/json.hpp"

namespace labeille::analyzers {

// Written into the package's line by the same writer (no text spliced in).
void write_stress(JsonLine& o, const StressResult& s);
// Strict like the rest of the reader: missing keys take defaults, a wrong type is an
// error naming the field ("stress.tests[0].calls: expected ...").
StressResult stress_from_json(const json::Reader& in);

}  // namespace labeille::analyzers
