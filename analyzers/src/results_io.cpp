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

#include "iteration_json.hpp"
#include "stress_json.hpp"

#include "labeille/analyzers/evidence.hpp"
#include "labeille/analyzers/stats.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/json.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/core/record.hpp"
#include "labeille/core/record_json.hpp"
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

// Our evidence keys (docs/analyzers.md): runs whose tests never ran, failing tests'
// messages, and the set-up's source and declared support.
void write_evidence(JsonLine& o, const PackageResult& p) {
  auto& w = o.raw();
  o.key("failing_test_messages");
  w.StartObject();
  for (const auto& [id, msg] : p.failing_test_messages) o.key(id).str(msg);
  w.EndObject();
  if (!p.unmeasured_runs.empty()) write_iterations(o, "unmeasured_runs", p.unmeasured_runs, true);
  if (!p.tests_not_run.empty()) o.key("tests_not_run").str(p.tests_not_run);
  // The set-up record's objects, by the records' own writer (core/record_json.hpp).
  if (p.source) {
    o.key("source");
    write_json(o, *p.source);
  }
  if (p.declared) {
    o.key("declared");
    write_json(o, *p.declared);
  }
  if (p.cause) {
    o.key("setup_cause");
    write_json(o, *p.cause);
  }
}

}  // namespace

std::string package_to_json_line(const PackageResult& p) {
  rj::StringBuffer sb;
  json::LineWriter w(sb);
  JsonLine out(w);
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
  const auto wheel = p.declared ? p.declared->ft_wheel : p.ft_wheel_found;
  key(w, "ft_wheel_found"); opt_bool(w, wheel);
  key(w, "ft_wheel_version"); str_or_null(w, p.ft_wheel_version);
  write_iterations(out, "iterations", p.iterations, true);
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
    write_iterations(out, "gil_enabled_iterations", p.gil_enabled_runs, true);
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
    write_stress(out, *p.stress);
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
  write_evidence(out, p);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

namespace {

// One element of "iterations" (or of our other run arrays): the shared reader
// (iteration_json.hpp), then the per-test parts as `keep` says.
IterationResult read_package_run(const json::Reader& e, const ReadOptions& keep, bool per_test, bool derive_messages,
                                 PackageResult& p) {
  IterationResult it = read_iteration(e, keep.stderr_tails);
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
  return it;
}

std::vector<IterationResult> read_iterations(const json::Reader& in, std::string_view name, const ReadOptions& keep,
                                             bool per_test, bool derive_messages, PackageResult& p) {
  std::vector<IterationResult> out;
  in.each(name, [&](const json::Reader& e) { out.push_back(read_package_run(e, keep, per_test, derive_messages, p)); });
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
  if (auto x = in.object("source")) p.source = read_source_info(*x);
  if (auto x = in.object("declared")) p.declared = read_declared_info(*x);
  if (auto x = in.object("setup_cause")) p.cause = read_cause_info(*x);
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

namespace {
rj::Document parse_meta(std::string_view text, std::string_view source);
// What the views show of ft_meta.json (model.hpp), from its checked document.
RunMeta run_meta(const rj::Value& meta);
}  // namespace

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
  run.meta_json = read_file(meta);
  run.meta = run_meta(parse_meta(run.meta_json, meta.string()));
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

namespace {

// The value at `dotted` ("config.iterations") as text for display, "" when absent:
// numbers in their shortest form, booleans as true/false.
std::string display_value(const rj::Value& root, std::string_view dotted) {
  const rj::Value* v = &root;
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

RunMeta run_meta(const rj::Value& d) {
  auto m = [&](std::string_view k) { return display_value(d, k); };
  RunMeta r;
  r.run_id = m("run_id");
  r.timestamp = m("timestamp");
  r.python_version = m("python_profile.version");
  r.python_path = m("python_profile.path");
  r.python_gil_disabled = m("python_profile.gil_disabled");
  r.hostname = m("system_profile.hostname");
  // cpu_count is ours; cpu_cores_logical the Python tool's (we write both).
  r.cpu_count = m("system_profile.cpu_count");
  if (r.cpu_count.empty()) r.cpu_count = m("system_profile.cpu_cores_logical");
  r.target_python = m("config.target_python");
  r.iterations = m("config.iterations");
  r.timeout = m("config.timeout");
  r.stall_threshold = m("config.stall_threshold");
  r.compare_with_gil_text = m("config.compare_with_gil");
  r.compare_with_gil = r.compare_with_gil_text == "true";
  return r;
}

}  // namespace

std::string meta_string(const std::string& meta_json, const std::string& dotted) {
  // Lenient: a value for display, "" when the text is not a JSON object.
  rj::Document d;
  try {
    d = json::parse_object(meta_json, "ft_meta.json");
  } catch (const Error&) {
    return {};
  }
  return display_value(d, dotted);
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
  json::PrettyWriter sw(sb);
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
