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

namespace labeille::process {

// A silent tree that keeps working (a long pytest collection, CPU or I/O) is not a stall:
// only the hard timeout ends it, and the watchdog says it was busy.
TEST(Watchdog, SilentButActiveTreeIsNeverAStall) {
  Watchdog w(cfg(5, 60), 0);
  w.on_output(1);
  for (double t = 2; t < 60; t += 1) {
    w.on_activity(t);
    ASSERT_EQ(w.tick(t + 0.5), WatchdogAction::None) << t;
  }
  EXPECT_TRUE(w.busy_silence(59.5));
  EXPECT_EQ(w.tick(60), WatchdogAction::DumpStacksAndSample);
  EXPECT_EQ(w.reason(), StopReason::Timeout);
  EXPECT_TRUE(w.busy_silence(100));  // as it was when it acted
}

// Activity that stops is followed, a threshold later, by the stall: silence and
// inactivity must both last the whole threshold.
TEST(Watchdog, StallCountsFromTheLastOutputOrActivityWhicheverIsLater) {
  Watchdog w(cfg(5, 100), 0);
  w.on_output(1);
  w.on_activity(4);
  EXPECT_EQ(w.tick(8.9), WatchdogAction::None);  // silent 7.9 s, inactive only 4.9 s
  EXPECT_EQ(w.tick(9.0), WatchdogAction::DumpStacksAndSample);
  EXPECT_EQ(w.reason(), StopReason::Stall);
  EXPECT_FALSE(w.busy_silence(9.0));
}

// Activity reported while the watchdog samples or terminates changes nothing.
TEST(Watchdog, ActivityAfterTheDecisionIsIgnored) {
  Watchdog w(cfg(5, 100), 0);
  EXPECT_EQ(w.tick(5), WatchdogAction::DumpStacksAndSample);
  w.on_activity(5.2);
  EXPECT_EQ(w.tick(5.5), WatchdogAction::Terminate);
  EXPECT_EQ(w.reason(), StopReason::Stall);
}

}  // namespace labeille::process
