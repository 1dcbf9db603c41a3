// What pytest says when its suite did not run, read from the command and its output.
//
// pytest's exit statuses 2 (interrupted: collection errors, KeyboardInterrupt,
// pytest.exit), 3 (internal error), 4 (usage error) and 5 (no tests collected) mean the
// suite never ran: such an attempt is not a measurement of the package (outcome
// tests_not_run, docs/records.md). Other test runners (unittest, a shell script) keep
// plain exit-status semantics, so the runner first asks whether the command is pytest.
// The classifier (observe/) reads the output; fold reads back the detail it wrote.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace labeille {

// True when the command runs pytest: an argv word whose file name is `pytest` or
// `py.test`, or `-m pytest`; for a shell command (`/bin/sh -c TEXT`) the same words in
// TEXT. A script that calls pytest itself is not recognised (its exit status is the
// script's to define).
bool is_pytest_command(const std::vector<std::string>& argv);

// True for pytest's exit statuses that mean the suite did not run (2, 3, 4, 5).
bool pytest_suite_did_not_run(int exit_code);

// "collection errors or interrupted" | "internal error" | "usage error" | "no tests collected".
std::string_view pytest_exit_meaning(int exit_code);

// The first line that explains why the suite did not run, from pytest's output tails:
//   "tests/test_x.py: ModuleNotFoundError: No module named 'hypothesis' (+2 more collection errors)"
//   "tests/conftest.py: ModuleNotFoundError: No module named 'hypothesis'"  (a conftest, exit 4)
//   "ERROR: file or directory not found: tests/"   (usage error, on stderr)
//   "INTERNALERROR> ValueError: ..."                (internal error)
//   "no tests collected"                            (exit 5)
// Falls back on the last non-empty output line; "" when there is no output at all.
std::string pytest_not_run_reason(int exit_code, std::string_view stdout_tail, std::string_view stderr_tail);

// The line saying pytest itself is not there, so the suite did not run either: `python -m
// pytest` in a venv without pytest ("<venv>/bin/python: No module named pytest", exit 1;
// real: numpy's registry install command installs no pytest) or a shell that finds no
// `pytest` (exit 127): "No module named pytest" or the shell's line. "" otherwise.
std::string pytest_missing_line(int exit_code, std::string_view stdout_tail, std::string_view stderr_tail);

// Why pytest stopped before its session when it exits 1 with an uncaught traceback
// through its own startup (`_pytest/` or `pluggy/` frames on stderr) and prints no result
// summary: "pytest could not start: <exception and its message, one line>". Real: wrapt
// 1.17.2's conftest declares a hookimpl argument pytest 9 removed ("pluggy._manager.
// PluginValidationError: Plugin '.../tests/conftest.py' for hook
// 'pytest_pycollect_makemodule' ... Argument(s) {'path'} are declared in the hookimpl but
// can not be found in the hookspec"). "" otherwise, so a failing suite stays a failure.
std::string pytest_startup_error(int exit_code, std::string_view stdout_tail, std::string_view stderr_tail);

// The record's detail of a run whose tests did not run, as the classifier writes it
// (observe/classify.hpp), and the run's first error read back from it (fold): one format.
//   tests_not_run_detail(2, why)  "tests did not run: pytest exit 2 (collection errors or interrupted): <why>"
//                                 (no ": <why>" when `why` is empty)
//   pytest_missing_detail(line)   "tests did not run: pytest is not installed: <line>"
std::string tests_not_run_detail(int exit_code, std::string_view why);
std::string pytest_missing_detail(std::string_view line);
// "<why>" or "pytest is not installed: <line>" from such a detail; "" when the detail
// says no more than the exit status.
std::string tests_not_run_first_error(std::string_view detail, int exit_code);

}  // namespace labeille
