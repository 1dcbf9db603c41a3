// Outcome classification: a pure function from how the process ended (and what the
// runner itself did to it) to one Outcome of the closed taxonomy.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "labeille/core/record.hpp"
#include "labeille/process/supervisor.hpp"

namespace labeille::observe {

// How the supervised command ended (process/supervisor.hpp).
using Termination = process::Termination;

struct Verdict {
  Outcome outcome = Outcome::Error;
  std::string detail;              // one line for humans and <CTestDetails>
  std::optional<CrashInfo> crash;  // set when outcome == Crash
};

// Signals that mean the program crashed (rather than being stopped).
bool is_crash_signal(int sig);

// Rules, first match wins: not started -> error; interrupted -> interrupted; stalled ->
// deadlock; timed out -> timeout; killed by a crash signal, or exit 128+N for a crash
// signal N (a shell reporting its child's death) -> crash; "Fatal Python error" seen and
// a non-zero exit -> crash; exit 0 -> pass; when the command is pytest (`pytest`),
// exit 2-5 -> tests_not_run (collection errors, interrupted, internal error, usage
// error, no tests collected: the suite did not run); anything else -> fail.
Verdict classify(const Termination& t, const std::string& fatal_error,
                 const std::vector<std::string>& frames, bool pytest = false);

// Stable crash signature: "SIGSEGV | Fatal Python error: Segmentation fault | a.py:3 f < ..."
std::string crash_signature(const std::string& signal_name, const std::string& fatal_error,
                            const std::vector<std::string>& frames);

}  // namespace labeille::observe
