#include "labeille/process/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <fmt/format.h>

#include "labeille/core/error.hpp"
#include "labeille/core/text.hpp"
#include "labeille/core/time.hpp"
#include "labeille/process/process_tree.hpp"

namespace asio = boost::asio;
namespace bp = boost::process::v2;
namespace fs = std::filesystem;

namespace labeille::process {

namespace {

// A deadlocked tree uses ~0 CPU; a spinning thread uses a core, or at least a large
// share of one on a loaded machine. 10% of a core separates them with room on both sides.
constexpr double kBusyCpuShare = 0.10;
constexpr std::size_t kMaxStacks = 1 << 20;
constexpr auto kTick = std::chrono::milliseconds(50);
// After the main process exits, what it left behind gets SIGTERM, then SIGKILL this soon
// (or after the grace period if that is shorter).
constexpr double kLeftoverGrace_s = 1.0;
// How long reap() keeps killing and reaping a tree that refuses to die.
constexpr double kReapDeadline_s = 5.0;

// Sets the child's environment (process_environment's on_setup is compiled into Boost's
// separate source, which we do not build) and runs in the child between fork and exec.
struct ChildSetup {
  const char* const* envp;
  int parent_pid;

  template <class Launcher, class Path>
  boost::system::error_code on_setup(Launcher& launcher, const Path&, const char* const*) const {
    launcher.env = envp;
    return {};
  }

  template <class Launcher, class Path>
  boost::system::error_code on_exec_setup(Launcher&, const Path&, const char* const*) const {
    ::setpgid(0, 0);
    // If the supervisor itself is SIGKILLed (it cannot clean up then), the main process
    // dies with it instead of running on unsupervised. Checked against a parent that died
    // before this line.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent_pid) ::raise(SIGKILL);
    // Ignored dispositions survive exec (nohup, some CI agents ignore SIGINT/SIGPIPE);
    // a test suite must start with the defaults, and with no signal blocked.
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGUSR1, SIGCHLD}) ::signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    return {};
  }
};

// One output stream: pipe -> capped log file + tail + the observer.
class Stream {
 public:
  Stream(asio::io_context& ctx, const fs::path& log, std::uint64_t cap, std::size_t tail, int echo_fd,
         Channel channel, Observer& observer)
      : pipe(ctx), tail_(tail), cap_(cap), echo_fd_(echo_fd), channel_(channel), observer_(observer), path_(log) {
    fd_ = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(fmt::format("cannot write {}: {}", log.string(), std::strerror(errno)), kExitInternal);
  }
  ~Stream() {
    if (fd_ >= 0) ::close(fd_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Reads until EOF; on_data gets every chunk, then an empty view at EOF.
  template <class OnData>
  void start(OnData on_data) {
    pipe.async_read_some(asio::buffer(buf_), [this, on_data](boost::system::error_code ec, std::size_t n) {
      if (n > 0) {
        consume(std::string_view(buf_.data(), n));
        on_data(std::string_view(buf_.data(), n));
      }
      if (ec) {
        closed = true;
        on_data(std::string_view());
        return;
      }
      start(on_data);
    });
  }

  // Output still buffered in the pipe (written before the tree died).
  void drain() {
    if (closed || !pipe.is_open()) return;
    int fd = pipe.native_handle();
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    for (int i = 0; i < 64; ++i) {
      ssize_t n = ::read(fd, buf_.data(), buf_.size());
      if (n <= 0) break;
      consume(std::string_view(buf_.data(), static_cast<std::size_t>(n)));
    }
  }

  void finish(StreamInfo& info) {
    if (written_ >= cap_) {
      std::string note = fmt::format("\n[labeille-ft-runner: log truncated at {} bytes; the process wrote {} bytes]\n",
                                     cap_, total_);
      write_all(note);
    }
    info.log_path = path_.string();
    info.bytes = total_;
    info.truncated = total_ > cap_;
    info.tail = sanitize_utf8(tail_.str());
  }

  asio::readable_pipe pipe;
  bool closed = false;

 private:
  void consume(std::string_view data) {
    total_ += data.size();
    tail_.append(data);
    observer_.on_output(channel_, data);
    if (written_ < cap_) {
      auto take = static_cast<std::size_t>(std::min<std::uint64_t>(data.size(), cap_ - written_));
      write_all(data.substr(0, take));
      written_ += take;
    }
    if (echo_fd_ >= 0) (void)!::write(echo_fd_, data.data(), data.size());
  }
  void write_all(std::string_view d) {
    while (!d.empty()) {
      ssize_t w = ::write(fd_, d.data(), d.size());
      if (w < 0) {
        if (errno == EINTR) continue;
        return;  // disk full: the tail in the record still has the end of the output
      }
      d.remove_prefix(static_cast<std::size_t>(w));
    }
  }

  std::array<char, 64 * 1024> buf_{};
  TailBuffer tail_;
  std::uint64_t cap_, written_ = 0, total_ = 0;
  int echo_fd_;
  Channel channel_;
  Observer& observer_;
  int fd_ = -1;
  fs::path path_;
};

sigset_t interrupt_signals() {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&s, sig);
  return s;
}

// One supervised command. run() reads as the steps: spawn, watch (which stops the tree
// when the watchdog says so), reap, collect.
class Supervision {
 public:
  Supervision(const Spec& spec, Observer& observer)
      : spec_(spec),
        observer_(observer),
        start_(monotonic_s()),
        wd_(spec.watchdog, start_),
        out_(ctx_, spec.stdout_log, spec.log_cap, spec.tail_bytes, spec.echo ? 1 : -1, Channel::Stdout, observer),
        err_(ctx_, spec.stderr_log, spec.log_cap, spec.tail_bytes, spec.echo ? 2 : -1, Channel::Stderr, observer),
        signals_(ctx_, SIGINT, SIGTERM, SIGHUP),
        timer_(ctx_),
        table_(make_procfs_table()) {}

