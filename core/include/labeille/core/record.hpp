// The record model shared by the runner (writer) and the analyzers (reader).
// docs/records.md documents the JSON form field by field; this header is its source.
//
// Every record is one JSON object with "schema": 1 and "kind": "attempt" | "setup" |
// "probe" (and "started" for the marker below). A record lives in its own attempt
// directory (see fs.hpp):
//   <record-dir>/<package>/<mode>.iter<NN>.a<NNN>/record.json   kind "attempt"
//   <record-dir>/<package>/setup.a<NNN>/record.json              kind "setup"
//   <record-dir>/<package>/probe.a<NNN>/record.json              kind "probe"
// Readers ignore unknown keys (later schema-1 writers may add fields); a change that
// removes or retypes a field bumps "schema".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "labeille/core/outcome.hpp"
#include "labeille/core/time.hpp"

namespace labeille {

inline constexpr int kRecordSchema = 1;

struct CrashInfo {
  int signal = 0;                   // 0 when the crash was a fatal error without a signal
  std::string signal_name;          // "SIGSEGV", ...
  std::string fatal_error;          // "Fatal Python error: ..." line, if any
  std::vector<std::string> frames;  // top frames of the current thread, normalized
  std::string signature;            // stable across runs: no addresses, pids, thread ids
};

struct StallInfo {
  bool detected = false;
  double threshold_s = 0;
  double last_output_age_s = 0;  // silence when the runner acted (or at exit)
  std::string cpu_state;         // "idle" | "busy" | "" (not sampled)
  double cpu_seconds = 0;        // CPU time the tree used during the sample window
  double sample_s = 0;           // length of the sample window
  // Seconds since the tree last printed, used CPU or did I/O when the runner acted (or at
  // exit): a deadlock has been inactive for at least the threshold.
  double last_activity_age_s = 0;
  // At some point silent for the threshold while still using CPU or doing I/O: not a
  // deadlock (the run went on, and ended by itself or at the hard timeout).
  bool busy_silence = false;
};

struct TsanReport {
  std::string type;                 // as TSAN says: "data race", "heap-use-after-free", ...
  std::string kind;                 // "data race", "use after free", "lock-order inversion", "thread leak", ...
  std::vector<std::string> frames;  // the first stack (= stacks[0]), kept for older readers
  // The two access stacks (one for a thread leak: where the thread was created), each
  // trimmed to the frames in the package's own code ("bump_n _counter.c:8"); the
  // interpreter's frames only when the race has none of the package's.
  std::vector<std::vector<std::string>> stacks;
  std::string location;             // "_counter.c:8": file:line of the first stack's top frame
  // "data race | bump_n _counter.c:8 | bump_n _counter.c:8": the kind and the top frame of
  // each stack (sorted), so the same race has the same signature whichever thread came first.
  std::string signature;
  int count = 1;                    // reports with this signature in this attempt
};

// A stress attempt (runner --stress-threads N --stress-repeat K): the suite ran through
// pytest-run-parallel, every test N threads x K repetitions in one process; what the
// labeille_ft_stress pytest plugin counted.
struct StressTestCount {
  std::string id;       // JUnit-style "classname::name", as in the pytest JUnit
  int calls = 0;        // repetitions that ran
  int failures = 0;     // repetitions that failed
  std::string message;  // the first failure's "Type: first line"
};
struct ThreadUnsafeTest {
  std::string id, reason;  // run single-threaded by pytest-run-parallel, and why
};
struct StressInfo {
  int threads = 0, repeat = 0;
  bool reported = false;  // the plugin wrote its counts (not when the run died first)
  int tests_run = 0;      // tests the plugin saw repeated
  std::vector<StressTestCount> tests;           // those with at least one failed repetition
  std::vector<ThreadUnsafeTest> thread_unsafe;  // listed, never hidden
};

struct StreamInfo {
  std::string log_path;          // absolute path of the log file
  std::uint64_t bytes = 0;       // bytes the process wrote (also beyond the cap)
  bool truncated = false;        // log file hit its size cap
  std::string tail;              // last <= 64 KiB, sanitized UTF-8
};

struct AttemptRecord {
  std::string attempt_id;  // globally unique; the dedup key when shards are merged
  std::string package;
  std::string mode;        // "gil0" | "gil1" (free text allowed: "gil0-tsan")
  GilMode gil = GilMode::Off;
  int iteration = 0;       // 1-based
  int attempt = 0;         // 1-based, from claim_attempt_dir
  std::string test_name;   // CTest test name, e.g. "ft.foo.gil0.iter03"

