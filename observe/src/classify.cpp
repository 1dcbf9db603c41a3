#include "labeille/observe/classify.hpp"

#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "labeille/core/pytest_output.hpp"

namespace labeille::observe {

bool is_crash_signal(int sig) {
  return sig == SIGSEGV || sig == SIGABRT || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
}

std::string crash_signature(const std::string& sig, const std::string& fatal_error,
                            const std::vector<std::string>& frames) {
  std::string s = sig.empty() ? "no signal" : sig;
  if (!fatal_error.empty()) s += " | " + fatal_error;
  constexpr std::size_t kTop = 3;
  for (std::size_t i = 0; i < frames.size() && i < kTop; ++i) s += (i == 0 ? " | " : " < ") + frames[i];
  return s;
}

Verdict classify(const Termination& t, const std::string& fatal_error,
                 const std::vector<std::string>& frames, const CommandOutput& cmd) {
  if (!t.started) return {Outcome::Error, "could not start: " + t.start_error, std::nullopt};
  if (t.interrupted) return {Outcome::Interrupted, "interrupted: the runner was told to stop", std::nullopt};
  // The supervisor stalls a tree only when it printed nothing AND used no CPU and did no
  // I/O for the whole threshold; a silent busy tree runs on to the timeout.
  if (t.stalled) return {Outcome::Deadlock, "stalled: no output, CPU or I/O for the stall threshold", std::nullopt};
  if (t.timed_out) return {Outcome::Timeout, "hard timeout reached", std::nullopt};

  int crash_sig = 0;
  if (t.signal != 0 && is_crash_signal(t.signal)) crash_sig = t.signal;
  if (t.exit_code && *t.exit_code > 128 && is_crash_signal(*t.exit_code - 128)) crash_sig = *t.exit_code - 128;
  bool nonzero = t.signal != 0 || (t.exit_code && *t.exit_code != 0);
  if (crash_sig != 0 || (!fatal_error.empty() && nonzero)) {
    CrashInfo c;
    c.signal = crash_sig;
    c.signal_name = crash_sig ? process::signal_name(crash_sig) : "";
    c.fatal_error = fatal_error;
    c.frames = frames;
    c.signature = crash_signature(c.signal_name, fatal_error, frames);
    std::string where = frames.empty() ? "" : " in " + frames.front();
    std::string what = !c.signal_name.empty() ? c.signal_name : fatal_error;
    return {Outcome::Crash, what + where, std::move(c)};
  }
  if (t.signal != 0) return {Outcome::Fail, "killed by " + process::signal_name(t.signal), std::nullopt};
  int code = t.exit_code.value_or(-1);
  if (code == 0) return {Outcome::Pass, "passed", std::nullopt};
  if (cmd.pytest && pytest_suite_did_not_run(code))
    return {Outcome::TestsNotRun,
            tests_not_run_detail(code, pytest_not_run_reason(code, cmd.stdout_tail, cmd.stderr_tail)), std::nullopt};
  if (cmd.pytest)
    if (auto missing = pytest_missing_line(code, cmd.stdout_tail, cmd.stderr_tail); !missing.empty())
      return {Outcome::TestsNotRun, pytest_missing_detail(missing), std::nullopt};
  if (cmd.pytest)
    if (auto why = pytest_startup_error(code, cmd.stdout_tail, cmd.stderr_tail); !why.empty())
      return {Outcome::TestsNotRun, tests_not_run_detail(code, why), std::nullopt};
  return {Outcome::Fail, fmt::format("exit {}", code), std::nullopt};
}

}  // namespace labeille::observe