  Result run() {
    if (spawn()) {
      watch();
      reap();
    }
    return collect();
  }

 private:
  // Starts the command in its own process group; false (and the reason in the result)
  // when it cannot start.
  bool spawn() {
    const fs::path exe = spec_.argv.empty() ? fs::path() : find_executable(spec_.argv[0], spec_.env);
    Termination& t = result_.termination;
    if (exe.empty()) {
      t.started = false;
      t.start_error = spec_.argv.empty() ? "empty command" : fmt::format("{}: command not found on PATH", spec_.argv[0]);
      return false;
    }
    try {
      std::vector<std::string> args(spec_.argv.begin() + 1, spec_.argv.end());
      std::vector<const char*> envp;
      for (const auto& e : spec_.env) envp.push_back(e.c_str());
      envp.push_back(nullptr);
      proc_.emplace(ctx_, exe.string(), args, bp::process_stdio{nullptr, out_.pipe, err_.pipe},
                    bp::process_start_dir(spec_.cwd), ChildSetup{envp.data(), self_});
    } catch (const std::exception& e) {
      t.started = false;
      t.start_error = fmt::format("{}: {}", exe.string(), e.what());
      return false;
    }
    pgid_ = proc_->id();
    ::setpgid(pgid_, pgid_);  // also from the parent, so no signal can race the child's own call
    return true;
  }

