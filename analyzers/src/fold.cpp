#include "labeille/analyzers/fold.hpp"

#include <algorithm>
#include <map>
#include <unordered_set>
#include <set>

#include <fmt/format.h>

#include "record_scan.hpp"

#include "labeille/analyzers/classify.hpp"
#include "labeille/analyzers/evidence.hpp"
#include "labeille/analyzers/parallel.hpp"
#include "labeille/analyzers/stress.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/tsan.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/record.hpp"
#include "labeille/core/signature.hpp"
#include "labeille/core/text.hpp"

namespace fs = std::filesystem;

namespace labeille::analyzers {

namespace {

// Attempt directories the runner claimed but left without a record (killed hard, or
// still running): test name -> attempt number -> the runner's started.json, if any.
using Recordless = std::map<std::string, std::map<int, std::optional<StartedMarker>>>;

struct PackageInputs {
  std::vector<Attempt> attempts;
  std::optional<SetupRecord> setup;
  std::optional<ProbeRecord> probe;
  // One result per CTest test name: the driver passes both the JUnit and Test.xml of
  // the same run, and a lost attempt must count once.
  std::map<std::string, CTestResult> ctest;
  // They count only if CTest says the test failed.
  Recordless recordless;
};

bool is_gil1(const Attempt& a) { return a.mode.rfind("gil1", 0) == 0 || a.gil == GilMode::On; }
// Stress attempts have modes "stress.gil0" / "stress.gil1" (tests ft.<pkg>.stress.<mode>.iterNN).
bool is_stress(const Attempt& a) { return a.mode.rfind("stress.", 0) == 0; }

// A test CTest says failed left no record for an attempt: was it a timeout? Test.xml
// says so ("Timeout"); CTest's JUnit does not, but its time for the run against the
// runner's own timeout (from started.json) does: the runner always writes a record
// before its own timeout, so a kill past it is CTest's TIMEOUT, a kill before it
// something else (the OOM killer, a signal). Without either, a plain failure.
std::pair<Outcome, std::string> lost_outcome(const CTestResult& c, const std::optional<StartedMarker>& started,
                                             bool timed_run) {
  if (says_timeout(c)) return {Outcome::Timeout, "no record: CTest says " + c.reason};
  if (started && started->timeout_s > 0 && timed_run && c.duration_s >= 0) {
    if (c.duration_s >= started->timeout_s)
      return {Outcome::Timeout, fmt::format("no record: CTest killed the runner after {:.1f} s, past its own "
                                            "timeout of {:g} s", c.duration_s, started->timeout_s)};
    return {Outcome::Fail, fmt::format("no record: the runner was killed after {:.1f} s, before its own "
                                       "timeout of {:g} s", c.duration_s, started->timeout_s)};
  }
  return {Outcome::Fail, "no record: CTest says " + c.reason};
}

// What fold counts besides packages (summed into FoldReport).
struct FoldCounts {
  int lost = 0, uncounted = 0;
};

// The set-up record's part of the result.
void take_setup(PackageResult& p, const PackageInputs& inp) {
  if (inp.setup) {
    p.install_ok = inp.setup->ok;
    p.install_error = inp.setup->ok ? "" : first_line(inp.setup->error);
    p.install_duration_s = inp.setup->duration_s;
    p.commit = inp.setup->commit;
    p.install_from = inp.setup->install_from;
    p.sdist_version = inp.setup->sdist_version;
    p.source = inp.setup->source;
    p.declared = inp.setup->declared;
    if (!inp.setup->ok) p.cause = inp.setup->cause;
  }
}

// The probe record's part of the result; true when an extension re-enabled the GIL.
bool take_probe(PackageResult& p, const PackageInputs& inp) {
  bool gil_fallback = false;
  if (inp.probe) {
    const auto& pr = *inp.probe;
    p.import_ok = pr.ok;
    p.import_error = pr.ok ? "" : first_line(pr.error.empty() && pr.crash ? pr.crash->signature : pr.error);
    ExtensionCompat ec;
    ec.probed = true;
    ec.import_ok = pr.ok;
    ec.gil_enabled_after_import = pr.gil_enabled_after_import;
    ec.gil_reenabled_by = pr.gil_reenabled_by;
    for (const auto& x : pr.extensions) ec.extensions.push_back({x.module, x.import_ok, x.reenabled_gil, x.declaration, x.import_error});
    gil_fallback = !pr.gil_reenabled_by.empty() || pr.gil_enabled_after_import.value_or(false);
    p.extension_compat = std::move(ec);
  }
  return gil_fallback;
}

// One lost run: CTest says the test failed, no record says how (see lost_outcome).
Attempt lost_attempt(const CTestResult& c, const TestName& tn, int n, const std::optional<StartedMarker>& started,
                     bool last_run) {
  auto [outcome, why] = lost_outcome(c, started, last_run);
  Attempt a;
  a.mode = tn.kind;
  a.gil = gil_mode_from_string(tn.kind.rfind("stress.", 0) == 0 ? tn.kind.substr(7) : tn.kind)
              .value_or(GilMode::Off);
  a.iteration = tn.iteration;
  a.attempt = n;
  a.test_name = c.name;
  a.outcome = outcome;
  a.it.status = std::string(to_string(a.outcome));
  a.it.iteration = a.iteration;
  a.it.attempt = n;
  a.it.mode = a.mode;
  a.it.first_error = why;
  a.it.last_output_line = std::move(why);
  if (started) {
    a.attempt_id = a.it.attempt_id = started->attempt_id;
    a.start_time = started->start_time;
  }
  if (last_run && c.duration_s >= 0) a.it.duration_s = c.duration_s;
  return a;
}

// What CTest saw: a failed set-up (with no record, e.g. killed) or iterations that never
// ran because their set-up fixture failed mean the package did not install; a failed
// iteration without a record is a lost run, added to inp.attempts.
void take_ctest(PackageResult& p, PackageInputs& inp, FoldCounts& counts) {
  if (inp.ctest.empty()) return;
  std::map<std::string, std::set<int>> recorded;  // canonical test name -> attempt numbers with a record
  for (const auto& a : inp.attempts) recorded[canonical_test_name(a.test_name)].insert(a.attempt);
  std::vector<Attempt> lost;
  for (const auto& [test_name, c] : inp.ctest) {
    auto tn = parse_test_name(c.name);
    if (!tn) continue;  // only tests of ours are collected, but a name is data: never trust it
    if (tn->kind == "setup" && c.status == "failed" && !inp.setup) {
      p.install_ok = false;
      p.install_error = fmt::format("{} failed ({}, no set-up record)", c.name, c.reason);
    }
    if (tn->kind == "probe" && c.status == "failed" && !inp.probe) {
      p.import_ok = false;
      p.import_error = fmt::format("{} failed ({})", c.name, c.reason);
    }
    if (tn->iteration == 0) continue;
    const bool has_record = recorded.count(tn->canonical) > 0;
    if (!has_record && c.status == "notrun") {
      // Only a failed fixture (the set-up) says the package did not install; a DISABLED
      // test, or one CTest did not start for another reason, is simply not a run.
      const bool fixture_failed = c.reason.find("Fixture dependency failed") != std::string::npos;
      if (fixture_failed && !inp.setup) {
        p.install_ok = false;
        if (p.install_error.empty()) p.install_error = fmt::format("{} not run: its set-up failed", c.name);
      }
      continue;
    }
    if (c.status != "failed") continue;
    // CTest killed the runner (its TIMEOUT) before it wrote a record: each attempt
    // directory it claimed and left empty is a lost run (with --repeat until-pass the
    // earlier attempts may have records); with no directory at all, one lost run.
    auto missing = inp.recordless[tn->canonical];
    if (has_record)
      for (int n : recorded[tn->canonical]) missing.erase(n);  // the record came with another shard
    else if (missing.empty())
      missing.emplace(0, std::nullopt);
    for (auto& [n, started] : missing) {
      // CTest's time is that of the test's last run (with --repeat, earlier runs that
      // left no record are known by CTest's reason only).
      const bool last_run = n == missing.rbegin()->first;
      lost.push_back(lost_attempt(c, *tn, n, started, last_run));
      ++counts.lost;
    }
  }
  for (auto& a : lost) inp.attempts.push_back(std::move(a));
}

// One package's inputs -> its result. Pure, so packages fold in parallel.
PackageResult fold_package(const std::string& name, PackageInputs& inp, FoldCounts& counts) {
  PackageResult p;
  p.package = name;
  take_setup(p, inp);
  const bool gil_fallback = take_probe(p, inp);
  take_ctest(p, inp, counts);

  std::sort(inp.attempts.begin(), inp.attempts.end(), [](const Attempt& a, const Attempt& b) {
    return std::tie(a.iteration, a.attempt, a.start_time) < std::tie(b.iteration, b.attempt, b.start_time);
  });
  // A run whose tests did not run (pytest exit 2-5) is no measurement of the package
  // unless its suite is known to run here: when some other run ran it, such a run
  // failed in its own way (e.g. collects with the GIL and not without: a true finding);
  // when none did (a missing test dependency, no tests in the sdist), nothing counts and
  // the package is unknown, with the reason.
  const bool suite_ran = std::any_of(inp.attempts.begin(), inp.attempts.end(), [](const Attempt& a) {
    return counts_as_iteration(a.outcome) && a.outcome != Outcome::TestsNotRun && a.outcome != Outcome::Error;
  });
  NotRunTally not_run;
  std::vector<IterationResult> gil1;
  std::vector<StressRun> stress0, stress1;
  std::set<std::string> tsan_types;
  std::map<std::string, std::pair<int, int>> per_test;  // id -> (passes, failures)
  int last_gil0_iteration = 0;
  bool control_not_needed = false, stress_control_not_needed = false;  // --compare-with-gil auto
  for (auto& a : inp.attempts) {
    if (a.outcome == Outcome::Skipped && is_gil1(a) && a.skip_detail == kGilControlNotNeeded)
      (is_stress(a) ? stress_control_not_needed : control_not_needed) = true;
    if (!is_stress(a) && !is_gil1(a)) last_gil0_iteration = std::max(last_gil0_iteration, a.iteration);
    if (!counts_as_iteration(a.outcome)) {
      ++counts.uncounted;
      if (a.outcome == Outcome::Skipped && !is_stress(a) && !is_gil1(a) && p.stop_reason.empty())
        p.stop_reason = a.skip_detail;
      continue;
    }
    auto it = std::move(a.it);
    not_run.add(is_gil1(a), a.outcome == Outcome::TestsNotRun, it);
    if (a.outcome == Outcome::TestsNotRun && !suite_ran) {
      ++counts.uncounted;
      it.index = static_cast<int>(p.unmeasured_runs.size()) + 1;
      p.unmeasured_runs.push_back(std::move(it));
      continue;
    }
    for (const auto& t : a.tsan) tsan_types.insert(t.type);
    add_tsan_run(p.tsan_races, a.tsan);
    if (is_stress(a)) {
      (is_gil1(a) ? stress1 : stress0).push_back({std::move(it), std::move(a.stress)});
      continue;
    }
    if (is_gil1(a)) {
      it.index = static_cast<int>(gil1.size()) + 1;
      it.test_results.clear();  // GIL=1 runs are the control: counts and first error suffice
      gil1.push_back(std::move(it));
      continue;
    }
    for (const auto& t : it.test_results) {
      if (t.status == "passed") ++per_test[t.id].first;
      if (t.status == "failed" || t.status == "error") {
        ++per_test[t.id].second;
        if (!t.message.empty()) p.failing_test_messages.emplace(t.id, t.message);
      }
    }
    it.index = static_cast<int>(p.iterations.size()) + 1;
    p.iterations.push_back(std::move(it));
  }
  p.tsan_warning_types.assign(tsan_types.begin(), tsan_types.end());
  sort_tsan_races(p.tsan_races);
  for (const auto& [id, pf] : per_test) {
    if (pf.second > 0) p.failing_tests[id] = pf.second;
    if (pf.first > 0 && pf.second > 0) p.flaky_tests[id] = pf.second;
  }
  std::vector<Attempt>().swap(inp.attempts);  // moved into p; free the husks now
  if (!p.stop_reason.empty()) p.iterations_allowed = last_gil0_iteration;
  if (!stress0.empty() || !stress1.empty()) p.stress = fold_stress(std::move(stress0), std::move(stress1), p.failing_tests);
  p.tests_not_run = not_run.text(!suite_ran);
  if (inp.probe && !p.tests_not_run.empty())
    if (auto why = shadowing_reason(not_run.reason, *inp.probe, inp.setup ? inp.setup->source_dir : "");
        !why.empty())
      p.tests_not_run = why + ": " + p.tests_not_run + "; " + kShadowingFix;
  summarize(p, gil1, gil_fallback);
  if (gil1.empty() && control_not_needed) p.gil_comparison = "not_needed";
  if (p.stress && p.stress->gil_enabled_iterations.empty() && stress_control_not_needed)
    p.stress->comparison = "not_needed";
  p.gil_enabled_runs = std::move(gil1);
  return p;
}

}  // namespace

namespace {

// One package's share of fold: its record directories (one per shard) and what CTest
// said of its tests.
struct PackageWork {
  std::string name;
  std::vector<fs::path> dirs;
  std::map<std::string, CTestResult> ctest;
};

// What folding one package reported, merged into FoldReport in package order.
struct PackageReport {
  int records = 0, duplicates = 0;
  FoldCounts counts;
  std::vector<std::string> problems;
};

// Reads and folds one package: every record directory of it, then its CTest results.
PackageResult fold_one(PackageWork& w, PackageReport& rep, std::string& buf) {
  PackageInputs inp;
  inp.ctest = std::move(w.ctest);
  std::unordered_set<std::string> seen;  // attempt ids: a shard copied twice counts once
  for (const auto& dir : w.dirs) {
    PackageDir pd{dir, {}};
    read_package(pd, buf);
    for (auto& pr : pd.attempts) {
      if (pr.missing) {
        if (auto t = attempt_dir_test(w.name, pr.attempt_dir)) inp.recordless[t->first][t->second] = std::move(pr.started);
        continue;
      }
      if (pr.problem.empty() && pr.package != w.name)
        pr.problem = fmt::format("{}: package \"{}\" does not match its directory \"{}\"",
                                 (dir / pr.attempt_dir / attempt_files::kRecord).string(), pr.package, w.name);
      if (!pr.problem.empty()) {
        rep.problems.push_back(std::move(pr.problem));
        continue;
      }
      if (!pr.warning.empty()) rep.problems.push_back(std::move(pr.warning));
      ++rep.records;
      if (!seen.insert(pr.id).second) {
        ++rep.duplicates;
        continue;
      }
      if (auto* a = std::get_if<Attempt>(&pr.item)) {
        inp.attempts.push_back(std::move(*a));
      } else if (auto* s = std::get_if<SetupRecord>(&pr.item)) {
        // The newest set-up decides (a re-run after a fix).
        if (!inp.setup || inp.setup->start_time < s->start_time) inp.setup = std::move(*s);
      } else if (auto* r = std::get_if<ProbeRecord>(&pr.item)) {
        if (!inp.probe || inp.probe->start_time < r->start_time) inp.probe = std::move(*r);
      }
    }
  }
  // Known only by empty attempt directories or corrupt records: nothing to say.
  if (inp.attempts.empty() && !inp.setup && !inp.probe && inp.ctest.empty()) return {};
  return fold_package(w.name, inp, rep.counts);
}

}  // namespace

void fold_each(const FoldInputs& in, FoldReport& report, const FoldSink& sink) {
  // Every package is known by its directory in some record directory or by a CTest test.
  std::map<std::string, PackageWork> work;
  for (const auto& dir : in.record_dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      report.problems.push_back(fmt::format("{}: not a directory", dir.string()));
      continue;
    }
    for (auto& pkg : fs::directory_iterator(dir, ec))
      if (pkg.is_directory(ec)) work[pkg.path().filename().string()].dirs.push_back(pkg.path());
  }
  auto add_ctest = [&](const std::vector<CTestResult>& results) {
    for (const auto& c : results)
      if (auto tn = parse_test_name(c.name)) {
        auto [slot, fresh] = work[tn->package].ctest.try_emplace(c.name, c);
        // CTest's JUnit says only "fail" for a test it killed on its TIMEOUT; Test.xml
        // says "Timeout". The more precise reason wins, whatever the order of the files.
        if (!fresh && !says_timeout(slot->second) && says_timeout(c)) {
          const double known = slot->second.duration_s;
          slot->second = c;
          if (slot->second.duration_s < 0) slot->second.duration_s = known;
        }
      }
  };
  for (const auto& f : in.ctest_junit) {
    try {
      add_ctest(read_ctest_junit(f));
    } catch (const Error& e) {
      report.problems.push_back(e.what());
    }
  }
  for (const auto& f : in.ctest_xml) {
    try {
      add_ctest(read_ctest_xml(f));
    } catch (const Error& e) {
      report.problems.push_back(e.what());
    }
  }