  std::vector<std::string> command;  // argv; for shell commands {"/bin/sh", "-c", cmd}
  bool shell = false;
  std::string cwd;
  std::string venv;
  std::map<std::string, std::string> env_delta;  // what the runner set or removed ("" = removed)

  std::string start_time;  // ISO 8601 UTC with milliseconds, "2026-11-25T05:00:00.123Z"
  std::string end_time;
  double duration_s = 0;

  Outcome outcome = Outcome::Error;
  std::optional<int> exit_code;  // process exit status when it exited
  int term_signal = 0;           // signal that killed the main process (0 = none)
  std::string detail;            // one line for humans ("SIGSEGV in foo.bar", "stalled 5.0s, idle")
  std::string error_message;     // outcome error: why the command could not start

  std::optional<CrashInfo> crash;
  StallInfo stall;
  double timeout_s = 0;
  bool timed_out = false;
  bool interrupted = false;
  std::string thread_stacks;  // faulthandler dump(s) captured on stall, sanitized

  bool tsan_enabled = false;
  int tsan_count = 0;               // reports seen (before dedup)
  std::vector<TsanReport> tsan;     // deduplicated by signature
  std::string tsan_log_dir;         // where TSAN wrote one report.<pid> per process ("" without --tsan)
  std::string tsan_fatal;           // TSAN's own abort message, if it gave up ("" if not)

  std::optional<bool> gil_enabled_at_exit;  // from the startup hook; any process true -> true

  StreamInfo out;
  StreamInfo err;
  std::string last_output_line;
  std::string junit_path;  // pytest JUnit XML of this attempt, if it was written
  std::int64_t peak_rss_kb = 0;  // max RSS over the process tree (children rusage)
  std::optional<StressInfo> stress;  // stress attempts only (the key is absent otherwise)

