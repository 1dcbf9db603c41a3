// One run in ft_results.jsonl, wherever it sits: a package's "iterations",
// "gil_enabled_iterations" and "unmeasured_runs", and its stress object's "runs" and
// "gil_enabled_runs". One writer and one reader for all of them (docs/records.md lists
// the keys: the Python labeille tool's, then ours), through core/json.hpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "labeille/analyzers/model.hpp"
#include "labeille/core/json.hpp"

namespace labeille::analyzers {

using JsonLine = json::Out<json::LineWriter>;

// `per_test`: with the per-test parts ("test_results", "test_messages"), which only a
// package's own run arrays carry (a stress run's tests are counted in its stress object).
void write_iteration(JsonLine& o, const IterationResult& it, bool per_test);
void write_iterations(JsonLine& o, std::string_view key, const std::vector<IterationResult>& runs, bool per_test);

// Every field but the per-test parts, which the caller reads or checks as its view needs
// (results_io.cpp). `stderr_tail`: keep it (its type is checked either way).
IterationResult read_iteration(const json::Reader& e, bool stderr_tail);

// A per-test status as read ("PASSED", the Python tool's pytest -v words, or our older
// "passed") -> the model's lower-case JUnit word.
std::string model_test_status(std::string s);

}  // namespace labeille::analyzers
