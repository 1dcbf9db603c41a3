#include "labeille/runner/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <array>
#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
#include <fmt/format.h>
#include <rapidjson/document.h>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/text.hpp"
#include "labeille/runner/output_scan.hpp"
#include "labeille/runner/process_tree.hpp"

namespace asio = boost::asio;
namespace bp = boost::process::v2;
namespace fs = std::filesystem;

namespace labeille::runner {

namespace {

// A deadlocked tree uses ~0 CPU; a spinning thread uses a core, or at least a large
// share of one on a loaded machine. 10% of a core separates them with room on both sides.
constexpr double kBusyCpuShare = 0.10;
constexpr std::size_t kMaxStacks = 1 << 20;
constexpr auto kTick = std::chrono::milliseconds(50);

double now_s() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Sets the child's environment (process_environment's on_setup is compiled into Boost's
// separate source, which we do not build) and runs in the child between fork and exec.
struct ChildSetup {
  const char* const* envp;
  int runner_pid;

  template <class Launcher, class Path>
  boost::system::error_code on_setup(Launcher& launcher, const Path&, const char* const*) const {
    launcher.env = envp;
    return {};
  }

  template <class Launcher, class Path>
  boost::system::error_code on_exec_setup(Launcher&, const Path&, const char* const*) const {
    ::setpgid(0, 0);
    // If the runner itself is SIGKILLed (it cannot clean up then), the main process dies
    // with it instead of running on unsupervised. Checked against a runner that died
    // before this line.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != runner_pid) ::raise(SIGKILL);
    // Ignored dispositions survive exec (nohup, some CI agents ignore SIGINT/SIGPIPE);
    // a test suite must start with the defaults, and with no signal blocked.
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGUSR1, SIGCHLD}) ::signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    return {};
  }
};

// One output stream: pipe -> capped log file + tail + scanner.
class Stream {
 public:
  Stream(asio::io_context& ctx, const fs::path& log, std::uint64_t cap, std::size_t tail,
         bool tsan, int echo_fd)
      : pipe(ctx), tail_(tail), scanner_(tsan), cap_(cap), echo_fd_(echo_fd), path_(log) {
    fd_ = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(fmt::format("cannot write {}: {}", log.string(), std::strerror(errno)), kExitInternal);
  }
  ~Stream() {
    if (fd_ >= 0) ::close(fd_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

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

  void finish(StreamInfo& info, std::string& last_line) {
    scanner_.finish();
    if (written_ >= cap_) {
      std::string note = fmt::format("\n[labeille-ft-runner: log truncated at {} bytes; the process wrote {} bytes]\n",
                                     cap_, total_);
      write_all(note);
    }
    info.log_path = path_.string();
    info.bytes = total_;
    info.truncated = total_ > cap_;
    info.tail = sanitize_utf8(tail_.str());
    if (!scanner_.last_line().empty()) last_line = scanner_.last_line();
  }

  const OutputScanner& scanner() const { return scanner_; }
  void take(std::string_view data) { consume(data); }
  asio::readable_pipe pipe;
  bool closed = false;

 private:
  void consume(std::string_view data) {
    total_ += data.size();
    tail_.append(data);
    scanner_.feed(data);
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
  OutputScanner scanner_;
  std::uint64_t cap_, written_ = 0, total_ = 0;
  int echo_fd_;
  int fd_ = -1;
  fs::path path_;
};

std::string find_on_path(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  std::size_t pos = 0;
  while (pos <= path.size()) {
    auto colon = path.find(':', pos);
    std::string dir = path.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + name;
    if (::access(cand.c_str(), X_OK) == 0 && !fs::is_directory(cand)) return cand;
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  return {};
}

std::vector<int> hooked_pids(const fs::path& hook_dir) {
  std::vector<int> pids;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(hook_dir, ec)) {
    auto name = e.path().filename().string();
    if (name.size() > 8 && name.ends_with(".started")) pids.push_back(std::atoi(name.c_str()));
  }
  return pids;
}

std::optional<bool> read_gil_states(const fs::path& hook_dir) {
  std::optional<bool> any;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(hook_dir, ec)) {
    if (e.path().extension() != ".json") continue;
    std::string text;
    try {
      text = read_file(e.path());
    } catch (const Error&) {
      continue;
    }
    rapidjson::Document d;
    d.Parse(text.c_str());
    if (d.HasParseError() || !d.IsObject()) continue;  // a process killed mid-write
    auto it = d.FindMember("gil_enabled");
    if (it == d.MemberEnd() || !it->value.IsBool()) continue;
    any = any.value_or(false) || it->value.GetBool();
  }
  return any;
}

}  // namespace

namespace {
sigset_t interrupt_signals() {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&s, sig);
  return s;
}
}  // namespace

