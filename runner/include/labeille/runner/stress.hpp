// Stress attempts (runner --stress-threads N --stress-repeat K): the package's own test
// command, with pytest-run-parallel running every test in N threads, K times each, in one
// process (repetition in a warm process exposes races a fresh process hides). Nothing
// else differs from a plain attempt: same supervision, crash and stall detection.
//
// pytest-run-parallel and our labeille_ft_stress plugin live in <venv>/labeille-ft-stress/
// (set-up installs them there with --stress), outside the venv's site-packages, so plain
// iterations never load them; a stress attempt puts that directory on PYTHONPATH and the
// options on PYTEST_ADDOPTS, and reads the plugin's per-test counts back into the record.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "labeille/core/record.hpp"

namespace labeille::runner {

// The directory below the venv (kStressToolsDir) and the plugin's output file in the
// attempt directory (attempt_files::kStressOut) are named in core/fs.hpp, shared with set-up.

// The variables a stress attempt sets: PYTHONPATH, LABEILLE_FT_STRESS_OUT, and the
// PYTEST_ADDOPTS words (the runner appends them to its own).
struct StressEnv {
  std::vector<std::pair<std::string, std::string>> vars;
  std::string pytest_addopts;
};
// --stress-budget: the repetitions per thread that make one stress attempt cost about
// `budget_s` of CPU when the plain suite takes `plain_mean_s` (each test runs threads x
// repeat times): floor(budget / (plain x threads)), at least 2 (one repetition is no
// stress) and at most `max_repeat`; `max_repeat` when no plain run is known (<= 0).
// more-itertools 10.7.0 (9.5 s suite): 20 repetitions made each stress run 6.3 minutes.
int budgeted_stress_repeat(double budget_s, double plain_mean_s, int threads, int max_repeat);

StressEnv stress_environment(const std::filesystem::path& venv, int threads, int repeat,
                             const std::filesystem::path& attempt_dir);

// A stress attempt's stall threshold: each test runs `repeat` times in a row, so a test
// that is silent for s seconds keeps the run silent for repeat x s; the plain threshold
// grows with the repetitions, but stays at most half the hard timeout (when there is one
// and it is the larger), so an idle deadlock under stress is still caught as one.
double stress_stall_threshold(double plain_s, int repeat, double timeout_s);

// The plugin's output folded into one StressInfo (several pytest sessions in one command
// add up); `reported` false when the file is missing (the run died before pytest's end).
// Each line is read whole through core/json.hpp or skipped (not JSON, or a field of the
// wrong type): a run killed mid-write loses only that session.
StressInfo read_stress_output(const std::filesystem::path& file, int threads, int repeat);

}  // namespace labeille::runner
