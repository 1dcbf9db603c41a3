#include "labeille/analyzers/classify.hpp"

#include <gtest/gtest.h>

#include "labeille/analyzers/stats.hpp"

namespace labeille::analyzers {

namespace {
using O = Outcome;
Category of(std::vector<Outcome> outcomes, bool tsan = false, bool fallback = false) {
  ClassifyInput in;
  in.outcomes = std::move(outcomes);
  in.tsan_warnings = tsan;
  in.gil_fallback = fallback;
  return classify_package(in);
}
}  // namespace

TEST(ClassifyPackage, TheTable) {
  EXPECT_EQ(of({O::Pass, O::Timeout, O::Timeout}), Category::Intermittent);
  EXPECT_EQ(of({O::Timeout, O::Timeout}), Category::Incompatible);
  EXPECT_EQ(of({O::Pass, O::Deadlock, O::Crash}), Category::Deadlock);
  std::vector<Outcome> one_crash(99, O::Pass);
  one_crash.push_back(O::Crash);
  EXPECT_EQ(of(one_crash), Category::Crash);
  // Its rate is shown with the verdict, exact k/n and a two-sided 95% interval.
  EXPECT_EQ(verdict_text(1, 100), "1/100 failed: failure rate 0.03%-5.4% (95%)");
  EXPECT_EQ(of({O::Pass, O::Pass}), Category::Compatible);
  EXPECT_EQ(of({O::Pass, O::Pass}, true), Category::TsanWarnings);
  EXPECT_EQ(of({O::Pass, O::Pass}, false, true), Category::CompatibleGilFallback);
  EXPECT_EQ(of({O::Pass, O::Pass}, true, true), Category::TsanWarnings);
  EXPECT_EQ(of({O::Fail, O::Pass}, false, true), Category::Intermittent);
  EXPECT_EQ(of({O::Fail, O::Error}), Category::Incompatible);
  EXPECT_EQ(of({}), Category::Unknown);
}

TEST(ClassifyPackage, InstallAndImportFirst) {
  ClassifyInput in;
  in.outcomes = {O::Crash};
  in.install_ok = false;
  EXPECT_EQ(classify_package(in), Category::InstallFailure);
  in.install_ok = true;
  in.import_ok = false;
  EXPECT_EQ(classify_package(in), Category::ImportFailure);
}

TEST(Summarize, CountsRatesAndGilComparison) {
  PackageResult p;
  p.package = "x";
  for (auto s : {"pass", "fail", "timeout", "deadlock", "crash", "pass"}) {
    IterationResult it;
    it.status = s;
    it.duration_s = 2;
    if (std::string(s) == "crash") it.crash_signature = "SIGSEGV | f";
    p.iterations.push_back(it);
  }
  std::vector<IterationResult> gil1(4);
  for (auto& g : gil1) g.status = "pass";
  gil1[0].status = "fail";
  summarize(p, gil1, false);
  EXPECT_EQ(p.category, "deadlock");
  EXPECT_EQ(p.pass_count, 2);
  EXPECT_EQ(p.fail_count, 1);
  EXPECT_EQ(p.crash_count, 1);
  EXPECT_EQ(p.timeout_count, 2);  // the deadlock counts as a timeout too, like labeille
  EXPECT_EQ(p.deadlock_count, 1);
  EXPECT_DOUBLE_EQ(p.pass_rate, 0.3333);
  EXPECT_DOUBLE_EQ(p.mean_duration_s, 2);
  EXPECT_EQ(p.failure_signatures, std::vector<std::string>{"SIGSEGV | f"});
  EXPECT_EQ(p.gil_comparison, "pre_existing");
  EXPECT_EQ(p.gil_enabled_iterations, 4);
  EXPECT_DOUBLE_EQ(*p.gil_enabled_pass_rate, 0.75);

  PackageResult q;
  for (auto s : {"fail", "fail", "pass"}) {
    IterationResult it;
    it.status = s;
    q.iterations.push_back(it);
  }
  IterationResult passing;
  passing.status = "pass";
  summarize(q, std::vector<IterationResult>(3, passing), false);
  EXPECT_EQ(q.gil_comparison, "free_threading_specific");
  EXPECT_EQ(q.category, "intermittent");
}

}  // namespace labeille::analyzers
