// Statistics for small counts, as pure functions (Boost.Math does the special functions).
#pragma once

#include <string>

namespace labeille::analyzers {

struct Interval {
  double low = 0;
  double high = 1;
};

// Exact (Clopper-Pearson) 95% interval for a binomial proportion of k events in n trials.
// With k == 0 the upper bound is one-sided 95% (the "rule of three" family):
// 0/10 -> [0, 0.259]. With k == n the lower bound is one-sided likewise.
Interval clopper_pearson_95(int k, int n);

// Two-sided Fisher's exact test p-value for the 2x2 table [[a, b], [c, d]].
double fisher_exact_two_sided(int a, int b, int c, int d);

// "10/10 passed: failure rate <= 26% (95%)", "3/10 failed: failure rate 7%-65% (95%)".
// `failed` counts failed iterations (fail, crash, deadlock, timeout) out of n.
std::string verdict_text(int failed, int n);

// Percent with sensible precision: 26%, 5.4%, 0.25%.
std::string percent(double fraction);

}  // namespace labeille::analyzers
