#include "labeille/analyzers/stress.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "iteration_json.hpp"
#include "stress_json.hpp"

#include "labeille/analyzers/stats.hpp"
#include "labeille/core/outcome.hpp"

namespace labeille::analyzers {

namespace {

bool passed(const IterationResult& it) { return it.status == "pass"; }

// Per test: repetitions that ran and failed in one GIL mode, from the plugin's counts,
// and from pytest's JUnit for runs where the plugin did not report (a failed test
// counts as one failed run without repetition counts).
struct ModeCounts {
  int calls = 0, failures = 0, runs_failed = 0;
  std::string message;
};
std::map<std::string, ModeCounts> per_test(const std::vector<StressRun>& runs, int& threads, int& repeat,
                                           std::map<std::string, std::string>& single_threaded) {
  std::map<std::string, ModeCounts> m;
  for (const auto& r : runs) {
    std::set<std::string> failed_here;
    if (r.info) {
      threads = std::max(threads, r.info->threads);
      repeat = std::max(repeat, r.info->repeat);
      for (const auto& u : r.info->thread_unsafe) single_threaded.emplace(u.id, u.reason);
      for (const auto& t : r.info->tests) {
        auto& c = m[t.id];
        c.calls += t.calls;
        c.failures += t.failures;
        if (c.message.empty()) c.message = t.message;
        if (t.failures > 0) failed_here.insert(t.id);
      }
    }
    for (const auto& t : r.it.test_results)
      if ((t.status == "failed" || t.status == "error") && !failed_here.count(t.id)) {
        auto& c = m[t.id];
        if (c.message.empty()) c.message = t.message;
        failed_here.insert(t.id);
      }
    for (const auto& id : failed_here) ++m[id].runs_failed;
  }
  return m;
}

std::string counts_text(const StressTestResult& t, bool gil1) {
  const int calls = gil1 ? t.gil_enabled_calls : t.calls, failures = gil1 ? t.gil_enabled_failures : t.failures;
  const int runs_failed = gil1 ? t.gil_enabled_runs_failed : t.runs_failed;
  if (calls > 0) return fmt::format("{}/{}", failures, calls);
  return runs_failed > 0 ? fmt::format("failed in {} run(s)", runs_failed) : std::string("no failure");
}

// "a 37/80, b 2/80 (+3 more)"
std::string test_list(const std::vector<const StressTestResult*>& tests, bool with_gil1) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(tests.size(), 3);
  for (std::size_t i = 0; i < shown; ++i) {
    out += (i ? ", " : "") + tests[i]->id + " " + counts_text(*tests[i], false);
    if (with_gil1) out += " (GIL=1: " + counts_text(*tests[i], true) + ")";
  }
  if (tests.size() > shown) out += fmt::format(" (+{} more)", tests.size() - shown);
  return out;
}

// What the runs that neither passed nor named a failing test did: "1 stalled, 1 crashed".
std::string outcomes(const std::vector<IterationResult>& runs) {
  std::map<std::string, int> n;
  for (const auto& it : runs)
    if (!passed(it)) ++n[it.status == "deadlock" ? "stalled" : it.status == "crash" ? "crashed"
                         : it.status == "timeout" ? "timed out" : it.status == "fail" ? "failed" : it.status];
  std::string o;
  for (const auto& [what, k] : n) o += fmt::format("{}{} {}", o.empty() ? "" : ", ", k, what);
  return o;
}

// Stress runs that did not pass and named no failing test: nothing was measured, so
// never "passes"; say what happened, and whether the GIL=1 stress runs did the same.
std::string inconclusive(const StressResult& s, const std::string& how) {
  const auto n0 = s.iterations.size(), n1 = s.gil_enabled_iterations.size();
  std::string o = fmt::format("stress inconclusive ({}): {}/{} runs passed, {}", how, s.pass_count, n0, outcomes(s.iterations));
  if (n1 == 0) return o + "; not compared with the GIL";
  const auto with_gil = outcomes(s.gil_enabled_iterations);
  if (with_gil.empty()) return o + fmt::format("; with the GIL {}/{} passed", s.gil_enabled_pass_count, n1);
  return o + fmt::format(" (with the GIL too: {} of {})", with_gil, n1);
}

}  // namespace

