#include "labeille/process/process_tree.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>

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
