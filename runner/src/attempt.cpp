#include "labeille/runner/attempt.hpp"

#include <unistd.h>

#include <algorithm>
#include <ostream>
#include <regex>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "labeille/core/test_names.hpp"
#include "labeille/core/ctest_output.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/pytest_output.hpp"
#include "labeille/core/stopping_rule.hpp"
#include "labeille/core/text.hpp"
#include "labeille/core/time.hpp"
#include "labeille/observe/classify.hpp"
#include "labeille/observe/environment.hpp"
#include "labeille/observe/output_scan.hpp"
#include "labeille/observe/tsan.hpp"
#include "labeille/runner/stress.hpp"
#include "labeille/runner/tree_copy.hpp"

namespace fs = std::filesystem;

namespace labeille::runner {

// An attempt is mostly the watching of one test command (observe/, shared with set-up's
// import probe).
using namespace observe;

namespace {

// The reports TSAN wrote into the attempt directory join those seen on the streams. A
// TSAN abort (it exits with exitcode=0, so only its message tells) turns a pass or a fail
// into a crash whose signature is TSAN's message.
void apply_tsan_logs(const TsanLogs& logs, AttemptRecord& r, Verdict& v) {
  r.tsan_count += logs.count;
  merge_tsan_reports(r.tsan, logs.reports, OutputScanner::kMaxDistinctTsan);
  r.tsan_fatal = logs.fatal;
  if (logs.fatal.empty() || (v.outcome != Outcome::Pass && v.outcome != Outcome::Fail)) return;
  CrashInfo c;
  c.fatal_error = logs.fatal;
  c.signature = logs.fatal;
  v = {Outcome::Crash, "ThreadSanitizer aborted: " + logs.fatal, std::move(c)};
}

}  // namespace

std::optional<Options> parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"labeille-ft-runner: run one attempt of a test command under supervision "
               "(stall, crash, TSAN detection; no orphans) and write one attempt record."};
  app.add_option("--record-dir", o.record_dir, "Root of the attempt records")->required();
  app.add_option("--package", o.package, "Package name (PEP 508)")->required();
  app.add_option("--mode", o.mode, "Mode label: gil0, gil1, ...")->capture_default_str();
  app.add_option("--gil", o.gil, "PYTHON_GIL for the command: 0, 1 or unset (default: from --mode)")
      ->check(CLI::IsMember({"0", "1", "unset"}));
  app.add_option("--iteration", o.iteration, "Iteration number (1-based)")->check(CLI::Range(1, 1000000));
  app.add_option("--test-name", o.test_name, "CTest test name (default ft.<package>.<mode>.iter<NN>)");
  app.add_option("--cwd", o.cwd, "Working directory of the command")->check(CLI::ExistingDirectory);
  app.add_option("--venv", o.venv, "Virtual environment: its bin/ goes first on PATH")->check(CLI::ExistingDirectory);
  app.add_option("--stall-threshold", o.stall_threshold_s, "Seconds without output before a stall (0: off)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "Hard timeout in seconds (0: off)")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--grace", o.grace_s, "Seconds between SIGTERM and SIGKILL")->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--stall-sample", o.sample_s,
                 "Seconds the tree's CPU is sampled (and stacks dumped) before a stall is ended")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--drain", o.drain_s, "Seconds to wait for output after the main process exits")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--log-cap", o.log_cap, "Bytes kept per log file")->capture_default_str();
  std::vector<std::string> env;
  app.add_option("--env", env, "Extra KEY=VALUE for the command (repeatable, applied last)");
  app.add_flag("--tsan", o.tsan,
               "ThreadSanitizer: TSAN_OPTIONS for the command (reports into the attempt directory, exit status "
               "kept) and its reports in the record");
  app.add_option("--tsan-suppressions", o.tsan_suppressions, "TSAN suppressions file (with --tsan)")
      ->check(CLI::ExistingFile);
  app.add_flag("--skip-if-passed", o.skip_if_passed,
               "Stop-on-first-pass: skip (exit 77) when package+mode already passed");
  app.add_option("--until-bound", o.until_bound,
                 "Skip (exit 77) once package+mode's verdict is settled: all passed with a 95% failure-rate "
                 "bound <= R, passes and failures both seen, or all failed with a bound > 1 - R")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--control-for", o.control_for,
                 "A GIL=1 control of MODE (e.g. gil0): skip (exit 77) when every attempt of MODE recorded so far passed")
      ->type_name("MODE");
  app.add_option("--copy-cwd-in", o.copy_cwd_in,
                 "Run in a private copy of --cwd made under DIR (reflinks where possible, else a copy; removed "
                 "afterwards), so attempts of one package can run side by side")
      ->type_name("DIR");
  app.add_option("--stress-threads", o.stress_threads,
                 "A stress attempt: pytest-run-parallel runs every test in N threads (needs set-up --stress)")
      ->check(CLI::Range(1, 256));
  app.add_option("--stress-repeat", o.stress_repeat, "Stress attempts: each thread repeats every test K times")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  app.add_option("--stress-budget", o.stress_budget_s,
                 "Stress attempts: choose the repetitions so the attempt costs about S seconds of CPU, from the "
                 "mean duration of the package's plain gil0 runs recorded so far (budgeted_stress_repeat); "
                 "--stress-repeat is then the maximum. 0: always --stress-repeat")
      ->check(CLI::NonNegativeNumber)->type_name("S");
  app.add_flag("--quiet", o.quiet, "Print only the CTest tags");
  app.add_flag("--echo", o.echo, "Copy the command's output to the runner's own stdout/stderr");
  app.add_option("--shell", o.shell, "Run COMMAND with /bin/sh -c");
  app.add_option("command", o.argv, "The command (after --)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    throw Error(e.what(), kExitToolUsage);
  }
  for (const auto& kv : env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(fmt::format("--env \"{}\": expected KEY=VALUE", kv), kExitToolUsage);
    o.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (!o.tsan_suppressions.empty() && !o.tsan)
    throw Error("--tsan-suppressions needs --tsan", kExitToolUsage);
  if (o.shell.empty() == o.argv.empty())
    throw Error("give the command either with --shell \"COMMAND\" or after --", kExitToolUsage);
  if (!is_package_name(o.package))
    throw Error(fmt::format("--package \"{}\": not a PEP 508 name (letters, digits, '.', '_', '-')", o.package),
                kExitToolUsage);
  if (o.stress_threads > 0 && o.venv.empty())
    throw Error("--stress-threads needs --venv (the stress tools live in <venv>/labeille-ft-stress)", kExitToolUsage);
  static const std::regex mode_re("^[A-Za-z0-9][A-Za-z0-9._-]*$");
  if (!std::regex_match(o.mode, mode_re))
    throw Error(fmt::format("--mode \"{}\": use letters, digits, '.', '_', '-'", o.mode), kExitToolUsage);
  if (!o.control_for.empty() && !std::regex_match(o.control_for, mode_re))
    throw Error(fmt::format("--control-for \"{}\": use letters, digits, '.', '_', '-'", o.control_for), kExitToolUsage);
  if (!o.copy_cwd_in.empty() && o.cwd.empty())
    throw Error("--copy-cwd-in needs --cwd (the tree to copy)", kExitToolUsage);
  return o;
}

