#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/parallel.hpp"

#include <chrono>
#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "labeille/analyzers/evidence.hpp"
#include "labeille/analyzers/stats.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/core/record.hpp"
#include "labeille/core/text.hpp"

namespace fs = std::filesystem;
namespace rj = rapidjson;

namespace labeille::analyzers {

namespace {

template <class W>
void str(W& w, std::string_view s) {
  std::string clean = sanitize_utf8(s);
  w.String(clean.data(), static_cast<rj::SizeType>(clean.size()));
}
template <class W>
void key(W& w, std::string_view k) {
  w.Key(k.data(), static_cast<rj::SizeType>(k.size()));
}
template <class W>
void str_or_null(W& w, const std::string& s) {
  if (s.empty()) w.Null();
  else str(w, s);
}
template <class W>
void opt_bool(W& w, const std::optional<bool>& b) {
  b ? w.Bool(*b) : w.Null();
}
template <class W>
void strings(W& w, const std::vector<std::string>& v) {
  w.StartArray();
  for (auto& s : v) str(w, s);
  w.EndArray();
}
template <class W>
void counts(W& w, const std::map<std::string, int>& m) {
  w.StartObject();
  for (auto& [k, v] : m) {
    key(w, k);
    w.Int(v);
  }
  w.EndObject();
}

const rj::Value* member(const rj::Value& o, const char* k) {
  if (!o.IsObject()) return nullptr;
  auto it = o.FindMember(k);
  return it == o.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}
std::string get_str(const rj::Value& o, const char* k) {
  auto* v = member(o, k);
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}
double get_num(const rj::Value& o, const char* k) {
  auto* v = member(o, k);
  return v && v->IsNumber() ? v->GetDouble() : 0.0;
}
int get_int(const rj::Value& o, const char* k) {
  auto* v = member(o, k);
  return v && v->IsNumber() ? static_cast<int>(v->GetDouble()) : 0;
}
bool get_bool(const rj::Value& o, const char* k, bool dflt) {
  auto* v = member(o, k);
  return v && v->IsBool() ? v->GetBool() : dflt;
}
std::optional<bool> get_opt_bool(const rj::Value& o, const char* k) {
  auto* v = member(o, k);
  if (!v || !v->IsBool()) return std::nullopt;
  return v->GetBool();
}
std::vector<std::string> get_strings(const rj::Value& o, const char* k) {
  std::vector<std::string> out;
  auto* v = member(o, k);
  if (v && v->IsArray())
    for (auto& e : v->GetArray())
      if (e.IsString()) out.emplace_back(e.GetString(), e.GetStringLength());
  return out;
}
std::map<std::string, int> get_counts(const rj::Value& o, const char* k) {
  std::map<std::string, int> out;
  auto* v = member(o, k);
  if (v && v->IsObject())
    for (auto& m : v->GetObject())
      if (m.value.IsNumber()) out[m.name.GetString()] = static_cast<int>(m.value.GetDouble());
  return out;
}

// One run, as in the Python tool's "iterations" (plus our keys).
template <class W>
void write_iteration(W& w, const IterationResult& it) {
  w.StartObject();
  key(w, "index"); w.Int(it.index);
  key(w, "status"); str(w, it.status);
  key(w, "exit_code"); it.exit_code ? w.Int(*it.exit_code) : w.Null();
  key(w, "duration_s"); w.Double(std::round(it.duration_s * 1000) / 1000);
  key(w, "crash_signal"); it.crash_signal ? w.Int(it.crash_signal) : w.Null();
  key(w, "crash_signature"); str_or_null(w, it.crash_signature);
  key(w, "tsan_warnings"); w.Int(it.tsan_warnings);
  key(w, "output_stalled"); w.Bool(it.output_stalled);
  key(w, "last_output_line"); str(w, it.last_output_line);
  key(w, "stderr_tail"); str(w, it.stderr_tail);
  key(w, "test_results");
  w.StartObject();
  for (const auto& t : it.test_results) {
    key(w, t.id);
    str(w, t.status);
  }
  w.EndObject();
  key(w, "tests_passed"); w.Int(it.tests_passed);
  key(w, "tests_failed"); w.Int(it.tests_failed);
  key(w, "tests_errored"); w.Int(it.tests_errored);
  key(w, "tests_skipped"); w.Int(it.tests_skipped);
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

std::map<std::string, std::string> get_string_map(const rj::Value& o, const char* k) {
  std::map<std::string, std::string> out;
  auto* v = member(o, k);
  if (v && v->IsObject())
    for (auto& m : v->GetObject())
      if (m.value.IsString()) out[m.name.GetString()] = m.value.GetString();
  return out;
}
// The JSON text of an object member, verbatim ("" when absent, null or not an object).
std::string get_raw(const rj::Value& o, const char* k) {
  auto* v = member(o, k);
  if (!v || !v->IsObject()) return {};
  rj::StringBuffer sb;
  rj::Writer<rj::StringBuffer> w(sb);
  v->Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

// Our evidence keys (docs/analyzers.md): runs of the other mode, runs whose tests never
// ran, failing tests' messages, and the set-up's source and declared support.
template <class W>
void write_evidence(W& w, const PackageResult& p) {
  key(w, "failing_test_messages");
  w.StartObject();
  for (const auto& [id, msg] : p.failing_test_messages) {
    key(w, id);
    str(w, msg);
  }
  w.EndObject();
  if (!p.gil_enabled_runs.empty()) write_iterations(w, "gil_enabled_runs", p.gil_enabled_runs);
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
  key(w, "sdist_tag_matched"); w.Null();
  // The Python tool's key, from the set-up's look-up of the package index (declared.ft_wheel).
  key(w, "ft_wheel_found"); w.Bool(p.declared_json.empty() ? false : declared_support(p).value_or(DeclaredSupport{}).ft_wheel.value_or(false));
  key(w, "ft_wheel_version"); w.Null();
  write_iterations(w, "iterations", p.iterations);
  if (p.extension_compat) {
    const auto& e = *p.extension_compat;
    key(w, "extension_compat");
    w.StartObject();
    key(w, "import_ok"); w.Bool(e.import_ok);
    key(w, "gil_enabled_after_import"); opt_bool(w, e.gil_enabled_after_import);
    key(w, "gil_reenabled_by"); str_or_null(w, e.gil_reenabled_by);
    key(w, "gil_fallback"); w.Bool(!e.gil_reenabled_by.empty() || e.gil_enabled_after_import.value_or(false));
    key(w, "extensions");
    w.StartArray();
    for (const auto& x : e.extensions) {
      w.StartObject();
      key(w, "module"); str(w, x.module);
      key(w, "import_ok"); w.Bool(x.import_ok);
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
    key(w, "gil_enabled_iterations"); w.Int(p.gil_enabled_iterations);
    key(w, "gil_enabled_pass_count"); w.Int(p.gil_enabled_pass_count);
    key(w, "gil_enabled_duration_s"); w.Double(std::round(p.gil_enabled_duration_s * 1000) / 1000);
    key(w, "gil_comparison"); str(w, p.gil_comparison);
    key(w, "gil_fisher_p"); p.gil_fisher_p ? w.Double(*p.gil_fisher_p) : w.Null();
  }
  key(w, "verdict"); str(w, p.verdict);
  key(w, "failure_rate_low"); w.Double(p.failure_rate_low);
  key(w, "failure_rate_high"); w.Double(p.failure_rate_high);
  key(w, "failing_tests"); counts(w, p.failing_tests);
  write_evidence(w, p);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

namespace {
// One element of "iterations" (or of our other run arrays); per-test results as `keep` says.
IterationResult read_iteration(const rj::Value& e, const ReadOptions& keep, bool per_test, const PackageResult& p) {
  IterationResult it;
  it.index = get_int(e, "index");
  it.status = get_str(e, "status");
  if (auto* x = member(e, "exit_code"); x && x->IsInt()) it.exit_code = x->GetInt();
  it.duration_s = get_num(e, "duration_s");
  it.crash_signal = get_int(e, "crash_signal");
  it.crash_signature = get_str(e, "crash_signature");
  it.tsan_warnings = get_int(e, "tsan_warnings");
  it.output_stalled = get_bool(e, "output_stalled", false);
  it.last_output_line = get_str(e, "last_output_line");
  if (keep.stderr_tails) it.stderr_tail = get_str(e, "stderr_tail");
  auto msgs = member(e, "test_messages");
  if (auto* tr = member(e, "test_results"); per_test && tr && tr->IsObject()) {
    for (auto& m : tr->GetObject()) {
      if (keep.failing_tests_only && !p.failing_tests.count(m.name.GetString()) &&
          !p.flaky_tests.count(m.name.GetString()))
        continue;
      TestResult t{m.name.GetString(), m.value.IsString() ? m.value.GetString() : "", ""};
      if (msgs) t.message = get_str(*msgs, m.name.GetString());
      it.test_results.push_back(std::move(t));
    }
  }
  it.tests_passed = get_int(e, "tests_passed");
  it.tests_failed = get_int(e, "tests_failed");
  it.tests_errored = get_int(e, "tests_errored");
  it.tests_skipped = get_int(e, "tests_skipped");
  it.iteration = get_int(e, "iteration");
  it.attempt = get_int(e, "attempt");
  it.stall_cpu_state = get_str(e, "stall_cpu_state");
  it.stall_signature = get_str(e, "stall_signature");
  it.gil_enabled = get_opt_bool(e, "gil_enabled");
  it.attempt_id = get_str(e, "attempt_id");
  it.mode = get_str(e, "mode");
  it.first_error = get_str(e, "first_error");
  return it;
}

std::vector<IterationResult> read_iterations(const rj::Value& d, const char* name, const ReadOptions& keep, bool per_test,
                                             const PackageResult& p) {
  std::vector<IterationResult> out;
  if (auto* its = member(d, name); its && its->IsArray())
    for (auto& e : its->GetArray()) out.push_back(read_iteration(e, keep, per_test, p));
  return out;
}

}  // namespace

PackageResult package_from_json(std::string_view json, std::string_view source, ReadOptions keep) {
  rj::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError())
    throw Error(fmt::format("{}: not valid JSON at byte {}: {}", source, d.GetErrorOffset(),
                            rj::GetParseError_En(d.GetParseError())));
  if (!d.IsObject()) throw Error(fmt::format("{}: expected a JSON object per line", source));
  PackageResult p;
  p.package = get_str(d, "package");
  if (p.package.empty()) throw Error(fmt::format("{}: field \"package\" is missing or empty", source));
  p.category = get_str(d, "category");
  if (p.category.empty()) p.category = "unknown";
  const bool per_test = keep.per_test && (!keep.per_test_for || keep.per_test_for(p.package, p.category));
  p.iterations_completed = get_int(d, "iterations_completed");
  p.pass_count = get_int(d, "pass_count");
  p.fail_count = get_int(d, "fail_count");
  p.crash_count = get_int(d, "crash_count");
  p.timeout_count = get_int(d, "timeout_count");
  p.deadlock_count = get_int(d, "deadlock_count");
  p.tsan_warning_iterations = get_int(d, "tsan_warning_iterations");
  p.pass_rate = get_num(d, "pass_rate");
  p.mean_duration_s = get_num(d, "mean_duration_s");
  p.failure_signatures = get_strings(d, "failure_signatures");
  p.tsan_warning_types = get_strings(d, "tsan_warning_types");
  p.flaky_tests = get_counts(d, "flaky_tests");
  p.failing_tests = get_counts(d, "failing_tests");
  p.install_ok = get_bool(d, "install_ok", true);
  p.install_error = get_str(d, "install_error");
  p.install_duration_s = get_num(d, "install_duration_s");
  p.import_ok = get_bool(d, "import_ok", true);
  p.import_error = get_str(d, "import_error");
  p.commit = get_str(d, "commit");
  p.install_from = get_str(d, "install_from");
  p.sdist_version = get_str(d, "sdist_version");
  p.failing_test_messages = get_string_map(d, "failing_test_messages");
  p.iterations = read_iterations(d, "iterations", keep, per_test, p);
  p.gil_enabled_runs = read_iterations(d, "gil_enabled_runs", keep, false, p);
  p.unmeasured_runs = read_iterations(d, "unmeasured_runs", keep, false, p);
  p.tests_not_run = get_str(d, "tests_not_run");
  // Results without the key (the Python tool's, older folds): the messages the runs hold.
  if (!member(d, "failing_test_messages"))
    if (auto* its = member(d, "iterations"); its && its->IsArray())
      for (auto& e : its->GetArray())
        if (auto* msgs = member(e, "test_messages"); msgs && msgs->IsObject())
          for (auto& m : msgs->GetObject())
            if (m.value.IsString() && p.failing_tests.count(m.name.GetString()))
              p.failing_test_messages.emplace(m.name.GetString(), m.value.GetString());
  p.source_json = get_raw(d, "source");
  p.declared_json = get_raw(d, "declared");
  if (auto* ec = member(d, "extension_compat"); ec && ec->IsObject()) {
    ExtensionCompat e;
    e.probed = true;
    e.import_ok = get_bool(*ec, "import_ok", true);
    e.gil_enabled_after_import = get_opt_bool(*ec, "gil_enabled_after_import");
    e.gil_reenabled_by = get_str(*ec, "gil_reenabled_by");
    if (auto* xs = member(*ec, "extensions"); xs && xs->IsArray())
      for (auto& x : xs->GetArray())
        e.extensions.push_back({get_str(x, "module"), get_bool(x, "import_ok", true), get_opt_bool(x, "reenabled_gil"),
                                get_str(x, "declaration")});
    p.extension_compat = std::move(e);
  }
  if (member(d, "gil_enabled_pass_rate")) {
    p.gil_enabled_pass_rate = get_num(d, "gil_enabled_pass_rate");
    p.gil_enabled_iterations = get_int(d, "gil_enabled_iterations");
    p.gil_enabled_pass_count = get_int(d, "gil_enabled_pass_count");
    if (member(d, "gil_enabled_duration_s")) p.gil_enabled_duration_s = get_num(d, "gil_enabled_duration_s");
    p.gil_comparison = get_str(d, "gil_comparison");
    if (member(d, "gil_fisher_p")) p.gil_fisher_p = get_num(d, "gil_fisher_p");
  }
  // The Python tool writes counts only: derive our bound and verdict from them.
  const int failed = p.iterations_completed - p.pass_count;
  auto iv = clopper_pearson_95(failed, p.iterations_completed);
  p.verdict = member(d, "verdict") ? get_str(d, "verdict") : verdict_text(failed, p.iterations_completed);
  p.failure_rate_low = member(d, "failure_rate_low") ? get_num(d, "failure_rate_low") : iv.low;
  p.failure_rate_high = member(d, "failure_rate_high") ? get_num(d, "failure_rate_high") : iv.high;
  if (!member(d, "failing_tests")) p.failing_tests = p.flaky_tests;
  return p;
}

RunResults read_run(const fs::path& run_dir, ReadOptions keep) {
  if (!fs::is_directory(run_dir))
    throw Error(fmt::format("{}: no such result directory", run_dir.string()));
  auto meta = run_dir / "ft_meta.json";
  if (!fs::exists(meta))
    throw Error(fmt::format("{}: missing ft_meta.json (not a labeille ft result directory?)", run_dir.string()));
  RunResults run;
  run.dir = run_dir.string();
  run.meta_json = read_file(meta);
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
  auto flush = [&] {
    std::vector<std::optional<PackageResult>> parsed(lines.size());
    std::vector<std::string> errors(lines.size());
    parallel_for(lines.size(), [&](std::size_t i) {
      if (trim(lines[i]).empty()) return;
      try {
        parsed[i] = package_from_json(lines[i], fmt::format("{}:{}", results.string(), first_no + i), keep);
      } catch (const Error& e) {
        errors[i] = e.what();
      }
    });
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (!errors[i].empty()) throw Error(errors[i]);
      if (parsed[i]) run.packages.push_back(std::move(*parsed[i]));
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

std::string meta_string(const std::string& meta_json, const std::string& dotted) {
  rj::Document d;
  d.Parse(meta_json.c_str());
  if (d.HasParseError() || !d.IsObject()) return {};
  const rj::Value* v = &d;
  std::size_t pos = 0;
  while (pos <= dotted.size()) {
    auto dot = dotted.find('.', pos);
    auto k = dotted.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    v = member(*v, k.c_str());
    if (!v) return {};
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  if (v->IsString()) return v->GetString();
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsNumber()) return fmt::format("{:g}", v->GetDouble());
  return {};
}

std::string merge_meta(const std::string& base, const std::string& extra, const std::string& source) {
  rj::Document b, e;
  e.Parse(extra.c_str());
  if (e.HasParseError() || !e.IsObject())
    throw Error(fmt::format("{}: --meta must be a JSON object", source));
  b.Parse(base.empty() ? "{}" : base.c_str());
  if (b.HasParseError() || !b.IsObject()) b.SetObject();
  auto& a = b.GetAllocator();
  for (auto& m : e.GetObject()) {
    rj::Value v(m.value, a);
    if (b.HasMember(m.name)) b[m.name] = v;
    else b.AddMember(rj::Value(m.name, a), v, a);
  }
  rj::StringBuffer sb;
  rj::Writer<rj::StringBuffer> w(sb);
  b.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

RunWriter::RunWriter(fs::path run_dir, std::string meta_base)
    : dir_(std::move(run_dir)), meta_base_(std::move(meta_base)) {
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

  rj::Document meta;
  meta.Parse(meta_base_.empty() ? "{}" : meta_base_.c_str());
  if (meta.HasParseError() || !meta.IsObject()) meta.SetObject();
  auto& a = meta.GetAllocator();
  auto set = [&](const char* k, rj::Value v) {
    if (meta.HasMember(k)) meta[k] = v;
    else meta.AddMember(rj::Value(k, a), v, a);
  };
  if (!meta.HasMember("run_id")) set("run_id", rj::Value(dir_.filename().string().c_str(), a));
  if (!meta.HasMember("timestamp")) set("timestamp", rj::Value(iso8601_utc_now().c_str(), a));
  set("packages_total", rj::Value(packages_));
  set("packages_completed", rj::Value(completed_));
  set("total_iterations", rj::Value(total_iterations_));
  set("total_duration_s", rj::Value(std::round(total_duration_ * 1000) / 1000));
  rj::StringBuffer mb;
  rj::PrettyWriter<rj::StringBuffer> mw(mb);
  meta.Accept(mw);
  atomic_write_file(dir_ / "ft_meta.json", std::string(mb.GetString(), mb.GetSize()) + "\n");

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
  sw.EndObject();
  atomic_write_file(dir_ / "ft_summary.json", std::string(sb.GetString(), sb.GetSize()) + "\n");
}

void write_run(const RunResults& run, const fs::path& dir, const std::string& meta_base) {
  RunWriter w(dir, meta_base);
  w.add(run.packages);
  w.finish();
}

}  // namespace labeille::analyzers
