#include "labeille/analyzers/fold.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <unordered_set>
#include <set>

#include <fmt/format.h>
#include <pugixml.hpp>

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

// What fold keeps of one attempt: never the whole record (its tails can be 128 KiB, and
// there may be hundreds of thousands of records).
struct Attempt {
  std::string mode, test_name, attempt_id, start_time;
  GilMode gil = GilMode::Off;
  int iteration = 0, attempt = 0;
  Outcome outcome = Outcome::Error;
  IterationResult it;
  std::vector<TsanReport> tsan;
  std::string skip_detail;            // a skipped attempt: why (stop-on-first-pass, --until-bound)
  std::optional<StressInfo> stress;   // a stress attempt's per-test counts
};

// Attempt directories the runner claimed but left without a record (killed hard, or
// still running): test name -> attempt number -> the runner's started.json, if any.
using Recordless = std::map<std::string, std::map<int, std::optional<StartedMarker>>>;

struct PackageInputs {
  std::vector<Attempt> attempts;
  std::optional<SetupRecord> setup;
  std::string source_json, declared_json;  // of that set-up record, verbatim
  std::optional<ProbeRecord> probe;
  // One result per CTest test name: the driver passes both the JUnit and Test.xml of
  // the same run, and a lost attempt must count once.
  std::map<std::string, CTestResult> ctest;
  // They count only if CTest says the test failed.
  Recordless recordless;
};

// O_NOATIME: a file read for the first time would otherwise have its atime updated
// (relatime does that while atime <= mtime), a journaled inode write per file that
// doubles the cost of a first fold. Only the file's owner may ask for it.
int open_for_reading(int dir_fd, const char* path) {
  int fd = ::openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
  return fd;
}

// Reads <dir>/<rel> into buf (reused across calls, so a worker allocates once) and
// returns its length; nullopt when it cannot be opened (errno says why: ENOENT when the
// attempt has no record yet). Plain POSIX relative to the package directory's
// descriptor: fold reads hundreds of thousands of small files, and open + read + close
// is all a record costs (no stat: a read shorter than asked is the end of a regular file;
// a record a signal cut short fails to parse and is read again by read_whole_file before
// it is called corrupt).
std::optional<std::size_t> read_at(int dir_fd, const char* rel, std::string& buf) {
  int fd = open_for_reading(dir_fd, rel);
  if (fd < 0) return std::nullopt;
  if (buf.size() < (std::size_t{256} << 10)) buf.resize(std::size_t{256} << 10);
  std::size_t got = 0;
  for (;;) {
    if (got == buf.size()) buf.resize(buf.size() * 2);
    const std::size_t want = buf.size() - got;
    ssize_t n = ::read(fd, buf.data() + got, want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < want) break;
  }
  ::close(fd);
  return got;
}

// The careful read: until read() says end of file.
void read_fd(int fd, std::string& out);

bool read_whole_file(const fs::path& p, std::string& out) {
  int fd = open_for_reading(AT_FDCWD, p.c_str());
  if (fd < 0) return false;
  read_fd(fd, out);
  return true;
}

// Reads what is left of `fd` into out, and closes it.
void read_fd(int fd, std::string& out) {
  out.clear();
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
}

std::string first_line(std::string_view s) {
  auto nl = s.find('\n');
  return trim(s.substr(0, nl));
}

bool is_gil1(const Attempt& a) { return a.mode.rfind("gil1", 0) == 0 || a.gil == GilMode::On; }
// Stress attempts have modes "stress.gil0" / "stress.gil1" (tests ft.<pkg>.stress.<mode>.iterNN).
bool is_stress(const Attempt& a) { return a.mode.rfind("stress.", 0) == 0; }

constexpr std::size_t kStderrTailBytes = 2048;

