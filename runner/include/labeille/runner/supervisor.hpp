// Runs ONE command under supervision and reports how it ended. Mechanism only: no
// classification, no record (attempt.hpp does those).
//
// The child gets its own process group; the runner is a child subreaper, so every
// descendant — also one that called setsid() and whose parent died — stays below the
// runner and is killed and reaped before supervise() returns: no orphans, ever.
// stdout and stderr are read through pipes by one Asio io_context together with the
// watchdog timer, the exit wait and SIGINT/SIGTERM/SIGHUP handling.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "labeille/core/record.hpp"
#include "labeille/runner/classify.hpp"
#include "labeille/runner/watchdog.hpp"

namespace labeille::runner {

struct SuperviseSpec {
  std::vector<std::string> argv;  // argv[0] is looked up on the child's PATH if it has no '/'
  std::string cwd;
  std::vector<std::string> env;   // "KEY=VALUE"
  WatchdogConfig watchdog;
  double drain_s = 2.0;           // after the main process exits, wait this long for EOF
  std::filesystem::path stdout_log, stderr_log;
  std::uint64_t log_cap = 64ull << 20;   // bytes kept per log file
  std::size_t tail_bytes = 64 * 1024;
  std::filesystem::path hook_dir; // where the startup hook writes <pid>.started / <pid>.json
  bool parse_tsan = false;
  bool echo = false;              // also copy output to the runner's own stdout/stderr
};

struct SuperviseResult {
  Termination termination;
  StreamInfo out, err;
  StallInfo stall;
  std::string last_output_line;
  std::string fatal_error;
  std::vector<std::string> crash_frames;
  int tsan_count = 0;
  std::vector<TsanReport> tsan;
  std::string thread_stacks;      // output produced while stacks were being dumped
  std::optional<bool> gil_enabled_at_exit;
  double duration_s = 0;
  std::int64_t peak_rss_kb = 0;
  int leftover_processes = 0;     // descendants still alive when the main process ended
};

SuperviseResult supervise(const SuperviseSpec& spec);

// The spec for a helper command (git, pip, cmake, ctest, a probe) rather than a test
// suite: no stall watchdog (builds may be silent for long), the given hard timeout (0:
// none), logs as <log_dir>/<name>.stdout.log and .stderr.log, no startup hook.
SuperviseSpec helper_spec(std::vector<std::string> argv, std::string cwd, std::vector<std::string> env,
                          const std::filesystem::path& log_dir, const std::string& name, double timeout_s);

// The command started, was not interrupted or timed out, and exited 0.
bool exited_zero(const SuperviseResult& r);

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread. supervise() unblocks them
// only while it supervises (and restores the caller's mask after), so a signal that
// arrives before it is kept pending and interrupts the attempt as soon as it starts,
// and one that arrives after it cannot kill the runner while it writes the record.
void block_interrupt_signals();

// Marks the calling process as a child subreaper (Linux); idempotent.
void become_subreaper();

}  // namespace labeille::runner
