// Shared helpers of the runner's real-process tests: run the real labeille-ft-runner
// (through Boost.Process), read back its record, check pids.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/stdio.hpp>
#include <gtest/gtest.h>

#include "labeille/core/fs.hpp"
#include "labeille/core/record.hpp"
#include "labeille/process/supervisor.hpp"

namespace labeille::test {

namespace fs = std::filesystem;

inline fs::path runner_exe() { return fs::path(LABEILLE_FT_BINARY_DIR) / "runner" / "labeille-ft-runner"; }
inline fs::path fixture(const std::string& name) {
  return fs::path(LABEILLE_FT_SOURCE_DIR) / "tests" / "fixtures" / "runner" / name;
}
inline std::string test_python() { return LABEILLE_FT_TEST_PYTHON; }
inline fs::path test_venv() { return fs::path(LABEILLE_FT_BINARY_DIR) / "tests" / "runner" / "venv"; }

// A fresh scratch directory per test.
inline fs::path scratch() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path p = fs::path(LABEILLE_FT_BINARY_DIR) / "tests" / "runner" / "scratch" /
               (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// A running labeille-ft-runner, started through Boost.Process with its stdout on a pipe.
struct Child {
  std::unique_ptr<boost::asio::io_context> ctx = std::make_unique<boost::asio::io_context>();
  boost::asio::readable_pipe out{*ctx};
  std::optional<boost::process::v2::process> proc;
  int pid = -1;
};

// Runs in the child between fork and exec: `sig` blocked and already pending, as if it
// arrived before the runner could install its handlers (deterministically).
struct PendingSignal {
  int sig = 0;
  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher&, const boost::process::v2::filesystem::path&,
                                          const char* const*) const {
    if (sig == 0) return {};
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    ::sigprocmask(SIG_BLOCK, &s, nullptr);
    ::raise(sig);  // stays pending across exec
    return {};
  }
};

inline std::unique_ptr<Child> spawn_runner(const std::vector<std::string>& args, int pending_signal = 0) {
  auto c = std::make_unique<Child>();
  c->proc.emplace(*c->ctx, runner_exe().string(), args, boost::process::v2::process_stdio{{}, c->out, {}},
                  PendingSignal{pending_signal});
  c->pid = c->proc->id();
  return c;
}

struct RunResult {
  int exit_code = -1;
  std::string out;
};

// Waits for the runner; its raw wait status (WIFEXITED and friends apply).
inline int wait_status(Child& c) {
  boost::system::error_code ec;
  c.proc->wait(ec);
  return c.proc->native_exit_code();
}

inline RunResult wait_runner(Child& c) {
  RunResult r;
  boost::system::error_code ec;
  boost::asio::read(c.out, boost::asio::dynamic_buffer(r.out), ec);  // until EOF
  c.out.close();
  int status = wait_status(c);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline RunResult run_runner(const std::vector<std::string>& args) { return wait_runner(*spawn_runner(args)); }

// Runs a command (cmake, ctest) to its end through the process library, with this
// process's environment; its exit status (-1 when it did not exit). Logs go to
// <logs>/<name>.stdout.log and .stderr.log.
inline int run_command(std::vector<std::string> argv, const fs::path& logs, const std::string& name) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  auto r = process::supervise(process::helper_spec(std::move(argv), fs::current_path().string(), std::move(env),
                                                   logs, name, 600));
  return r.termination.exit_code.value_or(-1);
}

// Every attempt record below record_dir/package, in attempt order.
inline std::vector<AttemptRecord> records(const fs::path& record_dir, const std::string& package) {
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(record_dir / package))
    if (fs::exists(e.path() / "record.json")) files.push_back(e.path() / "record.json");
  std::sort(files.begin(), files.end());
  std::vector<AttemptRecord> out;
  for (auto& f : files) out.push_back(std::get<AttemptRecord>(parse_record(read_file(f), f.string())));
  return out;
}

inline AttemptRecord only_record(const fs::path& record_dir, const std::string& package) {
  auto all = records(record_dir, package);
  if (all.size() != 1) throw std::runtime_error("expected exactly one record, got " + std::to_string(all.size()));
  return all.front();
}

// True while a process with this pid exists (a zombie counts: it was not reaped).
inline bool pid_exists(int pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH); }

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline bool wait_for_file(const fs::path& p, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (fs::exists(p) && fs::file_size(p) > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

#define LABEILLE_REQUIRE_PYTHON()                                                 \
  do {                                                                           \
    if (labeille::test::test_python().empty())                                   \
      GTEST_FAIL() << "LABEILLE_FT_TEST_PYTHON not set (run scripts/test.sh)";   \
  } while (0)

}  // namespace labeille::test