void block_interrupt_signals() {
  sigset_t s = interrupt_signals();
  ::pthread_sigmask(SIG_BLOCK, &s, nullptr);
}

SuperviseSpec helper_spec(std::vector<std::string> argv, std::string cwd, std::vector<std::string> env,
                          const fs::path& log_dir, const std::string& name, double timeout_s) {
  SuperviseSpec spec;
  spec.argv = std::move(argv);
  spec.cwd = std::move(cwd);
  spec.env = std::move(env);
  spec.watchdog.stall_threshold_s = 0;
  spec.watchdog.timeout_s = timeout_s;
  spec.stdout_log = log_dir / (name + ".stdout.log");
  spec.stderr_log = log_dir / (name + ".stderr.log");
  spec.hook_dir = log_dir / "no-hook";
  return spec;
}

bool exited_zero(const SuperviseResult& r) {
  const auto& t = r.termination;
  return t.started && !t.timed_out && !t.interrupted && t.exit_code == 0;
}

void become_subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

SuperviseResult supervise(const SuperviseSpec& spec) {
  become_subreaper();
  SuperviseResult result;
  asio::io_context ctx;
  const double start = now_s();
  Watchdog wd(spec.watchdog, start);
  Stream out(ctx, spec.stdout_log, spec.log_cap, spec.tail_bytes, spec.parse_tsan, spec.echo ? 1 : -1);
  Stream err(ctx, spec.stderr_log, spec.log_cap, spec.tail_bytes, spec.parse_tsan, spec.echo ? 2 : -1);
  asio::signal_set signals(ctx, SIGINT, SIGTERM, SIGHUP);
  asio::steady_timer timer(ctx);
  const int self = ::getpid();
  auto table = make_procfs_table();

  std::string exe = spec.argv.empty() ? std::string() : find_on_path(spec.argv[0], spec.env);
  std::optional<bp::process> proc;
  if (exe.empty()) {
    result.termination.started = false;
    result.termination.start_error =
        spec.argv.empty() ? "empty command" : fmt::format("{}: command not found on PATH", spec.argv[0]);
  } else {
    try {
      std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
      std::vector<const char*> envp;
      for (const auto& e : spec.env) envp.push_back(e.c_str());
      envp.push_back(nullptr);
      proc.emplace(ctx, exe, args, bp::process_stdio{nullptr, out.pipe, err.pipe},
                   bp::process_start_dir(spec.cwd), ChildSetup{envp.data(), ::getpid()});
    } catch (const std::exception& e) {
      result.termination.started = false;
      result.termination.start_error = fmt::format("{}: {}", exe, e.what());
    }
  }
  if (!proc) {
    out.finish(result.out, result.last_output_line);
    err.finish(result.err, result.last_output_line);
    return result;
  }
  const int pgid = proc->id();
  ::setpgid(pgid, pgid);  // also from the parent, so no signal can race the child's own call

  bool main_exited = false;
  double main_exit_time = 0;
  int raw_status = 0;
  bool capturing = false;
  double sample_start = 0, cpu_at_start = 0;
  std::vector<int> sample_pids;
  double leftover_kill_at = -1;

  auto tree = [&] { return descendants_of(table->snapshot(), self); };
  auto done = [&] {
    return main_exited && ((out.closed && err.closed) || now_s() >= main_exit_time + spec.drain_s);
  };

  auto act = [&](WatchdogAction a) {
    double now = now_s();
    switch (a) {
      case WatchdogAction::None: break;
      case WatchdogAction::DumpStacksAndSample: {
        auto snap = table->snapshot();
        sample_pids = descendants_of(snap, self);
        cpu_at_start = cpu_seconds(snap, sample_pids);
        sample_start = now;
        capturing = true;
        // SIGUSR1 kills a process with no handler: signal only pids whose hook said
        // they registered one, only while they are still ours, and only if they still
        // catch it (a pid may have exec'd another program since).
        for (int pid : hooked_pids(spec.hook_dir))
          if (std::find(sample_pids.begin(), sample_pids.end(), pid) != sample_pids.end() &&
              catches_signal(pid, SIGUSR1))
            ::kill(pid, SIGUSR1);
        break;
      }
      case WatchdogAction::Terminate: {
        auto snap = table->snapshot();
        if (capturing) {
          result.stall.cpu_seconds = cpu_seconds(snap, sample_pids) - cpu_at_start;
          result.stall.sample_s = now - sample_start;
          double share = result.stall.sample_s > 0 ? result.stall.cpu_seconds / result.stall.sample_s : 0;
          result.stall.cpu_state = share >= kBusyCpuShare ? "busy" : "idle";
          capturing = false;
        }
        signal_all(main_exited ? 0 : pgid, descendants_of(snap, self), SIGTERM);
        break;
      }
      case WatchdogAction::Kill:
        signal_all(main_exited ? 0 : pgid, tree(), SIGKILL);
        break;
    }
  };

  std::function<void()> arm_timer = [&] {
    timer.expires_after(kTick);
    timer.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      double now = now_s();
      if (!main_exited) act(wd.tick(now));
      if (leftover_kill_at > 0 && now >= leftover_kill_at) {
        signal_all(0, tree(), SIGKILL);
        leftover_kill_at = -1;
      }
      if (done()) {
        ctx.stop();
        return;
      }
      arm_timer();
    });
  };

  auto on_data = [&](Stream& s) {
    return [&](std::string_view data) {
      if (!data.empty()) {
        wd.on_output(now_s());
        if (capturing && &s == &err && result.thread_stacks.size() < kMaxStacks)
          result.thread_stacks.append(data.substr(0, kMaxStacks - result.thread_stacks.size()));
      }
      if (done()) ctx.stop();
    };
  };
  out.start(on_data(out));
  err.start(on_data(err));

  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    wd.interrupt(now_s());
    if (!main_exited) act(wd.tick(now_s()));
  });

  proc->async_wait([&](boost::system::error_code, int) {
    main_exited = true;
    main_exit_time = now_s();
    raw_status = proc->native_exit_code();
    // Whatever the main process left behind is killed: SIGTERM now, SIGKILL soon after.
    auto rest = has_children() ? tree() : std::vector<int>{};
    result.leftover_processes = static_cast<int>(rest.size());
    if (!rest.empty()) {
      signal_all(pgid, rest, SIGTERM);
      leftover_kill_at = main_exit_time + std::min(1.0, spec.watchdog.grace_s);
    }
    if (done()) ctx.stop();
  });
  arm_timer();
  // The signal_set's handlers exist now: let the signals in (a pending one is delivered
  // at once), and only for as long as the tree runs.
  sigset_t interrupts = interrupt_signals(), caller_mask;
  ::pthread_sigmask(SIG_UNBLOCK, &interrupts, &caller_mask);
  ctx.run();
  ::pthread_sigmask(SIG_SETMASK, &caller_mask, nullptr);

  // Nothing of the tree survives supervise(): kill and reap until it is empty.
  const double reap_deadline = now_s() + 5.0;
  while (has_children()) {
    auto snap = table->snapshot();
    auto rest = descendants_of(snap, self);
    std::vector<int> live;
    for (const auto& p : snap)
      if (p.state != 'Z' && std::find(rest.begin(), rest.end(), p.pid) != rest.end()) live.push_back(p.pid);
    if (!live.empty()) signal_all(0, live, SIGKILL);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (rest.empty() || now_s() > reap_deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  // Output still buffered in the pipes (written before the tree died) is read now.
  auto drain = [](Stream& s) {
    if (s.closed || !s.pipe.is_open()) return;
    int fd = s.pipe.native_handle();
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    std::array<char, 64 * 1024> b{};
    for (int i = 0; i < 64; ++i) {
      ssize_t n = ::read(fd, b.data(), b.size());
      if (n <= 0) break;
      s.take(std::string_view(b.data(), static_cast<std::size_t>(n)));
    }
  };
  drain(out);
  drain(err);

  double end = now_s();
  Termination& t = result.termination;
  if (WIFEXITED(raw_status)) t.exit_code = WEXITSTATUS(raw_status);
  else if (WIFSIGNALED(raw_status)) t.signal = WTERMSIG(raw_status);
  switch (wd.reason()) {
    case StopReason::Stall: t.stalled = true; break;
    case StopReason::Timeout: t.timed_out = true; break;
    case StopReason::Interrupt: t.interrupted = true; break;
    case StopReason::None: break;
  }
  result.stall.detected = t.stalled;
  result.stall.threshold_s = spec.watchdog.stall_threshold_s;
  result.stall.last_output_age_s = wd.silence(end);
  out.finish(result.out, result.last_output_line);
  err.finish(result.err, result.last_output_line);
  // The crash evidence is on stderr (faulthandler); stdout only when stderr had none.
  const auto& se = err.scanner();
  const auto& so = out.scanner();
  result.fatal_error = !se.fatal_error().empty() ? se.fatal_error() : so.fatal_error();
  result.crash_frames = !se.crash_frames().empty() ? se.crash_frames() : so.crash_frames();
  result.tsan_count = se.tsan_count() + so.tsan_count();
  result.tsan = se.tsan_reports();
  for (const auto& r : so.tsan_reports()) result.tsan.push_back(r);
  result.thread_stacks = sanitize_utf8(result.thread_stacks);
  result.gil_enabled_at_exit = read_gil_states(spec.hook_dir);
  result.duration_s = end - start;
  rusage ru{};
  if (::getrusage(RUSAGE_CHILDREN, &ru) == 0) result.peak_rss_kb = ru.ru_maxrss;
  return result;
}

}  // namespace labeille::runner
