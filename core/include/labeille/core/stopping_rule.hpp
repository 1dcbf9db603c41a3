// --until-bound R: when has a package's GIL mode run often enough that more iterations
// cannot change its verdict? One pure function, used by the runner (it reads the
// records of the package's earlier iterations and skips with exit 77 once settled) and
// by the detection-power benchmark (which simulates runs through the same code).
//
// The verdict of a mode is settled when
//   - every run passed and the one-sided 95% upper bound of the failure rate,
//     1 - 0.05^(1/n), is at most R (R = 0.1: after 29 passes);
//   - passes and failures were both seen: the package is intermittent whatever follows;
//   - every run failed and the one-sided 95% lower bound, 0.05^(1/n), is above 1 - R.
// These are the exact (Clopper-Pearson) bounds the verdicts print for 0/n and n/n.
#pragma once

#include <string>

namespace labeille {

struct StopDecision {
  bool stop = false;
  std::string reason;  // why the verdict is settled ("" when it is not)
};

// passes + failures = the counted runs so far (interrupted and skipped attempts are not
// runs). `bound` is R, in (0, 1).
StopDecision until_bound_decision(int passes, int failures, double bound);

// The one-sided 95% bounds used above: upper bound of the failure rate after n passes
// out of n, and lower bound after n failures out of n.
double upper_bound_all_passed(int n);
double lower_bound_all_failed(int n);

}  // namespace labeille
