// The "stress" object of an ft_results.jsonl line (docs/analyzers.md), for results_io.
#pragma once

#include <string>

#include <rapidjson/document.h>

#include "labeille/analyzers/model.hpp"
#include "labeille/core/json.hpp"

namespace labeille::analyzers {

std::string stress_to_json(const StressResult& s);
// Strict like the rest of the reader: missing keys take defaults, a wrong type is an
// error naming the field ("stress.tests[0].calls: expected ...").
StressResult stress_from_json(const json::Reader& in);

}  // namespace labeille::analyzers
