// Real-process tests of labeille-ft-runner: real commands that pass, fail, crash, hang,
// spin, escape and get interrupted, with the provisioned free-threaded CPython.
#include <csignal>

#include <fstream>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace labeille::test {

namespace {

std::vector<std::string> base_args(const fs::path& rec, const std::string& pkg = "demo") {
  return {"--record-dir", rec.string(), "--package", pkg};
}

std::vector<std::string> with(std::vector<std::string> a, std::initializer_list<std::string> more) {
  a.insert(a.end(), more);
  return a;
}

// The CPU sample window of the idle/busy assertions (the runner's default is 0.5 s). On a
// loaded 2-core machine a spinning thread may get little CPU in half a second, and a
// deadlocked tree spends some CPU dumping its stacks in that window; 3 s keeps both far
// from the 10% line without changing what is checked.
const std::string kRobustSample = "3";

std::string py() { return test_python(); }
std::string venv() { return test_venv().string(); }

// Runs a Python snippet with the free-threaded interpreter under the runner.
RunResult run_python(const fs::path& rec, const std::string& code, std::initializer_list<std::string> extra = {}) {
  auto args = base_args(rec);
  args.insert(args.end(), extra);
  args.insert(args.end(), {"--", py(), "-c", code});
  return run_runner(args);
}

}  // namespace

TEST(RunnerReal, PassAndFailAndExitCodes) {
  auto d = scratch();
  auto pass = run_runner(with(base_args(d, "p"), {"--shell", "echo hello; echo to-stderr >&2"}));
  EXPECT_EQ(pass.exit_code, 0);
  auto r = only_record(d, "p");
  EXPECT_EQ(r.outcome, Outcome::Pass);
  EXPECT_EQ(r.out.tail, "hello\n");
  EXPECT_EQ(r.err.tail, "to-stderr\n");
  EXPECT_EQ(r.test_name, "ft.p.gil0.iter01");
  EXPECT_NE(pass.out.find("<CTestMeasurement type=\"text/string\" name=\"outcome\">pass</CTestMeasurement>\n"),
            std::string::npos);
  EXPECT_NE(pass.out.find("<CTestDetails>pass: passed</CTestDetails>"), std::string::npos);

  auto fail = run_runner(with(base_args(d, "f"), {"--iteration", "3", "--shell", "exit 3"}));
  EXPECT_EQ(fail.exit_code, 1);
  auto f = only_record(d, "f");
  EXPECT_EQ(f.outcome, Outcome::Fail);
  EXPECT_EQ(f.exit_code, 3);
  EXPECT_EQ(f.iteration, 3);
  EXPECT_TRUE(fs::exists(d / "f" / "gil0.iter03.a001" / "record.json"));
  // The marker a CTest kill would leave alone: same attempt, the runner's own timeout.
  auto m = parse_started(read_file(d / "f" / "gil0.iter03.a001" / "started.json"), "started.json");
  EXPECT_EQ(m.attempt_id, f.attempt_id);
  EXPECT_EQ(m.test_name, "ft.f.gil0.iter03");
  EXPECT_EQ(m.iteration, 3);
  EXPECT_EQ(m.attempt, 1);
  EXPECT_DOUBLE_EQ(m.timeout_s, f.timeout_s);
  EXPECT_GT(m.timeout_s, 0);
}

TEST(RunnerReal, CommandThatCannotStartIsAnError) {
  auto d = scratch();
  auto res = run_runner(with(base_args(d), {"--", "no-such-command-labeille"}));
  EXPECT_EQ(res.exit_code, 5);
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Error);
  EXPECT_NE(r.error_message.find("no-such-command-labeille"), std::string::npos);
}

TEST(RunnerReal, UsageErrorsExit64) {
  auto d = scratch();
  EXPECT_EQ(run_runner({"--record-dir", d.string(), "--package", "../evil", "--shell", "true"}).exit_code, 64);
  EXPECT_EQ(run_runner({"--record-dir", d.string(), "--package", "ok", "--env", "NOEQUALS", "--shell", "true"}).exit_code, 64);
  EXPECT_EQ(run_runner({"--record-dir", d.string(), "--package", "ok"}).exit_code, 64);
  EXPECT_FALSE(fs::exists(d / "evil"));
}