// `warning` receives what is wrong with the attempt's JUnit (the iteration still counts,
// without per-test results).
IterationResult to_iteration(const AttemptRecord& r, const fs::path& record_file, std::string& warning) {
  IterationResult it;
  it.status = std::string(to_string(r.outcome));
  it.exit_code = r.exit_code;
  it.duration_s = r.duration_s;
  if (r.crash) {
    it.crash_signal = r.crash->signal_name;
    it.crash_signature = r.crash->signature;
  }
  it.tsan_warning_count = r.tsan_count;
  // The Python tool's per-run list: TSAN's distinct warning types, sorted.
  for (const auto& t : r.tsan) it.tsan_warnings.push_back(t.type.empty() ? t.kind : t.type);
  std::sort(it.tsan_warnings.begin(), it.tsan_warnings.end());
  it.tsan_warnings.erase(std::unique(it.tsan_warnings.begin(), it.tsan_warnings.end()), it.tsan_warnings.end());
  it.output_stalled = r.stall.detected;
  it.last_output_line = r.last_output_line;
  it.stderr_tail = last_lines(r.err.tail, 20);
  if (it.stderr_tail.size() > kStderrTailBytes)
    it.stderr_tail = sanitize_utf8(it.stderr_tail.substr(it.stderr_tail.size() - kStderrTailBytes));
  it.iteration = r.iteration;
  it.attempt = r.attempt;
  it.stall_cpu_state = r.stall.cpu_state;
  if (r.outcome == Outcome::Deadlock) {
    auto tops = stall_signature(r.thread_stacks);
    it.stall_signature = fmt::format("stall ({}){}", r.stall.cpu_state.empty() ? "not sampled" : r.stall.cpu_state,
                                     tops.empty() ? "" : " | " + tops);
  }
  it.gil_enabled = r.gil_enabled_at_exit;
  it.attempt_id = r.attempt_id;
  // The runner sets junit_path only when pytest wrote one, always beside the record.
  // Only that file is read, never through a symbolic link and never at the record's
  // junit_path itself (a record copied, or made, elsewhere would make fold read any
  // file). A JUnit that is missing, a link, cut short by a crash, or not XML is named in a
  // warning; the iteration still counts, without per-test results.
  if (!r.junit_path.empty() && !record_file.empty()) {
    const fs::path junit = record_file.parent_path() / attempt_files::kJUnit;
    std::string xml;
    int fd = ::open(junit.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      warning = fmt::format("{}: {} (the record names a JUnit); the iteration counts without per-test results",
                            junit.string(), errno == ELOOP ? "a symbolic link, not followed" : std::strerror(errno));
    } else {
      read_fd(fd, xml);
      try {
        it.test_results = parse_pytest_junit(xml, junit.string());
      } catch (const Error& e) {
        warning = fmt::format("{}; the iteration counts without per-test results", e.what());
      }
    }
  }
  for (const auto& t : it.test_results) {
    if (t.status == "passed") ++it.tests_passed;
    else if (t.status == "failed") ++it.tests_failed;
    else if (t.status == "error") ++it.tests_errored;
    else if (t.status == "skipped") ++it.tests_skipped;
  }
  it.mode = r.mode;
  it.first_error = first_error(r, it);
  return it;
}

// "ft.<pkg>.<mode>.iterNN" -> (pkg, mode, NN); "ft.<pkg>.setup" -> (pkg, "setup", 0).
// A TEST_PREFIX in front ("nightly.ft.<pkg>.setup") is allowed: the shortest prefix
// that leaves a test name of ours wins; `canonical` is the name without it, the key
// that matches CTest's tests with records and attempt directories.
struct TestName {
  std::string package, kind;
  int iteration = 0;
  std::string canonical;
};
// Parsed by hand, not with std::regex: libstdc++'s regex recurses once per character and
// a hostile CTest file with a long test name overflowed the stack (found by tests/fuzz).
bool is_word(std::string_view s) {  // [A-Za-z0-9_-]+
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}
// A small whole number written in digits only ("007"), or nullopt.
std::optional<int> small_number(std::string_view s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoi(std::string(s));
}

