#include "labeille/observe/classify.hpp"

#include <csignal>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace labeille::observe {

namespace {
Termination exited(int code) {
  Termination t;
  t.exit_code = code;
  return t;
}
Termination killed(int sig) {
  Termination t;
  t.signal = sig;
  return t;
}
}  // namespace

TEST(Classify, ExitStatuses) {
  EXPECT_EQ(classify(exited(0), "", {}).outcome, Outcome::Pass);
  EXPECT_EQ(classify(exited(1), "", {}).outcome, Outcome::Fail);
  // Without pytest, every non-zero exit is the command's own failure.
  for (int code : {2, 3, 4, 5}) EXPECT_EQ(classify(exited(code), "", {}).outcome, Outcome::Fail) << code;
}

TEST(Classify, PytestExitTwoToFiveMeansTheTestsDidNotRun) {
  for (int code : {2, 3, 4, 5}) {
    auto v = classify(exited(code), "", {}, /*pytest=*/true);
    EXPECT_EQ(v.outcome, Outcome::TestsNotRun) << code;
    EXPECT_NE(v.detail.find(fmt::format("tests did not run: pytest exit {}", code)), std::string::npos) << v.detail;
  }
  EXPECT_NE(classify(exited(5), "", {}, true).detail.find("no tests collected"), std::string::npos);
  EXPECT_EQ(classify(exited(1), "", {}, true).outcome, Outcome::Fail);
  EXPECT_EQ(classify(exited(6), "", {}, true).outcome, Outcome::Fail);
  EXPECT_EQ(exit_code(Outcome::TestsNotRun), 6);
}

TEST(Classify, CrashSignalsDirectAndShellStyle) {
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE}) {
    auto v = classify(killed(sig), "", {});
    EXPECT_EQ(v.outcome, Outcome::Crash) << sig;
    ASSERT_TRUE(v.crash);
    EXPECT_EQ(v.crash->signal, sig);
    EXPECT_EQ(classify(exited(128 + sig), "", {}).outcome, Outcome::Crash) << sig;
  }
  EXPECT_EQ(classify(killed(SIGKILL), "", {}).outcome, Outcome::Fail);
  EXPECT_EQ(classify(exited(128 + SIGTERM), "", {}).outcome, Outcome::Fail);
}

TEST(Classify, FatalPythonErrorNeedsNonZeroExit) {
  auto v = classify(exited(1), "Fatal Python error: PyMutex_Unlock: unlocking mutex that is not locked",
                    {"pkg/a.py:3 f"});
  EXPECT_EQ(v.outcome, Outcome::Crash);
  EXPECT_EQ(v.crash->signature,
            "no signal | Fatal Python error: PyMutex_Unlock: unlocking mutex that is not locked | pkg/a.py:3 f");
  EXPECT_EQ(classify(exited(0), "Fatal Python error: printed by a test", {}).outcome, Outcome::Pass);
}

TEST(Classify, RunnerActionsWinOverExitStatus) {
  Termination t = killed(SIGKILL);
  t.stalled = true;
  EXPECT_EQ(classify(t, "", {}).outcome, Outcome::Deadlock);
  // The runner's SIGTERM made a shell exit 128+15, and the test's faulthandler printed
  // a dump: still a deadlock, never a crash.
  Termination t2 = exited(128 + SIGABRT);
  t2.stalled = true;
  EXPECT_EQ(classify(t2, "Fatal Python error: Aborted", {}).outcome, Outcome::Deadlock);
  Termination t3 = killed(SIGTERM);
  t3.timed_out = true;
  EXPECT_EQ(classify(t3, "", {}).outcome, Outcome::Timeout);
  Termination t4 = killed(SIGTERM);
  t4.interrupted = true;
  t4.stalled = true;
  EXPECT_EQ(classify(t4, "", {}).outcome, Outcome::Interrupted);
  Termination t5;
  t5.started = false;
  t5.start_error = "nope: command not found";
  EXPECT_EQ(classify(t5, "", {}).outcome, Outcome::Error);
}

TEST(Classify, SignatureKeepsTopThreeFrames) {
  EXPECT_EQ(crash_signature("SIGSEGV", "", {"a", "b", "c", "d"}), "SIGSEGV | a < b < c");
}

}  // namespace labeille::observe
