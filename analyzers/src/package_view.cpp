// `labeille ft show RUN PKG`: one package's whole story, from set-up to the last run.
#include <algorithm>

#include <fmt/format.h>

#include "labeille/analyzers/evidence.hpp"
#include "labeille/analyzers/stress.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/error.hpp"

namespace labeille::analyzers {

namespace {

void runs_table(std::string& o, const std::vector<IterationResult>& runs, std::string_view mode, std::string_view note) {
  for (const auto& it : runs) {
    std::string m = it.mode.empty() ? std::string(mode) : it.mode;
    o += fmt::format("  {:<6} {:>4} {:>7}  {:<14} {:>9}  {}{}\n", m, it.iteration ? it.iteration : it.index, it.attempt,
                     it.status, fmt::format("{:.2f} s", it.duration_s), it.first_error, note);
  }
}

}  // namespace

std::string render_package(const RunResults& run, const std::string& package, const Style&) {
  auto found = std::find_if(run.packages.begin(), run.packages.end(), [&](const PackageResult& p) { return p.package == package; });
  if (found == run.packages.end()) throw Error(fmt::format("package \"{}\" is not in {}", package, run.dir));
  const auto& p = *found;
  std::string o = fmt::format("{} — {}: {}\n", p.package, p.category, p.verdict);
  if (auto d = details(p); !d.empty()) o += "  " + d + "\n";
  o += "\nDeclared support\n";
  auto declared = declared_text(p);
  o += "  " + (declared.empty() ? std::string("not looked up") : declared) + "\n";
  for (const auto& c : contradictions(p)) o += "  contradiction: " + c + "\n";
  if (auto w = untested_wheel(p); !w.empty()) o += "  " + w + "\n";

  o += "\nSet-up\n";
  o += p.install_ok ? fmt::format("  installed in {:.1f} s", p.install_duration_s)
                    : fmt::format("  FAILED after {:.1f} s: {}", p.install_duration_s, p.install_error);
  if (!p.install_from.empty()) o += " from " + p.install_from;
  if (!p.sdist_version.empty()) o += " " + p.sdist_version;
  if (!p.commit.empty()) o += " at " + p.commit;
  o += "\n";
  if (auto src = source_text(p); !src.empty()) o += "  source: " + src + "\n";

  o += "\nImport probe\n  " + probe_text(p) + "\n";

  o += "\nRuns\n";
  if (p.iterations.empty() && p.gil_enabled_runs.empty() && p.unmeasured_runs.empty()) {
    o += "  none\n";
  } else {
    o += fmt::format("  {:<6} {:>4} {:>7}  {:<14} {:>9}  {}\n", "mode", "iter", "attempt", "outcome", "duration", "first error");
    runs_table(o, p.iterations, "gil0", "");
    runs_table(o, p.gil_enabled_runs, "gil1", "");
    runs_table(o, p.unmeasured_runs, "", "  (not counted)");
  }
  if (p.stress) o += "\nStress runs\n" + stress_lines(*p.stress);  // not in the counts above
  if (auto tests = failing_test_lines(p, 20); !tests.empty()) {
    o += "\nFailing tests (first JUnit message)\n";
    for (const auto& t : tests) o += "  " + t + "\n";
  }
  if (!p.failure_signatures.empty()) {
    o += "\nCrash and stall signatures\n";
    for (const auto& s : p.failure_signatures) o += "  " + s + "\n";
  }
  return o;
}

}  // namespace labeille::analyzers