TEST(RunnerReal, UnwritableRecordDirExits70WithoutRunning) {
  auto d = scratch();
  // A regular file where the record directory should be: nothing can be created below it.
  std::ofstream(d / "not-a-dir") << "x";
  auto marker = d / "ran";
  auto res = run_runner({"--record-dir", (d / "not-a-dir").string(), "--package", "p", "--shell",
                         "touch '" + marker.string() + "'"});
  EXPECT_EQ(res.exit_code, 70);
  EXPECT_FALSE(fs::exists(marker)) << "the command must not run when its record cannot be written";
}

TEST(RunnerReal, EnvironmentReachesTheCommand) {
  auto d = scratch();
  // --env KEY= sets KEY to the empty string (it does not remove it); the identifiers are
  // exported unpadded; user values come last (even PYTHONPATH, which the runner otherwise
  // removes); PYTEST_ADDOPTS carries this attempt's JUnit path.
  auto res = run_runner(with(base_args(d), {"--iteration", "4", "--env", "EMPTY=", "--env", "PYTHONPATH=/from-env-flag",
                                            "--shell",
                                            "test \"${EMPTY+set}\" = set && test -z \"$EMPTY\" && "
                                            "test \"$LABEILLE_FT_ITERATION\" = 4 && test \"$LABEILLE_FT_PACKAGE\" = demo && "
                                            "test \"$PYTHON_GIL\" = 0 && test \"$PYTHONPATH\" = /from-env-flag && "
                                            "case \"$PYTEST_ADDOPTS\" in *--junitxml=*gil0.iter04.a001/junit.xml) ;; *) exit 9;; esac"}));
  EXPECT_EQ(res.exit_code, 0) << res.out;
}

TEST(RunnerReal, IterationsWriteBytecodeEvenWhenTheCallerSaysNot) {
  // CI images often set PYTHONDONTWRITEBYTECODE; the set-up compiles nothing, so the
  // first iteration must be able to write the bytecode the next ones reuse.
  auto d = scratch();
  ::setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
  auto res = run_python(d, "import sys; sys.exit(3 if sys.dont_write_bytecode else 0)");
  ::unsetenv("PYTHONDONTWRITEBYTECODE");
  EXPECT_EQ(res.exit_code, 0) << res.out;
}

TEST(RunnerReal, PytestPassFailAndNoTestsCollected) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto suite = [&](const std::string& name) { return fixture("pytest_suites/" + name).string(); };
  auto pass = run_runner(with(base_args(d, "pass"), {"--venv", venv(), "--cwd", suite("passing"), "--shell", "python -m pytest -p no:cacheprovider"}));
  EXPECT_EQ(pass.exit_code, 0) << pass.out;
  auto p = only_record(d, "pass");
  EXPECT_EQ(p.outcome, Outcome::Pass);
  ASSERT_FALSE(p.junit_path.empty()) << "PYTEST_ADDOPTS must make pytest write the attempt's JUnit";
  EXPECT_NE(read_text(p.junit_path).find("test_two"), std::string::npos);
  EXPECT_EQ(p.gil_enabled_at_exit, false);

  auto fail = run_runner(with(base_args(d, "fail"), {"--venv", venv(), "--cwd", suite("failing"), "--shell", "python -m pytest -p no:cacheprovider"}));
  EXPECT_EQ(fail.exit_code, 1);
  EXPECT_EQ(only_record(d, "fail").outcome, Outcome::Fail);

  // pytest's 5: the suite did not run, which is not a failure of the package.
  auto empty = run_runner(with(base_args(d, "empty"), {"--venv", venv(), "--cwd", suite("empty"), "--shell", "python -m pytest -p no:cacheprovider"}));
  EXPECT_EQ(empty.exit_code, 6);
  auto e = only_record(d, "empty");
  EXPECT_EQ(e.outcome, Outcome::TestsNotRun);
  EXPECT_EQ(e.exit_code, 5);
  EXPECT_NE(e.detail.find("no tests collected"), std::string::npos);
}