StressResult fold_stress(std::vector<StressRun> gil0, std::vector<StressRun> gil1,
                         const std::map<std::string, int>& plain_failing) {
  StressResult s;
  auto c0 = per_test(gil0, s.threads, s.repeat, s.single_threaded);
  auto c1 = per_test(gil1, s.threads, s.repeat, s.single_threaded);
  for (auto* runs : {&gil0, &gil1})
    for (auto& r : *runs) {
      // Per-test results stay in the plain iterations; a stress run keeps its outcome.
      r.it.test_results.clear();
      (runs == &gil0 ? s.iterations : s.gil_enabled_iterations).push_back(std::move(r.it));
    }
  for (auto* its : {&s.iterations, &s.gil_enabled_iterations})
    for (std::size_t i = 0; i < its->size(); ++i) (*its)[i].index = static_cast<int>(i) + 1;
  s.pass_count = static_cast<int>(std::count_if(s.iterations.begin(), s.iterations.end(), passed));
  s.gil_enabled_pass_count =
      static_cast<int>(std::count_if(s.gil_enabled_iterations.begin(), s.gil_enabled_iterations.end(), passed));
  const int n0 = static_cast<int>(s.iterations.size()), n1 = static_cast<int>(s.gil_enabled_iterations.size());
  const int f0 = n0 - s.pass_count, f1 = n1 - s.gil_enabled_pass_count;
  s.verdict = n0 ? verdict_text(f0, n0) : "no stress run";

  std::set<std::string> ids;
  for (const auto& [id, c] : c0) ids.insert(id);
  for (const auto& [id, c] : c1) ids.insert(id);
  for (const auto& id : ids) {
    StressTestResult t;
    t.id = id;
    if (auto it = c0.find(id); it != c0.end()) {
      t.calls = it->second.calls, t.failures = it->second.failures, t.runs_failed = it->second.runs_failed;
      t.message = it->second.message;
    }
    if (auto it = c1.find(id); it != c1.end()) {
      t.gil_enabled_calls = it->second.calls, t.gil_enabled_failures = it->second.failures;
      t.gil_enabled_runs_failed = it->second.runs_failed;
      if (t.message.empty()) t.message = it->second.message;
    }
    const bool fails0 = t.runs_failed > 0 || t.failures > 0, fails1 = t.gil_enabled_runs_failed > 0 || t.gil_enabled_failures > 0;
    // A test that failed only with the GIL is no thread-unsafe test "failing with the GIL
    // too"; one that fails in both modes and in the plain runs fails whatever threads do.
    t.kind = fails1 && fails0 ? (plain_failing.count(id) ? "fails_anyway" : "thread_unsafe")
             : fails1         ? "gil_only"
             : n1 == 0        ? "not_compared"
                              : "free_threading";
    if (fails0 || fails1) s.tests.push_back(std::move(t));
  }

  if (n1 == 0) {
    s.comparison = "not_compared";
  } else if (n0 > 0) {
    s.fisher_p = fisher_exact_two_sided(f0, s.pass_count, f1, s.gil_enabled_pass_count);
    s.comparison = f0 > 0 && f1 > 0 ? "pre_existing" : f0 > 0 ? "free_threading_specific" : f1 > 0 ? "gil_only_failures" : "same";
  }
  // The finding: a test failing under stress only without the GIL (or, with no GIL=1
  // stress runs, failing without it at all); with no per-test data, the runs themselves.
  bool unexplained = false;  // a failed GIL=0 stress run naming no failing test
  for (const auto& it : s.iterations) unexplained = unexplained || (!passed(it) && it.tests_failed + it.tests_errored == 0);
  s.finding = std::any_of(s.tests.begin(), s.tests.end(), [](const StressTestResult& t) {
    return (t.kind == "free_threading" || t.kind == "not_compared") && (t.runs_failed > 0 || t.failures > 0);
  });
  if (!s.finding && unexplained && f1 == 0) s.finding = true;

  std::vector<const StressTestResult*> ft, unsafe, gil_only, anyway;
  for (const auto& t : s.tests)
    (t.kind == "thread_unsafe" ? unsafe : t.kind == "gil_only" ? gil_only : t.kind == "fails_anyway" ? anyway : ft)
        .push_back(&t);
  const std::string how = fmt::format("threads {}, repeat {}", s.threads, s.repeat);
  std::vector<std::string> parts;
  if (!ft.empty())
    parts.push_back(n1 ? fmt::format("fails under stress only ({}): {}", how, test_list(ft, false))
                       : fmt::format("fails under stress ({}; not compared with the GIL): {}", how, test_list(ft, false)));
  else if (s.finding)
    parts.push_back(fmt::format("fails under stress only ({}): {} of {} runs", how, f0, n0));
  if (!unsafe.empty())
    parts.push_back(fmt::format("thread-unsafe tests (fail under stress with the GIL too): {}", test_list(unsafe, true)));
  if (!gil_only.empty())
    parts.push_back(fmt::format("fail under stress only with the GIL: {}", test_list(gil_only, true)));
  if (!anyway.empty())
    parts.push_back(fmt::format("fail without stress too (with and without the GIL): {}", test_list(anyway, true)));
  if (parts.empty() && n0 > 0 && s.pass_count == n0)
    parts.push_back(fmt::format("passes under stress ({}): {}/{} runs", how, s.pass_count, n0));
  else if (parts.empty() && n0 > 0)
    parts.push_back(inconclusive(s, how));
  if (!s.single_threaded.empty())
    parts.push_back(fmt::format("{} test(s) run single-threaded as thread-unsafe by pytest-run-parallel",
                                s.single_threaded.size()));
  for (const auto& p : parts) s.evidence += (s.evidence.empty() ? "" : "; ") + p;
  return s;
}

