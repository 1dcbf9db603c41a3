#include "labeille/analyzers/views.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "labeille/analyzers/blockers.hpp"
#include "labeille/analyzers/evidence.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/stress.hpp"
#include "labeille/analyzers/stats.hpp"
#include "labeille/analyzers/tsan.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/json.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/core/text.hpp"

namespace labeille::analyzers {

namespace {

int category_rank(const std::string& c) {
  auto cat = category_from_string(c);
  return cat ? rank(*cat) : 100;  // unknown strings from other writers sort last
}

std::string paint(const Style& s, const std::string& category, const std::string& text) {
  if (!s.color) return text;
  const char* code = "0";
  if (category == "crash" || category == "deadlock") code = "1;31";
  else if (category == "intermittent" || category == "tsan_warnings") code = "33";
  else if (category == "incompatible" || category == "install_failure" || category == "import_failure") code = "31";
  else if (category == "compatible" || category == "compatible_gil_fallback") code = "32";
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

std::string pad(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

std::string truncate(const std::string& s, std::size_t w) {
  if (s.size() <= w) return s;
  // Cut at a character boundary: a sanitized control character ("␛") is three bytes,
  // and half of one is invalid UTF-8 (found by fuzz.readers).
  std::size_t cut = w - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "...";
}

std::vector<const PackageResult*> sorted(const RunResults& run, SortBy by) {
  std::vector<const PackageResult*> v;
  for (const auto& p : run.packages) v.push_back(&p);
  std::stable_sort(v.begin(), v.end(), [by](const PackageResult* a, const PackageResult* b) {
    switch (by) {
      case SortBy::Name: return a->package < b->package;
      case SortBy::PassRate:
        // Exact comparison of k/n without rounding: a/b < c/d <=> a*d < c*b.
        if (a->pass_count * std::max(1, b->iterations_completed) != b->pass_count * std::max(1, a->iterations_completed))
          return a->pass_count * std::max(1, b->iterations_completed) < b->pass_count * std::max(1, a->iterations_completed);
        return a->package < b->package;
      case SortBy::Category:
        if (category_rank(a->category) != category_rank(b->category))
          return category_rank(a->category) < category_rank(b->category);
        return a->package < b->package;
    }
    return false;
  });
  return v;
}

std::map<std::string, int> category_counts(const RunResults& run) {
  std::map<std::string, int> m;
  for (const auto& p : run.packages) ++m[p.category];
  return m;
}

// Crash/deadlock signatures grouped across packages: the same CPython bug in many
// packages shows as one group.
std::map<std::string, std::set<std::string>> signature_groups(const RunResults& run) {
  std::map<std::string, std::set<std::string>> g;
  for (const auto& p : run.packages)
    for (const auto& s : p.failure_signatures) g[s].insert(p.package);
  return g;
}

std::string gil_text(const PackageResult& p) {
  if (p.gil_comparison.empty()) return "";
  std::string pv = p.gil_fisher_p ? fmt::format(", Fisher p={:.3g}", *p.gil_fisher_p) : "";
  if (p.gil_comparison == "pre_existing")
    return fmt::format("pre-existing: fails with GIL=1 too ({}/{} passed{})", p.gil_enabled_pass_count,
                       p.gil_enabled_iterations, pv);
  if (p.gil_comparison == "free_threading_specific")
    return fmt::format("free-threading specific: GIL=1 passed {}/{}{}", p.gil_enabled_pass_count,
                       p.gil_enabled_iterations, pv);
  if (p.gil_comparison == "gil_only_failures")
    return fmt::format("fails only with GIL=1 ({}/{} passed)", p.gil_enabled_pass_count, p.gil_enabled_iterations);
  if (p.gil_comparison == "not_needed") return std::string(kGilControlNotNeeded);
  return "";
}

}  // namespace

std::string passed_of(const PackageResult& p) { return fmt::format("{}/{}", p.pass_count, p.iterations_completed); }

std::string details(const PackageResult& p) {
  std::vector<std::string> parts;
  if (!p.install_ok) parts.push_back("install: " + p.install_error);
  if (auto w = untested_wheel(p); !w.empty()) parts.push_back(std::move(w));
  if (!p.import_ok) parts.push_back("import: " + p.import_error);
  if (auto src = source_summary(p); src && src->tests_present == false)
    parts.push_back("no tests in the " + std::string(src->kind == "sdist" ? "sdist" : "sources") +
                    (src->tests_note.empty() ? "" : ": " + src->tests_note));
  if (!p.tests_not_run.empty()) parts.push_back(p.tests_not_run);
  for (auto& c : contradictions(p)) parts.push_back(std::move(c));
  if (p.deadlock_count > 0) {
    std::set<std::string> kinds;
    for (const auto& it : p.iterations)
      if (it.status == "deadlock" && !it.stall_cpu_state.empty()) kinds.insert(it.stall_cpu_state);
    std::string k;
    for (const auto& s : kinds) k += (k.empty() ? "" : "/") + s;
    parts.push_back(fmt::format("{} stall(s){}", p.deadlock_count, k.empty() ? "" : " (" + k + ")"));
  }
  if (!p.failure_signatures.empty()) parts.push_back(p.failure_signatures.front());
  if (p.extension_compat && !p.extension_compat->gil_reenabled_by.empty())
    parts.push_back("GIL re-enabled by " + p.extension_compat->gil_reenabled_by);
  if (auto t = tsan_summary(p); !t.empty()) parts.push_back(t);
  if (!p.flaky_tests.empty()) parts.push_back(fmt::format("{} flaky test(s)", p.flaky_tests.size()));
  if (auto g = gil_text(p); !g.empty()) parts.push_back(g);
  if (p.stress && !p.stress->evidence.empty()) parts.push_back(p.stress->evidence);
  if (auto t = failing_test_lines(p, 1); !t.empty()) {
    std::string first = "failing: " + t[0];
    if (t.size() > 1) first += " " + t[1];
    parts.push_back(std::move(first));
  }
  // Whatever the test runner (unittest or a script writes no JUnit): a package that did
  // not pass always says why, with its first run's own words, else its verdict.
  if (parts.empty() && category_from_string(p.category) && p.category != "compatible" &&
      p.category != "compatible_gil_fallback") {
    for (const auto* runs : {&p.iterations, &p.gil_enabled_runs, &p.unmeasured_runs}) {
      for (const auto& it : *runs)
        if (it.status != "pass" && it.status != "skipped") {
          // Results of the Python tool carry no first_error: its status and last words.
          std::string why = !it.first_error.empty() ? it.first_error
                            : fmt::format("{}{}{}", it.status, it.exit_code ? fmt::format(" (exit {})", *it.exit_code) : "",
                                          it.last_output_line.empty() ? "" : ", last output: " + it.last_output_line);
          parts.push_back(fmt::format("{} run {}: {}", it.mode.empty() ? "first" : it.mode, it.index, why));
          break;
        }
      if (!parts.empty()) break;
    }
    if (parts.empty()) parts.push_back(p.verdict.empty() ? "no run recorded why" : p.verdict);
  }
  std::string out;
  for (const auto& s : parts) out += (out.empty() ? "" : "; ") + s;
  return out;
}

std::string render_show(const RunResults& run, SortBy sort, int limit, const Style& style) {
  std::string o;
  o += fmt::format("labeille ft results: {}\n", run.dir);
  const auto& m = run.meta;
  o += fmt::format("Run: {}  {}\n", m.run_id, m.timestamp);
  if (!m.python_version.empty() || !m.target_python.empty())
    o += fmt::format("Python: {} {} (gil_disabled={})\n", m.python_version,
                     m.python_path.empty() ? m.target_python : m.python_path, m.python_gil_disabled);
  if (!m.cpu_count.empty() || !m.hostname.empty())
    o += fmt::format("System: {} ({} CPUs)\n", m.hostname, m.cpu_count.empty() ? "?" : m.cpu_count);
  if (!m.iterations.empty())
    o += fmt::format("Config: iterations={} timeout={}s stall_threshold={}s compare_with_gil={}\n", m.iterations,
                     m.timeout, m.stall_threshold, m.compare_with_gil_text);
  o += fmt::format("\nCompatibility summary ({} packages)\n", run.packages.size());
  auto counts = category_counts(run);
#define LABEILLE_X(id, name, rank, desc)                                                        \
  if (counts.count(name)) o += fmt::format("  {} {:>5}\n", paint(style, name, pad(name, 24)), counts[name]);
  LABEILLE_FT_CATEGORIES(LABEILLE_X)
#undef LABEILLE_X
  for (const auto& [c, n] : counts)
    if (!category_from_string(c)) o += fmt::format("  {} {:>5}\n", pad(c, 24), n);
  // Declared support next to the category, when the set-up looked it up.
  const bool declared = std::any_of(run.packages.begin(), run.packages.end(),
                                    [](const PackageResult& p) { return p.declared.has_value(); });
  auto with_declared = [&](std::string cell, const PackageResult* p) {
    return declared ? cell + " " + pad(p ? declared_short(*p) : "Declared", 18) : cell;
  };
  o += fmt::format("\n{} {} {} {} {} {}\n", pad("Package", 24), with_declared(pad("Category", 24), nullptr), pad("Passed", 8),
                   pad("Failure rate (95%)", 19), pad("Crash/Dl", 9), "Details");
  int shown = 0;
  for (const auto* p : sorted(run, sort)) {
    if (limit > 0 && shown++ >= limit) break;
    std::string rate = "-";
    if (p->iterations_completed > 0) {
      if (p->pass_count == p->iterations_completed) rate = "<= " + percent(p->failure_rate_high);
      else if (p->pass_count == 0) rate = ">= " + percent(p->failure_rate_low);
      else rate = percent(p->failure_rate_low) + "-" + percent(p->failure_rate_high);
    }
    o += fmt::format("{} {} {} {} {} {}\n", pad(truncate(p->package, 24), 24),
                     with_declared(paint(style, p->category, pad(p->category, 24)), p), pad(passed_of(*p), 8), pad(rate, 19),
                     pad(fmt::format("{}/{}", p->crash_count, p->deadlock_count), 9), truncate(details(*p), 180));
  }
  if (limit > 0 && static_cast<int>(run.packages.size()) > limit)
    o += fmt::format("... {} more (--limit)\n", run.packages.size() - static_cast<std::size_t>(limit));
  o += render_blockers_text(run);
  o += render_tsan_races_text(run);
  return o;
}

std::string render_flaky(const RunResults& run, const std::string& package, const Style& style) {
  std::string o;
  int found = 0;
  for (const auto* p : sorted(run, SortBy::Name)) {
    if (!package.empty() ? p->package != package : p->category != "intermittent") continue;
    ++found;
    o += fmt::format("{} — {} ({})\n", p->package, paint(style, p->category, p->category), p->verdict);
    std::string seq;
    for (const auto& it : p->iterations)
      seq += it.status == "pass" ? '.' : it.status == "crash" ? 'C' : it.status == "deadlock" ? 'D' : it.status == "timeout" ? 'T'
           : it.status == "tests_not_run" ? 'N' : 'F';
    o += fmt::format("  iterations: {}   (. pass, F fail, C crash, D deadlock, T timeout, N tests did not run)\n", seq);
    if (!p->tests_not_run.empty()) o += "  " + p->tests_not_run + "\n";
    if (p->stress) o += stress_lines(*p->stress);
    std::set<std::string> sigs(p->failure_signatures.begin(), p->failure_signatures.end());
    if (p->crash_count > 0)
      o += fmt::format("  crash signatures: {} distinct over {} crash(es) — {}\n", sigs.size(), p->crash_count,
                       sigs.size() == 1 ? "consistent: likely one race" : "varied: several races or memory corruption");
    const auto& tests = p->failing_tests.empty() ? p->flaky_tests : p->failing_tests;
    if (tests.empty()) {
      o += p->stress ? "\n" : "  no per-test results (no pytest JUnit in the attempts)\n\n";
      continue;
    }
    o += fmt::format("  {} {} {} {}\n", pad("test", 56), pad("failed", 8), pad("flips", 6), "failing iterations");
    for (const auto& [id, fails] : tests) {
      std::string iters;
      int flips = 0;
      std::string prev;
      std::map<std::string, int> messages;
      for (const auto& it : p->iterations)
        for (const auto& t : it.test_results) {
          if (t.id != id) continue;
          bool bad = t.status == "failed" || t.status == "error";
          if (bad) {
            iters += (iters.empty() ? "" : ",") + std::to_string(it.index);
            if (!t.message.empty()) ++messages[t.message];
          }
          if (!prev.empty() && prev != (bad ? "bad" : "good")) ++flips;
          prev = bad ? "bad" : "good";
        }
      o += fmt::format("  {} {} {} {}{}\n", pad(truncate(id, 56), 56), pad(std::to_string(fails), 8),
                       pad(std::to_string(flips), 6), iters, p->flaky_tests.count(id) ? "" : "  (always fails)");
      for (const auto& [msg, n] : messages) o += fmt::format("      {}x {}\n", n, truncate(msg, 100));
    }
    o += "\n";
  }
  // A package asked for by name that is not there is an error, as in `ft show RUN PKG`.
  if (found == 0 && !package.empty()) throw Error(fmt::format("package \"{}\" is not in {}", package, run.dir));
  if (found == 0) o += "no intermittent packages\n";
  return o;
}

std::string render_compat(const RunResults& run, bool extensions_only, const Style& style) {
  std::string o = fmt::format("{} {} {} {}\n", pad("Package", 24), pad("Category", 24), pad("GIL fallback", 30),
                              "Extensions (declaration; re-enabled GIL)");
  for (const auto* p : sorted(run, SortBy::Name)) {
    const auto& ec = p->extension_compat;
    if (extensions_only && (!ec || ec->extensions.empty())) continue;
    std::string fallback = !ec ? "not probed"
                           : !ec->gil_reenabled_by.empty() ? "yes: " + ec->gil_reenabled_by
                           : ec->gil_enabled_after_import.value_or(false) ? "yes"
                                                                           : "no";
    std::string exts;
    if (ec)
      for (const auto& x : ec->extensions)
        exts += fmt::format("{}{} ({}; {})", exts.empty() ? "" : ", ", x.module,
                            x.declaration.empty() ? "unknown" : x.declaration == "none" ? "no Py_mod_gil" : x.declaration,
                            !x.reenabled_gil ? "?" : *x.reenabled_gil ? "re-enabled" : "kept off");
    if (exts.empty()) exts = ec ? "pure Python" : "-";
    o += fmt::format("{} {} {} {}\n", pad(truncate(p->package, 24), 24), paint(style, p->category, pad(p->category, 24)),
                     pad(truncate(fallback, 30), 30), exts);
  }
  return o;
}

namespace {

// What changed between two runs, package by package: the data `ft compare` renders.
struct Change {
  std::string package, from, to, a_rate, b_rate, judgement;
  double p = 1;
};
struct Comparison {
  std::vector<Change> transitions, rate_changes;
  std::vector<std::string> only_a, only_b, new_issues, resolved;
};

Comparison compare_runs(const RunResults& a, const RunResults& b) {
  std::map<std::string, const PackageResult*> ma, mb;
  for (const auto& p : a.packages) ma[p.package] = &p;
  for (const auto& p : b.packages) mb[p.package] = &p;
  Comparison r;
  for (const auto& [name, pa] : ma) {
    auto it = mb.find(name);
    if (it == mb.end()) {
      r.only_a.push_back(name);
      continue;
    }
    const auto* pb = it->second;
    // A package with no measured run on one side (e.g. it stopped installing) has no rate
    // to test: say so instead of a meaningless p=1.
    Change c{name, pa->category, pb->category, passed_of(*pa), passed_of(*pb), "not measured in both runs", 1};
    int fa = pa->iterations_completed - pa->pass_count, fb = pb->iterations_completed - pb->pass_count;
    if (pa->iterations_completed > 0 && pb->iterations_completed > 0) {
      c.p = fisher_exact_two_sided(fa, pa->pass_count, fb, pb->pass_count);
      c.judgement = c.p < 0.05 ? (fb * pa->iterations_completed > fa * pb->iterations_completed ? "worse" : "better")
                                : "no significant change";
    }
    if (pa->category != pb->category) r.transitions.push_back(c);
    else if (c.a_rate != c.b_rate) r.rate_changes.push_back(c);
    std::set<std::string> sa(pa->failure_signatures.begin(), pa->failure_signatures.end());
    std::set<std::string> sb(pb->failure_signatures.begin(), pb->failure_signatures.end());
    for (const auto& s : sb)
      if (!sa.count(s)) r.new_issues.push_back(name + ": " + s);
    for (const auto& s : sa)
      if (!sb.count(s)) r.resolved.push_back(name + ": " + s);
    if (pb->deadlock_count > 0 && pa->deadlock_count == 0) r.new_issues.push_back(name + ": deadlock");
    if (pa->deadlock_count > 0 && pb->deadlock_count == 0) r.resolved.push_back(name + ": deadlock");
    // Stress: a free-threading failure under stress that appeared or went away.
    const bool sfa = pa->stress && pa->stress->finding, sfb = pb->stress && pb->stress->finding;
    if (sfb && !sfa) r.new_issues.push_back(name + ": " + pb->stress->evidence);
    if (sfa && !sfb) r.resolved.push_back(name + ": " + pa->stress->evidence);
  }
  for (const auto& [name, pb] : mb)
    if (!ma.count(name)) r.only_b.push_back(name);
  return r;
}

// `ft compare --format json`, through the shared writer (core/json.hpp).
std::string compare_json(const RunResults& a, const RunResults& b, const Comparison& r) {
  rapidjson::StringBuffer sb;
  json::PrettyWriter w(sb);
  json::Out<json::PrettyWriter> o(w);
  auto changes = [&](const char* k, const std::vector<Change>& v) {
    o.key(k);
    w.StartArray();
    for (const auto& c : v) {
      w.StartObject();
      o.key("package").str(c.package);
      o.key("from").str(c.from);
      o.key("to").str(c.to);
      o.key("passed_a").str(c.a_rate);
      o.key("passed_b").str(c.b_rate);
      o.key("fisher_p").num(c.p);
      o.key("judgement").str(c.judgement);
      w.EndObject();
    }
    w.EndArray();
  };
  w.StartObject();
  o.key("run_a").str(a.dir);
  o.key("run_b").str(b.dir);
  changes("transitions", r.transitions);
  changes("pass_rate_changes", r.rate_changes);
  o.key("new_issues").strings(r.new_issues);
  o.key("resolved_issues").strings(r.resolved);
  const auto blocking = compare_blockers(a, b);
  o.key("blockers_appeared").strings(blocking.appeared);
  o.key("blockers_disappeared").strings(blocking.disappeared);
  o.key("only_in_a").strings(r.only_a);
  o.key("only_in_b").strings(r.only_b);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

std::string compare_text(const RunResults& a, const RunResults& b, const Comparison& r) {
  std::string o = fmt::format("compare {} -> {}\n", a.dir, b.dir);
  o += fmt::format("\nCategory transitions ({})\n", r.transitions.size());
  for (const auto& c : r.transitions)
    o += fmt::format("  {} {} -> {}   passed {} -> {}   ({}, Fisher p={:.3g})\n", pad(c.package, 24), c.from, c.to,
                     c.a_rate, c.b_rate, c.judgement, c.p);
  o += fmt::format("\nPass-rate changes within a category ({})\n", r.rate_changes.size());
  for (const auto& c : r.rate_changes)
    o += fmt::format("  {} {}   passed {} -> {}   ({}, Fisher p={:.3g})\n", pad(c.package, 24), c.to, c.a_rate, c.b_rate,
                     c.judgement, c.p);
  o += fmt::format("\nNew issues ({})\n", r.new_issues.size());
  for (const auto& s : r.new_issues) o += "  + " + s + "\n";
  o += fmt::format("\nResolved issues ({})\n", r.resolved.size());
  for (const auto& s : r.resolved) o += "  - " + s + "\n";
  const auto blocking = compare_blockers(a, b);
  o += fmt::format("\nBlockers appeared ({})\n", blocking.appeared.size());
  for (const auto& s : blocking.appeared) o += "  + " + s + "\n";
  o += fmt::format("\nBlockers gone ({})\n", blocking.disappeared.size());
  for (const auto& s : blocking.disappeared) o += "  - " + s + "\n";
  o += fmt::format("\nOnly in A ({}): ", r.only_a.size());
  for (const auto& s : r.only_a) o += s + " ";
  o += fmt::format("\nOnly in B ({}): ", r.only_b.size());
  for (const auto& s : r.only_b) o += s + " ";
  return o + "\n";
}

}  // namespace

std::string render_compare(const RunResults& a, const RunResults& b, bool json) {
  const auto r = compare_runs(a, b);
  return json ? compare_json(a, b, r) : compare_text(a, b, r);
}

namespace {

// Markdown renderers (GitHub's too) pass HTML through: a package name or a test message
// like "<img src=x onerror=...>" must arrive as text. Entities for HTML, a backslash for
// the table and code-span delimiters, one line per cell.
std::string md_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '|': o += "\\|"; break;
      case '`': o += "\\`"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '\n': case '\r': o += ' '; break;
      default: o += c;
    }
  }
  return o;
}

// A code span: CommonMark takes its content literally (an entity would show as "&lt;"),
// so no HTML escaping; the fence is one backtick longer than any backtick run inside, a
// space pads a content that starts or ends with one, '|' keeps its backslash (GitHub's
// tables split cells on it even in a code span), one line.
std::string md_code(const std::string& s) {
  std::string body;
  std::size_t run = 0, longest = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (c == '|') body += "\\|";
    else if (c == '\n' || c == '\r') body += ' ';
    else body += c;
  }
  const std::string fence(longest + 1, '`');
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`' || body.front() == ' ');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

}  // namespace

namespace {

// The dependencies that block packages of the run (blockers.hpp), one row each.
std::string blockers_markdown(const RunResults& run) {
  const auto list = blockers(run);
  if (list.empty()) return "";
  std::string o =
      "\n## Blockers\n\nDependencies that stop packages from installing, most packages first.\n\n"
      "| Dependency | Packages blocked | Which | As | Cause |\n|---|---:|---|---|---|\n";
  for (const auto& b : list)
    o += fmt::format("| {} | {} | {} | {} | <code>{}</code> |\n", md_escape(b.dependency), b.packages.size(),
                     md_escape(fmt::format("{}", fmt::join(b.packages, ", "))),
                     md_escape(fmt::format("{}", fmt::join(b.roles, ", "))), md_escape(blocker_cause(b)));
  return o;
}

// Per package with something to show, a collapsed section (GitHub and GitLab render
// <details> in markdown): failing tests with their first JUnit message, every run's first error.
std::string markdown_evidence(const std::vector<const PackageResult*>& packages) {
  std::string o;
  for (const auto* p : packages) {
    auto tests = failing_test_lines(*p, 10);
    std::vector<std::string> runs;
    auto add = [&](const std::vector<IterationResult>& its, const char* mode) {
      for (const auto& it : its)
        if (!it.first_error.empty())
          runs.push_back(fmt::format("{} run {}: {} — {}", it.mode.empty() ? mode : it.mode, it.index, it.status,
                                     md_code(it.first_error)));
    };
    add(p->iterations, "gil0");
    add(p->gil_enabled_runs, "gil1");
    add(p->unmeasured_runs, "");
    if (tests.empty() && runs.empty()) continue;
    o += fmt::format("<details><summary>{} — {}</summary>\n\n", md_escape(p->package), p->category);
    for (const auto& t : tests) o += "- failing: " + md_code(t) + "\n";
    for (const auto& r : runs) o += "- " + r + "\n";
    o += "\n</details>\n";
  }
  return o.empty() ? "" : "\n## Evidence\n\n" + o;
}

}  // namespace

std::string render_report(const RunResults& run, const std::string& format) {
  auto counts = category_counts(run);
  auto groups = signature_groups(run);
  auto packages = sorted(run, SortBy::Category);
  if (format == "markdown") {
    std::string o = fmt::format("# Free-threading compatibility report\n\nRun <code>{}</code>, {} packages, Python {}.\n\n",
                                md_escape(run.meta.run_id), run.packages.size(), md_escape(run.meta.python_version));
    o += "| Category | Packages |\n|---|---:|\n";
#define LABEILLE_X(id, name, rank, desc) \
  if (counts.count(name)) o += fmt::format("| {} | {} |\n", name, counts[name]);
    LABEILLE_FT_CATEGORIES(LABEILLE_X)
#undef LABEILLE_X
    const bool declared = std::any_of(run.packages.begin(), run.packages.end(),
                                      [](const PackageResult& p) { return p.declared.has_value(); });
    o += declared ? "\n## Packages\n\n| Package | Category | Declared | Passed | Verdict | Details |\n|---|---|---|---:|---|---|\n"
                  : "\n## Packages\n\n| Package | Category | Passed | Verdict | Details |\n|---|---|---:|---|---|\n";
    for (const auto* p : packages)
      o += fmt::format("| {} | {} |{} {} | {} | {} |\n", md_escape(p->package), md_escape(p->category),
                       declared ? " " + md_escape(declared_short(*p)) + " |" : "", passed_of(*p), md_escape(p->verdict),
                       md_escape(details(*p)));
    o += blockers_markdown(run);
    o += markdown_evidence(packages);
    if (!groups.empty()) {
      o += "\n## Crash and failure signatures\n\n| Signature | Packages |\n|---|---|\n";
      for (const auto& [sig, pk] : groups) {
        o += fmt::format("| <code>{}</code> | {} |\n", md_escape(sig), md_escape(fmt::format("{}", fmt::join(pk, ", "))));
      }
    }
    o += render_tsan_races_markdown(run);
    return o;
  }
  if (format == "text") {
    std::string o = render_show(run, SortBy::Category, 0, Style{});
    if (!groups.empty()) {
      o += "\nCrash and failure signatures\n";
      for (const auto& [sig, pk] : groups) o += fmt::format("  {} package(s): {}\n", pk.size(), sig);
    }
    return o;
  }
  if (format == "html") {
    // The TSAN section goes in before the page closes (it is its own renderer).
    auto html = render_html_report(run);
    const auto end = html.rfind("</body>");
    if (end != std::string::npos) html.insert(end, render_blockers_html(run) + render_tsan_races_html(run));
    return html;
  }
  throw Error(fmt::format("--format \"{}\": use markdown, text or html", format), kExitUsage);
}

std::string render_export(const RunResults& run, const std::string& format) {
  if (format == "json") {
    std::string o = "[\n";
    for (std::size_t i = 0; i < run.packages.size(); ++i)
      o += package_to_json_line(run.packages[i]) + (i + 1 < run.packages.size() ? ",\n" : "\n");
    return o + "]\n";
  }
  if (format == "csv") {
    // A cell a spreadsheet would run as a formula (=HYPERLINK(...), +, -, @, or a tab or
    // CR first) gets a leading ' (OWASP's CSV injection guidance): shown, never evaluated.
    auto q = [](const std::string& s) {
      std::string o = "\"";
      if (!s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos) o += '\'';
      for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
      return o + "\"";
    };
    std::string o =
        "package,category,iterations_completed,pass_count,fail_count,crash_count,timeout_count,deadlock_count,"
        "tsan_warning_iterations,pass_rate,failure_rate_low,failure_rate_high,install_ok,import_ok,gil_comparison,details,"
        "tests_not_run,declared,contradictions,source,"
        "stress_runs,stress_pass_count,stress_gil_enabled_runs,stress_gil_enabled_pass_count,stress_comparison,"
        "stress_finding\n";
    for (const auto* p : sorted(run, SortBy::Name)) {
      const std::string contra = fmt::format("{}", fmt::join(contradictions(*p), "; "));
      o += fmt::format("{},{},{},{},{},{},{},{},{},{:.4f},{:.4f},{:.4f},{},{},{},{},{},{},{},{}", q(p->package), p->category,
                       p->iterations_completed, p->pass_count, p->fail_count, p->crash_count, p->timeout_count,
                       p->deadlock_count, p->tsan_warning_iterations, p->pass_rate, p->failure_rate_low,
                       p->failure_rate_high, p->install_ok, p->import_ok, p->gil_comparison, q(details(*p)),
                       q(p->tests_not_run), q(declared_text(*p)), q(contra), q(source_text(*p)));
      // Stress columns last (empty without stress runs): readers of the older columns keep working.
      if (const auto& s = p->stress)
        o += fmt::format(",{},{},{},{},{},{}\n", s->iterations.size(), s->pass_count, s->gil_enabled_iterations.size(),
                         s->gil_enabled_pass_count, s->comparison, s->finding);
      else
        o += ",,,,,,\n";
    }
    return o;
  }
  if (format == "junit") return render_junit(run);
  throw Error(fmt::format("--format \"{}\": use csv, json or junit", format), kExitUsage);
}

}  // namespace labeille::analyzers
