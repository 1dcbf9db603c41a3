#include "labeille/analyzers/classify.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "labeille/analyzers/stats.hpp"
#include "labeille/analyzers/stress.hpp"

namespace labeille::analyzers {

Category classify_package(const ClassifyInput& in) {
  if (!in.install_ok) return Category::InstallFailure;
  if (!in.import_ok) return Category::ImportFailure;
  if (in.outcomes.empty()) return Category::Unknown;
  auto has = [&](Outcome o) { return std::find(in.outcomes.begin(), in.outcomes.end(), o) != in.outcomes.end(); };
  if (has(Outcome::Deadlock)) return Category::Deadlock;
  if (has(Outcome::Crash)) return Category::Crash;
  auto passes = std::count(in.outcomes.begin(), in.outcomes.end(), Outcome::Pass);
  if (passes == static_cast<long>(in.outcomes.size())) {
    if (in.tsan_warnings) return Category::TsanWarnings;
    if (in.gil_fallback) return Category::CompatibleGilFallback;
    return Category::Compatible;
  }
  if (passes == 0) return Category::Incompatible;
  return Category::Intermittent;
}

void summarize(PackageResult& p, const std::vector<IterationResult>& gil1, bool gil_fallback) {
  ClassifyInput in;
  in.install_ok = p.install_ok;
  in.import_ok = p.import_ok;
  in.gil_fallback = gil_fallback;
  double total = 0;
  std::set<std::string> sigs, tsan_types;
  p.pass_count = p.fail_count = p.crash_count = p.timeout_count = p.deadlock_count = 0;
  p.tsan_warning_iterations = 0;
  for (const auto& it : p.iterations) {
    auto o = outcome_from_string(it.status).value_or(Outcome::Fail);
    in.outcomes.push_back(o);
    total += it.duration_s;
    switch (o) {
      case Outcome::Pass: ++p.pass_count; break;
      case Outcome::Crash: ++p.crash_count; break;
      case Outcome::Deadlock: ++p.deadlock_count; ++p.timeout_count; break;
      case Outcome::Timeout: ++p.timeout_count; break;
      default: ++p.fail_count; break;
    }
    if (it.tsan_warning_count > 0 || !it.tsan_warnings.empty()) {
      ++p.tsan_warning_iterations;
      if (o == Outcome::Pass) in.tsan_warnings = true;
    }
    if (!it.crash_signature.empty()) sigs.insert(it.crash_signature);
    if (!it.stall_signature.empty()) sigs.insert(it.stall_signature);
  }
  p.iterations_completed = static_cast<int>(p.iterations.size());
  const int n = p.iterations_completed;
  p.pass_rate = n ? std::round(10000.0 * p.pass_count / n) / 10000.0 : 0.0;
  p.mean_duration_s = n ? total / n : 0.0;
  p.failure_signatures.assign(sigs.begin(), sigs.end());
  const int failed = n - p.pass_count;
  auto iv = clopper_pearson_95(failed, n);
  p.failure_rate_low = iv.low;
  p.failure_rate_high = iv.high;
  p.verdict = verdict_text(failed, n);
  if (!p.stop_reason.empty())
    p.verdict += fmt::format("; stopped after {} of {} iterations: {}", n, p.iterations_allowed, p.stop_reason);

  p.gil_enabled_iterations = static_cast<int>(gil1.size());
  p.gil_enabled_pass_count = static_cast<int>(
      std::count_if(gil1.begin(), gil1.end(), [](const IterationResult& r) { return r.status == "pass"; }));
  p.gil_enabled_duration_s = 0;
  for (const auto& r : gil1) p.gil_enabled_duration_s += r.duration_s;
  if (!gil1.empty()) {
    p.gil_enabled_pass_rate = std::round(10000.0 * p.gil_enabled_pass_count / p.gil_enabled_iterations) / 10000.0;
    const int fail1 = p.gil_enabled_iterations - p.gil_enabled_pass_count;
    if (n > 0) {
      p.gil_fisher_p = fisher_exact_two_sided(failed, p.pass_count, fail1, p.gil_enabled_pass_count);
      if (failed > 0 && fail1 > 0) p.gil_comparison = "pre_existing";
      else if (failed > 0) p.gil_comparison = "free_threading_specific";
      else if (fail1 > 0) p.gil_comparison = "gil_only_failures";
      else p.gil_comparison = "same";
    }
  }
  p.category = std::string(to_string(classify_package(in)));
  apply_stress(p);
}

}  // namespace labeille::analyzers
