// Heavy real-process tests, run serially: a gigabyte of output, and real CTest runs with
// --repeat.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace labeille::test {

TEST(RunnerHeavy, OneGibOfOutputIsCappedStreamedAndCounted) {
  auto d = scratch();
  const std::uint64_t gib = 1ull << 30;
  auto child = spawn_runner({"--record-dir", d.string(), "--package", "flood", "--log-cap", "1048576", "--shell",
                             "head -c 1073741824 /dev/zero; echo done >&2"});
  // The runner's own peak RSS: VmHWM only grows, so the last reading before it exits is
  // its peak. (getrusage's ru_maxrss would also count this test process, copied by fork.)
  std::atomic<bool> stop{false};
  long hwm_kib = 0;
  std::thread poller([&] {
    while (!stop) {
      std::ifstream status("/proc/" + std::to_string(child->pid) + "/status");
      std::string key;
      long value = 0;
      while (status >> key) {
        if (key == "VmHWM:" && status >> value) hwm_kib = std::max(hwm_kib, value);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  auto res = wait_runner(*child);
  stop = true;
  poller.join();
  EXPECT_EQ(res.exit_code, 0) << res.out;
  auto r = only_record(d, "flood");
  EXPECT_EQ(r.outcome, Outcome::Pass);
  EXPECT_EQ(r.out.bytes, gib);
  EXPECT_TRUE(r.out.truncated);
  EXPECT_EQ(r.out.tail.size(), 64u * 1024 * 3);  // 64 KiB of NULs, each shown as U+2400
  auto log = fs::path(r.out.log_path);
  auto size = fs::file_size(log);
  EXPECT_GT(size, 1048576u);
  EXPECT_LT(size, 1048576u + 512);
  EXPECT_NE(read_text(log).find("[labeille-ft-runner: log truncated at 1048576 bytes; the process wrote 1073741824 bytes]"),
            std::string::npos);
  // The runner never holds the output in memory: its peak RSS stays small (~6 MiB in a
  // Debug build; holding the output would be over 1 GiB).
  RecordProperty("runner_peak_rss_kib", std::to_string(hwm_kib));
  EXPECT_GT(hwm_kib, 0) << "VmHWM was never read";
  EXPECT_LT(hwm_kib, 32 * 1024) << "runner peak RSS " << hwm_kib << " KiB";
}

namespace {
// Writes and configures a throw-away CTest project whose one test runs the runner.
fs::path ctest_project(const fs::path& d, const std::string& command) {
  fs::create_directories(d / "src");
  std::ofstream(d / "src" / "CMakeLists.txt")
      << "cmake_minimum_required(VERSION 3.25)\nproject(repeat NONE)\nenable_testing()\n"
      << "add_test(NAME ft.demo.gil0.iter01 COMMAND [[" << runner_exe().string() << "]] --record-dir [["
      << (d / "records").string() << "]] --package demo --quiet --shell [[" << command << "]])\n";
  EXPECT_EQ(run_command({"cmake", "-S", (d / "src").string(), "-B", (d / "build").string()}, d, "configure"), 0);
  return d / "build";
}
}  // namespace

TEST(RunnerHeavy, CtestRepeatUntilFailKeepsEveryAttempt) {
  auto d = scratch();
  auto build = ctest_project(d, "exit 0");
  EXPECT_EQ(run_command({"ctest", "--test-dir", build.string(), "--repeat", "until-fail:5"}, d, "ctest"), 0);
  auto all = records(d / "records", "demo");
  ASSERT_EQ(all.size(), 5u) << "CTest keeps only the last try; the runner must keep all five";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(all[static_cast<size_t>(i)].attempt, i + 1);
}

TEST(RunnerHeavy, CtestRepeatUntilPassStopsAtTheFirstPass) {
  auto d = scratch();
  // Fails on attempts 1 and 2, passes on 3.
  auto build = ctest_project(d, "test \"$LABEILLE_FT_ATTEMPT\" -ge 3");
  EXPECT_EQ(run_command({"ctest", "--test-dir", build.string(), "--repeat", "until-pass:5"}, d, "ctest"), 0);
  auto all = records(d / "records", "demo");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].outcome, Outcome::Fail);
  EXPECT_EQ(all[1].outcome, Outcome::Fail);
  EXPECT_EQ(all[2].outcome, Outcome::Pass);
}

}  // namespace labeille::test