std::optional<TestName> parse_test_name(const std::string& name) {
  // [<prefix>]ft.<pkg>.<mode>.iter<NN> or [<prefix>]ft.<pkg>.{setup,probe}: the suffix
  // fixes <mode> and <NN> (or the kind); the test name proper starts at the first "ft."
  // that leaves a non-empty <pkg> (what TEST_PREFIX put before it is dropped).
  std::string_view n(name);
  auto named = [&](std::size_t end_of_pkg, std::string kind, int iteration) -> std::optional<TestName> {
    for (auto p = n.find("ft."); p != std::string_view::npos && p + 3 < end_of_pkg; p = n.find("ft.", p + 1))
      return TestName{std::string(n.substr(p + 3, end_of_pkg - p - 3)), std::move(kind), iteration,
                      std::string(n.substr(p))};
    return std::nullopt;
  };
  if (auto it = n.rfind(".iter"); it != std::string_view::npos) {
    auto number = small_number(n.substr(it + 5));
    auto head = n.substr(0, it);
    auto dot = head.rfind('.');
    if (number && dot != std::string_view::npos && is_word(head.substr(dot + 1))) {
      // A stress iteration's <mode> is "stress.<gil mode>" (so a package named "x.stress"
      // would read as x's stress iterations: docs/analyzers.md).
      const auto start = head.substr(0, dot).ends_with(".stress") ? dot - 7 : dot;
      if (auto t = named(start, std::string(head.substr(start + 1)), *number)) return t;
    }
  }
  for (std::string_view kind : {"setup", "probe"})
    if (n.size() > kind.size() + 1 && n.substr(n.size() - kind.size()) == kind && n[n.size() - kind.size() - 1] == '.')
      if (auto t = named(n.size() - kind.size() - 1, std::string(kind), 0)) return t;
  return std::nullopt;
}

std::string canonical_test_name(const std::string& name) {
  // A name that starts with "ft." has the empty prefix (the shortest): no regex on the
  // path every record takes.
  if (name.rfind("ft.", 0) == 0) return name;
  auto tn = parse_test_name(name);
  return tn ? tn->canonical : name;
}

// An attempt directory "<mode>.iter<NN>.a<NNN>" of package pkg -> (CTest test name, NNN).
std::optional<std::pair<std::string, int>> attempt_dir_test(const std::string& pkg, const std::string& dir) {
  auto parts = split_list(dir, '.');
  if (parts.size() == 4 && parts[0] == "stress" && is_word(parts[1])) {  // stress.<mode>.iterNN.aNNN
    parts[1] = "stress." + parts[1];
    parts.erase(parts.begin());
  } else if (parts.size() == 3 && !is_word(parts[0])) {
    return std::nullopt;
  }
  if (parts.size() != 3 || parts[1].rfind("iter", 0) != 0 || parts[2].rfind("a", 0) != 0)
    return std::nullopt;
  auto iteration = small_number(std::string_view(parts[1]).substr(4));
  auto attempt = small_number(std::string_view(parts[2]).substr(1));
  if (!iteration || !attempt) return std::nullopt;
  return std::pair{fmt::format("ft.{}.{}.{}", pkg, parts[0], parts[1]), *attempt};
}

// Test.xml names a run CTest killed on its TIMEOUT ("Exit Code: Timeout"); the JUnit
// never does.
bool says_timeout(const CTestResult& c) { return c.reason.find("Timeout") != std::string::npos; }

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
    p.source_json = std::move(inp.source_json);
    p.declared_json = std::move(inp.declared_json);
    if (!inp.setup->ok && inp.setup->cause) p.cause_json = to_json(*inp.setup->cause);
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
  for (auto& a : inp.attempts) {
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
  if (!stress0.empty() || !stress1.empty()) p.stress = fold_stress(std::move(stress0), std::move(stress1));
  p.tests_not_run = not_run.text(!suite_ran);
  if (inp.probe && !p.tests_not_run.empty())
    if (auto why = shadowing_reason(not_run.reason, *inp.probe, inp.setup ? inp.setup->source_dir : "");
        !why.empty())
      p.tests_not_run = why + ": " + p.tests_not_run + "; " + kShadowingFix;
  summarize(p, gil1, gil_fallback);
  p.gil_enabled_runs = std::move(gil1);
  return p;
}

