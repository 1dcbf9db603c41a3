#include "labeille/runner/stress.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "labeille/observe/environment.hpp"
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

}  // namespace labeille::runner
