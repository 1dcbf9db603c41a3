#include "labeille/core/stopping_rule.hpp"

#include <gtest/gtest.h>

namespace labeille {

TEST(StoppingRule, AllPassedStopsWhenTheUpperBoundReachesR) {
  // R = 0.1: 1 - 0.05^(1/n) <= 0.1 first at n = 29 (28 gives 10.15%).
  for (int n = 1; n < 29; ++n) EXPECT_FALSE(until_bound_decision(n, 0, 0.1).stop) << n;
  auto d = until_bound_decision(29, 0, 0.1);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, "29 of 29 passed: failure rate <= 9.8% (95%), within the bound 10.0%");
  // R = 0.02: n = 149 (1 - 0.05^(1/148) = 2.0%+).
  EXPECT_FALSE(until_bound_decision(148, 0, 0.02).stop);
  EXPECT_TRUE(until_bound_decision(149, 0, 0.02).stop);
}

TEST(StoppingRule, PassesAndFailuresSettleIntermittentAtOnce) {
  auto d = until_bound_decision(1, 1, 0.1);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, "passes and failures both seen (1 passed, 1 failed): intermittent whatever follows");
  EXPECT_TRUE(until_bound_decision(20, 3, 0.01).stop);
}

TEST(StoppingRule, AllFailedStopsWhenTheLowerBoundPassesOneMinusR) {
  for (int n = 1; n < 29; ++n) EXPECT_FALSE(until_bound_decision(0, n, 0.1).stop) << n;
  auto d = until_bound_decision(0, 29, 0.1);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, "29 of 29 failed: failure rate >= 90.2% (95%), above 1 - 10.0%");
  // A loose bound settles sooner: R = 0.5 after 5 failures (0.05^(1/5) = 0.549 > 0.5).
  EXPECT_FALSE(until_bound_decision(0, 4, 0.5).stop);
  EXPECT_TRUE(until_bound_decision(0, 5, 0.5).stop);
}

TEST(StoppingRule, NothingRunYetNeverStops) {
  EXPECT_FALSE(until_bound_decision(0, 0, 0.9).stop);
  EXPECT_EQ(until_bound_decision(0, 0, 0.9).reason, "");
}

TEST(StoppingRule, BoundsMatchTheClosedForms) {
  EXPECT_NEAR(upper_bound_all_passed(10), 0.2589, 1e-4);
  EXPECT_NEAR(lower_bound_all_failed(10), 0.7411, 1e-4);
  EXPECT_DOUBLE_EQ(upper_bound_all_passed(0), 1.0);
}

}  // namespace labeille