TEST(RunnerReal, PytestThatIsNotInstalledIsTestsNotRunNotAFailure) {
  // Real: numpy's registry install command installs no pytest, and `python -m pytest`
  // exits 1 as a failing suite would. -S keeps site-packages (and any pytest) away.
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto res = run_runner(with(base_args(d, "nopytest"), {"--", py(), "-S", "-m", "pytest"}));
  EXPECT_EQ(res.exit_code, 6) << res.out;
  auto r = only_record(d, "nopytest");
  EXPECT_EQ(r.outcome, Outcome::TestsNotRun);
  EXPECT_EQ(r.detail, "tests did not run: pytest is not installed: No module named pytest");
  // A shell that finds no pytest (exit 127) is the same.
  auto sh = run_runner(with(base_args(d, "nocommand"), {"--shell", "/nonexistent-dir/pytest tests"}));
  EXPECT_EQ(sh.exit_code, 6) << sh.out;
  EXPECT_EQ(only_record(d, "nocommand").outcome, Outcome::TestsNotRun);
  // Another module missing is still the suite's own failure.
  auto other = run_runner(with(base_args(d, "other"), {"--", py(), "-S", "-m", "pytest_nothing_here"}));
  EXPECT_EQ(only_record(d, "other").outcome, Outcome::Fail) << other.out;
}

TEST(RunnerReal, PytestCollectionErrorIsTestsNotRunWithTheFirstError) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto cwd = fixture("pytest_suites/missing_dependency").string();
  auto res = run_runner(with(base_args(d, "demo"), {"--venv", venv(), "--cwd", cwd, "--", "python", "-m", "pytest", "-p", "no:cacheprovider"}));
  EXPECT_EQ(res.exit_code, 6) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::TestsNotRun);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.detail.find("tests/test_needs_dep.py: ModuleNotFoundError: No module named 'labeille_ft_absent_dependency'"),
            std::string::npos) << r.detail;
  // The same exit status from a command that is not pytest keeps its own meaning.
  auto sh = run_runner(with(base_args(d, "shell"), {"--cwd", cwd, "--shell", "exit 2"}));
  EXPECT_EQ(sh.exit_code, 1);
  EXPECT_EQ(only_record(d, "shell").outcome, Outcome::Fail);
}

TEST(RunnerReal, SegfaultViaCtypesIsACrashWithSignature) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto res = run_python(d, "import ctypes\ndef read_null():\n    ctypes.string_at(0)\nread_null()\n");
  EXPECT_EQ(res.exit_code, 2) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Crash);
  ASSERT_TRUE(r.crash);
  EXPECT_EQ(r.crash->signal_name, "SIGSEGV");
  EXPECT_EQ(r.crash->fatal_error, "Fatal Python error: Segmentation fault");
  EXPECT_NE(r.crash->signature.find("read_null"), std::string::npos) << r.crash->signature;
  EXPECT_EQ(r.crash->signature.find("0x"), std::string::npos);
  // The same bug twice gives the same signature (dedup across iterations).
  run_python(d, "import ctypes\ndef read_null():\n    ctypes.string_at(0)\nread_null()\n");
  auto both = records(d, "demo");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].crash->signature, both[1].crash->signature);
}

TEST(RunnerReal, AbortAndBusIllFpeAreCrashes) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  EXPECT_EQ(run_python(d, "import os; os.abort()").exit_code, 2);
  EXPECT_EQ(records(d, "demo").back().crash->signal_name, "SIGABRT");
  for (std::string sig : {"SIGBUS", "SIGILL", "SIGFPE"}) {
    auto res = run_python(d, "import os, signal; os.kill(os.getpid(), signal." + sig + ")");
    EXPECT_EQ(res.exit_code, 2) << sig << res.out;
    auto r = records(d, "demo").back();
    EXPECT_EQ(r.outcome, Outcome::Crash) << sig;
    EXPECT_EQ(r.crash->signal_name, sig);
  }
  // Through a shell, the death shows as exit status 128+N: still a crash.
  auto d2 = scratch() / "shell";
  auto res = run_runner(with(base_args(d2), {"--shell", py() + " -c 'import os; os.abort()'; exit $?"}));
  EXPECT_EQ(res.exit_code, 2);
  EXPECT_EQ(only_record(d2, "demo").crash->signal_name, "SIGABRT");
}

TEST(RunnerReal, RealFatalPythonError) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto res = run_python(d, "import ctypes; ctypes.pythonapi.Py_FatalError(b'labeille test fatal')");
  EXPECT_EQ(res.exit_code, 2) << res.out;
  auto r = only_record(d, "demo");
  ASSERT_TRUE(r.crash);
  EXPECT_NE(r.crash->fatal_error.find("labeille test fatal"), std::string::npos) << r.crash->fatal_error;
}