  // Runs the event loop until the main process exited and its output ended (or the
  // drain time passed): output, watchdog ticks, the exit wait and interrupt signals.
  void watch() {
    out_.start([this](std::string_view d) { on_output(Channel::Stdout, d); });
    err_.start([this](std::string_view d) { on_output(Channel::Stderr, d); });
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      wd_.interrupt(monotonic_s());
      if (!main_exited_) stop(wd_.tick(monotonic_s()));
    });
    proc_->async_wait([this](boost::system::error_code, int) { on_main_exit(); });
    arm_timer();
    // The signal_set's handlers exist now: let the signals in (a pending one is delivered
    // at once), and only for as long as the tree runs.
    sigset_t interrupts = interrupt_signals(), caller_mask;
    ::pthread_sigmask(SIG_UNBLOCK, &interrupts, &caller_mask);
    ctx_.run();
    ::pthread_sigmask(SIG_SETMASK, &caller_mask, nullptr);
  }

  // Carries out what the watchdog decided: open the sample window, SIGTERM or SIGKILL.
  void stop(WatchdogAction a) {
    const double now = monotonic_s();
    switch (a) {
      case WatchdogAction::None: break;
      case WatchdogAction::DumpStacksAndSample: {
        auto snap = table_->snapshot();
        sample_pids_ = descendants_of(snap, self_);
        cpu_at_start_ = cpu_seconds(snap, sample_pids_);
        sample_start_ = now;
        capturing_ = true;
        observer_.on_sample(sample_pids_);
        break;
      }
      case WatchdogAction::Terminate: {
        auto snap = table_->snapshot();
        if (capturing_) {
          StallInfo& st = result_.stall;
          st.cpu_seconds = cpu_seconds(snap, sample_pids_) - cpu_at_start_;
          st.sample_s = now - sample_start_;
          double share = st.sample_s > 0 ? st.cpu_seconds / st.sample_s : 0;
          st.cpu_state = share >= kBusyCpuShare ? "busy" : "idle";
          capturing_ = false;
        }
        signal_all(main_exited_ ? 0 : pgid_, descendants_of(snap, self_), SIGTERM);
        break;
      }
      case WatchdogAction::Kill:
        signal_all(main_exited_ ? 0 : pgid_, tree(), SIGKILL);
        break;
    }
  }

  // Nothing of the tree survives supervise(): kill and reap until it is empty, then
  // read what is still buffered in the pipes.
  void reap() {
    const double deadline = monotonic_s() + kReapDeadline_s;
    while (has_children()) {
      auto snap = table_->snapshot();
      auto rest = descendants_of(snap, self_);
      std::vector<int> live;
      for (const auto& p : snap)
        if (p.state != 'Z' && std::find(rest.begin(), rest.end(), p.pid) != rest.end()) live.push_back(p.pid);
      if (!live.empty()) signal_all(0, live, SIGKILL);
      while (::waitpid(-1, nullptr, WNOHANG) > 0) {
      }
      if (rest.empty() || monotonic_s() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    out_.drain();
    err_.drain();
  }

  Result collect() {
    out_.finish(result_.out);
    err_.finish(result_.err);
    if (!proc_) return std::move(result_);
    const double end = monotonic_s();
    Termination& t = result_.termination;
    if (WIFEXITED(raw_status_)) t.exit_code = WEXITSTATUS(raw_status_);
    else if (WIFSIGNALED(raw_status_)) t.signal = WTERMSIG(raw_status_);
    switch (wd_.reason()) {
      case StopReason::Stall: t.stalled = true; break;
      case StopReason::Timeout: t.timed_out = true; break;
      case StopReason::Interrupt: t.interrupted = true; break;
      case StopReason::None: break;
    }
    result_.stall.detected = t.stalled;
    result_.stall.threshold_s = spec_.watchdog.stall_threshold_s;
    result_.stall.last_output_age_s = wd_.silence(end);
    const double stopped_at = wd_.reason() == StopReason::None ? end : wd_.last_output() + wd_.silence(end);
    result_.stall.last_activity_age_s = stopped_at - std::max(wd_.last_activity(), wd_.last_output());
    // Silent for the threshold while it kept working: a busy stall, never a deadlock. It
    // ran on, and either ended by itself or (still busy and silent) at the timeout.
    if (!t.stalled) {
      result_.stall.busy_silence = seen_busy_silence_ || wd_.busy_silence(end);
      if (wd_.busy_silence(end)) result_.stall.cpu_state = "busy";
    }
    result_.thread_stacks = sanitize_utf8(result_.thread_stacks);
    result_.duration_s = end - start_;
    rusage ru{};
    if (::getrusage(RUSAGE_CHILDREN, &ru) == 0) result_.peak_rss_kb = ru.ru_maxrss;
    return std::move(result_);
  }

  // --- event handlers of watch() ---
  void on_output(Channel c, std::string_view data) {
    if (!data.empty()) {
      wd_.on_output(monotonic_s());
      auto& stacks = result_.thread_stacks;
      if (capturing_ && c == Channel::Stderr && stacks.size() < kMaxStacks)
        stacks.append(data.substr(0, kMaxStacks - stacks.size()));
    }
    if (done()) ctx_.stop();
  }

  void on_main_exit() {
    main_exited_ = true;
    main_exit_time_ = monotonic_s();
    raw_status_ = proc_->native_exit_code();
    // Whatever the main process left behind is killed: SIGTERM now, SIGKILL soon after.
    auto rest = has_children() ? tree() : std::vector<int>{};
    result_.leftover_processes = static_cast<int>(rest.size());
    if (!rest.empty()) {
      signal_all(pgid_, rest, SIGTERM);
      leftover_kill_at_ = main_exit_time_ + std::min(kLeftoverGrace_s, spec_.watchdog.grace_s);
    }
    if (done()) ctx_.stop();
  }

  void arm_timer() {
    timer_.expires_after(kTick);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      const double now = monotonic_s();
      if (!main_exited_) {
        sample_activity(now);
        stop(wd_.tick(now));
      }
      if (leftover_kill_at_ > 0 && now >= leftover_kill_at_) {
        signal_all(0, tree(), SIGKILL);
        leftover_kill_at_ = -1;
      }
      if (done()) {
        ctx_.stop();
        return;
      }
      arm_timer();
    });
  }

  // While the tree is silent, every activity_every_s: did it use CPU or do I/O since the
  // previous sample? Only a tree that did neither for the whole stall threshold stalls.
  // Not sampled while output flows (output alone keeps it alive; /proc is not free).
  void sample_activity(double now) {
    const auto& cfg = spec_.watchdog;
    if (cfg.stall_threshold_s <= 0 || now < next_activity_) return;
    next_activity_ = now + cfg.activity_every_s;
    if (now - wd_.last_output() < cfg.activity_every_s) {
      activity_prev_.reset();
      return;
    }
    auto cur = sample_tree(*table_, self_);
    if (activity_prev_ && tree_moved(*activity_prev_, cur, now - activity_prev_t_)) wd_.on_activity(now);
    seen_busy_silence_ = seen_busy_silence_ || wd_.busy_silence(now);
    activity_prev_ = std::move(cur);
    activity_prev_t_ = now;
  }

  bool done() const {
    return main_exited_ && ((out_.closed && err_.closed) || monotonic_s() >= main_exit_time_ + spec_.drain_s);
  }
  std::vector<int> tree() const { return descendants_of(table_->snapshot(), self_); }

  const Spec& spec_;
  Observer& observer_;
  Result result_;
  asio::io_context ctx_;
  const double start_;
  Watchdog wd_;
  Stream out_, err_;
  asio::signal_set signals_;
  asio::steady_timer timer_;
  const int self_ = ::getpid();
  std::unique_ptr<ProcessTable> table_;
  std::optional<bp::process> proc_;
  int pgid_ = 0;

  bool main_exited_ = false;
  double main_exit_time_ = 0;
  int raw_status_ = 0;
  double leftover_kill_at_ = -1;
  // The watchdog's sample window (stall or timeout): who was sampled, from when.
  bool capturing_ = false;
  double sample_start_ = 0, cpu_at_start_ = 0;
  std::vector<int> sample_pids_;
  // The tree's activity while it is silent (sample_activity).
  std::optional<TreeSample> activity_prev_;
  double activity_prev_t_ = 0, next_activity_ = 0;
  bool seen_busy_silence_ = false;
};

}  // namespace

