// Detection power, simulated through the real stopping-rule code (no timing: figures).
//
// 1. Fixed -n: for a package whose runs fail independently with probability p, how often
//    do n runs show at least one failure? Simulated next to the theory 1 - (1 - p)^n.
// 2. --until-bound R with -n as the maximum: iterations spent and detection rate, next
//    to the fixed -n that reaches the same detection rate (n = ln(1 - d) / ln(1 - p)).
// The p's are the calibration corpus' (tests/fixtures/packages/ft-calibrated): 0.5, 0.1,
// 0.02; p = 0 (compatible) and p = 1 (incompatible) show the cost of settling.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "labeille/core/stopping_rule.hpp"

namespace {

constexpr int kPackages = 20000;  // simulated packages per cell

struct Spent {
  double detected = 0, iterations = 0;
};

// One simulated package: runs until the stopping rule settles it or max_n runs are spent.
Spent simulate(std::mt19937_64& rng, double p, int max_n, double bound) {
  std::bernoulli_distribution fails(p);
  int passes = 0, failures = 0;
  for (int i = 0; i < max_n; ++i) {
    if (bound > 0 && labeille::until_bound_decision(passes, failures, bound).stop) break;
    (fails(rng) ? failures : passes)++;
  }
  return {failures > 0 ? 1.0 : 0.0, static_cast<double>(passes + failures)};
}

Spent average(double p, int max_n, double bound) {
  std::mt19937_64 rng(703);
  Spent sum;
  for (int k = 0; k < kPackages; ++k) {
    auto s = simulate(rng, p, max_n, bound);
    sum.detected += s.detected;
    sum.iterations += s.iterations;
  }
  return {sum.detected / kPackages, sum.iterations / kPackages};
}

}  // namespace

int main() {
  const double ps[] = {0.5, 0.1, 0.02};
  const int ns[] = {5, 10, 20, 29, 50, 100, 149, 200};
  std::printf("Fixed -n: chance that n runs show a race failing with probability p per run\n");
  std::printf("(%d simulated packages per cell; theory 1 - (1 - p)^n)\n\n", kPackages);
  std::printf("| n |");
  for (double p : ps) std::printf(" p = %g: simulated | theory |", p);
  std::printf("\n|---|");
  for (int i = 0; i < 3; ++i) std::printf("---|---|");
  std::printf("\n");
  for (int n : ns) {
    std::printf("| %d |", n);
    for (double p : ps) std::printf(" %.1f%% | %.1f%% |", 100 * average(p, n, 0).detected, 100 * (1 - std::pow(1 - p, n)));
    std::printf("\n");
  }
  std::printf("\nRuns needed for 95%% detection: n = ln(0.05) / ln(1 - p):");
  for (double p : ps) std::printf("  p = %g: %.0f", p, std::ceil(std::log(0.05) / std::log(1 - p)));
  std::printf("\n\n--until-bound R, -n 200 as the maximum: iterations spent per package and detection,\n"
              "against the fixed -n with the same detection rate\n\n");
  std::printf("| R | p | iterations spent (mean) | detected | fixed -n for the same detection |\n|---|---|---|---|---|\n");
  const double all_ps[] = {0.0, 0.02, 0.1, 0.5, 1.0};
  for (double bound : {0.1, 0.05, 0.02}) {
    for (double p : all_ps) {
      auto s = average(p, 200, bound);
      std::string fixed = "-";
      if (p > 0 && p < 1) {
        // Detected every time in the simulation: the fixed n whose theory rounds to 100.0%.
        const double d = s.detected < 0.9995 ? s.detected : 0.9995;
        char b[32];
        std::snprintf(b, sizeof b, "%s%.0f", d < s.detected ? ">= " : "", std::ceil(std::log(1 - d) / std::log(1 - p)));
        fixed = b;
      } else if (p >= 1) {
        fixed = "1";
      }
      std::printf("| %g | %g | %.1f | %.1f%% | %s |\n", bound, p, s.iterations, 100 * s.detected, fixed.c_str());
    }
  }
  return 0;
}
