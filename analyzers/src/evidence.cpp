#include "labeille/analyzers/evidence.hpp"

#include <algorithm>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "labeille/core/outcome.hpp"
#include "labeille/core/pytest_output.hpp"
#include "labeille/core/text.hpp"

namespace labeille::analyzers {

// ---- fold side ----

std::string first_error(const AttemptRecord& r, const IterationResult& it) {
  switch (r.outcome) {
    case Outcome::Pass:
    case Outcome::Skipped:
    case Outcome::Interrupted: return "";
    case Outcome::TestsNotRun: {
      // The classifier's detail says why (observe/classify.hpp); the tails are not read again.
      auto why = tests_not_run_first_error(r.detail, r.exit_code.value_or(0));
      return why.empty() ? r.detail : why;
    }
    case Outcome::Crash: return r.crash ? r.crash->signature : r.detail;
    case Outcome::Deadlock: return it.stall_signature.empty() ? r.detail : it.stall_signature;
    case Outcome::Timeout: return r.detail;
    case Outcome::Error: return r.error_message.empty() ? r.detail : "could not start: " + r.error_message;
    case Outcome::Fail: break;
  }
  // A failed run: its first failing test as pytest's JUnit says it, else its last words.
  for (const auto& t : it.test_results)
    if (t.status == "failed" || t.status == "error") return t.message.empty() ? t.id : t.id + ": " + t.message;
  return r.last_output_line.empty() ? r.detail : r.last_output_line;
}

void NotRunTally::add(bool gil1_mode, bool not_run, const IterationResult& it) {
  (gil1_mode ? gil1_runs : gil0_runs)++;
  if (!not_run) return;
  (gil1_mode ? gil1 : gil0)++;
  if (!exit_code) exit_code = it.exit_code.value_or(0);
  if (reason.empty()) reason = it.first_error;
}

std::string NotRunTally::text(bool none_ran) const {
  if (gil0 + gil1 == 0) return "";
  // pytest's reason says what the exit status means; without one, the status's meaning does.
  std::string code = !exit_code ? "" : reason.empty() ? fmt::format(" (pytest exit {}: {})", *exit_code, pytest_exit_meaning(*exit_code))
                                                      : fmt::format(" (pytest exit {})", *exit_code);
  std::string why = reason.empty() ? "" : ": " + reason;
  if (none_ran) {
    const int n = gil0_runs + gil1_runs;
    return n == 1 ? fmt::format("tests did not run{}{}", code, why)
                  : fmt::format("tests did not run in any of the {} runs{}{}", n, code, why);
  }
  std::string where;
  if (gil0) where = fmt::format("{} of {} GIL=0 runs", gil0, gil0_runs);
  if (gil1) where += fmt::format("{}{} of {} GIL=1 runs", where.empty() ? "" : " and ", gil1, gil1_runs);
  return fmt::format("tests did not run in {}{}{}", where, code, why);
}

std::string shadowing_reason(std::string_view why, const ProbeRecord& probe, const std::string& source_dir) {
  if (!probe.ok || why.empty()) return "";
  const std::string text(why);
  static const std::regex missing(R"(No module named '([\w.]+)')");
  static const std::regex cannot(R"(cannot import name '[\w.]+' from '([\w.]+)' \(([^)]*)\))");
  std::smatch m;
  std::string module;
  if (std::regex_search(text, m, missing)) {
    for (const auto& x : probe.extensions)
      if (x.import_ok && x.module == m[1].str()) module = x.module;
  } else if (std::regex_search(text, m, cannot) && !source_dir.empty() &&
             m[2].str().rfind(source_dir, 0) == 0) {
    module = m[1].str();
  }
  if (module.empty()) return "";
  return fmt::format("the suite imports the source tree at {} instead of the installed package (the probe imported {} "
                     "from the venv)",
                     source_dir.empty() ? "the sources" : source_dir, module);
}

// ---- view side ----

namespace {

std::string join(const std::vector<std::string>& v, std::string_view sep) { return fmt::format("{}", fmt::join(v, sep)); }

// "3 - Stable" -> 3; 0 when none or unreadable.
int level_number(const std::string& level) { return level.empty() || level[0] < '1' || level[0] > '9' ? 0 : level[0] - '0'; }

// A failed install measured the build from source, not what the maintainers declare (a
// wheel, a package that works once built): no contradiction there (untested_wheel says so).
bool measured_trouble(const std::string& category) {
  return category != "compatible" && category != "unknown" && category != "install_failure" &&
         category_from_string(category).has_value();
}

}  // namespace

std::optional<SourceSummary> source_summary(const PackageResult& p) {
  if (!p.source) return std::nullopt;
  const auto& s = *p.source;
  return SourceSummary{s.kind,       s.version.value_or(""), s.url.value_or(""), s.fallback_reason.value_or(""),
                       s.adapted,    s.tests_present,        s.tests_note.value_or("")};
}

std::optional<DeclaredSupport> declared_support(const PackageResult& p) {
  if (!p.declared) return std::nullopt;
  const auto& d = *p.declared;
  return DeclaredSupport{d.classifier_level.value_or(""), d.ft_wheel, d.ft_wheel_tags, d.error.value_or(""),
                         d.on_index};
}

std::string source_text(const PackageResult& p) {
  auto s = source_summary(p);
  if (!s) return "";
  std::string o = s->kind.empty() ? "source" : s->kind;
  if (!s->version.empty()) o += " " + s->version;
  std::vector<std::string> notes;
  if (!s->fallback_reason.empty()) notes.push_back("fallback: " + s->fallback_reason);
  if (!s->adapted.empty()) notes.push_back("adapted: " + join(s->adapted, ", "));
  if (s->tests_present == false)
    notes.push_back(!s->tests_note.empty() ? s->tests_note
                    : s->kind == "sdist"   ? "no tests in the sdist"
                                           : "no tests in the sources");
  return notes.empty() ? o : o + " (" + join(notes, "; ") + ")";
}

std::vector<std::string> DeclaredSupport::ft_abis() const {
  static const std::regex abi(R"(\bcp3\d+t\b)");
  std::vector<std::string> out;
  for (const auto& tag : ft_wheel_tags)
    for (std::sregex_iterator m(tag.begin(), tag.end(), abi), end; m != end; ++m)
      if (std::find(out.begin(), out.end(), m->str()) == out.end()) out.push_back(m->str());
  return out;
}

std::string declared_text(const PackageResult& p) {
  auto d = declared_support(p);
  if (!d) return "";
  std::vector<std::string> parts;
  if (!d->classifier_level.empty()) parts.push_back(d->classifier_level);
  const auto abis = d->ft_abis();
  if (!abis.empty()) parts.push_back("free-threaded wheel (" + join(abis, ", ") + ")");
  std::string o = parts.empty() ? "declares nothing" : "declares " + join(parts, ", ");
  if (d->ft_wheel == true && abis.empty()) o += ", pure wheel";
  if (d->ft_wheel == false) o += ", no wheel for this interpreter";
  if (d->on_index == false) o += ", tested version not on the package index";
  if (!d->error.empty()) o += " (look-up failed: " + d->error + ")";
  return o;
}

std::string declared_short(const PackageResult& p) {
  auto d = declared_support(p);
  if (!d) return "-";
  // A package the index does not have (a local fixture, a private package) can only
  // declare through its classifiers; "none" would read as a missing declaration.
  if (d->on_index == false) return d->classifier_level;
  if (!d->error.empty() && d->classifier_level.empty() && !d->ft_wheel) return "? (look-up failed)";
  std::string o = d->classifier_level.empty() ? "none" : d->classifier_level;
  if (!d->ft_abis().empty()) o += ", wheel";
  return o;
}

std::vector<std::string> contradictions(const PackageResult& p) {
  std::vector<std::string> out;
  auto d = declared_support(p);
  if (!d) return out;
  const int level = level_number(d->classifier_level);
  // Level 1 ("Unstable") announces trouble; from 2 ("Beta") on the maintainers say it works.
  if (level >= 2 && measured_trouble(p.category))
    out.push_back(fmt::format("declares {}; measured {}", d->classifier_level, p.category));
  // A free-threaded wheel without a classifier is a declaration too; with "1 - Unstable"
  // the maintainers already said what to expect.
  else if (auto abis = d->ft_abis(); level == 0 && !abis.empty() && measured_trouble(p.category))
    out.push_back(fmt::format("publishes a free-threaded wheel ({}); measured {}", join(abis, ", "), p.category));
  // ft_wheel false: the index has no wheel this interpreter installs (a pure package
  // with a py3-none-any wheel has one), so its users build it from source.
  const bool known_pure = p.extension_compat && p.extension_compat->probed && p.extension_compat->extensions.empty();
  if (p.category == "compatible" && d->ft_wheel == false && !known_pure)
    out.push_back("compatible, no free-threaded wheel published");
  return out;
}

std::string untested_wheel(const PackageResult& p) {
  if (p.install_ok) return "";
  auto d = declared_support(p);
  if (!d) return "";
  const auto abis = d->ft_abis();
  if (abis.empty()) return "";
  auto s = source_summary(p);
  const std::string kind = !s ? "source" : s->kind == "repo" ? "repository" : s->kind == "path" ? "local source" : s->kind;
  std::string what = fmt::format("the {} build failed", kind);
  if (p.cause && p.cause->blocks) what = fmt::format("the install from the {} failed", kind);
  return fmt::format("{}; the {} wheel was not tested", what, join(abis, ", "));
}

std::string probe_text(const PackageResult& p) {
  if (!p.import_ok) return "import failed: " + p.import_error;
  const auto& ec = p.extension_compat;
  if (!ec || !ec->probed) return "not probed";
  std::string o = "imports";
  if (!ec->gil_reenabled_by.empty()) o += "; the GIL was re-enabled by " + ec->gil_reenabled_by;
  else if (ec->gil_enabled_after_import.value_or(false)) o += "; the GIL was on after import";
  else if (ec->gil_enabled_after_import) o += "; the GIL stayed off";
  if (ec->extensions.empty()) return o + "; pure Python";
  o += fmt::format("; {} extension module(s):", ec->extensions.size());
  for (const auto& x : ec->extensions)
    o += fmt::format("\n    {} ({}{}{})", x.module, x.declaration.empty() ? "declaration unknown" : x.declaration,
                     !x.reenabled_gil ? "" : *x.reenabled_gil ? "; re-enabled the GIL" : "; kept the GIL off",
                     x.import_ok ? "" : "; does not import");
  return o;
}

std::vector<std::string> failing_test_lines(const PackageResult& p, std::size_t max) {
  std::vector<std::pair<std::string, int>> tests(p.failing_tests.begin(), p.failing_tests.end());
  std::stable_sort(tests.begin(), tests.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> out;
  for (const auto& [id, n] : tests) {
    if (out.size() == max) {
      out.push_back(fmt::format("(+{} more failing test{})", tests.size() - max, tests.size() - max > 1 ? "s" : ""));
      break;
    }
    auto m = p.failing_test_messages.find(id);
    out.push_back(m == p.failing_test_messages.end() || m->second.empty() ? id : id + ": " + m->second);
  }
  return out;
}

}  // namespace labeille::analyzers
