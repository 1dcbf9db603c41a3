// Runs ONE command under supervision and reports how it ended: the process launcher of
// every part (the runner's test commands, set-up's git/pip/python, the driver's cmake and
// ctest). Mechanism only: what the output means is the caller's business (an Observer
// sees every byte).
//
// The child gets its own process group; the caller is a child subreaper, so every
// descendant — also one that called setsid() and whose parent died — stays below it and
// is killed and reaped before supervise() returns: no orphans, ever. stdout and stderr
// are read through pipes by one Asio io_context together with the watchdog timer, the
// exit wait and SIGINT/SIGTERM/SIGHUP handling.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "labeille/core/record.hpp"
#include "labeille/process/watchdog.hpp"

namespace labeille::process {

// How the supervised command ended.
struct Termination {
  bool started = true;           // false: exec failed (start_error says why)
  std::string start_error;
  std::optional<int> exit_code;  // it exited with this status
  int signal = 0;                // or was killed by this signal
  // What the supervisor did: these decide before any exit status, so its own
  // SIGTERM/SIGKILL never turn a stall into a "crash".
  bool stalled = false;
  bool timed_out = false;
  bool interrupted = false;
};

// "SIGSEGV", or "signal 42": how records and messages name a signal.
std::string signal_name(int sig);

struct Spec {
  std::vector<std::string> argv;  // argv[0] is looked up on the child's PATH if it has no '/'
  std::string cwd;
  std::vector<std::string> env;   // "KEY=VALUE"
  WatchdogConfig watchdog;
  double drain_s = 2.0;           // after the main process exits, wait this long for EOF
  std::filesystem::path stdout_log, stderr_log;
  std::uint64_t log_cap = 64ull << 20;   // bytes kept per log file
  std::size_t tail_bytes = 64 * 1024;
  bool echo = false;              // also copy output to our own stdout/stderr
};

struct Result {
  Termination termination;
  StreamInfo out, err;
  StallInfo stall;
  std::string thread_stacks;      // stderr produced while stacks were being dumped
  double duration_s = 0;
  std::int64_t peak_rss_kb = 0;
  int leftover_processes = 0;     // descendants still alive when the main process ended
};

enum class Channel { Stdout, Stderr };

// What a caller adds to supervision. Called on the supervising thread.
class Observer {
 public:
  virtual ~Observer() = default;
  // Every chunk of output, in order, also the chunks read after the tree died.
  virtual void on_output(Channel, std::string_view) {}
  // The watchdog opens its sample window (a stall or a timeout): `tree` is every live
  // descendant; a caller that knows how to ask them for their stacks does it now.
  virtual void on_sample(const std::vector<int>& /*tree*/) {}
};

Result supervise(const Spec& spec, Observer* observer = nullptr);

// The spec for a helper command (git, pip, cmake, ctest, a probe) rather than a test
// suite: no stall watchdog (builds may be silent for long), the given hard timeout (0:
// none), logs as <log_dir>/<name>.stdout.log and .stderr.log.
Spec helper_spec(std::vector<std::string> argv, std::string cwd, std::vector<std::string> env,
                 const std::filesystem::path& log_dir, const std::string& name, double timeout_s);

// The command started, was not interrupted or timed out, and exited 0.
bool exited_zero(const Result& r);

// argv[0] as supervise() runs it: a name with a '/' as is, else the first executable of
// that name on the PATH of `env` ("KEY=VALUE" entries; /usr/local/bin:/usr/bin:/bin when
// it has no PATH). Empty when there is none.
std::filesystem::path find_executable(const std::string& name, const std::vector<std::string>& env);

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread. supervise() unblocks them
// only while it supervises (and restores the caller's mask after), so a signal that
// arrives before it is kept pending and interrupts the command as soon as it starts,
// and one that arrives after it cannot kill the caller while it writes its results.
void block_interrupt_signals();

// Marks the calling process as a child subreaper (Linux); idempotent.
void become_subreaper();

}  // namespace labeille::process
