#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/parallel.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "labeille/analyzers/evidence.hpp"
#include "labeille/analyzers/stats.hpp"
#include "stress_json.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/json.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/core/record.hpp"
#include "labeille/core/system_profile.hpp"
#include "labeille/core/text.hpp"

namespace fs = std::filesystem;
namespace rj = rapidjson;

namespace labeille::analyzers {

namespace {

// ft_results.jsonl and ft_summary.json through the shared JSON helpers (core/json.hpp):
// strings sanitized on the way out and in, every field's type checked on the way in.
template <class W>
void str(W& w, std::string_view s) {
  json::Out<W>(w).str(s);
}
template <class W>
void key(W& w, std::string_view k) {
  json::Out<W>(w).key(k);
}
template <class W>
void str_or_null(W& w, const std::string& s) {
  json::Out<W>(w).str_or_null(s);
}
template <class W>
void opt_bool(W& w, const std::optional<bool>& b) {
  json::Out<W>(w).opt_bool(b);
}
template <class W>
void strings(W& w, const std::vector<std::string>& v) {
  json::Out<W>(w).strings(v);
}
template <class W>
void counts(W& w, const std::map<std::string, int>& m) {
  json::Out<W>(w).counts(m);
}

// A per-test status as the Python tool writes it (pytest -v's words) and back: the model
// keeps JUnit's lower-case words. XFAIL counts as skipped and XPASS as passed, as pytest's
// JUnit writer does.
std::string_view python_test_status(std::string_view s) {
  if (s == "passed") return "PASSED";
  if (s == "failed") return "FAILED";
  if (s == "error") return "ERROR";
  if (s == "skipped") return "SKIPPED";
  return s;
}
std::string model_test_status(std::string s) {
  if (s == "PASSED" || s == "XPASS") return "passed";
  if (s == "FAILED") return "failed";
  if (s == "ERROR") return "error";
  if (s == "SKIPPED" || s == "XFAIL") return "skipped";
  return s;
}

// crash_signal: the Python tool's signal name ("SIGSEGV"); our results before it was
// aligned wrote the number.
std::string read_crash_signal(const json::Reader& e) {
  const auto* v = e.find("crash_signal");
  if (!v) return {};
  if (v->IsString()) return e.str("crash_signal");
  const int n = e.count("crash_signal");  // a number: refused unless 0..INT_MAX
  if (n == 0) return {};
  const char* abbrev = n < NSIG ? ::sigabbrev_np(n) : nullptr;
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", n);
}

// tsan_warnings: the Python tool's list of warning types; our results before it was
// aligned wrote the count there (now tsan_warning_count).
void read_tsan_warnings(const json::Reader& e, IterationResult& it) {
  const auto* v = e.find("tsan_warnings");
  if (v && v->IsArray()) it.tsan_warnings = e.strings("tsan_warnings");
  else if (v) it.tsan_warning_count = e.count("tsan_warnings");
  if (e.has("tsan_warning_count")) it.tsan_warning_count = e.count("tsan_warning_count");
  // The Python tool counts no reports, only types: one at least per type.
  it.tsan_warning_count = std::max(it.tsan_warning_count, static_cast<int>(it.tsan_warnings.size()));
}

// One run, as in the Python tool's "iterations" (plus our keys).
template <class W>
void write_iteration(W& w, const IterationResult& it) {
  w.StartObject();
  key(w, "index"); w.Int(it.index);
  key(w, "status"); str(w, it.status);
  key(w, "exit_code"); it.exit_code ? w.Int(*it.exit_code) : w.Null();
  key(w, "duration_s"); w.Double(std::round(it.duration_s * 1000) / 1000);
  key(w, "crash_signal"); str_or_null(w, it.crash_signal);
  key(w, "crash_signature"); str_or_null(w, it.crash_signature);
  key(w, "tsan_warnings"); strings(w, it.tsan_warnings);
  key(w, "output_stalled"); w.Bool(it.output_stalled);
  key(w, "last_output_line"); str(w, it.last_output_line);
  key(w, "stderr_tail"); str(w, it.stderr_tail);
  key(w, "test_results");
  w.StartObject();
  for (const auto& t : it.test_results) {
    key(w, t.id);
    str(w, python_test_status(t.status));
  }
  w.EndObject();
  key(w, "tests_passed"); w.Int(it.tests_passed);
  key(w, "tests_failed"); w.Int(it.tests_failed);
  key(w, "tests_errored"); w.Int(it.tests_errored);
  key(w, "tests_skipped"); w.Int(it.tests_skipped);
  key(w, "tsan_warning_count"); w.Int(it.tsan_warning_count);
  key(w, "iteration"); w.Int(it.iteration);
  key(w, "attempt"); w.Int(it.attempt);
  key(w, "stall_cpu_state"); str(w, it.stall_cpu_state);
  key(w, "stall_signature"); str(w, it.stall_signature);
  key(w, "gil_enabled"); opt_bool(w, it.gil_enabled);
  key(w, "attempt_id"); str(w, it.attempt_id);
  key(w, "mode"); str(w, it.mode);
  key(w, "first_error"); str(w, it.first_error);
  key(w, "test_messages");
  w.StartObject();
  for (const auto& t : it.test_results)
    if (!t.message.empty()) {
      key(w, t.id);
      str(w, t.message);
    }
  w.EndObject();
  w.EndObject();
}

template <class W>
void write_iterations(W& w, std::string_view name, const std::vector<IterationResult>& runs) {
  key(w, name);
  w.StartArray();
  for (const auto& it : runs) write_iteration(w, it);
  w.EndArray();
}

// The JSON text of an object member, verbatim ("" when absent or null; anything else
// than an object is a broken line).
std::string raw_object(const json::Reader& in, std::string_view k) {
  const auto* v = in.find(k);
  if (!v) return {};
  if (!v->IsObject()) in.bad(k, "an object");
  rj::StringBuffer sb;
  rj::Writer<rj::StringBuffer> w(sb);
  v->Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

// Our evidence keys (docs/analyzers.md): runs whose tests never ran, failing tests'
// messages, and the set-up's source and declared support.
template <class W>
void write_evidence(W& w, const PackageResult& p) {
  key(w, "failing_test_messages");
  w.StartObject();
  for (const auto& [id, msg] : p.failing_test_messages) {
    key(w, id);
    str(w, msg);
  }
  w.EndObject();
  if (!p.unmeasured_runs.empty()) write_iterations(w, "unmeasured_runs", p.unmeasured_runs);
  if (!p.tests_not_run.empty()) {
    key(w, "tests_not_run");
    str(w, p.tests_not_run);
  }
  // Copied from the set-up record as they are: already JSON, validated when fold read it.
  auto raw = [&](const char* name, const std::string& json) {
    if (json.empty()) return;
    key(w, name);
    w.RawValue(json.data(), json.size(), rj::kObjectType);
  };
  raw("source", p.source_json);
  raw("declared", p.declared_json);
  raw("setup_cause", p.cause_json);
}

}  // namespace

std::string package_to_json_line(const PackageResult& p) {
  rj::StringBuffer sb;
  rj::Writer<rj::StringBuffer> w(sb);
  w.StartObject();
  key(w, "package"); str(w, p.package);
  key(w, "category"); str(w, p.category);
  key(w, "iterations_completed"); w.Int(p.iterations_completed);
  key(w, "pass_count"); w.Int(p.pass_count);
  key(w, "fail_count"); w.Int(p.fail_count);
  key(w, "crash_count"); w.Int(p.crash_count);
  key(w, "timeout_count"); w.Int(p.timeout_count);
  key(w, "deadlock_count"); w.Int(p.deadlock_count);
  key(w, "tsan_warning_iterations"); w.Int(p.tsan_warning_iterations);
  key(w, "pass_rate"); w.Double(p.pass_rate);
  key(w, "mean_duration_s"); w.Double(std::round(p.mean_duration_s * 1000) / 1000);
  key(w, "failure_signatures"); strings(w, p.failure_signatures);
  key(w, "tsan_warning_types"); strings(w, p.tsan_warning_types);
  key(w, "flaky_tests"); counts(w, p.flaky_tests);
  key(w, "install_ok"); w.Bool(p.install_ok);
  key(w, "install_error"); str_or_null(w, p.install_error);
  key(w, "install_duration_s"); w.Double(std::round(p.install_duration_s * 1000) / 1000);
  key(w, "import_ok"); w.Bool(p.import_ok);
  key(w, "import_error"); str_or_null(w, p.import_error);
  key(w, "commit"); str_or_null(w, p.commit);
  key(w, "install_from"); str(w, p.install_from);
  key(w, "sdist_version"); str_or_null(w, p.sdist_version);
  key(w, "sdist_tag_matched"); opt_bool(w, p.sdist_tag_matched);
  // The Python tool's key, from the set-up's look-up of the package index (declared.ft_wheel),
  // else as read from its results.
  const auto declared = p.declared_json.empty() ? std::nullopt : declared_support(p);
  const auto wheel = declared ? declared->ft_wheel : p.ft_wheel_found;
  key(w, "ft_wheel_found"); opt_bool(w, wheel);
  key(w, "ft_wheel_version"); str_or_null(w, p.ft_wheel_version);
  write_iterations(w, "iterations", p.iterations);
  if (p.extension_compat) {
    const auto& e = *p.extension_compat;
    const bool fallback = !e.gil_reenabled_by.empty() || e.gil_enabled_after_import.value_or(false);
    key(w, "extension_compat");
    w.StartObject();
    // The Python tool's ExtensionCompat: `package` and each extension's `module_name` are
    // required by its reader (a line without them is skipped as malformed).
    key(w, "package"); str(w, p.package);
    key(w, "is_pure_python"); w.Bool(e.extensions.empty());
    key(w, "gil_fallback_active"); w.Bool(fallback);
    key(w, "all_extensions_compatible");
    w.Bool(std::none_of(e.extensions.begin(), e.extensions.end(),
                        [](const ExtensionResult& x) { return !x.import_ok || x.reenabled_gil.value_or(false); }));
    key(w, "import_ok"); w.Bool(e.import_ok);
    key(w, "import_error"); str_or_null(w, p.import_error);
    key(w, "probe_error"); w.Null();
    // Ours.
    key(w, "gil_enabled_after_import"); opt_bool(w, e.gil_enabled_after_import);
    key(w, "gil_reenabled_by"); str_or_null(w, e.gil_reenabled_by);
    key(w, "gil_fallback"); w.Bool(fallback);
    key(w, "extensions");
    w.StartArray();
    for (const auto& x : e.extensions) {
      w.StartObject();
      key(w, "module_name"); str(w, x.module);
      key(w, "is_extension"); w.Bool(true);
      key(w, "import_ok"); w.Bool(x.import_ok);
      key(w, "import_error"); str_or_null(w, x.import_error);
      key(w, "triggered_gil_fallback"); w.Bool(x.reenabled_gil.value_or(false));
      key(w, "module"); str(w, x.module);
      key(w, "reenabled_gil"); opt_bool(w, x.reenabled_gil);
      key(w, "declaration"); str(w, x.declaration);
      key(w, "py_mod_gil"); w.Bool(!x.declaration.empty() && x.declaration != "none");
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  if (p.gil_enabled_pass_rate) {
    key(w, "gil_enabled_pass_rate"); w.Double(*p.gil_enabled_pass_rate);
    // The Python tool's list of GIL=1 runs (its count is the list's length).
    write_iterations(w, "gil_enabled_iterations", p.gil_enabled_runs);
    key(w, "gil_enabled_pass_count"); w.Int(p.gil_enabled_pass_count);
    key(w, "gil_enabled_duration_s"); w.Double(std::round(p.gil_enabled_duration_s * 1000) / 1000);
    key(w, "gil_comparison"); str(w, p.gil_comparison);
    key(w, "gil_fisher_p"); p.gil_fisher_p ? w.Double(*p.gil_fisher_p) : w.Null();
  } else if (!p.gil_comparison.empty()) {
    key(w, "gil_comparison"); str(w, p.gil_comparison);  // not_needed: no GIL=1 run to count
  }
  key(w, "verdict"); str(w, p.verdict);
  key(w, "failure_rate_low"); w.Double(p.failure_rate_low);
  key(w, "failure_rate_high"); w.Double(p.failure_rate_high);
  key(w, "failing_tests"); counts(w, p.failing_tests);
  if (p.iterations_allowed > 0) {
    key(w, "iterations_allowed"); w.Int(p.iterations_allowed);
    key(w, "stop_reason"); str(w, p.stop_reason);
  }
  if (p.stress) {
    key(w, "stress");
    const auto js = stress_to_json(*p.stress);
    w.RawValue(js.data(), js.size(), rj::kObjectType);
  }
  if (!p.tsan_races.empty()) {
    key(w, "tsan_races");
    w.StartArray();
    for (const auto& r : p.tsan_races) {
      w.StartObject();
      key(w, "signature"); str(w, r.signature);
      key(w, "kind"); str(w, r.kind);
      key(w, "location"); str(w, r.location);
      key(w, "stacks");
      w.StartArray();
      for (const auto& st : r.stacks) strings(w, st);
      w.EndArray();
      key(w, "runs"); w.Int(r.runs);
      key(w, "reports"); w.Int(r.reports);
      w.EndObject();
    }
    w.EndArray();
  }
  write_evidence(w, p);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

namespace {

// One element of "iterations" (or of our other run arrays); per-test results as `keep` says.
IterationResult read_iteration(const json::Reader& e, const ReadOptions& keep, bool per_test, bool derive_messages,
                               PackageResult& p) {
  IterationResult it;
  it.index = e.count("index");
  it.status = e.str("status");
  it.exit_code = e.opt_int("exit_code");
  it.duration_s = e.num("duration_s");
  it.crash_signal = read_crash_signal(e);
  it.crash_signature = e.str("crash_signature");
  read_tsan_warnings(e, it);
  it.output_stalled = e.boolean("output_stalled");
  it.last_output_line = e.str("last_output_line");
  // Checked even when not kept: a broken line is broken whatever the view.
  if (keep.stderr_tails) it.stderr_tail = e.str("stderr_tail");
  else e.check_str("stderr_tail");
  // Strings are moved, never copied, from here on: this is the inner loop of `ft flaky`
  // and of the html report over a whole run.
  std::map<std::string, std::string> messages;
  if (per_test || derive_messages)
    for (auto& [id, m] : e.string_map("test_messages")) messages.emplace(std::move(id), std::move(m));
  else
    e.check_string_map("test_messages");
  // Results without failing_test_messages (the Python tool's, older folds): the messages the runs hold.
  if (derive_messages)
    for (const auto& [id, m] : messages)
      if (p.failing_tests.count(id) || p.flaky_tests.count(id)) p.failing_test_messages.emplace(id, m);
  if (per_test) {
    auto results = e.string_map("test_results");
    for (auto& [id, status] : results) {
      if (keep.failing_tests_only && !p.failing_tests.count(id) && !p.flaky_tests.count(id)) continue;
      auto m = messages.find(id);
      std::string message = m == messages.end() ? std::string() : std::move(m->second);
      it.test_results.push_back({std::move(id), model_test_status(std::move(status)), std::move(message)});
    }
  } else {
    e.check_string_map("test_results");
  }
  it.tests_passed = e.count("tests_passed");
  it.tests_failed = e.count("tests_failed");
  it.tests_errored = e.count("tests_errored");
  it.tests_skipped = e.count("tests_skipped");
  it.iteration = e.count("iteration");
  it.attempt = e.count("attempt");
  it.stall_cpu_state = e.str("stall_cpu_state");
  it.stall_signature = e.str("stall_signature");
  it.gil_enabled = e.opt_bool("gil_enabled");
  it.attempt_id = e.str("attempt_id");
  it.mode = e.str("mode");
  it.first_error = e.str("first_error");
  return it;
}

std::vector<IterationResult> read_iterations(const json::Reader& in, std::string_view name, const ReadOptions& keep,
                                             bool per_test, bool derive_messages, PackageResult& p) {
  std::vector<IterationResult> out;
  in.each(name, [&](const json::Reader& e) { out.push_back(read_iteration(e, keep, per_test, derive_messages, p)); });
  return out;
}

}  // namespace

PackageResult package_from_json(std::string_view text, std::string_view source, ReadOptions keep) {
  const rj::Document d = json::parse_object(text, source);
  const json::Reader in(d, source);
  PackageResult p;
  p.package = in.str("package");
  if (p.package.empty()) in.bad("package", "a non-empty string");
  p.category = in.str("category", "unknown");
  const bool per_test = keep.per_test && (!keep.per_test_for || keep.per_test_for(p.package, p.category));
  p.iterations_completed = in.count("iterations_completed");
  p.pass_count = in.count("pass_count");
  p.fail_count = in.count("fail_count");
  p.crash_count = in.count("crash_count");
  p.timeout_count = in.count("timeout_count");
  p.deadlock_count = in.count("deadlock_count");
  p.tsan_warning_iterations = in.count("tsan_warning_iterations");
  if (p.pass_count > p.iterations_completed)
    in.bad("pass_count", fmt::format("at most iterations_completed ({})", p.iterations_completed));
  p.pass_rate = in.num("pass_rate");
  p.mean_duration_s = in.num("mean_duration_s");
  p.failure_signatures = in.strings("failure_signatures");
  p.tsan_warning_types = in.strings("tsan_warning_types");
  p.flaky_tests = in.counts("flaky_tests");
  p.failing_tests = in.counts("failing_tests");
  p.install_ok = in.boolean("install_ok", true);
  p.install_error = in.str("install_error");
  p.install_duration_s = in.num("install_duration_s");
  p.import_ok = in.boolean("import_ok", true);
  p.import_error = in.str("import_error");
  p.commit = in.str("commit");
  p.install_from = in.str("install_from");
  p.sdist_version = in.str("sdist_version");
  p.sdist_tag_matched = in.opt_bool("sdist_tag_matched");
  p.ft_wheel_found = in.opt_bool("ft_wheel_found");
  p.ft_wheel_version = in.str("ft_wheel_version");
  const bool derive_messages = !in.has("failing_test_messages");
  for (auto& [id, m] : in.string_map("failing_test_messages")) p.failing_test_messages.emplace(id, std::move(m));
  p.iterations = read_iterations(in, "iterations", keep, per_test, derive_messages, p);
  // gil_enabled_iterations: the Python tool's list of GIL=1 runs; our results before it
  // was aligned wrote a count there and the runs under gil_enabled_runs.
  if (const auto* g = in.find("gil_enabled_iterations"); g && g->IsArray())
    p.gil_enabled_runs = read_iterations(in, "gil_enabled_iterations", keep, false, false, p);
  else
    p.gil_enabled_runs = read_iterations(in, "gil_enabled_runs", keep, false, false, p);
  p.unmeasured_runs = read_iterations(in, "unmeasured_runs", keep, false, false, p);
  p.tests_not_run = in.str("tests_not_run");
  p.source_json = raw_object(in, "source");
  p.declared_json = raw_object(in, "declared");
  p.cause_json = raw_object(in, "setup_cause");
  if (auto ec = in.object("extension_compat")) {
    ExtensionCompat e;
    e.probed = true;
    e.import_ok = ec->boolean("import_ok", true);
    e.gil_enabled_after_import = ec->opt_bool("gil_enabled_after_import");
    e.gil_reenabled_by = ec->str("gil_reenabled_by");
    // The Python tool's keys when ours are absent: module_name, triggered_gil_fallback,
    // gil_fallback_active.
    if (!e.gil_enabled_after_import && ec->has("gil_fallback_active"))
      e.gil_enabled_after_import = ec->boolean("gil_fallback_active");
    ec->each("extensions", [&](const json::Reader& x) {
      auto reenabled = x.has("reenabled_gil") ? x.opt_bool("reenabled_gil") : x.opt_bool("triggered_gil_fallback");
      e.extensions.push_back({x.has("module") ? x.str("module") : x.str("module_name"), x.boolean("import_ok", true),
                              reenabled, x.str("declaration"), x.str("import_error")});
    });
    p.extension_compat = std::move(e);
  }
  if (in.has("gil_enabled_pass_rate")) {
    p.gil_enabled_pass_rate = in.num("gil_enabled_pass_rate");
    const auto* g = in.find("gil_enabled_iterations");
    p.gil_enabled_iterations =
        g && g->IsArray() ? static_cast<int>(p.gil_enabled_runs.size()) : in.count("gil_enabled_iterations");
    // The Python tool writes the runs only: count and time them.
    int passes = 0;
    double duration = 0;
    for (const auto& r : p.gil_enabled_runs) {
      passes += r.status == "pass";
      duration += r.duration_s;
    }
    p.gil_enabled_pass_count = in.has("gil_enabled_pass_count") ? in.count("gil_enabled_pass_count") : passes;
    p.gil_enabled_duration_s = in.num("gil_enabled_duration_s", duration);
    p.gil_comparison = in.str("gil_comparison");
    if (in.has("gil_fisher_p")) p.gil_fisher_p = in.num("gil_fisher_p");
  } else {
    p.gil_comparison = in.str("gil_comparison");
  }
  // The Python tool writes counts only: derive our bound and verdict from them.
  const int failed = p.iterations_completed - p.pass_count;
  auto iv = clopper_pearson_95(failed, p.iterations_completed);
  p.verdict = in.has("verdict") ? in.str("verdict") : verdict_text(failed, p.iterations_completed);
  p.failure_rate_low = in.num("failure_rate_low", iv.low);
  p.failure_rate_high = in.num("failure_rate_high", iv.high);
  if (!in.has("failing_tests")) p.failing_tests = p.flaky_tests;
  p.iterations_allowed = in.count("iterations_allowed");
  p.stop_reason = in.str("stop_reason");
  if (auto st = in.object("stress")) p.stress = stress_from_json(*st);
  in.each("tsan_races", [&](const json::Reader& e) {
    p.tsan_races.push_back({e.str("signature"), e.str("kind"), e.str("location"),
                            e.string_lists("stacks"), e.count("runs"), e.count("reports")});
  });
  return p;
}

RunResults read_run(const fs::path& run_dir, ReadOptions keep) {
  if (!fs::exists(run_dir)) throw Error(fmt::format("{}: no such result directory", run_dir.string()));
  if (!fs::is_directory(run_dir))
    throw Error(fmt::format("{}: not a directory (give the result directory, which holds ft_meta.json)",
                            run_dir.string()));
  auto meta = run_dir / "ft_meta.json";
  if (!fs::exists(meta))
    throw Error(fmt::format("{}: missing ft_meta.json (not a labeille ft result directory?)", run_dir.string()));
  RunResults run;
  run.dir = run_dir.string();
  run.meta_json = read_meta(meta);
  auto results = run_dir / "ft_results.jsonl";
  if (!fs::exists(results)) return run;  // a run that has not folded anything yet
  std::ifstream in(results, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot read", results.string()));
  // A batch of lines at a time, parsed on every core; the first broken line (in file
  // order, whatever the thread that met it) is the error.
  constexpr std::size_t kBatch = 512;
  std::vector<std::string> lines;
  std::string line;
  int line_no = 0, first_no = 1;
  std::unordered_map<std::string, int> line_of;  // package -> its line
  auto flush = [&] {
    std::vector<std::optional<PackageResult>> parsed(lines.size());
    std::vector<std::string> errors(lines.size());
    parallel_for(lines.size(), [&](std::size_t i) {
      if (lines[i].find_first_not_of(" \t\r") == std::string::npos) return;  // blank: no copy
      try {
        parsed[i] = package_from_json(lines[i], fmt::format("{}:{}", results.string(), first_no + i), keep);
      } catch (const Error& e) {
        errors[i] = e.what();
      }
    });
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (!errors[i].empty()) throw Error(errors[i]);
      if (!parsed[i]) continue;
      // One line per package: a second would be shown twice and exported as duplicate
      // testcases, so the file is refused as the broken file it is.
      if (auto [at, fresh] = line_of.emplace(parsed[i]->package, first_no + static_cast<int>(i)); !fresh)
        throw Error(fmt::format("{}:{}: package \"{}\" already on line {} (one line per package)", results.string(),
                                first_no + i, parsed[i]->package, at->second));
      run.packages.push_back(std::move(*parsed[i]));
    }
    lines.clear();
    first_no = line_no + 1;
  };
  while (std::getline(in, line)) {
    ++line_no;
    lines.push_back(std::move(line));
    if (lines.size() == kBatch) flush();
  }
  flush();
  return run;
}

namespace {

// The fields of ft_meta.json a reader relies on, with their types (docs/analyzers.md).
// Other keys (a newer writer's, the Python tool's) are kept as they are.
void check_meta_fields(const json::Reader& m) {
  for (const char* k : {"run_id", "timestamp"}) m.str(k);
  m.strings("cli_args");
  for (const char* k : {"packages_total", "packages_completed", "total_iterations"}) m.count(k);
  m.num("total_duration_s");
  if (auto s = m.object("system_profile")) {
    s->str("hostname");
    s->count("cpu_count");
  }
  if (auto py = m.object("python_profile")) {
    py->str("path");
    py->str("version");
    py->boolean("gil_disabled");
  }
  if (auto c = m.object("config")) {
    c->str("target_python");
    c->count("iterations");
    c->num("timeout");
    c->num("stall_threshold");
    c->num("setup_timeout");
    for (const char* k : {"compare_with_gil", "tsan_build", "stop_on_first_pass", "detect_extensions"}) c->boolean(k);
    c->strings("extra_deps");
  }
}

rj::Document parse_meta(std::string_view text, std::string_view source) {
  rj::Document d = json::parse_object(text, source);
  check_meta_fields(json::Reader(d, source));
  return d;
}

}  // namespace

std::string read_meta(const fs::path& file) {
  std::string text = read_file(file);
  parse_meta(text, file.string());
  return text;
}

std::string meta_string(const std::string& meta_json, const std::string& dotted) {
  rj::Document d;
  d.Parse<rj::kParseIterativeFlag>(meta_json.c_str());
  if (d.HasParseError() || !d.IsObject()) return {};
  const rj::Value* v = &d;
  std::size_t pos = 0;
  while (pos <= dotted.size()) {
    auto dot = dotted.find('.', pos);
    auto k = dotted.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    v = json::Reader(*v, "").find(k);
    if (!v) return {};
    if (dot == std::string::npos) break;
    if (!v->IsObject()) return {};
    pos = dot + 1;
  }
  if (v->IsString()) return safe_text(std::string_view(v->GetString(), v->GetStringLength()));
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsNumber()) return fmt::format("{:g}", v->GetDouble());
  return {};
}

std::string merge_meta(const std::string& base, const std::string& extra, const std::string& source) {
  rj::Document e = parse_meta(extra, source);
  rj::Document b;
  if (base.empty()) b.SetObject();
  else b = parse_meta(base, "ft_meta.json");
  auto& a = b.GetAllocator();
  for (auto& m : e.GetObject()) {
    rj::Value v(m.value, a);
    if (b.HasMember(m.name)) b[m.name] = v;
    else b.AddMember(rj::Value(m.name, a), v, a);
  }
  return json::text(b);
}

void write_meta(const fs::path& run_dir, const std::string& base, const MetaCounters& n) {
  rj::Document meta;
  if (base.empty()) meta.SetObject();
  else meta = parse_meta(base, (run_dir / "ft_meta.json").string());
  auto& a = meta.GetAllocator();
  auto set = [&](const char* k, rj::Value v) {
    if (meta.HasMember(k)) meta[k] = v;
    else meta.AddMember(rj::Value(k, a), v, a);
  };
  if (!meta.HasMember("run_id")) set("run_id", rj::Value(run_dir.filename().string().c_str(), a));
  // A base without one (the CMake module's ft_meta_seed.json, a bare --meta): the machine
  // that folds, which is where the run ran in all but a sharded run (docs/records.md).
  if (!meta.HasMember("system_profile")) {
    rj::Document sys = json::parse_object(system_profile_json(run_dir), "system profile");
    set("system_profile", rj::Value(sys, a));
  }
  if (!meta.HasMember("timestamp")) set("timestamp", rj::Value(iso8601_utc_now().c_str(), a));
  set("packages_total", rj::Value(n.packages_total));
  set("packages_completed", rj::Value(n.packages_completed));
  set("total_iterations", rj::Value(n.total_iterations));
  set("total_duration_s", rj::Value(std::round(n.total_duration_s * 1000) / 1000));
  atomic_write_file(run_dir / "ft_meta.json", json::text(meta, /*pretty=*/true));
}

RunWriter::RunWriter(fs::path run_dir, std::string meta_base)
    : dir_(std::move(run_dir)), meta_base_(std::move(meta_base)) {
  // A broken base is refused before anything is written (write_meta would refuse it last).
  if (!meta_base_.empty()) parse_meta(meta_base_, "ft_meta.json");
  fs::create_directories(dir_);
  results_.emplace(dir_ / "ft_results.jsonl");
}

void RunWriter::add(std::span<const PackageResult> packages) {
  // Serializing is most of the cost of writing a large run: on every core, written in
  // order.
  std::vector<std::string> lines(packages.size());
  parallel_for(packages.size(), [&](std::size_t i) {
    lines[i] = package_to_json_line(packages[i]);
    lines[i] += '\n';
  });
  for (const auto& l : lines) results_->write(l);
  for (const auto& p : packages) {
    ++packages_;
    ++categories_[p.category];
    // As the Python tool's FTRunSummary.compute counts them.
    const char* bucket = p.iterations_completed == 0 ? "N/A"
                         : p.pass_rate == 1.0        ? "100%"
                         : p.pass_rate >= 0.9        ? "90-99%"
                         : p.pass_rate >= 0.5        ? "50-89%"
                         : p.pass_rate > 0.0         ? "1-49%"
                                                     : "0%";
    ++pass_rate_buckets_[bucket];
    const bool extension = p.extension_compat && !p.extension_compat->extensions.empty();
    const bool compatible = p.category == "compatible" || p.category == "compatible_by_wheel" ||
                            p.category == "tsan_warnings" || (extension && p.category == "compatible_gil_fallback");
    ++(extension ? extension_ : pure_python_);
    if (compatible) ++(extension ? extension_compatible_ : pure_python_compatible_);
    if (p.tsan_warning_iterations > 0) ++tsan_packages_;
    total_iterations_ += p.iterations_completed + p.gil_enabled_iterations;
    if (p.iterations_completed > 0 || !p.install_ok || !p.import_ok) ++completed_;
    // Time spent in measured runs of both GIL modes (not wall time: packages run in
    // parallel, and set-ups are not runs).
    total_duration_ += p.gil_enabled_duration_s;
    for (const auto& it : p.iterations) total_duration_ += it.duration_s;
  }
}

void RunWriter::finish() {
  results_->commit();
  results_.reset();

  write_meta(dir_, meta_base_, {packages_, completed_, total_iterations_, total_duration_});

  rj::StringBuffer sb;
  rj::PrettyWriter<rj::StringBuffer> sw(sb);
  sw.StartObject();
  key(sw, "schema"); sw.Int(1);
  key(sw, "packages_total"); sw.Int(packages_);
  key(sw, "total_iterations"); sw.Int(total_iterations_);
  key(sw, "categories");
  sw.StartObject();
#define LABEILLE_X(id, name, rank, desc) \
  key(sw, name);                         \
  sw.Int(categories_.count(name) ? categories_[name] : 0);
  LABEILLE_FT_CATEGORIES(LABEILLE_X)
#undef LABEILLE_X
  sw.EndObject();
  // The Python tool's FTRunSummary keys (docs/records.md).
  key(sw, "total_packages"); sw.Int(packages_);
  key(sw, "pass_rate_distribution");
  sw.StartObject();
  for (const char* b : {"100%", "90-99%", "50-89%", "1-49%", "0%", "N/A"}) {
    key(sw, b);
    sw.Int(pass_rate_buckets_.count(b) ? pass_rate_buckets_.at(b) : 0);
  }
  sw.EndObject();
  auto pct = [](int n, int of) { return of ? std::round(1000.0 * n / of) / 10 : 0.0; };
  key(sw, "pure_python_count"); sw.Int(pure_python_);
  key(sw, "extension_count"); sw.Int(extension_);
  key(sw, "pure_python_compatible_pct"); sw.Double(pct(pure_python_compatible_, pure_python_));
  key(sw, "extension_compatible_pct"); sw.Double(pct(extension_compatible_, extension_));
  key(sw, "tsan_warning_count"); sw.Int(tsan_packages_);
  sw.EndObject();
  atomic_write_file(dir_ / "ft_summary.json", std::string(sb.GetString(), sb.GetSize()) + "\n");
}

void write_run(const RunResults& run, const fs::path& dir, const std::string& meta_base) {
  RunWriter w(dir, meta_base);
  w.add(run.packages);
  w.finish();
}

std::string durations_tsv(const RunResults& run) {
  auto mean = [](const std::vector<IterationResult>& its) {
    double t = 0;
    for (const auto& it : its) t += it.duration_s;
    return its.empty() ? -1.0 : t / static_cast<double>(its.size());
  };
  std::string out;
  auto line = [&](const std::string& pkg, std::string_view key, double s) {
    if (s >= 0) out += fmt::format("{}\t{}\t{:.1f}\n", pkg, key, s);
  };
  for (const auto& p : run.packages) {
    if (!is_package_name(p.package)) continue;  // a name CMake would have to quote
    line(p.package, "setup", p.install_duration_s);
    const double g0 = mean(p.iterations), g1 = mean(p.gil_enabled_runs);
    line(p.package, "gil0", g0);
    line(p.package, "gil1", g1 >= 0 ? g1 : g0);
    if (p.stress) {
      const double s0 = mean(p.stress->iterations), s1 = mean(p.stress->gil_enabled_iterations);
      line(p.package, "stress.gil0", s0);
      line(p.package, "stress.gil1", s1 >= 0 ? s1 : s0);
    }
  }
  return out;
}

}  // namespace labeille::analyzers