TEST(RunnerReal, IdleLockOrderDeadlockWithBothThreadsInTheStacks) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto res = run_runner(with(base_args(d), {"--venv", venv(), "--stall-threshold", "5", "--grace", "2",
                                            "--stall-sample", kRobustSample, "--shell",
                                            "python " + fixture("lock_order_deadlock.py").string()}));
  EXPECT_EQ(res.exit_code, 3) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Deadlock);
  EXPECT_TRUE(r.stall.detected);
  EXPECT_EQ(r.stall.cpu_state, "idle");
  EXPECT_GE(r.stall.last_output_age_s, 5);
  EXPECT_NE(r.thread_stacks.find("worker_takes_a_then_b"), std::string::npos) << r.thread_stacks;
  EXPECT_NE(r.thread_stacks.find("worker_takes_b_then_a"), std::string::npos) << r.thread_stacks;
  EXPECT_FALSE(r.crash);
}

TEST(RunnerReal, ForkedChildStacksAreCapturedToo) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto res = run_runner(with(base_args(d), {"--venv", venv(), "--stall-threshold", "5", "--grace", "2",
                                            "--stall-sample", kRobustSample, "--shell",
                                            "python " + fixture("forked_child_hangs.py").string()}));
  EXPECT_EQ(res.exit_code, 3) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.stall.cpu_state, "idle");
  EXPECT_NE(r.thread_stacks.find("forked_child_waits_forever"), std::string::npos) << r.thread_stacks;
  EXPECT_FALSE(r.crash) << "SIGUSR1 reached a process without the handler";
}

TEST(RunnerReal, StackDumpSignalSparesAProcessThatExecdAwayFromPython) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  // The hook announces this pid, then the process becomes `sleep`, which has no SIGUSR1
  // handler: the dump request must not kill it; the runner's SIGTERM ends it.
  auto res = run_runner(with(base_args(d), {"--venv", venv(), "--stall-threshold", "3", "--grace", "2", "--", "python",
                                            "-c", "import os; print('exec', flush=True); os.execvp('sleep', ['sleep', '60'])"}));
  EXPECT_EQ(res.exit_code, 3) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.term_signal, SIGTERM) << "killed by signal " << r.term_signal;
}

TEST(RunnerReal, DeadlockUnderPytestCaptureStillYieldsStacks) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  // pytest's own start (imports, plugin configuration) is silent and took over 20 s on
  // a 2-core machine at load 30: the threshold must outlast that start (a stall found
  // during it has no worker stacks); on a quiet machine the test still ends in ~50 s.
  auto res = run_runner(with(base_args(d), {"--venv", venv(), "--stall-threshold", "45", "--grace", "2",
                                            "--stall-sample", kRobustSample, "--cwd",
                                            fixture("pytest_suites/deadlock").string(), "--shell",
                                            "python -m pytest -p no:cacheprovider"}));
  EXPECT_EQ(res.exit_code, 3) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.stall.cpu_state, "idle");
  EXPECT_NE(r.thread_stacks.find("pytest_worker_a_then_b"), std::string::npos) << r.thread_stacks;
  EXPECT_NE(r.thread_stacks.find("pytest_worker_b_then_a"), std::string::npos) << r.thread_stacks;
}

// A silent loop that burns CPU forever is a busy stall: it runs on to the hard timeout
// and is recorded as a timeout that says "stalled (busy)", never as a deadlock.
TEST(RunnerReal, SilentBusyLoopIsABusyStallEndedByTheTimeoutNotADeadlock) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto res = run_runner(with(base_args(d), {"--venv", venv(), "--stall-threshold", "3", "--timeout", "15", "--grace",
                                            "2", "--shell", "python " + fixture("busy_silent.py").string()}));
  EXPECT_EQ(res.exit_code, 4) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Timeout);
  EXPECT_FALSE(r.stall.detected);
  EXPECT_TRUE(r.stall.busy_silence);
  EXPECT_EQ(r.stall.cpu_state, "busy");
  EXPECT_GE(r.stall.last_output_age_s, 10);
  EXPECT_LT(r.stall.last_activity_age_s, 3);
  EXPECT_NE(r.detail.find("stalled (busy)"), std::string::npos) << r.detail;
}

