#include "labeille/process/watchdog.hpp"

#include <gtest/gtest.h>

namespace labeille::process {

namespace {
WatchdogConfig cfg(double stall, double timeout) {
  WatchdogConfig c;
  c.stall_threshold_s = stall;
  c.timeout_s = timeout;
  c.sample_s = 0.5;
  c.grace_s = 2;
  c.interrupt_grace_s = 0.5;
  return c;
}
}  // namespace

TEST(Watchdog, OutputKeepsItAlive) {
  Watchdog w(cfg(5, 100), 0);
  for (double t = 0.5; t < 50; t += 1.0) {
    w.on_output(t);
    EXPECT_EQ(w.tick(t + 0.9), WatchdogAction::None) << t;
  }
  EXPECT_EQ(w.reason(), StopReason::None);
}

TEST(Watchdog, StallThenSampleThenTermThenKill) {
  Watchdog w(cfg(5, 100), 0);
  w.on_output(1);
  EXPECT_EQ(w.tick(5.9), WatchdogAction::None);
  EXPECT_EQ(w.tick(6.0), WatchdogAction::DumpStacksAndSample);
  EXPECT_EQ(w.reason(), StopReason::Stall);
  w.on_output(6.1);  // the stack dump itself: not a recovery
  EXPECT_EQ(w.tick(6.3), WatchdogAction::None);
  EXPECT_EQ(w.tick(6.5), WatchdogAction::Terminate);
  EXPECT_EQ(w.tick(8.4), WatchdogAction::None);
  EXPECT_EQ(w.tick(8.5), WatchdogAction::Kill);
  EXPECT_EQ(w.tick(30), WatchdogAction::None);
  EXPECT_DOUBLE_EQ(w.silence(100), 5.0);
}

TEST(Watchdog, HardTimeoutWhileOutputFlows) {
  Watchdog w(cfg(5, 10), 0);
  for (double t = 0; t < 10; t += 0.5) {
    w.on_output(t);
    ASSERT_EQ(w.tick(t), WatchdogAction::None);
  }
  EXPECT_EQ(w.tick(10.0), WatchdogAction::DumpStacksAndSample);
  EXPECT_EQ(w.reason(), StopReason::Timeout);
}

TEST(Watchdog, DisabledLimits) {
  Watchdog w(cfg(0, 0), 0);
  EXPECT_EQ(w.tick(1e6), WatchdogAction::None);
}

TEST(Watchdog, InterruptTerminatesAtOnceWithShortGrace) {
  Watchdog w(cfg(5, 100), 0);
  w.interrupt(1.0);
  EXPECT_EQ(w.tick(1.0), WatchdogAction::Terminate);
  EXPECT_EQ(w.reason(), StopReason::Interrupt);
  EXPECT_EQ(w.tick(1.4), WatchdogAction::None);
  EXPECT_EQ(w.tick(1.5), WatchdogAction::Kill);
}

TEST(Watchdog, InterruptDuringGraceShortensIt) {
  Watchdog w(cfg(1, 100), 0);
  EXPECT_EQ(w.tick(1), WatchdogAction::DumpStacksAndSample);
  EXPECT_EQ(w.tick(1.5), WatchdogAction::Terminate);
  w.interrupt(1.6);
  EXPECT_EQ(w.tick(1.7), WatchdogAction::None);
  EXPECT_EQ(w.tick(2.0), WatchdogAction::Kill);
}

}  // namespace labeille::process
