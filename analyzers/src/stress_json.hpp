// The "stress" object of an ft_results.jsonl line (docs/analyzers.md), for results_io.
#pragma once

#include <string>

#include <rapidjson/document.h>

#include "labeille/analyzers/model.hpp"

namespace labeille::analyzers {

std::string stress_to_json(const StressResult& s);
// Lenient like the rest of the reader: missing keys take defaults.
StressResult stress_from_json(const rapidjson::Value& v);

}  // namespace labeille::analyzers