// pytest collecting for 12 s without a byte of output, reading files (little CPU) or
// computing (no I/O), with a 4 s stall threshold: both pass. Before, the silence alone made
// them deadlocks (botocore's 64,198-test collection on a loaded machine).
void expect_slow_silent_collection_passes(const std::string& suite) {
  auto d = scratch();
  auto res = run_runner(with(base_args(d), {"--venv", venv(), "--stall-threshold", "4", "--timeout", "300", "--cwd",
                                            fixture("pytest_suites/" + suite).string(), "--shell",
                                            "SLOW_COLLECTION_S=12 python -m pytest -q -p no:cacheprovider"}));
  EXPECT_EQ(res.exit_code, 0) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Pass) << r.detail;
  EXPECT_FALSE(r.stall.detected);
  EXPECT_TRUE(r.stall.busy_silence) << "the collection was not silent for the threshold: the test proves nothing";
  EXPECT_GE(r.stall.last_output_age_s, 0);
}

TEST(RunnerReal, SlowSilentCollectionReadingFilesIsNotADeadlock) {
  LABEILLE_REQUIRE_PYTHON();
  expect_slow_silent_collection_passes("slow_silent_collection");
}

TEST(RunnerReal, SilentCollectionBurningCpuIsNotADeadlock) {
  LABEILLE_REQUIRE_PYTHON();
  expect_slow_silent_collection_passes("silent_cpu_collection");
}

TEST(RunnerReal, SlowButSteadyOutputIsNotAStall) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  // 12 s in total with a 5 s threshold (it covers a slow interpreter start); a line
  // every 0.4 s.
  auto res = run_runner(with(base_args(d), {"--stall-threshold", "5", "--", py(), fixture("slow_printer.py").string(), "12"}));
  EXPECT_EQ(res.exit_code, 0) << res.out;
  EXPECT_EQ(only_record(d, "demo").outcome, Outcome::Pass);
}

TEST(RunnerReal, HardTimeoutWhileOutputFlows) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto res = run_runner(with(base_args(d), {"--stall-threshold", "20", "--timeout", "2", "--", py(),
                                            fixture("slow_printer.py").string(), "60"}));
  EXPECT_EQ(res.exit_code, 4) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Timeout);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(r.duration_s, 30);
}

TEST(RunnerReal, GrandchildHoldingStdoutDoesNotKeepTheRunnerAndIsKilled) {
  auto d = scratch();
  auto pidfile = d / "grandchild.pid";
  auto res = run_runner(with(base_args(d), {"--drain", "1", "--", fixture("spawn_and_hold.sh").string(), pidfile.string()}));
  EXPECT_EQ(res.exit_code, 0) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Pass);
  EXPECT_LT(r.duration_s, 20) << "the runner waited for the grandchild's sleep 300";
  int pid = std::stoi(read_text(pidfile));
  EXPECT_FALSE(pid_exists(pid)) << "grandchild " << pid << " survived";
}

TEST(RunnerReal, ChildIgnoringSigtermIsKilledAfterGrace) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto pidfile = d / "stubborn.pid";
  auto res = run_runner(with(base_args(d), {"--stall-threshold", "5", "--grace", "1", "--", py(),
                                            fixture("ignore_sigterm.py").string(), pidfile.string()}));
  EXPECT_EQ(res.exit_code, 3) << res.out;
  int pid = std::stoi(read_text(pidfile));
  EXPECT_FALSE(pid_exists(pid));
}

TEST(RunnerReal, SetsidDaemonIsCaughtAndKilled) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  auto pidfile = d / "daemon.pid";
  auto res = run_runner(with(base_args(d), {"--", py(), fixture("setsid_daemon.py").string(), pidfile.string()}));
  EXPECT_EQ(res.exit_code, 0) << res.out;
  int pid = std::stoi(read_text(pidfile));
  EXPECT_FALSE(pid_exists(pid)) << "setsid daemon " << pid << " survived";
}

TEST(RunnerReal, SigintMidRunKillsEverythingAndRecordsInterrupted) {
  auto d = scratch();
  auto pidfile = d / "tree.pids";
  auto child = spawn_runner(with(base_args(d), {"--", fixture("tree_then_wait.sh").string(), pidfile.string()}));
  ASSERT_TRUE(wait_for_file(pidfile, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(child->pid, SIGINT);
  auto res = wait_runner(*child);
  EXPECT_EQ(res.exit_code, 130) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Interrupted);
  EXPECT_TRUE(r.interrupted);
  std::istringstream pids(read_text(pidfile));
  int pid, n = 0;
  while (pids >> pid) {
    ++n;
    EXPECT_FALSE(pid_exists(pid)) << "pid " << pid << " survived the interrupt";
  }
  EXPECT_EQ(n, 3);
}

TEST(RunnerReal, SignalArrivingBeforeSupervisionStillInterrupts) {
  auto d = scratch();
  // SIGTERM is pending (and blocked) from the runner's first instruction: it must be
  // neither lost nor fatal before the handlers exist, but act as soon as they do.
  auto child = spawn_runner(with(base_args(d), {"--shell", "sleep 60"}), SIGTERM);
  auto res = wait_runner(*child);
  EXPECT_EQ(res.exit_code, 130) << res.out;
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Interrupted);
  EXPECT_LT(r.duration_s, 30) << "the runner ignored the pending SIGTERM";
}