namespace {

// The package+mode attempts recorded so far. An unreadable record proves nothing and
// tells no duration: it is left out.
std::vector<AttemptRecord> earlier_attempts(const fs::path& record_dir, const std::string& package,
                                            const std::string& mode) {
  std::vector<AttemptRecord> out;
  std::error_code ec;
  const std::string prefix = mode + ".iter";
  for (auto& e : fs::directory_iterator(record_dir / package, ec)) {
    if (e.path().filename().string().rfind(prefix, 0) != 0) continue;
    auto rec = e.path() / attempt_files::kRecord;
    if (!fs::exists(rec)) continue;
    try {
      auto r = parse_record(read_file(rec), rec.string());
      if (auto* a = std::get_if<AttemptRecord>(&r); a && a->mode == mode) out.push_back(std::move(*a));
    } catch (const Error&) {
    }
  }
  return out;
}

}  // namespace

std::vector<Outcome> earlier_outcomes(const fs::path& record_dir, const std::string& package, const std::string& mode) {
  std::vector<Outcome> out;
  for (const auto& a : earlier_attempts(record_dir, package, mode)) out.push_back(a.outcome);
  return out;
}

double earlier_mean_duration(const fs::path& record_dir, const std::string& package, const std::string& mode) {
  double total = 0;
  int n = 0;
  for (const auto& a : earlier_attempts(record_dir, package, mode))
    if (a.outcome == Outcome::Pass || a.outcome == Outcome::Fail) {
      total += a.duration_s;
      ++n;
    }
  return n ? total / n : 0.0;
}