void apply_stress(PackageResult& p) {
  if (!p.stress) return;
  const auto& s = *p.stress;
  auto cat = category_from_string(p.category);
  if (!cat || *cat == Category::InstallFailure || *cat == Category::ImportFailure) return;
  // Crashes and stalls under stress count as in plain runs, unless the GIL=1 stress runs
  // show the same (a thread-unsafe test can hang or crash with the GIL too).
  auto any = [](const std::vector<IterationResult>& its, const char* status) {
    return std::any_of(its.begin(), its.end(), [&](const IterationResult& it) { return it.status == status; });
  };
  // When stress decides the category, the verdict says so next to the plain runs' counts.
  auto set = [&](Category c) {
    p.category = std::string(to_string(c));
    p.verdict += "; under stress: " + s.verdict;
  };
  if (*cat != Category::Deadlock && any(s.iterations, "deadlock") && !any(s.gil_enabled_iterations, "deadlock"))
    return set(Category::Deadlock);
  if (*cat != Category::Deadlock && *cat != Category::Crash && any(s.iterations, "crash") &&
      !any(s.gil_enabled_iterations, "crash")) {
    // The plain runs' columns say nothing of it: name the runs that crashed, and how.
    int crashed = 0;
    std::set<std::string> sigs;
    for (const auto& it : s.iterations)
      if (it.status == "crash") ++crashed, sigs.insert(it.crash_signature.empty() ? "no signature" : it.crash_signature);
    std::string list;
    for (const auto& sig : sigs) list += (list.empty() ? "" : "; ") + sig;
    p.stress->evidence = fmt::format("crashed under stress (GIL=0 stress runs, {}/{}): {}{}{}", crashed,
                                     s.iterations.size(), list,
                                     s.gil_enabled_iterations.empty()
                                         ? std::string()
                                         : fmt::format("; GIL=1 stress runs: {}/{} passed, no crash",
                                                       s.gil_enabled_pass_count, s.gil_enabled_iterations.size()),
                                     s.evidence.empty() ? "" : "; " + s.evidence);
    return set(Category::Crash);
  }
  const bool all_passed = *cat == Category::Compatible || *cat == Category::CompatibleGilFallback ||
                          *cat == Category::TsanWarnings || *cat == Category::Unknown;
  if (s.finding && all_passed) set(Category::Intermittent);
}

