#include "labeille/core/stopping_rule.hpp"

#include <cmath>

#include <fmt/format.h>

namespace labeille {

namespace {

std::string pct(double f) { return fmt::format("{:.1f}%", 100 * f); }

}  // namespace

double upper_bound_all_passed(int n) { return n <= 0 ? 1.0 : 1.0 - std::pow(0.05, 1.0 / n); }

double lower_bound_all_failed(int n) { return n <= 0 ? 0.0 : std::pow(0.05, 1.0 / n); }

StopDecision until_bound_decision(int passes, int failures, double bound) {
  const int n = passes + failures;
  if (n == 0) return {};
  if (passes > 0 && failures > 0)
    return {true, fmt::format("passes and failures both seen ({} passed, {} failed): intermittent whatever follows",
                              passes, failures)};
  if (failures == 0) {
    const double high = upper_bound_all_passed(n);
    if (high <= bound)
      return {true, fmt::format("{} of {} passed: failure rate <= {} (95%), within the bound {}", n, n, pct(high),
                                pct(bound))};
    return {};
  }
  const double low = lower_bound_all_failed(n);
  if (low > 1.0 - bound)
    return {true, fmt::format("{} of {} failed: failure rate >= {} (95%), above 1 - {}", n, n, pct(low), pct(bound))};
  return {};
}

}  // namespace labeille