// The layout is fixed (<dir>/<package>/<attempt dir>/record.json). Each worker takes
// whole package directories: lists one, then reads its records relative to the
// directory's descriptor, so a record costs open + read + close and no directory is ever
// stat'ed (d_type says which entries are directories).
struct Parsed {
  std::string attempt_dir, package, id, problem;
  std::string warning;  // a problem that does not skip the record (its JUnit)
  std::string source_json, declared_json;  // a set-up record's, verbatim
  bool missing = false;                 // no record.json (yet)
  std::optional<StartedMarker> started;  // when missing: the runner's started.json
  std::variant<std::monostate, Attempt, SetupRecord, ProbeRecord> item;
};
struct PackageDir {
  fs::path path;
  std::vector<Parsed> attempts;  // in attempt-directory name order
};

// Parses one record into its compact form (throws Error naming the file).
void parse_into(Parsed& out, std::string_view text, const fs::path& attempt_dir) {
  auto file = attempt_dir / attempt_files::kRecord;
  auto rec = parse_record(text, file.string());
  std::visit(
      [&](auto& r) {
        out.package = r.package;
        out.id = r.attempt_id.empty() ? file.string() : r.attempt_id;
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, AttemptRecord>) {
          // The compact form at once: memory holds compact attempts, never records.
          Attempt a{r.mode, r.test_name, out.id, r.start_time, r.gil, r.iteration, r.attempt, r.outcome, {}, {}, {}, {}};
          if (counts_as_iteration(r.outcome)) a.it = to_iteration(r, file, out.warning);
          if (r.outcome == Outcome::Skipped) a.skip_detail = r.detail;
          a.stress = r.stress;
          a.tsan = std::move(r.tsan);
          out.item = std::move(a);
        } else {
          if constexpr (std::is_same_v<T, SetupRecord>) {
            // Written by setup/ for the views; fold copies them unchanged.
            out.source_json = raw_member(text, "source");
            out.declared_json = raw_member(text, "declared");
          }
          out.item = std::move(r);
        }
      },
      rec);
}