std::string skip_reason(const Options& o, const std::vector<Outcome>& earlier) {
  if (o.skip_if_passed && std::find(earlier.begin(), earlier.end(), Outcome::Pass) != earlier.end())
    return "an earlier iteration passed (stop-on-first-pass)";
  if (o.until_bound > 0) {
    int passes = 0, failures = 0;
    for (auto oc : earlier) {
      if (!counts_as_iteration(oc)) continue;
      (oc == Outcome::Pass ? passes : failures)++;
    }
    if (auto d = until_bound_decision(passes, failures, o.until_bound); d.stop) return "verdict settled (until-bound): " + d.reason;
  }
  return "";
}

std::string control_skip_reason(const std::vector<Outcome>& controlled) {
  bool ran = false;
  for (auto oc : controlled) {
    if (oc == Outcome::Skipped || oc == Outcome::Interrupted) continue;  // no evidence either way
    if (oc != Outcome::Pass) return "";
    ran = true;
  }
  return ran ? std::string(kGilControlNotNeeded) : "";
}

std::string ctest_tags(const AttemptRecord& r) {
  std::string s;
  // How each tag must be written (measurements escaped, details not): core/ctest_output.hpp.
  auto measure = [&](std::string_view type, std::string_view name, std::string_view value) {
    s += ctest_measurement_line(type, name, value);
  };
  measure("text/string", "outcome", to_string(r.outcome));
  measure("numeric/double", "duration_s", fmt::format("{:.3f}", r.duration_s));
  measure("text/string", "gil", to_string(r.gil));
  measure("numeric/double", "attempt", std::to_string(r.attempt));
  if (r.crash) measure("text/string", "crash_signature", r.crash->signature);
  if (r.stall.detected) measure("text/string", "stall_cpu_state", r.stall.cpu_state);
  if (r.tsan_enabled) measure("numeric/double", "tsan_reports", std::to_string(r.tsan_count));
  if (r.gil_enabled_at_exit) measure("text/string", "gil_enabled_at_exit", *r.gil_enabled_at_exit ? "true" : "false");
  s += fmt::format("<CTestLabel>ft.outcome.{}</CTestLabel>\n", to_string(r.outcome));
  s += fmt::format("<CTestLabel>ft.{}</CTestLabel>\n", r.mode);
  s += ctest_details_line(fmt::format("{}: {}", to_string(r.outcome), r.detail));
  return s;
}

