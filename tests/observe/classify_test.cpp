#include "labeille/observe/classify.hpp"

#include <csignal>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "labeille/core/fs.hpp"
#include "labeille/core/pytest_output.hpp"

namespace labeille::observe {

namespace {

namespace fs = std::filesystem;
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
    auto v = classify(exited(code), "", {}, {.pytest = true});
    EXPECT_EQ(v.outcome, Outcome::TestsNotRun) << code;
    EXPECT_NE(v.detail.find(fmt::format("tests did not run: pytest exit {}", code)), std::string::npos) << v.detail;
  }
  EXPECT_NE(classify(exited(5), "", {}, {.pytest = true}).detail.find("no tests collected"), std::string::npos);
  EXPECT_EQ(classify(exited(1), "", {}, {.pytest = true}).outcome, Outcome::Fail);
  EXPECT_EQ(classify(exited(6), "", {}, {.pytest = true}).outcome, Outcome::Fail);
  EXPECT_EQ(exit_code(Outcome::TestsNotRun), 6);
}

// The rules that read the output tails: why the suite did not run goes into the detail
// (fold reads a run's first error back from it), and a pytest that is not installed
// (exit 1 "No module named pytest", or the shell's 127) did not run the tests either.
TEST(Classify, TestsNotRunReadsWhyFromTheTails) {
  const std::string collection =
      "collected 1 item / 1 error\n"
      "_______________________ ERROR collecting tests/test_x.py _______________________\n"
      "tests/test_x.py:1: in <module>\n    import hypothesis\n"
      "E   ModuleNotFoundError: No module named 'hypothesis'\n"
      "!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!\n";
  auto v = classify(exited(2), "", {}, {.pytest = true, .stdout_tail = collection});
  EXPECT_EQ(v.outcome, Outcome::TestsNotRun);
  EXPECT_EQ(v.detail, "tests did not run: pytest exit 2 (collection errors or interrupted): "
                      "tests/test_x.py: ModuleNotFoundError: No module named 'hypothesis'");
  EXPECT_EQ(tests_not_run_first_error(v.detail, 2), "tests/test_x.py: ModuleNotFoundError: No module named 'hypothesis'");

  auto missing = classify(exited(1), "", {}, {.pytest = true, .stderr_tail = "/v/bin/python: No module named pytest\n"});
  EXPECT_EQ(missing.outcome, Outcome::TestsNotRun);
  EXPECT_EQ(missing.detail, "tests did not run: pytest is not installed: No module named pytest");
  EXPECT_EQ(tests_not_run_first_error(missing.detail, 1), "pytest is not installed: No module named pytest");
  auto shell = classify(exited(127), "", {}, {.pytest = true, .stderr_tail = "sh: 1: pytest: not found\n"});
  EXPECT_EQ(shell.outcome, Outcome::TestsNotRun);
  // Not a pytest command, or pytest's own failure: the command failed.
  EXPECT_EQ(classify(exited(1), "", {}, {.pytest = false, .stderr_tail = "x: No module named pytest\n"}).outcome,
            Outcome::Fail);
  EXPECT_EQ(classify(exited(1), "", {}, {.pytest = true, .stdout_tail = "1 failed\n"}).outcome, Outcome::Fail);
}

// pytest that stops in its own start-up (real: wrapt 1.17.2's conftest under pytest 9)
// ran no test: not a failure of the suite, and the detail says why.
TEST(Classify, PytestThatCannotStartRanNoTest) {
  const std::string err = read_file(fs::path(LABEILLE_FT_SOURCE_DIR) /
                                    "tests/fixtures/pytest-output/wrapt-1.17.2-conftest-hookimpl-pytest-9.stderr");
  auto v = classify(exited(1), "", {}, {.pytest = true, .stderr_tail = err});
  EXPECT_EQ(v.outcome, Outcome::TestsNotRun);
  EXPECT_EQ(v.detail,
            "tests did not run: pytest exit 1: pytest could not start: pluggy._manager.PluginValidationError: Plugin "
            "'/w/repos/wrapt/tests/conftest.py' for hook 'pytest_pycollect_makemodule' hookimpl definition: "
            "pytest_pycollect_makemodule(path, parent) Argument(s) {'path'} are declared in the hookimpl but can not "
            "be found in the hookspec");
  EXPECT_EQ(tests_not_run_first_error(v.detail, 1).rfind("pytest could not start: pluggy._manager.", 0), 0u);
  // The same traceback after a session that reported results, or one from the suite's
  // own code, or not a pytest command: the command failed.
  EXPECT_EQ(classify(exited(1), "", {}, {.pytest = true, .stdout_tail = "== 3 passed, 1 failed in 0.2s ==\n",
                                        .stderr_tail = err}).outcome,
            Outcome::Fail);
  EXPECT_EQ(classify(exited(1), "", {}, {.pytest = true, .stderr_tail = "Traceback (most recent call last):\n"
                                                                       "  File \"/w/run_tests.py\", line 3, in <module>\n"
                                                                       "ValueError: bad\n"}).outcome,
            Outcome::Fail);
  EXPECT_EQ(classify(exited(1), "", {}, {.pytest = false, .stderr_tail = err}).outcome, Outcome::Fail);
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
