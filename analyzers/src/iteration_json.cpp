#include "iteration_json.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace labeille::analyzers {

namespace {

// A per-test status as the Python tool writes it (pytest -v's words): the model keeps
// JUnit's lower-case words. XFAIL counts as skipped and XPASS as passed, as pytest's
// JUnit writer does (model_test_status).
std::string_view python_test_status(std::string_view s) {
  if (s == "passed") return "PASSED";
  if (s == "failed") return "FAILED";
  if (s == "error") return "ERROR";
  if (s == "skipped") return "SKIPPED";
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

}  // namespace

std::string model_test_status(std::string s) {
  if (s == "PASSED" || s == "XPASS") return "passed";
  if (s == "FAILED") return "failed";
  if (s == "ERROR") return "error";
  if (s == "SKIPPED" || s == "XFAIL") return "skipped";
  return s;
}

// One run, as in the Python tool's "iterations" (plus our keys).
void write_iteration(JsonLine& o, const IterationResult& it, bool per_test) {
  auto& w = o.raw();
  w.StartObject();
  o.key("index").integer(it.index);
  o.key("status").str(it.status);
  o.key("exit_code");
  it.exit_code ? o.integer(*it.exit_code) : o.null();
  o.key("duration_s").num(std::round(it.duration_s * 1000) / 1000);
  o.key("crash_signal").str_or_null(it.crash_signal);
  o.key("crash_signature").str_or_null(it.crash_signature);
  o.key("tsan_warnings").strings(it.tsan_warnings);
  o.key("output_stalled").boolean(it.output_stalled);
  o.key("last_output_line").str(it.last_output_line);
  o.key("stderr_tail").str(it.stderr_tail);
  if (per_test) {
    o.key("test_results");
    w.StartObject();
    for (const auto& t : it.test_results) o.key(t.id).str(python_test_status(t.status));
    w.EndObject();
  }
  o.key("tests_passed").integer(it.tests_passed);
  o.key("tests_failed").integer(it.tests_failed);
  o.key("tests_errored").integer(it.tests_errored);
  o.key("tests_skipped").integer(it.tests_skipped);
  o.key("tsan_warning_count").integer(it.tsan_warning_count);
  o.key("iteration").integer(it.iteration);
  o.key("attempt").integer(it.attempt);
  o.key("stall_cpu_state").str(it.stall_cpu_state);
  o.key("stall_signature").str(it.stall_signature);
  o.key("gil_enabled").opt_bool(it.gil_enabled);
  o.key("attempt_id").str(it.attempt_id);
  o.key("mode").str(it.mode);
  // Why the run did not pass (evidence.hpp): every view's first error, the html report's
  // heatmap and runs table.
  o.key("first_error").str(it.first_error);
  if (per_test) {
    o.key("test_messages");
    w.StartObject();
    for (const auto& t : it.test_results)
      if (!t.message.empty()) o.key(t.id).str(t.message);
    w.EndObject();
  }
  w.EndObject();
}

void write_iterations(JsonLine& o, std::string_view key, const std::vector<IterationResult>& runs, bool per_test) {
  o.key(key);
  o.raw().StartArray();
  for (const auto& it : runs) write_iteration(o, it, per_test);
  o.raw().EndArray();
}

IterationResult read_iteration(const json::Reader& e, bool stderr_tail) {
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
  if (stderr_tail) it.stderr_tail = e.str("stderr_tail");
  else e.check_str("stderr_tail");
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

}  // namespace labeille::analyzers