fs::path find_executable(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = "PATH=/usr/local/bin:/usr/bin:/bin";
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) path = e;
  std::vector<bp::environment::key_value_pair> lookup{path};
  auto exe = bp::environment::find_executable(name, lookup);
  return exe.empty() ? fs::path() : fs::path(exe.string());
}

void block_interrupt_signals() {
  sigset_t s = interrupt_signals();
  ::pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

void become_subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

Spec helper_spec(std::vector<std::string> argv, std::string cwd, std::vector<std::string> env,
                 const fs::path& log_dir, const std::string& name, double timeout_s) {
  Spec spec;
  spec.argv = std::move(argv);
  spec.cwd = std::move(cwd);
  spec.env = std::move(env);
  spec.watchdog.stall_threshold_s = 0;
  spec.watchdog.timeout_s = timeout_s;
  spec.stdout_log = log_dir / (name + ".stdout.log");
  spec.stderr_log = log_dir / (name + ".stderr.log");
  return spec;
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    case SIGPIPE: return "SIGPIPE";
    case SIGUSR1: return "SIGUSR1";
    default: return fmt::format("signal {}", sig);
  }
}

bool exited_zero(const Result& r) {
  const auto& t = r.termination;
  return t.started && !t.timed_out && !t.interrupted && t.exit_code == 0;
}

Result supervise(const Spec& spec, Observer* observer) {
  become_subreaper();
  Observer none;
  return Supervision(spec, observer ? *observer : none).run();
}

}  // namespace labeille::process
