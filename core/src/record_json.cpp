#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "labeille/core/error.hpp"
#include "labeille/core/json.hpp"
#include "labeille/core/record.hpp"
#include "labeille/core/record_json.hpp"
#include "labeille/core/text.hpp"

namespace labeille {

namespace {

// Records are written and read with the shared helpers (core/json.hpp): every string
// sanitized, every field type checked.
using Out = json::Out<json::LineWriter>;
using In = json::Reader;

void write_crash(Out& o, const std::optional<CrashInfo>& c) {
  if (!c) return o.null();
  o.raw().StartObject();
  o.key("signal").integer(c->signal);
  o.key("signal_name").str(c->signal_name);
  o.key("fatal_error").str(c->fatal_error);
  o.key("frames").strings(c->frames);
  o.key("signature").str(c->signature);
  o.raw().EndObject();
}

void write_stress(Out& o, const StressInfo& s) {
  o.raw().StartObject();
  o.key("threads").integer(s.threads);
  o.key("repeat").integer(s.repeat);
  o.key("reported").boolean(s.reported);
  o.key("tests_run").integer(s.tests_run);
  o.key("tests");
  o.raw().StartArray();
  for (const auto& t : s.tests) {
    o.raw().StartObject();
    o.key("id").str(t.id);
    o.key("calls").integer(t.calls);
    o.key("failures").integer(t.failures);
    o.key("message").str(t.message);
    o.raw().EndObject();
  }
  o.raw().EndArray();
  o.key("thread_unsafe");
  o.raw().StartArray();
  for (const auto& t : s.thread_unsafe) {
    o.raw().StartObject();
    o.key("id").str(t.id);
    o.key("reason").str(t.reason);
    o.raw().EndObject();
  }
  o.raw().EndArray();
  o.raw().EndObject();
}

void write_stream(Out& o, const StreamInfo& s) {
  o.raw().StartObject();
  o.key("log_path").str(s.log_path);
  o.key("bytes").integer(static_cast<std::int64_t>(s.bytes));
  o.key("truncated").boolean(s.truncated);
  o.key("tail").str(s.tail);
  o.raw().EndObject();
}

}  // namespace

void write_json(Out& o, const SourceInfo& s) {
  o.raw().StartObject();
  o.key("kind").str(s.kind);
  o.key("version").opt_str(s.version);
  o.key("url").opt_str(s.url);
  o.key("fallback_reason").opt_str(s.fallback_reason);
  o.key("adapted").strings(s.adapted);
  o.key("tests_present").opt_bool(s.tests_present);
  o.key("tests_note").opt_str(s.tests_note);
  o.raw().EndObject();
}

void write_json(Out& o, const DeclaredInfo& d) {
  o.raw().StartObject();
  o.key("classifier_level").opt_str(d.classifier_level);
  o.key("ft_wheel").opt_bool(d.ft_wheel);
  o.key("ft_wheel_tags").strings(d.ft_wheel_tags);
  o.key("on_index").opt_bool(d.on_index);
  o.key("error").opt_str(d.error);
  o.raw().EndObject();
}

namespace {

template <class F>
std::string write_object(std::string_view kind, F&& body) {
  rapidjson::StringBuffer sb;
  json::LineWriter w(sb);
  Out o(w);
  w.StartObject();
  o.key("schema").integer(kRecordSchema);
  o.key("kind").str(kind);
  body(o);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

// ---- reading ----------------------------------------------------------------------

std::optional<CrashInfo> read_crash(const In& in, std::string_view k) {
  auto c = in.object(k);
  if (!c) return std::nullopt;
  CrashInfo ci;
  ci.signal = c->int32("signal");
  ci.signal_name = c->str("signal_name");
  ci.fatal_error = c->str("fatal_error");
  ci.frames = c->strings("frames");
  ci.signature = c->str("signature");
  return ci;
}

StressInfo read_stress(const In& in) {
  StressInfo s;
  s.threads = in.count("threads");
  s.repeat = in.count("repeat");
  s.reported = in.boolean("reported");
  s.tests_run = in.count("tests_run");
  in.each("tests", [&](const In& t) {
    s.tests.push_back({t.str("id"), t.count("calls"), t.count("failures"),
                       t.str("message")});
  });
  in.each("thread_unsafe", [&](const In& t) { s.thread_unsafe.push_back({t.str("id"), t.str("reason")}); });
  return s;
}

StreamInfo read_stream(const In& in, std::string_view k) {
  StreamInfo s;
  auto o = in.object(k);
  if (!o) return s;
  s.log_path = o->str("log_path");
  auto bytes = o->integer("bytes");
  if (bytes < 0) o->bad("bytes", "an integer >= 0");
  s.bytes = static_cast<std::uint64_t>(bytes);
  s.truncated = o->boolean("truncated");
  s.tail = o->str("tail");
  return s;
}

}  // namespace

std::string to_json(const AttemptRecord& r) {
  return write_object("attempt", [&](Out& o) {
    o.key("attempt_id").str(r.attempt_id);
    o.key("package").str(r.package);
    o.key("mode").str(r.mode);
    o.key("gil").str(to_string(r.gil));
    o.key("iteration").integer(r.iteration);
    o.key("attempt").integer(r.attempt);
    o.key("test_name").str(r.test_name);
    o.key("command").strings(r.command);
    o.key("shell").boolean(r.shell);
    o.key("cwd").str(r.cwd);
    o.key("venv").str(r.venv);
    o.key("env_delta");
    o.raw().StartObject();
    for (const auto& [k, v] : r.env_delta) o.key(k).str(v);
    o.raw().EndObject();
    o.key("start_time").str(r.start_time);
    o.key("end_time").str(r.end_time);
    o.key("duration_s").num(r.duration_s);
    o.key("outcome").str(to_string(r.outcome));
    o.key("exit_code");
    r.exit_code ? o.integer(*r.exit_code) : o.null();
    o.key("term_signal").integer(r.term_signal);
    o.key("detail").str(r.detail);
    o.key("error_message").str(r.error_message);
    o.key("crash");
    write_crash(o, r.crash);
    o.key("stall");
    o.raw().StartObject();
    o.key("detected").boolean(r.stall.detected);
    o.key("threshold_s").num(r.stall.threshold_s);
    o.key("last_output_age_s").num(r.stall.last_output_age_s);
    o.key("cpu_state").str(r.stall.cpu_state);
    o.key("cpu_seconds").num(r.stall.cpu_seconds);
    o.key("sample_s").num(r.stall.sample_s);
    o.key("last_activity_age_s").num(r.stall.last_activity_age_s);
    o.key("busy_silence").boolean(r.stall.busy_silence);
    o.raw().EndObject();
    o.key("timeout_s").num(r.timeout_s);
    o.key("timed_out").boolean(r.timed_out);
    o.key("interrupted").boolean(r.interrupted);
    o.key("thread_stacks").str(r.thread_stacks);
    o.key("tsan_enabled").boolean(r.tsan_enabled);
    o.key("tsan_count").integer(r.tsan_count);
    o.key("tsan");
    o.raw().StartArray();
    for (const auto& t : r.tsan) {
      o.raw().StartObject();
      o.key("type").str(t.type);
      o.key("kind").str(t.kind);
      o.key("frames").strings(t.frames);
      o.key("stacks");
      o.raw().StartArray();
      for (const auto& st : t.stacks) o.strings(st);
      o.raw().EndArray();
      o.key("location").str(t.location);
      o.key("signature").str(t.signature);
      o.key("count").integer(t.count);
      o.raw().EndObject();
    }
    o.raw().EndArray();
    o.key("tsan_log_dir").str(r.tsan_log_dir);
    o.key("tsan_fatal").str(r.tsan_fatal);
    o.key("gil_enabled_at_exit").opt_bool(r.gil_enabled_at_exit);
    o.key("stdout");
    write_stream(o, r.out);
    o.key("stderr");
    write_stream(o, r.err);
    o.key("last_output_line").str(r.last_output_line);
    o.key("junit_path").str(r.junit_path);
    o.key("peak_rss_kb").integer(r.peak_rss_kb);
    if (r.stress) {
      o.key("stress");
      write_stress(o, *r.stress);
    }
    o.key("host").str(r.host);
    o.key("runner_version").str(r.runner_version);
  });
}

std::string to_json(const SetupRecord& r) {
  return write_object("setup", [&](Out& o) {
    o.key("attempt_id").str(r.attempt_id);
    o.key("package").str(r.package);
    o.key("ok").boolean(r.ok);
    o.key("error").str(r.error);
    o.key("stage").str(r.stage);
    o.key("duration_s").num(r.duration_s);
    o.key("start_time").str(r.start_time);
    o.key("end_time").str(r.end_time);
    o.key("install_from").str(r.install_from);
    o.key("commit").str(r.commit);
    o.key("version").str(r.version);
    o.key("sdist_version").str(r.sdist_version);
    o.key("source_dir").str(r.source_dir);
    o.key("venv").str(r.venv);
    o.key("python").str(r.python);
    o.key("log_path").str(r.log_path);
    o.key("reused_venv").boolean(r.reused_venv);
    o.key("reused_install").boolean(r.reused_install);
    o.key("installer").str(r.installer);
    o.key("installer_fallback").str(r.installer_fallback);
    o.key("host").str(r.host);
    o.key("source");
    r.source ? write_json(o, *r.source) : o.null();
    o.key("declared");
    r.declared ? write_json(o, *r.declared) : o.null();
    o.key("cause");
    r.cause ? write_json(o, *r.cause) : o.null();
    o.key("steps_s").raw().StartObject();
    o.key("source").num(r.steps.source_s);
    o.key("venv").num(r.steps.venv_s);
    o.key("install").num(r.steps.install_s);
    o.key("hook").num(r.steps.hook_s);
    o.key("declared").num(r.steps.declared_s);
    o.raw().EndObject();
  });
}

template <class F>
std::string write_value(F&& body) {
  rapidjson::StringBuffer sb;
  json::LineWriter w(sb);
  Out o(w);
  body(o);
  return std::string(sb.GetString(), sb.GetSize());
}

std::string to_json(const SourceInfo& s) {
  return write_value([&](Out& o) { write_json(o, s); });
}

std::string to_json(const DeclaredInfo& d) {
  return write_value([&](Out& o) { write_json(o, d); });
}

std::string to_json(const CauseInfo& c) {
  return write_value([&](Out& o) { write_json(o, c); });
}

std::string cause_sentence(const CauseInfo& c) {
  std::string who = !c.requirement.empty() ? c.requirement : c.dependency;
  if (c.requirement.empty() && c.version && !c.version->empty()) who += " " + *c.version;
  if (!c.role.empty()) who += " (" + c.role + ")";
  std::string o = who.empty() ? c.failure : who + " " + c.failure;
  if (!c.line.empty()) o += ": " + c.line;
  return o;
}

std::string to_json(const ProbeRecord& r) {
  return write_object("probe", [&](Out& o) {
    o.key("attempt_id").str(r.attempt_id);
    o.key("package").str(r.package);
    o.key("import_name").str(r.import_name);
    o.key("ok").boolean(r.ok);
    o.key("error").str(r.error);
    o.key("crash");
    write_crash(o, r.crash);
    o.key("gil_enabled_after_import").opt_bool(r.gil_enabled_after_import);
    o.key("gil_reenabled_by").str(r.gil_reenabled_by);
    o.key("extensions");
    o.raw().StartArray();
    for (const auto& e : r.extensions) {
      o.raw().StartObject();
      o.key("module").str(e.module);
      o.key("path").str(e.path);
      o.key("import_ok").boolean(e.import_ok);
      o.key("import_error").str(e.import_error);
      o.key("reenabled_gil").opt_bool(e.reenabled_gil);
      o.key("declaration").str(e.declaration);
      o.raw().EndObject();
    }
    o.raw().EndArray();
    o.key("duration_s").num(r.duration_s);
    o.key("start_time").str(r.start_time);
    o.key("end_time").str(r.end_time);
    o.key("host").str(r.host);
  });
}

namespace {
// Parses `json` into doc and checks that it is a schema-1 object; returns its reader.
In open_record(rapidjson::Document& doc, std::string_view json, std::string_view source) {
  doc = json::parse_object(json, source);
  In in(doc, source);
  auto schema = in.integer("schema");
  if (schema != kRecordSchema)
    throw Error(fmt::format("{}: schema: expected {} (the schema this build reads), got {}", source, kRecordSchema,
                            schema));
  return in;
}
}  // namespace

std::string to_json(const StartedMarker& m) {
  return write_object("started", [&](Out& o) {
    o.key("attempt_id").str(m.attempt_id);
    o.key("package").str(m.package);
    o.key("mode").str(m.mode);
    o.key("test_name").str(m.test_name);
    o.key("iteration").integer(m.iteration);
    o.key("attempt").integer(m.attempt);
    o.key("start_time").str(m.start_time);
    o.key("timeout_s").num(m.timeout_s);
    o.key("pid").integer(m.pid);
    o.key("host").str(m.host);
  });
}

StartedMarker parse_started(std::string_view json, std::string_view source) {
  rapidjson::Document doc;
  In in = open_record(doc, json, source);
  if (in.str("kind") != "started") in.bad("kind", "\"started\"");
  StartedMarker m;
  m.attempt_id = in.str("attempt_id");
  m.package = in.str("package");
  m.mode = in.str("mode");
  m.test_name = in.str("test_name");
  m.iteration = in.int32("iteration");
  m.attempt = in.int32("attempt");
  m.start_time = in.str("start_time");
  m.timeout_s = in.num("timeout_s");
  m.pid = in.integer("pid");
  m.host = in.str("host");
  return m;
}

SourceInfo read_source_info(const In& in) {
  SourceInfo s;
  s.kind = in.str("kind");
  s.version = in.opt_str("version");
  s.url = in.opt_str("url");
  s.fallback_reason = in.opt_str("fallback_reason");
  s.adapted = in.strings("adapted");
  s.tests_present = in.opt_bool("tests_present");
  s.tests_note = in.opt_str("tests_note");
  return s;
}

DeclaredInfo read_declared_info(const In& in) {
  DeclaredInfo d;
  d.classifier_level = in.opt_str("classifier_level");
  d.ft_wheel = in.opt_bool("ft_wheel");
  d.ft_wheel_tags = in.strings("ft_wheel_tags");
  d.on_index = in.opt_bool("on_index");
  d.error = in.opt_str("error");
  return d;
}

SourceInfo parse_source_info(std::string_view json, std::string_view where) {
  const rapidjson::Document doc = json::parse_object(json, where);
  return read_source_info(In(doc, where));
}

DeclaredInfo parse_declared_info(std::string_view json, std::string_view where) {
  const rapidjson::Document doc = json::parse_object(json, where);
  return read_declared_info(In(doc, where));
}

void write_json(Out& o, const CauseInfo& c) {
  o.raw().StartObject();
  o.key("step").str(c.step);
  o.key("dependency").str(c.dependency);
  o.key("version").opt_str(c.version);
  o.key("requirement").str(c.requirement);
  o.key("role").str(c.role);
  o.key("failure").str(c.failure);
  o.key("line").str(c.line);
  o.key("blocks").boolean(c.blocks);
  o.raw().EndObject();
}

CauseInfo read_cause_info(const In& in) {
  CauseInfo c;
  c.step = in.str("step");
  c.dependency = in.str("dependency");
  c.version = in.opt_str("version");
  c.requirement = in.str("requirement");
  c.role = in.str("role");
  c.failure = in.str("failure");
  c.line = in.str("line");
  c.blocks = in.boolean("blocks", false);
  return c;
}

CauseInfo parse_cause_info(std::string_view json, std::string_view where) {
  const rapidjson::Document doc = json::parse_object(json, where);
  return read_cause_info(In(doc, where));
}

namespace {

// One reader per record kind, mirroring the to_json overloads above.
AttemptRecord read_attempt(const In& in) {
  AttemptRecord r;
  r.attempt_id = in.str("attempt_id");
  r.package = in.str("package");
  r.mode = in.str("mode");
  auto gil = gil_mode_from_string(in.str("gil"));
  if (!gil) in.bad("gil", "\"0\", \"1\" or \"unset\"");
  r.gil = *gil;
  r.iteration = in.int32("iteration");
  r.attempt = in.int32("attempt");
  r.test_name = in.str("test_name");
  r.command = in.strings("command");
  r.shell = in.boolean("shell");
  r.cwd = in.str("cwd");
  r.venv = in.str("venv");
  for (auto& [k, v] : in.string_map("env_delta")) r.env_delta[k] = v;
  r.start_time = in.str("start_time");
  r.end_time = in.str("end_time");
  r.duration_s = in.num("duration_s");
  std::string outcome = in.str("outcome");
  auto oc = outcome_from_string(outcome);
  if (!oc) in.bad("outcome", "one of the outcomes of docs/records.md");
  r.outcome = *oc;
  r.exit_code = in.opt_int("exit_code");
  r.term_signal = in.int32("term_signal");
  r.detail = in.str("detail");
  r.error_message = in.str("error_message");
  r.crash = read_crash(in, "crash");
  if (auto s = in.object("stall")) {
    r.stall.detected = s->boolean("detected");
    r.stall.threshold_s = s->num("threshold_s");
    r.stall.last_output_age_s = s->num("last_output_age_s");
    r.stall.cpu_state = s->str("cpu_state");
    r.stall.cpu_seconds = s->num("cpu_seconds");
    r.stall.sample_s = s->num("sample_s");
    r.stall.last_activity_age_s = s->num("last_activity_age_s");
    r.stall.busy_silence = s->boolean("busy_silence");
  }
  r.timeout_s = in.num("timeout_s");
  r.timed_out = in.boolean("timed_out");
  r.interrupted = in.boolean("interrupted");
  r.thread_stacks = in.str("thread_stacks");
  r.tsan_enabled = in.boolean("tsan_enabled");
  r.tsan_count = in.int32("tsan_count");
  in.each("tsan", [&](const In& t) {
    TsanReport tr;
    tr.type = t.str("type");
    tr.kind = t.str("kind");
    tr.frames = t.strings("frames");
    tr.stacks = t.string_lists("stacks");
    tr.location = t.str("location");
    tr.signature = t.str("signature");
    tr.count = t.int32("count");
    r.tsan.push_back(std::move(tr));
  });
  r.tsan_log_dir = in.str("tsan_log_dir");
  r.tsan_fatal = in.str("tsan_fatal");
  r.gil_enabled_at_exit = in.opt_bool("gil_enabled_at_exit");
  r.out = read_stream(in, "stdout");
  r.err = read_stream(in, "stderr");
  r.last_output_line = in.str("last_output_line");
  r.junit_path = in.str("junit_path");
  r.peak_rss_kb = in.integer("peak_rss_kb");
  if (auto s = in.object("stress")) r.stress = read_stress(*s);
  r.host = in.str("host");
  r.runner_version = in.str("runner_version");
  return r;
}

SetupRecord read_setup(const In& in) {
  SetupRecord r;
  r.attempt_id = in.str("attempt_id");
  r.package = in.str("package");
  r.ok = in.boolean("ok");
  r.error = in.str("error");
  r.stage = in.str("stage");
  r.duration_s = in.num("duration_s");
  r.start_time = in.str("start_time");
  r.end_time = in.str("end_time");
  r.install_from = in.str("install_from");
  r.commit = in.str("commit");
  r.version = in.str("version");
  r.sdist_version = in.str("sdist_version");
  r.source_dir = in.str("source_dir");
  r.venv = in.str("venv");
  r.python = in.str("python");
  r.log_path = in.str("log_path");
  r.reused_venv = in.boolean("reused_venv");
  r.reused_install = in.boolean("reused_install", false);  // absent before it existed
  r.installer = in.str("installer");
  r.installer_fallback = in.str("installer_fallback");
  r.host = in.str("host");
  if (auto x = in.object("source")) r.source = read_source_info(*x);
  if (auto x = in.object("declared")) r.declared = read_declared_info(*x);
  if (auto x = in.object("cause")) r.cause = read_cause_info(*x);
  if (auto st = in.object("steps_s"))
    r.steps = {st->num("source"), st->num("venv"), st->num("install"), st->num("hook"), st->num("declared")};
  return r;
}

ProbeRecord read_probe(const In& in) {
  ProbeRecord r;
  r.attempt_id = in.str("attempt_id");
  r.package = in.str("package");
  r.import_name = in.str("import_name");
  r.ok = in.boolean("ok");
  r.error = in.str("error");
  r.crash = read_crash(in, "crash");
  r.gil_enabled_after_import = in.opt_bool("gil_enabled_after_import");
  r.gil_reenabled_by = in.str("gil_reenabled_by");
  in.each("extensions", [&](const In& e) {
    ExtensionInfo x;
    x.module = e.str("module");
    x.path = e.str("path");
    x.import_ok = e.boolean("import_ok", true);
    x.import_error = e.str("import_error");
    x.reenabled_gil = e.opt_bool("reenabled_gil");
    x.declaration = e.str("declaration");
    r.extensions.push_back(std::move(x));
  });
  r.duration_s = in.num("duration_s");
  r.start_time = in.str("start_time");
  r.end_time = in.str("end_time");
  r.host = in.str("host");
  return r;
}

}  // namespace

Record parse_record(std::string_view json, std::string_view source) {
  rapidjson::Document doc;
  In in = open_record(doc, json, source);
  std::string kind = in.str("kind");
  if (kind == "attempt") return read_attempt(in);
  if (kind == "setup") return read_setup(in);
  if (kind == "probe") return read_probe(in);
  in.bad("kind", "\"attempt\", \"setup\" or \"probe\"");
}

}  // namespace labeille