  // Deterministic folds: packages in name order, each package's shards in path order.
  std::vector<PackageWork*> order;
  for (auto& [name, w] : work) {
    w.name = name;
    std::sort(w.dirs.begin(), w.dirs.end(), [](const fs::path& x, const fs::path& y) { return x.native() < y.native(); });
    order.push_back(&w);
  }
  // Packages fold in parallel, a chunk at a time, and go to the sink in name order: memory
  // holds one chunk of packages, never the whole run (a large run with per-test results
  // is gigabytes).
  constexpr std::size_t kChunk = 256;
  for (std::size_t from = 0; from < order.size(); from += kChunk) {
    const std::size_t n = std::min(kChunk, order.size() - from);
    std::vector<PackageResult> results(n);
    std::vector<PackageReport> reports(n);
    parallel_for(n, [&](std::size_t i) {
      thread_local std::string buf;  // one read buffer per thread, grown to the largest record
      results[i] = fold_one(*order[from + i], reports[i], buf);
    });
    for (auto& r : reports) {
      report.records += r.records;
      report.duplicates += r.duplicates;
      report.lost += r.counts.lost;
      report.uncounted += r.counts.uncounted;
      for (auto& p : r.problems) report.problems.push_back(std::move(p));
    }
    // A package known only by an empty attempt directory says nothing.
    std::erase_if(results, [](const PackageResult& p) { return p.package.empty(); });
    sink(results);
  }
}

std::size_t fold_to_dir(const FoldInputs& in, FoldReport& report, const fs::path& run_dir,
                        const std::string& meta_base) {
  RunWriter writer(run_dir, meta_base);
  std::size_t packages = 0;
  fold_each(in, report, [&](std::vector<PackageResult>& chunk) {
    writer.add(chunk);
    packages += chunk.size();
  });
  writer.finish();
  return packages;
}

RunResults fold(const FoldInputs& in, FoldReport& report) {
  RunResults run;
  fold_each(in, report, [&](std::vector<PackageResult>& chunk) {
    for (auto& p : chunk) run.packages.push_back(std::move(p));
  });
  return run;
}

}  // namespace labeille::analyzers
