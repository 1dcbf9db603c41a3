#include "labeille/runner/stress.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "labeille/core/fs.hpp"
#include "labeille/core/record_json.hpp"
#include "labeille/observe/environment.hpp"
#include "labeille/runner/attempt.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;

namespace labeille::runner {

using observe::build_environment;
using observe::EnvInputs;

TEST(Stress, EnvironmentAddsTheToolsAndOptionsBeforeTheJUnit) {
  auto se = stress_environment("/v", 2, 20, "/a");
  EnvInputs in;
  in.venv = "/v";
  in.junit_path = "/a/junit.xml";
  in.stress_vars = se.vars;
  in.stress_addopts = se.pytest_addopts;
  in.user = {{"PYTEST_ADDOPTS", "-q"}};
  auto e = build_environment({{"PYTHONPATH", "/evil"}}, in).env;
  EXPECT_EQ(e.at("PYTHONPATH"), "/v/labeille-ft-stress");  // the tools, and not the runner's own
  in.user.emplace_back("PYTHONPATH", "/mine");
  EXPECT_EQ(build_environment({}, in).env.at("PYTHONPATH"), "/v/labeille-ft-stress:/mine");
  EXPECT_EQ(e.at("LABEILLE_FT_STRESS_OUT"), "/a/stress.jsonl");
  EXPECT_EQ(e.at("PYTEST_ADDOPTS"),
            "-q -p run-parallel -p labeille_ft_stress --parallel-threads=2 --iterations=20 --ignore-gil-enabled "
            "--junitxml=/a/junit.xml");
}

TEST(Stress, PluginLinesAddUpAndABrokenLineIsSkipped) {
  fs::path f = test_support::scratch_dir() / "stress.jsonl";
  std::ofstream(f) << R"({"threads": "2", "repeat": 20, "tests_run": 3, "tests": [{"id": "t::a", "calls": 40, "failures": 37, "message": "AssertionError: lost 3"}], "thread_unsafe": [{"id": "t::m", "reason": "uses the thread_unsafe marker"}]})"
                   << "\n"
                   << R"({"threads": "2", "repeat": 20, "tests_run": 1, "tests": [{"id": "t::a", "calls": 40, "failures": 1, "message": "other"}], "thread_unsafe": []})"
                   << "\n{\"tests\": [trunc";
  auto s = read_stress_output(f, 2, 20);
  EXPECT_TRUE(s.reported);
  EXPECT_EQ(s.threads, 2);
  EXPECT_EQ(s.tests_run, 4);
  ASSERT_EQ(s.tests.size(), 1u);
  EXPECT_EQ(s.tests[0].calls, 80);
  EXPECT_EQ(s.tests[0].failures, 38);
  EXPECT_EQ(s.tests[0].message, "AssertionError: lost 3");
  ASSERT_EQ(s.thread_unsafe.size(), 1u);
  EXPECT_EQ(s.thread_unsafe[0].reason, "uses the thread_unsafe marker");
  fs::remove(f);
  EXPECT_FALSE(read_stress_output(f, 2, 20).reported);  // the run died before pytest's end
}

// The stall threshold grows with the repetitions (a slow silent test repeated 20 times
// is silent 20 times as long), up to half the hard timeout so an idle deadlock under
// stress still shows as one; off stays off.
TEST(Stress, StallThresholdGrowsWithTheRepetitionsBelowHalfTheTimeout) {
  EXPECT_DOUBLE_EQ(stress_stall_threshold(60, 20, 0), 1200);      // no timeout: the whole growth
  EXPECT_DOUBLE_EQ(stress_stall_threshold(60, 20, 600), 300);     // at most half the timeout
  EXPECT_DOUBLE_EQ(stress_stall_threshold(10, 3, 600), 30);       // below the cap: repetitions x plain
  EXPECT_DOUBLE_EQ(stress_stall_threshold(60, 1, 600), 60);
  EXPECT_DOUBLE_EQ(stress_stall_threshold(60, 0, 600), 60);       // repeat unset: as plain
  EXPECT_DOUBLE_EQ(stress_stall_threshold(200, 20, 300), 200);    // never below the plain threshold
  EXPECT_DOUBLE_EQ(stress_stall_threshold(0, 20, 600), 0);        // stall detection off
}

// --stress-budget: a slow suite repeats fewer times (more-itertools 10.7.0: 9.5 s plain,
// 6.3 minutes per stress run at 20), a fast one keeps the maximum, never below 2.
TEST(Stress, BudgetScalesTheRepetitionsFromThePlainRuns) {
  EXPECT_EQ(budgeted_stress_repeat(120, 9.5, 2, 20), 6);
  EXPECT_EQ(budgeted_stress_repeat(120, 0.4, 2, 20), 20);   // fast suite: the maximum
  EXPECT_EQ(budgeted_stress_repeat(120, 0.4, 2, 50), 50);   // the maximum is --stress-repeat
  EXPECT_EQ(budgeted_stress_repeat(120, 300, 2, 20), 2);    // never below 2
  EXPECT_EQ(budgeted_stress_repeat(120, 300, 2, 1), 1);     // nor above the maximum
  EXPECT_EQ(budgeted_stress_repeat(120, 0, 2, 20), 20);     // no plain run known: the maximum
  EXPECT_EQ(budgeted_stress_repeat(0, 9.5, 2, 20), 20);     // no budget
}

// The durations it scales from: the package's gil0 attempts that ran to their end.
TEST(Stress, MeanDurationReadsTheRecordedPlainRuns) {
  const auto rec = test_support::scratch_dir();
  auto write = [&](const std::string& mode, int iter, Outcome o, double s) {
    AttemptRecord r;
    r.package = "p";
    r.mode = mode;
    r.gil = GilMode::Off;
    r.iteration = iter;
    r.attempt = 1;
    r.test_name = "ft.p." + mode;
    r.attempt_id = "h:1:" + std::to_string(iter);
    r.outcome = o;
    r.duration_s = s;
    const auto dir = rec / "p" / (mode + ".iter0" + std::to_string(iter) + ".a001");
    fs::create_directories(dir);
    atomic_write_file(dir / attempt_files::kRecord, to_json(r));
  };
  EXPECT_EQ(earlier_mean_duration(rec, "p", "gil0"), 0.0);
  write("gil0", 1, Outcome::Pass, 8);
  write("gil0", 2, Outcome::Fail, 12);
  write("gil0", 3, Outcome::Deadlock, 600);      // a stall says nothing of the suite's length
  write("stress.gil0", 1, Outcome::Pass, 400);   // another mode
  EXPECT_DOUBLE_EQ(earlier_mean_duration(rec, "p", "gil0"), 10.0);
}

}  // namespace labeille::runner