std::string stress_lines(const StressResult& s) {
  auto seq = [](const std::vector<IterationResult>& its) {
    std::string q;
    for (const auto& it : its) q += it.status == "pass" ? '.' : it.status == "crash" ? 'C' : it.status == "deadlock" ? 'D' : 'F';
    return q.empty() ? std::string("-") : q;
  };
  std::string o = fmt::format("  stress (threads {}, repeat {}): GIL=0 {}  GIL=1 {}   {}; {}{}\n", s.threads, s.repeat,
                              seq(s.iterations),
                              s.gil_enabled_iterations.empty() ? std::string("not run") : seq(s.gil_enabled_iterations),
                              s.verdict, s.comparison == "not_needed" ? std::string(kGilControlNotNeeded) : s.comparison,
                              s.fisher_p ? fmt::format(" (Fisher p={:.3g})", *s.fisher_p) : "");
  for (const auto& t : s.tests) {
    const char* kind = t.kind == "thread_unsafe"    ? "thread-unsafe test"
                       : t.kind == "fails_anyway"   ? "fails without stress too"
                       : t.kind == "free_threading" ? "free-threading only"
                       : t.kind == "gil_only"       ? "fails only with the GIL"
                                                    : "not compared with the GIL";
    // Without GIL=1 stress runs there is nothing to say about GIL=1 (never "no failure").
    o += fmt::format("    {}  {}: GIL=0 {}, GIL=1 {}\n", t.id, kind, counts_text(t, false),
                     s.gil_enabled_iterations.empty() ? std::string("not run") : counts_text(t, true));
    if (!t.message.empty()) o += fmt::format("      {}\n", t.message);
  }
  for (const auto& [id, why] : s.single_threaded) o += fmt::format("    {}  single-threaded: {}\n", id, why);
  return o;
}

void write_stress(JsonLine& o, const StressResult& s) {
  auto& w = o.raw();
  w.StartObject();
  o.key("threads").integer(s.threads);
  o.key("repeat").integer(s.repeat);
  o.key("iterations_completed").integer(static_cast<int>(s.iterations.size()));
  o.key("pass_count").integer(s.pass_count);
  o.key("gil_enabled_iterations").integer(static_cast<int>(s.gil_enabled_iterations.size()));
  o.key("gil_enabled_pass_count").integer(s.gil_enabled_pass_count);
  o.key("verdict").str(s.verdict);
  o.key("comparison").str(s.comparison);
  o.key("fisher_p");
  s.fisher_p ? o.num(*s.fisher_p) : o.null();
  o.key("finding").boolean(s.finding);
  o.key("evidence").str(s.evidence);
  o.key("tests");
  w.StartArray();
  for (const auto& t : s.tests) {
    w.StartObject();
    o.key("id").str(t.id);
    o.key("kind").str(t.kind);
    o.key("calls").integer(t.calls);
    o.key("failures").integer(t.failures);
    o.key("runs_failed").integer(t.runs_failed);
    o.key("gil_enabled_calls").integer(t.gil_enabled_calls);
    o.key("gil_enabled_failures").integer(t.gil_enabled_failures);
    o.key("gil_enabled_runs_failed").integer(t.gil_enabled_runs_failed);
    o.key("message").str(t.message);
    w.EndObject();
  }
  w.EndArray();
  o.key("single_threaded");
  w.StartObject();
  for (const auto& [id, why] : s.single_threaded) o.key(id).str(why);
  w.EndObject();
  // The runs as every run is written (iteration_json.hpp), without per-test parts: those
  // are the plain runs'.
  write_iterations(o, "runs", s.iterations, /*per_test=*/false);
  write_iterations(o, "gil_enabled_runs", s.gil_enabled_iterations, /*per_test=*/false);
  w.EndObject();
}

StressResult stress_from_json(const json::Reader& in) {
  StressResult s;
  s.threads = in.count("threads");
  s.repeat = in.count("repeat");
  s.pass_count = in.count("pass_count");
  s.gil_enabled_pass_count = in.count("gil_enabled_pass_count");
  s.verdict = in.str("verdict");
  s.comparison = in.str("comparison");
  if (in.has("fisher_p")) s.fisher_p = in.num("fisher_p");
  s.finding = in.boolean("finding");
  s.evidence = in.str("evidence");
  in.each("tests", [&](const json::Reader& e) {
    s.tests.push_back({e.str("id"), e.count("calls"), e.count("failures"), e.count("runs_failed"),
                       e.count("gil_enabled_calls"), e.count("gil_enabled_failures"),
                       e.count("gil_enabled_runs_failed"), e.str("message"), e.str("kind")});
  });
  for (auto& [id, why] : in.string_map("single_threaded")) s.single_threaded[id] = std::move(why);
  in.each("runs", [&](const json::Reader& e) { s.iterations.push_back(read_iteration(e, true)); });
  in.each("gil_enabled_runs", [&](const json::Reader& e) { s.gil_enabled_iterations.push_back(read_iteration(e, true)); });
  return s;
}

}  // namespace labeille::analyzers