int run_attempt(const Options& o, std::ostream& out) {
  // The attempt directory's stem is the test name's <mode>.iter<NN> (core/test_names.hpp),
  // so it has as many digits as the module gave <NN> (3 from 100 iterations on) and the
  // fold maps a directory back to its test.
  std::string stem = test_names::iteration_stem(o.mode, o.iteration);
  if (auto t = test_names::parse(o.test_name); t && t->package == o.package && t->kind == o.mode &&
                                                t->iteration == o.iteration)
    stem = t->canonical.substr(test_names::fixture(o.package).size() + 1);
  auto claimed = claim_attempt_dir(o.record_dir / o.package, stem);
  const fs::path dir = fs::absolute(claimed.dir);

  AttemptRecord r;
  r.package = o.package;
  r.mode = o.mode;
  auto gil = o.gil.empty() ? gil_mode_from_string(o.mode) : gil_mode_from_string(o.gil);
  r.gil = gil.value_or(GilMode::Unset);
  r.iteration = o.iteration;
  r.attempt = claimed.attempt;
  r.test_name = o.test_name.empty() ? test_names::iteration(o.package, o.mode, o.iteration) : o.test_name;
  r.shell = !o.shell.empty();
  r.command = r.shell ? std::vector<std::string>{"/bin/sh", "-c", o.shell} : o.argv;
  r.cwd = o.cwd.empty() ? fs::current_path().string() : fs::absolute(o.cwd).string();
  r.venv = o.venv.empty() ? "" : fs::absolute(o.venv).string();
  r.timeout_s = o.timeout_s;
  r.tsan_enabled = o.tsan;
  r.host = host_name();
  r.runner_version = LABEILLE_FT_VERSION;
  const auto start_ms = epoch_ms();
  r.attempt_id = fmt::format("{}:{}:{}:{}", r.host, ::getpid(), start_ms, dir.filename().string());
  r.start_time = iso8601_utc_from_ms(start_ms);
  r.stall.threshold_s = o.stall_threshold_s;
  {
    StartedMarker m{r.attempt_id, r.package, r.mode, r.test_name, r.iteration, r.attempt,
                    r.start_time, r.timeout_s, ::getpid(), r.host};
    atomic_write_file(dir / attempt_files::kStarted, to_json(m), Sync::No);
  }

  auto finish = [&](const Verdict& v) {
    r.outcome = v.outcome;
    r.detail = v.detail;
    r.crash = v.crash;
    r.end_time = iso8601_utc_now();
    atomic_write_file(dir / attempt_files::kRecord, to_json(r));
    if (!o.quiet) {
      out << fmt::format("labeille-ft-runner: {}: {} ({}) in {:.2f} s\n  record: {}\n", r.test_name,
                         to_string(r.outcome), r.detail, r.duration_s, (dir / attempt_files::kRecord).string());
      if (r.outcome != Outcome::Pass && r.outcome != Outcome::Skipped) {
        if (!r.err.tail.empty()) out << "  stderr (last lines):\n" << last_lines(r.err.tail, 20, "    | ");
        if (!r.out.tail.empty()) out << "  stdout (last lines):\n" << last_lines(r.out.tail, 20, "    | ");
      }
    }
    out << ctest_tags(r) << std::flush;
    return exit_code(r.outcome);
  };

  if (o.skip_if_passed || o.until_bound > 0) {
    // The package's iterations run one after another under its RESOURCE_LOCK, so the
    // records of the earlier ones are on disk; this attempt's own directory has none yet.
    auto why = skip_reason(o, earlier_outcomes(o.record_dir, o.package, o.mode));
    if (!why.empty()) return finish({Outcome::Skipped, why, std::nullopt});
  }
  if (!o.control_for.empty()) {
    // CTest starts a control only after its package's runs of o.control_for (DEPENDS),
    // so their records are on disk.
    auto why = control_skip_reason(earlier_outcomes(o.record_dir, o.package, o.control_for));
    if (!why.empty()) return finish({Outcome::Skipped, why, std::nullopt});
  }

  // Side by side: a private copy of the tree, so what one attempt writes into its tree
  // (caches, fixture files) is never another's. The record's cwd stays the tree copied.
  fs::path run_cwd = r.cwd;
  struct RemoveCopy {
    fs::path dir;
    ~RemoveCopy() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } copy;
  if (!o.copy_cwd_in.empty()) {
    const fs::path target = fs::absolute(o.copy_cwd_in) / fmt::format("{}-{}", dir.filename().string(), ::getpid());
    try {
      copy.dir = target;
      copy_tree(r.cwd, target);
    } catch (const Error& e) {
      return finish({Outcome::Error, e.what(), std::nullopt});
    }
    run_cwd = target;
  }

  const fs::path hook_dir = dir / attempt_files::kHookDir;
  fs::create_directories(hook_dir);
  EnvInputs in;
  in.venv = r.venv;
  in.gil = r.gil;
  in.package = o.package;
  in.mode = o.mode;
  in.iteration = o.iteration;
  in.attempt = claimed.attempt;
  in.hook_dir = hook_dir.string();
  in.junit_path = (dir / attempt_files::kJUnit).string();
  in.user = o.env;
  // --stress-budget: both GIL modes scale from the gil0 plain runs, so a GIL=1 stress
  // control repeats as often as its GIL=0 twin (CTest starts stress runs after them).
  const int stress_repeat =
      o.stress_threads > 0 && o.stress_budget_s > 0
          ? budgeted_stress_repeat(o.stress_budget_s, earlier_mean_duration(o.record_dir, o.package, "gil0"),
                                   o.stress_threads, o.stress_repeat)
          : o.stress_repeat;
  if (o.stress_threads > 0) {
    auto se = stress_environment(r.venv, o.stress_threads, stress_repeat, dir);
    in.stress_vars = std::move(se.vars);
    in.stress_addopts = std::move(se.pytest_addopts);
  }
  const fs::path tsan_dir = dir / "tsan";
  if (o.tsan) {
    fs::create_directories(tsan_dir);
    in.tsan_options = tsan_options(tsan_dir, o.tsan_suppressions);
    r.tsan_log_dir = tsan_dir.string();
  }
  auto base = current_environment();
  auto plan = build_environment(base, in);
  r.env_delta = plan.delta;

  SuperviseSpec spec;
  spec.argv = r.command;
  spec.cwd = run_cwd.string();
  spec.env = to_entries(plan.env);
  const double stall_threshold_s = o.stress_threads > 0
                                       ? stress_stall_threshold(o.stall_threshold_s, stress_repeat, o.timeout_s)
                                       : o.stall_threshold_s;
  r.stall.threshold_s = stall_threshold_s;
  spec.watchdog.stall_threshold_s = stall_threshold_s;
  spec.watchdog.timeout_s = o.timeout_s;
  spec.watchdog.grace_s = o.grace_s;
  spec.watchdog.sample_s = o.sample_s;
  spec.drain_s = o.drain_s;
  spec.stdout_log = dir / attempt_files::kStdout;
  spec.stderr_log = dir / attempt_files::kStderr;
  spec.log_cap = o.log_cap;
  spec.hook_dir = hook_dir;
  spec.parse_tsan = o.tsan;
  spec.echo = o.echo;
  auto res = supervise(spec);

  r.duration_s = res.duration_s;
  r.exit_code = res.termination.exit_code;
  r.term_signal = res.termination.signal;
  r.error_message = res.termination.start_error;
  r.stall = res.stall;
  r.timed_out = res.termination.timed_out;
  r.interrupted = res.termination.interrupted;
  r.thread_stacks = res.thread_stacks;
  r.tsan_count = res.tsan_count;
  r.tsan = res.tsan;
  r.gil_enabled_at_exit = res.gil_enabled_at_exit;
  r.out = res.out;
  r.err = res.err;
  r.last_output_line = res.last_output_line;
  if (fs::exists(in.junit_path)) r.junit_path = in.junit_path;
  r.peak_rss_kb = res.peak_rss_kb;
  const bool pytest = is_pytest_command(r.command);
  // CTest's details and the record say why the tests did not run at once: "tests did not
  // run: pytest exit 2 (...): tests/test_x.py: ModuleNotFoundError: No module named ...".
  auto v = classify(res.termination, res.fatal_error, res.crash_frames, {pytest, r.out.tail, r.err.tail});
  if (o.stress_threads > 0) r.stress = read_stress_output(dir / attempt_files::kStressOut, o.stress_threads, stress_repeat);
  if (o.tsan) apply_tsan_logs(read_tsan_logs(tsan_dir), r, v);
  if (v.outcome == Outcome::Deadlock)
    v.detail = fmt::format("stalled: no output for {:.1f} s, {}", r.stall.last_output_age_s,
                           r.stall.cpu_state.empty() ? "not sampled" : r.stall.cpu_state);
  if (v.outcome == Outcome::Timeout) {
    v.detail = fmt::format("hard timeout of {:g} s reached", o.timeout_s);
    if (r.stall.busy_silence)
      v.detail += fmt::format("; stalled (busy): no output for {:.1f} s while the tree kept using CPU or doing I/O "
                              "(not a deadlock)",
                              r.stall.last_output_age_s);
  }
  if (v.outcome == Outcome::Pass && r.tsan_count > 0)
    v.detail = fmt::format("passed with {} ThreadSanitizer report(s)", r.tsan_count);
  return finish(v);
}

}  // namespace labeille::runner
