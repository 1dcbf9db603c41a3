#include "labeille/analyzers/stats.hpp"

#include <algorithm>
#include <cmath>

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/hypergeometric.hpp>
#include <fmt/format.h>

namespace labeille::analyzers {

Interval clopper_pearson_95(int k, int n) {
  using boost::math::binomial_distribution;
  if (n <= 0) return {0, 1};
  Interval iv;
  const double nn = n, kk = k;
  if (k == 0) {
    iv.low = 0;
    iv.high = binomial_distribution<>::find_upper_bound_on_p(nn, kk, 0.05);
  } else if (k == n) {
    iv.low = binomial_distribution<>::find_lower_bound_on_p(nn, kk, 0.05);
    iv.high = 1;
  } else {
    iv.low = binomial_distribution<>::find_lower_bound_on_p(nn, kk, 0.025);
    iv.high = binomial_distribution<>::find_upper_bound_on_p(nn, kk, 0.025);
  }
  return iv;
}

double fisher_exact_two_sided(int a, int b, int c, int d) {
  // Margins fixed: the count in cell a follows a hypergeometric law. Sum the
  // probabilities of every table at most as likely as the observed one.
  const unsigned r1 = static_cast<unsigned>(a + b), c1 = static_cast<unsigned>(a + c);
  const unsigned total = static_cast<unsigned>(a + b + c + d);
  if (total == 0) return 1.0;
  boost::math::hypergeometric_distribution<> h(r1, c1, total);
  const unsigned lo = static_cast<unsigned>(std::max(0, static_cast<int>(r1 + c1) - static_cast<int>(total)));
  const unsigned hi = std::min(r1, c1);
  const double observed = boost::math::pdf(h, static_cast<unsigned>(a));
  double p = 0;
  for (unsigned x = lo; x <= hi; ++x) {
    double px = boost::math::pdf(h, x);
    if (px <= observed * (1 + 1e-7)) p += px;
  }
  return std::min(1.0, p);
}

std::string percent(double f) {
  double pct = f * 100;
  if (pct >= 10 || pct == 0) return fmt::format("{:.0f}%", pct);
  if (pct >= 1) return fmt::format("{:.1f}%", pct);
  return fmt::format("{:.2f}%", pct);
}

std::string verdict_text(int failed, int n) {
  if (n <= 0) return "no measured iteration";
  auto iv = clopper_pearson_95(failed, n);
  if (failed == 0)
    return fmt::format("{}/{} passed: failure rate <= {} (95%)", n, n, percent(iv.high));
  if (failed == n)
    return fmt::format("{}/{} failed: failure rate >= {} (95%)", n, n, percent(iv.low));
  return fmt::format("{}/{} failed: failure rate {}-{} (95%)", failed, n, percent(iv.low), percent(iv.high));
}

}  // namespace labeille::analyzers