TEST(RunnerReal, ClosedStdoutDoesNotKillTheRunner) {
  auto d = scratch();
  auto pidfile = d / "sleeper.pid";
  // --echo copies the command's output to the runner's stdout, whose reader is gone.
  auto child = spawn_runner(with(base_args(d), {"--echo", "--shell",
                                                "sleep 300 & echo $! > '" + pidfile.string() +
                                                    "'; sleep 0.5; echo one; echo two >&2; exit 0"}));
  child->out.close();
  const int status = wait_status(*child);
  ASSERT_TRUE(WIFEXITED(status)) << "the runner died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Pass);
  EXPECT_EQ(r.out.tail, "one\n");
  EXPECT_FALSE(pid_exists(std::stoi(read_text(pidfile)))) << "the background sleeper survived";
}

TEST(RunnerReal, SigkilledRunnerTakesItsMainProcessAlong) {
  auto d = scratch();
  auto pidfile = d / "main.pid";
  auto child = spawn_runner(with(base_args(d), {"--shell", "echo $$ > '" + pidfile.string() + "'; exec sleep 300"}));
  ASSERT_TRUE(wait_for_file(pidfile, 30));
  int pid = std::stoi(read_text(pidfile));
  ::kill(child->pid, SIGKILL);
  wait_runner(*child);
  // Dead means gone or a zombie: who reaps the orphan (init) is not ours to test.
  auto dead = [&] {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return true;
    auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
  };
  for (int i = 0; i < 250 && !dead(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(dead()) << "main process " << pid << " outlived the SIGKILLed runner";
  if (!dead()) ::kill(pid, SIGKILL);
}

TEST(RunnerReal, InvalidUtf8AndNulBytesKeepTheRecordValid) {
  auto d = scratch();
  auto res = run_runner(with(base_args(d), {"--shell", "printf 'ok\\377\\376\\000tail\\n'; printf '\\303' >&2; exit 1"}));
  EXPECT_EQ(res.exit_code, 1);
  auto r = only_record(d, "demo");  // parses: valid JSON
  EXPECT_EQ(r.out.tail, "ok\xEF\xBF\xBD\xEF\xBF\xBD\xE2\x90\x80tail\n");
  EXPECT_EQ(r.err.tail, "\xEF\xBF\xBD");
  EXPECT_EQ(r.out.bytes, 10u);
}

TEST(RunnerReal, ParallelRunnersNeverCollide) {
  auto d = scratch();
  std::vector<std::unique_ptr<Child>> kids;
  for (int i = 0; i < 6; ++i) kids.push_back(spawn_runner(with(base_args(d), {"--quiet", "--shell", "echo run"})));
  for (auto& k : kids) EXPECT_EQ(wait_runner(*k).exit_code, 0);
  auto all = records(d, "demo");
  ASSERT_EQ(all.size(), 6u);
  std::set<int> attempts;
  std::set<std::string> ids;
  for (auto& r : all) {
    attempts.insert(r.attempt);
    ids.insert(r.attempt_id);
  }
  EXPECT_EQ(attempts, (std::set<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(ids.size(), 6u);
}

TEST(RunnerReal, SkipIfPassedImplementsStopOnFirstPass) {
  auto d = scratch();
  EXPECT_EQ(run_runner(with(base_args(d), {"--iteration", "1", "--skip-if-passed", "--shell", "exit 1"})).exit_code, 1);
  EXPECT_EQ(run_runner(with(base_args(d), {"--iteration", "2", "--skip-if-passed", "--shell", "exit 0"})).exit_code, 0);
  auto skipped = run_runner(with(base_args(d), {"--iteration", "3", "--skip-if-passed", "--shell", "exit 1"}));
  EXPECT_EQ(skipped.exit_code, 77);
  auto all = records(d, "demo");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].outcome, Outcome::Skipped);
  // Another mode is independent.
  EXPECT_EQ(run_runner(with(base_args(d), {"--mode", "gil1", "--skip-if-passed", "--shell", "exit 1"})).exit_code, 1);
}

TEST(RunnerReal, GilStateAtExitComesFromTheHook) {
  LABEILLE_REQUIRE_PYTHON();
  auto d = scratch();
  run_runner(with(base_args(d, "off"), {"--venv", venv(), "--shell", "python -c pass"}));
  EXPECT_EQ(only_record(d, "off").gil_enabled_at_exit, false);
  run_runner(with(base_args(d, "on"), {"--venv", venv(), "--mode", "gil1", "--shell", "python -c pass"}));
  EXPECT_EQ(only_record(d, "on").gil_enabled_at_exit, true);
}

TEST(RunnerReal, ThreadSanitizerReportsFromARealRacyProgram) {
  auto d = scratch();
  auto exe = fs::path(LABEILLE_FT_BINARY_DIR) / "tests" / "runner" / "racy_tsan";
  auto res = run_runner(with(base_args(d), {"--tsan", "--", exe.string()}));
  auto r = only_record(d, "demo");
  EXPECT_TRUE(r.tsan_enabled);
  // exitcode=0: the races do not fail the run; log_path: the report is in a file of the
  // attempt directory, not on stderr (where pytest's capture would swallow it).
  EXPECT_EQ(r.outcome, Outcome::Pass) << r.detail;
  EXPECT_EQ(r.err.tail.find("ThreadSanitizer"), std::string::npos) << r.err.tail;
  ASSERT_FALSE(r.tsan_log_dir.empty());
  EXPECT_TRUE(fs::exists(r.tsan_log_dir));
  EXPECT_NE(r.env_delta["TSAN_OPTIONS"].find("log_path="), std::string::npos);
  EXPECT_GE(r.tsan_count, 1);
  ASSERT_FALSE(r.tsan.empty());
  EXPECT_EQ(r.tsan[0].type, "data race");
  EXPECT_EQ(r.tsan[0].kind, "data race");
  ASSERT_EQ(r.tsan[0].stacks.size(), 2u);
  ASSERT_FALSE(r.tsan[0].frames.empty());
  EXPECT_NE(r.tsan[0].frames[0].find("bump_counter racy.c:"), std::string::npos);
  EXPECT_NE(r.tsan[0].location.find("racy.c:"), std::string::npos);
  EXPECT_NE(r.detail.find("ThreadSanitizer report"), std::string::npos) << r.detail;
  EXPECT_NE(res.out.find("tsan_reports"), std::string::npos);
}

TEST(RunnerReal, ThreadSanitizerSuppressionsAreApplied) {
  auto d = scratch();
  auto exe = fs::path(LABEILLE_FT_BINARY_DIR) / "tests" / "runner" / "racy_tsan";
  auto supp = d / "suppressions.txt";
  std::ofstream(supp) << "# the fixture's known race\nrace:bump_counter\n";
  run_runner(with(base_args(d), {"--tsan", "--tsan-suppressions", supp.string(), "--", exe.string()}));
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.outcome, Outcome::Pass);
  EXPECT_EQ(r.tsan_count, 0);
  EXPECT_NE(r.env_delta["TSAN_OPTIONS"].find("suppressions='" + fs::absolute(supp).string() + "'"), std::string::npos);
}

TEST(RunnerReal, ThreadSanitizerGivingUpIsACrashWithItsMessage) {
  auto d = scratch();
  auto exe = fs::path(LABEILLE_FT_BINARY_DIR) / "tests" / "runner" / "tsan_fork_threads";
  auto res = run_runner(with(base_args(d), {"--tsan", "--", exe.string()}));
  auto r = only_record(d, "demo");
  EXPECT_EQ(r.exit_code, 0);  // TSAN's exitcode=0 hides it from the exit status ...
  EXPECT_EQ(r.outcome, Outcome::Crash) << r.detail;  // ... not from the record
  ASSERT_TRUE(r.crash);
  EXPECT_NE(r.crash->signature.find("multi-threaded fork is not supported"), std::string::npos) << r.crash->signature;
  EXPECT_EQ(r.tsan_fatal, r.crash->signature);
  EXPECT_EQ(res.exit_code, 2);
}

}  // namespace labeille::test
