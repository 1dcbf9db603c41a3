#include "labeille/analyzers/stats.hpp"

#include <gtest/gtest.h>

namespace labeille::analyzers {

TEST(Stats, ClopperPearsonKnownValues) {
  // 0/10: one-sided 95% upper bound 1 - 0.05^(1/10).
  auto iv = clopper_pearson_95(0, 10);
  EXPECT_DOUBLE_EQ(iv.low, 0);
  EXPECT_NEAR(iv.high, 0.2589, 1e-4);
  // 1/100: two-sided exact interval [0.000253, 0.0545].
  iv = clopper_pearson_95(1, 100);
  EXPECT_NEAR(iv.low, 0.000253, 1e-5);
  EXPECT_NEAR(iv.high, 0.0545, 1e-4);
  // 5/10: [0.187, 0.813].
  iv = clopper_pearson_95(5, 10);
  EXPECT_NEAR(iv.low, 0.1871, 1e-3);
  EXPECT_NEAR(iv.high, 0.8129, 1e-3);
  iv = clopper_pearson_95(10, 10);
  EXPECT_NEAR(iv.low, 0.7411, 1e-4);
  EXPECT_DOUBLE_EQ(iv.high, 1);
}

TEST(Stats, FisherExactKnownValues) {
  // R: fisher.test(matrix(c(1, 11, 9, 3), 2))$p.value == 0.002759
  EXPECT_NEAR(fisher_exact_two_sided(1, 9, 11, 3), 0.002759, 1e-5);
  // 3/10 failures with GIL=0 vs 0/10 with GIL=1: not significant (p = 0.2105).
  EXPECT_NEAR(fisher_exact_two_sided(3, 7, 0, 10), 0.2105, 1e-4);
  EXPECT_NEAR(fisher_exact_two_sided(10, 0, 0, 10), 1.0825e-5, 1e-8);
  EXPECT_DOUBLE_EQ(fisher_exact_two_sided(5, 5, 5, 5), 1.0);
}

TEST(Stats, VerdictTexts) {
  EXPECT_EQ(verdict_text(0, 10), "10/10 passed: failure rate <= 26% (95%)");
  EXPECT_EQ(verdict_text(1, 100), "1/100 failed: failure rate 0.03%-5.4% (95%)");
  EXPECT_EQ(verdict_text(10, 10), "10/10 failed: failure rate >= 74% (95%)");
  EXPECT_EQ(verdict_text(0, 0), "no measured iteration");
}

}  // namespace labeille::analyzers
