// Outcome classification: a pure function from how the process ended (and what the
// runner itself did to it) to one Outcome of the closed taxonomy.
#pragma once

#include <optional>
#include <string>
#include <string_view>
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

// What the command was and what it printed last, for the rules that read its output.
struct CommandOutput {
  bool pytest = false;  // the command runs pytest (is_pytest_command, core/pytest_output.hpp)
  std::string_view stdout_tail = {};
  std::string_view stderr_tail = {};
};

// Rules, first match wins:
//  1. not started -> error;
//  2. interrupted -> interrupted;
//  3. stalled (no output, CPU or I/O for the threshold) -> deadlock;
//  4. timed out -> timeout;
//  5. killed by a crash signal, or exit 128+N for a crash signal N (a shell reporting its
//     child's death) -> crash; "Fatal Python error" seen and a non-zero exit -> crash;
//  6. killed by another signal -> fail;
//  7. exit 0 -> pass;
//  8. a pytest command (`cmd.pytest`) that exits 2-5 -> tests_not_run (collection errors,
//     interrupted, internal error, usage error, no tests collected: the suite did not
//     run), the detail saying why from the tails (pytest_not_run_reason);
//  9. a pytest command that exits 1 saying "No module named pytest", or 127 with the
//     shell's "pytest: not found" -> tests_not_run (pytest is not installed);
// 10. a pytest command that exits 1 with an uncaught traceback through pytest's own
//     startup and no result summary -> tests_not_run ("pytest could not start: ...",
//     pytest_startup_error: a conftest pytest refuses, a plugin that breaks);
// 11. anything else -> fail.
// Every "tests did not run" rule is here: the detail is written by
// tests_not_run_detail() / pytest_missing_detail(), and fold reads a run's first error
// back from it (core/pytest_output.hpp).
Verdict classify(const Termination& t, const std::string& fatal_error,
                 const std::vector<std::string>& frames, const CommandOutput& cmd = {});

// Stable crash signature: "SIGSEGV | Fatal Python error: Segmentation fault | a.py:3 f < ..."
std::string crash_signature(const std::string& signal_name, const std::string& fatal_error,
                            const std::vector<std::string>& frames);

}  // namespace labeille::observe
