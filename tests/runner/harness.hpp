// Shared helpers of the runner's real-process tests: run the real labeille-ft-runner,
// read back its record, check pids.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "labeille/core/fs.hpp"
#include "labeille/core/record.hpp"

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

struct Child {
  pid_t pid = -1;
  int out_fd = -1;
};

// Starts the runner with `args`; its stdout goes to a pipe. With `pending_signal`, the
// runner starts with that signal blocked and already pending (a signal that arrived
// before it could install its handlers, deterministically).
inline Child spawn_runner(const std::vector<std::string>& args, int pending_signal = 0) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(p[1], 1);
    if (pending_signal != 0) {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, pending_signal);
      ::sigprocmask(SIG_BLOCK, &s, nullptr);
      ::raise(pending_signal);  // stays pending across execv
    }
    std::vector<char*> argv;
    std::string exe = runner_exe().string();
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(p[1]);
  return {pid, p[0]};
}

struct RunResult {
  int exit_code = -1;
  std::string out;
};

inline RunResult wait_runner(Child c) {
  RunResult r;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(c.out_fd, buf, sizeof buf)) > 0) r.out.append(buf, static_cast<size_t>(n));
  ::close(c.out_fd);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline RunResult run_runner(const std::vector<std::string>& args) { return wait_runner(spawn_runner(args)); }

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
