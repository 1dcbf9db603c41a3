#include "labeille/process/process_tree.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include <gtest/gtest.h>

namespace labeille::process {

TEST(ProcessTree, DescendantsIncludeReparentedAndDeepChildren) {
  // 10 (runner) -> 11 -> 12 -> 13; 14 re-parented to 10 after setsid; 20 unrelated.
  std::vector<ProcInfo> t = {{10, 1, 10, 'S', 0}, {11, 10, 11, 'S', 1.0}, {12, 11, 11, 'R', 2.0},
                             {13, 12, 11, 'S', 0.5}, {14, 10, 14, 'S', 0.25}, {20, 1, 20, 'S', 9}};
  auto d = descendants_of(t, 10);
  std::sort(d.begin(), d.end());
  EXPECT_EQ(d, (std::vector<int>{11, 12, 13, 14}));
  EXPECT_DOUBLE_EQ(cpu_seconds(t, d), 3.75);
  EXPECT_TRUE(descendants_of(t, 13).empty());
}

TEST(ProcessTree, ProcFsSeesThisProcess) {
  auto table = make_procfs_table()->snapshot();
  auto self = std::find_if(table.begin(), table.end(), [](const ProcInfo& p) { return p.pid == ::getpid(); });
  ASSERT_NE(self, table.end());
  EXPECT_EQ(self->ppid, ::getppid());
}

TEST(ProcessTree, CatchesSignalReadsTheHandlerMask) {
  struct sigaction old {};
  struct sigaction none {};
  none.sa_handler = SIG_DFL;
  ::sigaction(SIGUSR2, &none, &old);
  EXPECT_FALSE(catches_signal(::getpid(), SIGUSR2));
  struct sigaction handler {};
  handler.sa_handler = [](int) {};
  ::sigaction(SIGUSR2, &handler, nullptr);
  EXPECT_TRUE(catches_signal(::getpid(), SIGUSR2));
  EXPECT_FALSE(catches_signal(::getpid(), SIGWINCH));
  ::sigaction(SIGUSR2, &old, nullptr);
  EXPECT_FALSE(catches_signal(999999999, SIGUSR2));  // no such process
}

}  // namespace labeille::process

namespace labeille::process {

namespace {

// A made-up /proc: the tree below 10 and its I/O counters.
class FakeTable final : public ProcessTable {
 public:
  std::vector<ProcInfo> procs;
  std::map<int, IoCounters> ios;
  std::vector<ProcInfo> snapshot() const override { return procs; }
  std::optional<IoCounters> io(int pid) const override {
    auto it = ios.find(pid);
    return it == ios.end() ? std::nullopt : std::optional<IoCounters>(it->second);
  }
};

}  // namespace

TEST(ProcessTree, TreeSampleSumsCpuOfReapedChildrenAndIoOfTheTreeOnly) {
  FakeTable t;
  t.procs = {{10, 1, 10, 'S', 5, 5}, {11, 10, 11, 'S', 1.0, 2.0}, {12, 11, 11, 'R', 0.5, 0}, {20, 1, 20, 'R', 9, 9}};
  t.ios = {{11, {100, 10, 3, 1}}, {12, {50, 0, 2, 0}}, {20, {1 << 20, 0, 99, 0}}};
  auto s = sample_tree(t, 10);
  EXPECT_EQ(s.pids, (std::vector<int>{11, 12}));
  EXPECT_DOUBLE_EQ(s.cpu_s, 3.5);
  EXPECT_EQ(s.io_chars, 160u);
  EXPECT_EQ(s.io_calls, 6u);
}

TEST(ProcessTree, IdleTreeDoesNotMoveAndAnyWorkDoes) {
  TreeSample idle{3.0, 160, 6, {11, 12}};
  // A polling thread's sliver of CPU (1% of a core, 2 ticks when the rounding falls so)
  // is not work.
  auto polled = idle;
  polled.cpu_s += 0.02;
  EXPECT_FALSE(tree_moved(idle, polled, 1.0));
  EXPECT_FALSE(tree_moved(idle, polled, 0.2));  // never below 3 ticks, however short
  auto ticks3 = idle;
  ticks3.cpu_s += 0.03;
  EXPECT_TRUE(tree_moved(idle, ticks3, 1.0));
  EXPECT_FALSE(tree_moved(idle, ticks3, 2.0));  // 1.5% of a core over 2 s
  // CPU (a collection parsing files, on a loaded machine: 5% of a core).
  auto cpu = idle;
  cpu.cpu_s += 0.05;
  EXPECT_TRUE(tree_moved(idle, cpu, 1.0));
  // One read system call, whatever the CPU.
  auto read = idle;
  read.io_calls += 1;
  read.io_chars += 4096;
  EXPECT_TRUE(tree_moved(idle, read, 1.0));
  // A process started or ended.
  auto spawned = idle;
  spawned.pids.push_back(13);
  EXPECT_TRUE(tree_moved(idle, spawned, 1.0));
  EXPECT_FALSE(tree_moved(idle, idle, 1.0));
}

TEST(ProcessTree, ProcFsReadsThisProcesssIoCounters) {
  auto table = make_procfs_table();
  auto before = table->io(::getpid());
  ASSERT_TRUE(before);
  char buf[64];
  FILE* f = std::fopen("/proc/self/stat", "re");
  ASSERT_NE(f, nullptr);
  ASSERT_GT(std::fread(buf, 1, sizeof buf, f), 0u);
  std::fclose(f);
  auto after = table->io(::getpid());
  ASSERT_TRUE(after);
  EXPECT_GT(after->syscr, before->syscr);
  EXPECT_FALSE(table->io(999999999));
}

}  // namespace labeille::process
