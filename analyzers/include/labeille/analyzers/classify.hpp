// Package classification: the first rule that fires:
// install_failure, import_failure, unknown (no iterations), deadlock, crash; then all
// pass -> tsan_warnings / compatible_gil_fallback / compatible; all fail -> incompatible;
// otherwise intermittent. A timeout is a failure, never a crash.
#pragma once

#include <vector>

#include "labeille/analyzers/model.hpp"
#include "labeille/core/outcome.hpp"

namespace labeille::analyzers {

struct ClassifyInput {
  bool install_ok = true;
  bool import_ok = true;
  std::vector<Outcome> outcomes;  // counted GIL=0 iterations only
  bool tsan_warnings = false;     // some passing iteration had TSAN reports
  bool gil_fallback = false;      // an extension re-enabled the GIL
};

Category classify_package(const ClassifyInput& in);

// Fills counts, pass_rate, verdict, bounds, gil comparison and category of `p` from its
// iterations (and the GIL=1 iterations given separately).
void summarize(PackageResult& p, const std::vector<IterationResult>& gil1, bool gil_fallback);

}  // namespace labeille::analyzers