// Lists one package directory and reads every attempt record in it.
void read_package(PackageDir& pd, std::string& buf) {
  int dfd = ::open(pd.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = dfd < 0 ? nullptr : ::fdopendir(dfd);
  if (!d) {
    if (dfd >= 0) ::close(dfd);
    Parsed p;
    p.problem = fmt::format("{}: cannot list: {}", pd.path.string(), std::strerror(errno));
    pd.attempts.push_back(std::move(p));
    return;
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {  // file systems that do not fill d_type
      struct stat st {};
      is_dir = ::fstatat(dfd, e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  pd.attempts.resize(names.size());
  std::string rel;
  for (std::size_t k = 0; k < names.size(); ++k) {
    auto& out = pd.attempts[k];
    out.attempt_dir = names[k];
    rel = fmt::format("{}/{}", names[k], attempt_files::kRecord);
    auto n = read_at(dfd, rel.c_str(), buf);
    if (!n && errno == ENOENT) {
      out.missing = true;  // still running, or killed before writing
      rel = fmt::format("{}/{}", names[k], attempt_files::kStarted);
      if (auto m = read_at(dfd, rel.c_str(), buf)) {
        try {
          out.started = parse_started(std::string_view(buf.data(), *m), (pd.path / rel).string());
        } catch (const Error&) {
          // A hint cut short by the kill: the attempt is still known from its directory.
        }
      }
      continue;
    }
    if (!n) {
      out.problem = fmt::format("{}: cannot read: {}", (pd.path / rel).string(), std::strerror(errno));
      continue;
    }
    try {
      parse_into(out, std::string_view(buf.data(), *n), pd.path / names[k]);
    } catch (const Error& first) {
      std::string whole;
      try {
        if (!read_whole_file(pd.path / rel, whole)) throw first;
        parse_into(out, whole, pd.path / names[k]);
      } catch (const Error& e) {
        out = Parsed{};
        out.attempt_dir = names[k];
        out.problem = e.what();
      }
    }
  }
  ::closedir(d);
}

}  // namespace

std::vector<TestResult> parse_pytest_junit(std::string_view xml, std::string_view source) {
  pugi::xml_document doc;
  auto ok = doc.load_buffer(xml.data(), xml.size());
  if (!ok) throw Error(fmt::format("{}: not valid XML: {}", source, ok.description()));
  // Every <testcase>, at any depth (<testsuites> may nest <testsuite>s); a plain walk,
  // not XPath: fold reads one JUnit per attempt.
  std::vector<pugi::xml_node> cases;
  auto collect = [&](auto&& self, pugi::xml_node parent) -> void {
    for (auto n : parent.children()) {
      if (n.type() != pugi::node_element) continue;
      if (std::string_view(n.name()) == "testcase") cases.push_back(n);
      else self(self, n);
    }
  };
  collect(collect, doc);
  std::vector<TestResult> out;
  out.reserve(cases.size());
  for (auto n : cases) {
    TestResult t;
    std::string cls = n.attribute("classname").value();
    t.id = cls.empty() ? n.attribute("name").value() : cls + "::" + n.attribute("name").value();
    t.status = "passed";
    if (auto f = n.child("failure")) {
      t.status = "failed";
      t.message = first_line(f.attribute("message").value());
    } else if (auto e = n.child("error")) {
      t.status = "error";
      t.message = first_line(e.attribute("message").value());
    } else if (n.child("skipped")) {
      t.status = "skipped";
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<CTestResult> read_ctest_junit(const fs::path& file) {
  pugi::xml_document doc;
  auto ok = doc.load_file(file.c_str());
  if (!ok) throw Error(fmt::format("{}: not valid XML: {}", file.string(), ok.description()));
  std::vector<CTestResult> out;
  for (auto tc : doc.select_nodes("//testcase")) {
    auto n = tc.node();
    CTestResult r{n.attribute("name").value(), "passed", ""};
    if (auto t = n.attribute("time")) r.duration_s = t.as_double(-1);
    std::string status = n.attribute("status").value();
    if (auto f = n.child("failure")) {
      r.status = "failed";
      r.reason = f.attribute("message").value();
    } else if (auto s = n.child("skipped")) {
      r.status = status == "disabled" || status == "notrun" ? "notrun" : "skipped";
      r.reason = s.attribute("message").value();
    } else if (status == "notrun" || status == "disabled") {
      r.status = "notrun";
      r.reason = status == "disabled" ? "Disabled" : "Not Run";  // as Test.xml says it
    }
    // CTest 3.25 writes failure message="" and an empty system-out for a test it killed on
    // its TIMEOUT (tests/analyzers/data/ctest_run): only Test.xml names the timeout; from
    // the JUnit alone, lost_outcome weighs the run's time against the runner's timeout.
    if (r.status == "failed" && r.reason.empty()) r.reason = "Failed";
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<CTestResult> read_ctest_xml(const fs::path& file) {
  pugi::xml_document doc;
  auto ok = doc.load_file(file.c_str());
  if (!ok) throw Error(fmt::format("{}: not valid XML: {}", file.string(), ok.description()));
  std::vector<CTestResult> out;
  for (auto tn : doc.select_nodes("/Site/Testing/Test")) {
    auto n = tn.node();
    CTestResult r{n.child_value("Name"), n.attribute("Status").value(), ""};
    for (auto m : n.child("Results").children("NamedMeasurement")) {
      std::string name = m.attribute("name").value();
      if (name == "Execution Time") r.duration_s = std::strtod(m.child_value("Value"), nullptr);
      if (name == "Exit Code" || name == "Completion Status") {
        std::string v = m.child_value("Value");
        if (r.reason.empty() || v == "Timeout") r.reason = v;
      }
    }
    if (r.status == "notrun" && r.reason.empty()) r.reason = "Not Run";
    out.push_back(std::move(r));
  }
  return out;
}

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
        if (!inp.setup || inp.setup->start_time < s->start_time) {
          inp.setup = std::move(*s);
          inp.source_json = std::move(pr.source_json);
          inp.declared_json = std::move(pr.declared_json);
        }
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