  std::string host;
  std::string runner_version;
};

// One C extension module seen by the probe.
struct ExtensionInfo {
  std::string module;       // dotted name
  std::string path;
  bool import_ok = true;
  std::string import_error;
  std::optional<bool> reenabled_gil;  // importing it alone turned the GIL on
  std::string declaration;  // how the source declares free-threading support, "" if unknown:
                            // "Py_mod_gil", "PyUnstable_Module_SetGIL", "pybind11", "pyo3",
                            // "nanobind", "cython", or "none" when a scan found nothing
};

// Where a package's sources came from (the setup record's "source" object; fold copies it
// unchanged into the package's line of ft_results.jsonl).
struct SourceInfo {
  std::string kind;                             // "repo" | "sdist" | "path"
  std::optional<std::string> version;           // sdist version, or the checked-out commit
  std::optional<std::string> url;               // repository URL, sdist archive URL, or the path
  std::optional<std::string> fallback_reason;   // --source auto fell back to the sdist: why
  std::vector<std::string> adapted;             // install-command changes for an sdist, one line each
  std::optional<bool> tests_present;            // the test command's paths are there (null: unknown)
  std::optional<std::string> tests_note;        // why tests_present is false, exactly
};

// What the maintainers declare about free-threading (the setup record's "declared"
// object; fold copies it into ft_results.jsonl): the trove classifier
// "Programming Language :: Python :: Free Threading :: <level>" of the tested version, and
// whether the index publishes a wheel of that version the target interpreter installs.
struct DeclaredInfo {
  std::optional<std::string> classifier_level;  // "3 - Stable", ...; null: none declared or unknown
  std::optional<bool> ft_wheel;                 // null: the index could not be asked (see error)
  std::vector<std::string> ft_wheel_tags;       // tags of those wheels ("cp313-cp313t-manylinux_2_17_x86_64")
  std::optional<std::string> error;             // why a field is unknown
  std::optional<bool> on_index = {};            // the tested version is on the index; null: not asked
};

// Why a set-up step failed, by its root cause (the setup record's "cause" object; fold
// copies it into ft_results.jsonl as "setup_cause"): the distribution that failed to
// build, resolve, download or clone, what it is to the package, and the line that says
// why (docs/records.md).
struct CauseInfo {
  std::string step;                   // "source" | "install" | "extra_deps"
  std::string dependency;             // the distribution that failed: the package itself or a dependency
  std::optional<std::string> version; // the exact version that failed; null: not printed
  std::string requirement;            // what was asked when no version could be had: "python-sbom>=0.1.2"
  std::string role;                   // "" for the package itself; "a test dependency", "a build requirement of x", ...
  std::string failure;                // "failed to build", "has no matching distribution on the index", "could not be resolved", "could not be cloned"
  std::string line;                   // the line that says why
  bool blocks = false;                // a dependency (not the package itself) stopped the package
};
// "hypothesis 6.170.27 (a test dependency) failed to build: PyO3 does not support ...":
// the setup record's `error` when a cause was found (views put "install: " in front).
std::string cause_sentence(const CauseInfo& c);

// Seconds spent in each set-up step (the figures behind "seconds per package").
struct SetupSteps {
  double source_s = 0, venv_s = 0, install_s = 0, hook_s = 0, declared_s = 0;
};

struct SetupRecord {
  std::string attempt_id;
  std::string package;
  bool ok = false;
  std::string error;         // first line that explains a failure
  std::string stage;         // "source" | "venv" | "install" | "extra_deps" | "hook" | ""
  double duration_s = 0;
  std::string start_time, end_time;
  std::string install_from;  // "git" | "path" | "sdist"
  std::string commit;        // git commit of the sources, if any
  std::string version;       // installed distribution version
  std::string sdist_version;
  std::string source_dir, venv, python;
  std::string log_path;
  bool reused_venv = false;
  bool reused_install = false;     // the install stamp matched: nothing was installed (docs/setup.md)
  std::string installer;           // what installed the package: "uv" | "pip"
  std::string installer_fallback;  // why uv was given up for pip ("" = no fallback)
  std::string host;
  std::optional<SourceInfo> source;      // null in records written before it existed
  std::optional<DeclaredInfo> declared;
  std::optional<CauseInfo> cause;        // null when ok, or when the output named no cause
  SetupSteps steps;
};

struct ProbeRecord {
  std::string attempt_id;
  std::string package;
  std::string import_name;
  bool ok = false;            // the package imported
  std::string error;          // import error text
  std::optional<CrashInfo> crash;  // the import itself crashed
  std::optional<bool> gil_enabled_after_import;
  std::string gil_reenabled_by;    // module named by CPython's RuntimeWarning
  std::vector<ExtensionInfo> extensions;
  double duration_s = 0;
  std::string start_time, end_time;
  std::string host;
};

using Record = std::variant<AttemptRecord, SetupRecord, ProbeRecord>;

// started.json: what the runner writes into the attempt directory as it starts, before
// the command runs. Not a record (fold never counts it): when record.json never appears
// because something killed the runner (CTest's TIMEOUT, the OOM killer), it is what
// tells fold who the attempt was and what the runner's own timeout was, so a CTest kill
// past that timeout reads as a timeout even from CTest's JUnit alone.
struct StartedMarker {
  std::string attempt_id;
  std::string package, mode, test_name;
  int iteration = 0, attempt = 0;
  std::string start_time;
  double timeout_s = 0;  // the runner's own hard timeout (0: none)
  std::int64_t pid = 0;  // the runner's
  std::string host;
};

// Serialization. The writer always produces valid UTF-8 JSON (see sanitize_utf8) with
// "schema" and "kind" first. The reader throws labeille::Error naming `source`, the field
// and the value when a record is not schema 1 or a field has the wrong type.
std::string to_json(const AttemptRecord& r);
std::string to_json(const SetupRecord& r);
std::string to_json(const ProbeRecord& r);
Record parse_record(std::string_view json, std::string_view source);
// The "source" and "declared" objects alone (fold copies them into ft_results.jsonl):
// JSON object text, and back (throws labeille::Error naming `where` on a bad field).
std::string to_json(const SourceInfo& s);
std::string to_json(const DeclaredInfo& d);
SourceInfo parse_source_info(std::string_view json, std::string_view where);
DeclaredInfo parse_declared_info(std::string_view json, std::string_view where);
std::string to_json(const CauseInfo& c);
CauseInfo parse_cause_info(std::string_view json, std::string_view where);
std::string to_json(const StartedMarker& m);
StartedMarker parse_started(std::string_view json, std::string_view source);

}  // namespace labeille
