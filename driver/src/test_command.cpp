#include "labeille/driver/test_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "labeille/analyzers/evidence.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/core/cli_checks.hpp"
#include "labeille/core/cmake_value.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/json.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/core/record.hpp"
#include "labeille/core/text.hpp"
#include "labeille/process/supervisor.hpp"
#include "testdeps_script.hpp"

namespace fs = std::filesystem;
namespace rj = rapidjson;

namespace labeille::driver {

namespace {

std::vector<std::string> environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

// labeille-ft's cache: setup.sh's interpreters and uv live there; ft test's work too.
fs::path cache_dir() {
  if (const char* c = std::getenv("LABEILLE_FT_CACHE"); c && *c) return c;
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/tmp") / ".cache" / "labeille-ft";
}

// A short helper command (uv, the declarations reader): its stdout's last line, or
// nullopt when it did not exit 0 (`err` then gets its last stderr line).
std::optional<std::string> helper_output(const std::vector<std::string>& argv, std::vector<std::string> env,
                                         const std::string& name, std::string* err = nullptr) {
  auto spec = process::helper_spec(argv, fs::current_path().string(), std::move(env), "", name, 120);
  spec.stdout_log = spec.stderr_log = "/dev/null";
  auto r = process::supervise(spec);
  if (!process::exited_zero(r)) {
    if (err) *err = r.termination.start_error.empty() ? last_line(r.err.tail) : r.termination.start_error;
    return std::nullopt;
  }
  return trim(last_line(r.out.tail));
}

// What the checkout declares (labeille_ft_testdeps.py's answer).
struct Declared {
  std::string name, name_from, version, import_name, install_command;
  std::vector<std::string> lines;
};

Declared read_declarations(const std::string& python, const fs::path& dir, const std::string& test_command) {
  std::vector<std::string> env;
  for (auto& kv : environment())
    if (kv.rfind("PYTHON_GIL=", 0) != 0 && kv.rfind("TSAN_OPTIONS=", 0) != 0) env.push_back(kv);
  env.emplace_back("TSAN_OPTIONS=exitcode=0 report_bugs=0");  // a TSAN interpreter's own races
  std::string err;
  auto out = helper_output({python, "-c", kTestDepsScript, dir.string(), test_command}, env, "testdeps", &err);
  if (!out)
    throw Error(fmt::format("{}: cannot read what the package declares (labeille_ft_testdeps.py with {}): {}",
                            dir.string(), python, err));
  const std::string source = dir.string() + " (its declarations)";
  auto doc = json::parse_object(*out, source);
  json::Reader in(doc, source);
  Declared d;
  d.name = in.str("name");
  d.name_from = in.str("name_from");
  d.version = in.str("version");
  d.import_name = in.str("import_name");
  d.install_command = in.str("install_command");
  d.lines = in.strings("declared");
  return d;
}

// The run's own settings, beside ft_meta.json's config (key "test").
std::string test_meta(const TestOptions& o, const Declared& d, const std::string& install, const std::string& python_how) {
  rj::StringBuffer sb;
  json::LineWriter w(sb);
  json::Out out(w);
  w.StartObject();
  out.key("test");
  w.StartObject();
  out.key("dir").str(fs::absolute(o.dir).lexically_normal().string());
  out.key("package").str(d.name);
  out.key("name_from").str(d.name_from);
  out.key("version").str(d.version);
  out.key("import_name").str(o.import_name.empty() ? d.import_name : o.import_name);
  out.key("install_command").str(install);
  out.key("install_command_from").str(o.install_command.empty() ? "declared" : "--install-command");
  out.key("test_command").str(o.test_command);
  out.key("declared").strings(d.lines);
  out.key("target_python_found").str(python_how);
  out.key("fail_on").strings({o.fail_on.begin(), o.fail_on.end()});
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

// The package's attempt records, the failing ones first by how telling they are:
// plain GIL=0 runs, then stress GIL=0, then the GIL=1 control; by iteration within.
std::vector<AttemptRecord> failing_attempts(const fs::path& records) {
  std::vector<AttemptRecord> out;
  std::error_code ec;
  for (auto& att : fs::directory_iterator(records, ec)) {
    auto f = att.path() / attempt_files::kRecord;
    if (!fs::is_regular_file(f)) continue;
    try {
      auto rec = parse_record(read_file(f), f.string());
      if (auto* a = std::get_if<AttemptRecord>(&rec))
        if (counts_as_iteration(a->outcome) && a->outcome != Outcome::Pass && a->outcome != Outcome::TestsNotRun)
          out.push_back(std::move(*a));
    } catch (const Error&) {
      // An unreadable record was already named by the fold.
    }
  }
  auto rank = [](const AttemptRecord& a) {
    const bool stress = a.mode.rfind("stress", 0) == 0;
    const bool gil1 = a.mode.find("gil1") != std::string::npos;
    return std::tuple(gil1, stress, a.iteration, a.attempt);
  };
  std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  return out;
}

// "test_x" of "tests.test_a::test_x[param]": what `pytest -k` takes.
std::string k_expression(const std::string& id) {
  auto sep = id.rfind("::");
  std::string name = sep == std::string::npos ? id : id.substr(sep + 2);
  if (auto br = name.find('['); br != std::string::npos) name.resize(br);
  return name;
}

// The first failing test of one attempt: from its stress counts, else its JUnit results.
std::string first_failing_test(const AttemptRecord& a, const analyzers::PackageResult& p) {
  if (a.stress)
    for (const auto& t : a.stress->tests)
      if (t.failures > 0) return t.id;
  for (const auto* runs : {&p.iterations, &p.gil_enabled_runs})
    for (const auto& it : *runs)
      if (it.attempt_id == a.attempt_id)
        for (const auto& t : it.test_results)
          if (t.status == "failed" || t.status == "error") return t.id;
  return "";
}

// PYTEST_ADDOPTS without what only the runner's bookkeeping needs: the JUnit file and
// the stress counting plugin write into the attempt's directory, which a rerun must not
// overwrite.
std::string rerun_addopts(const std::string& addopts) {
  std::vector<std::string> words;
  for (auto w : split_list(addopts, ' '))
    if (!w.empty()) words.push_back(w);
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i].rfind("--junitxml", 0) == 0) continue;
    if (words[i] == "-p" && i + 1 < words.size() && words[i + 1] == "labeille_ft_stress") {
      ++i;
      continue;
    }
    out += (out.empty() ? "" : " ") + words[i];
  }
  return out;
}

// A shell line that runs the attempt's command again as the runner did: its directory,
// the variables that change what runs (the venv first on PATH, PYTHON_GIL, stress's
// pytest-run-parallel options), narrowed to the failing test with -k when there is one.
// The runner's bookkeeping (LABEILLE_FT_* for the startup hook and the stress counts,
// the JUnit output) is left out.
std::string reproduce_line(const AttemptRecord& a, const std::string& test_id) {
  std::string line = "cd " + shell_quote(a.cwd) + " && env";
  for (const auto& [k, v] : a.env_delta) {
    if (v.empty() || k.rfind("LABEILLE_FT_", 0) == 0) continue;
    if (k == "PATH") {
      const auto colon = v.find(':');
      line += " PATH=" + shell_quote(v.substr(0, colon)) + (colon == std::string::npos ? "" : ":\"$PATH\"");
    } else if (k == "PYTEST_ADDOPTS") {
      if (auto rest = rerun_addopts(v); !rest.empty()) line += " " + shell_quote(k + "=" + rest);
    } else {
      line += " " + shell_quote(k + "=" + v);
    }
  }
  std::string cmd;
  if (a.command.size() == 3 && a.command[0] == "/bin/sh" && a.command[1] == "-c") {
    cmd = "sh -c " + shell_quote(a.command[2] + (test_id.empty() ? "" : " -k " + shell_quote(k_expression(test_id))));
  } else {
    for (const auto& w : a.command) cmd += (cmd.empty() ? "" : " ") + shell_quote(w);
  }
  return line + " " + cmd;
}

std::string head_lines(const std::string& text, std::size_t n, const std::string& prefix) {
  std::string out;
  std::size_t count = 0;
  for (auto l : split_lines(text)) {
    if (count++ == n) {
      out += prefix + "...\n";
      break;
    }
    out += prefix + std::string(l) + "\n";
  }
  return out;
}

// The verdict and its evidence in a few lines.
std::string verdict_text(const analyzers::PackageResult& p, const fs::path& run_dir, int status, bool pre_existing) {
  std::string s;
  const auto cat = category_from_string(p.category);
  s += fmt::format("\n{}: {}{}\n", p.package, p.category, cat ? fmt::format(" ({})", describe(*cat)) : "");
  if (!p.verdict.empty()) s += "  " + p.verdict + "\n";
  if (!p.install_ok) s += "  set-up failed: " + p.install_error + "\n";
  if (!p.import_ok) s += "  import failed: " + p.import_error + "\n";
  if (p.extension_compat && !p.extension_compat->gil_reenabled_by.empty()) {
    std::string how;
    for (const auto& e : p.extension_compat->extensions)
      if (e.module == p.extension_compat->gil_reenabled_by && !e.declaration.empty())
        how = e.declaration == "none" ? " (its source declares no free-threading support: no Py_mod_gil slot)"
                                      : " (its source declares support through " + e.declaration + ")";
    s += fmt::format("  the GIL was re-enabled on import by {}{}\n", p.extension_compat->gil_reenabled_by, how);
  }
  if (!p.tests_not_run.empty()) s += "  " + p.tests_not_run + "\n";
  if (p.stress && !p.stress->evidence.empty()) s += "  stress: " + p.stress->evidence + "\n";
  if (p.gil_comparison == "not_needed")
    s += "  GIL=1 control: not run (--compare-with-gil auto: every GIL=0 run passed)\n";
  else if (p.gil_enabled_iterations > 0)
    s += fmt::format("  GIL=1 control: {}/{} passed{}\n", p.gil_enabled_pass_count, p.gil_enabled_iterations,
                     p.gil_comparison.empty() ? "" : " (" + p.gil_comparison + ")");
  for (const auto& t : analyzers::failing_test_lines(p, 5)) s += "  failing: " + t + "\n";
  for (const auto& sig : p.failure_signatures) s += "  signature: " + sig + "\n";
  for (std::size_t i = 0; i < p.tsan_races.size() && i < 3; ++i)
    s += fmt::format("  tsan: {} at {} ({} run(s))\n", p.tsan_races[i].kind, p.tsan_races[i].location,
                     p.tsan_races[i].runs);
  const auto failing = failing_attempts(run_dir / "records" / p.package);
  if (!failing.empty()) {
    const auto& a = failing.front();
    if (a.outcome == Outcome::Deadlock && !a.thread_stacks.empty())
      s += "  stacks when it stalled (" + a.test_name + "):\n" + head_lines(a.thread_stacks, 12, "    ");
    if (a.outcome == Outcome::Crash && a.crash)
      for (std::size_t i = 0; i < a.crash->frames.size() && i < 6; ++i) s += "    at " + a.crash->frames[i] + "\n";
    s += fmt::format("Reproduce the first failure ({}, {}):\n  {}\n", a.test_name, to_string(a.outcome),
                     reproduce_line(a, first_failing_test(a, p)));
  }
  s += fmt::format("Details: labeille ft show {} --package {}\n", shell_quote(run_dir.string()), p.package);
  s += fmt::format("Exit {}: {}\n", status,
                   status == 0              ? fmt::format("{} is not in --fail-on", p.category)
                   : status == kExitProblem ? fmt::format("a free-threading problem was found ({})", p.category)
                   : pre_existing
                       ? fmt::format("no verdict: the suite fails with the GIL as well ({}, pre-existing), so its "
                                     "failures say nothing about free-threading; fix them or leave them out "
                                     "(--test-command)",
                                     p.category)
                       : fmt::format("no verdict, the tests did not run to the end ({})", p.category));
  return s;
}

}  // namespace

std::set<std::string> default_fail_on() {
  return {"incompatible", "intermittent", "crash", "deadlock", "tsan_warnings", "install_failure", "import_failure",
          "unknown"};
}

std::set<std::string> parse_fail_on(const std::string& csv) {
  std::set<std::string> out;
  if (trim(csv) == "none") return out;
  for (const auto& item : split_list(csv)) {
    if (!category_from_string(item)) {
      std::vector<std::string> known;
#define LABEILLE_X(id, name, rank, desc) known.emplace_back(name);
      LABEILLE_FT_CATEGORIES(LABEILLE_X)
#undef LABEILLE_X
      throw Error(fmt::format("--fail-on: unknown category \"{}\" (known: {}, or none)", item, fmt::join(known, ", ")),
                  kExitUsage);
    }
    out.insert(item);
  }
  return out;
}

int exit_status_for(std::string_view category, const std::set<std::string>& fail_on, bool pre_existing) {
  if (!fail_on.count(std::string(category))) return 0;
  auto c = category_from_string(category);
  if (!c || *c == Category::InstallFailure || *c == Category::ImportFailure || *c == Category::Unknown || pre_existing)
    return kExitNoVerdict;
  return kExitProblem;
}

bool failures_only_pre_existing(const analyzers::PackageResult& p) {
  const auto c = category_from_string(p.category);
  if (!c || (*c != Category::Incompatible && *c != Category::Intermittent && *c != Category::Crash &&
             *c != Category::Deadlock))
    return false;
  auto same_with_gil = [](const std::string& comparison, const std::optional<double>& fisher_p) {
    return comparison == "pre_existing" && (!fisher_p || *fisher_p >= 0.05);
  };
  // A test that failed under stress only without the GIL is a finding, whatever the runs'
  // counts (more-itertools: stress runs fail in both modes over shared random state, and
  // three other tests failed only without the GIL).
  if (p.stress && p.stress->finding) return false;
  const bool plain_failed = p.pass_count < p.iterations_completed;
  const bool stress_failed = p.stress && p.stress->pass_count < static_cast<int>(p.stress->iterations.size());
  if (!plain_failed && !stress_failed) return false;
  if (plain_failed && !same_with_gil(p.gil_comparison, p.gil_fisher_p)) return false;
  if (stress_failed && !same_with_gil(p.stress->comparison, p.stress->fisher_p)) return false;
  return true;
}

std::string shell_quote(std::string_view word) {
  const bool safe = !word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                            "0123456789@%+=:,./_-") == std::string_view::npos;
  if (safe) return std::string(word);
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

FoundPython find_target_python() {
  const auto env = environment();
  if (const char* e = std::getenv("LABEILLE_FT_PYTHON"); e && *e) return {e, "$LABEILLE_FT_PYTHON"};
  for (const char* name : {"python3.14t", "python3.13t"})
    if (auto p = process::find_executable(name, env); !p.empty()) return {p.string(), std::string(name) + " on PATH"};
  fs::path uv = process::find_executable("uv", env);
  if (uv.empty() && fs::exists(cache_dir() / "tools" / "bin" / "uv")) uv = cache_dir() / "tools" / "bin" / "uv";
  if (!uv.empty()) {
    auto uv_env = env;
    uv_env.emplace_back("UV_PYTHON_DOWNLOADS=never");  // find, never fetch
    for (const char* v : {"3.14t", "3.13t"})
      if (auto p = helper_output({uv.string(), "python", "find", v}, uv_env, "uv-python-find"); p && fs::exists(*p))
        return {*p, fmt::format("uv python find {}", v)};
  }
  for (const char* v : {"3.14", "3.13"}) {
    fs::path p = cache_dir() / fmt::format("cpython-{}-ft", v) / "bin" / fmt::format("python{}t", v);
    if (fs::exists(p)) return {p.string(), "built by scripts/setup.sh"};
  }
  throw Error(
      "no free-threaded Python found ($LABEILLE_FT_PYTHON, python3.14t or python3.13t on PATH, `uv python find "
      "3.14t`/`3.13t`, scripts/setup.sh's cache). Get one: `uv python install 3.14t` (then it is found), or "
      "scripts/setup.sh of labeille-ft (builds CPython 3.13 --disable-gil), or in GitHub Actions "
      "actions/setup-python with python-version: 3.14t; or give --target-python PATH",
      kExitInput);
}

std::string package_cmake(const std::string& name, const fs::path& dir, const std::string& install_command,
                          const std::string& test_command, const std::string& import_name) {
  // Checked as every value that reaches the module (core/cmake_value.hpp): the user's
  // commands may hold anything, only what CMake cannot carry is refused.
  check_cmake_value(dir.string(), "DIR", kExitInput);
  check_cmake_value(install_command, "--install-command", kExitUsage);
  check_cmake_value(test_command, "--test-command", kExitUsage);
  check_cmake_value(import_name, "--import-name", kExitUsage);
  std::string out = "# Written by `labeille ft test`: the package checkout as CTest tests.\n";
  out += "labeille_ft_add_package(" + cmake_bracket(name) + "\n";
  out += "  PATH " + cmake_bracket(dir.string()) + "\n";
  out += "  INSTALL_COMMAND " + cmake_bracket(install_command) + "\n";
  out += "  TEST_COMMAND " + cmake_bracket(test_command) + "\n";
  if (!import_name.empty()) out += "  IMPORT_NAME " + cmake_bracket(import_name) + "\n";
  return out + ")\n";
}

int test(TestOptions o) {
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(fs::absolute(o.dir), ec);
  if (!fs::is_directory(dir))
    throw Error(fmt::format("{}: not a directory (give a package checkout or an unpacked sdist)", o.dir.string()));
  if (!fs::exists(dir / "pyproject.toml") && !fs::exists(dir / "setup.py") && !fs::exists(dir / "setup.cfg"))
    throw Error(fmt::format("{}: not a Python package (no pyproject.toml, setup.py or setup.cfg)", dir.string()));
  o.dir = dir;

  FoundPython py{o.run.target_python, "--target-python"};
  if (py.path.empty()) py = find_target_python();
  o.run.target_python = py.path;
  const Declared d = read_declarations(py.path, dir, o.test_command);
  if (!is_package_name(d.name))
    throw Error(fmt::format("{}: the package's name \"{}\" (from {}) is not a PEP 508 name", dir.string(), d.name,
                            d.name_from));
  const std::string install = o.install_command.empty() ? d.install_command : o.install_command;
  const std::string import_name = o.import_name.empty() ? d.import_name : o.import_name;

  // Reused between runs (the venv is rebuilt only when the install command changes), and
  // outside DIR: the set-up copies DIR, which must not hold its own copies.
  const fs::path work = o.run.work_dir.empty() ? cache_dir() / "test" : o.run.work_dir;
  if (o.run.repos_dir.empty()) o.run.repos_dir = work / "repos";
  if (o.run.venvs_dir.empty()) o.run.venvs_dir = work / "venvs";
  if (o.run.results_dir.empty()) o.run.results_dir = work / "results";
  for (const fs::path& inside : {o.run.repos_dir, o.run.venvs_dir, o.run.results_dir})
    if (auto rel = fs::absolute(inside).lexically_normal().lexically_relative(dir); !rel.empty() && *rel.begin() != "..")
      throw Error(fmt::format("{} is inside {}: every run copies the checkout, and with it the copies, venvs and results "
                              "of the runs before; choose a --work-dir and --results-dir outside it",
                              inside.string(), dir.string()),
                  kExitUsage);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  o.run.run_dir = fs::absolute(o.run.results_dir) / run_dir_name(now);
  o.run.packages_cmake = package_cmake(d.name, dir, install, o.test_command, import_name);
  o.run.meta_extra = test_meta(o, d, install, py.how);
  o.run.print_summary = false;

  // The module's defaults, for the line that says what will run.
  const int n = o.run.iterations.value_or(10);
  std::string runs = fmt::format("{} x PYTHON_GIL=0", n);
  if (o.run.compare_with_gil)
    runs += o.run.gil_control == "auto"
                ? fmt::format(", {} x PYTHON_GIL=1 (the control) where a GIL=0 run did not pass", n)
                : fmt::format(", {} x PYTHON_GIL=1 (the control)", n);
  if (o.run.stress) {
    const int repeat = o.run.stress_repeat.value_or(20);
    const double budget = o.run.stress_budget.value_or(0);
    runs += fmt::format("; stress: the same again through pytest-run-parallel ({} threads x {})",
                        o.run.stress_threads.value_or(2),
                        budget > 0 ? fmt::format("up to {} repetitions: as many as fit in {:g} s of CPU per run, "
                                                 "from the plain runs' durations",
                                                 repeat, budget)
                                   : fmt::format("{} repetitions", repeat));
  }
  if (o.run.until_bound.value_or(0) > 0)
    runs += fmt::format("; each mode stops once settled (--until-bound {:g})", *o.run.until_bound);
  write_stdout(fmt::format(
      "labeille ft test: {}{} in {} (name from {})\n"
      "  python:   {} (found: {})\n"
      "  declared: {}\n"
      "  install:  {}{}\n"
      "  test:     {}{}\n"
      "  runs:     {}\n",
      d.name, d.version.empty() ? "" : " " + d.version, dir.string(), d.name_from, py.path, py.how,
      fmt::join(d.lines, "; "), install, o.install_command.empty() ? "   (replace with --install-command)" : "",
      o.test_command, "   (replace with --test-command)", runs));

  const fs::path run_dir = o.run.run_dir;
  const int code = run(o.run);
  if (code != 0) return code;
  const auto results = analyzers::read_run(run_dir, analyzers::ReadOptions::everything());
  if (results.packages.empty()) {
    write_stdout(fmt::format("\nno result for {} in {}\nExit {}: no verdict\n", d.name, run_dir.string(), kExitNoVerdict));
    return kExitNoVerdict;
  }
  const auto& p = results.packages.front();
  const bool pre_existing = failures_only_pre_existing(p);
  const int status = exit_status_for(p.category, o.fail_on, pre_existing);
  write_stdout(verdict_text(p, run_dir, status, pre_existing));
  return status;
}

void add_test_command(CLI::App& ft) {
  auto* cmd = ft.add_subcommand(
      "test", "Test the package checkout in DIR (default: .) on a free-threaded CPython: install it with its declared "
              "test dependencies, run its tests many times (also under stress and with the GIL as a control), and "
              "exit 0 / 1 (free-threading problem) / 5 (no verdict)");
  auto o = std::make_shared<TestOptions>();
  auto& r = o->run;
  r.stress = true;
  // The GIL=1 control where it can tell something: for a package with a GIL=0 run (plain
  // or stress) that failed, crashed, stalled or did not run its tests.
  r.compare_with_gil = true;
  r.gil_control = "auto";
  auto dir = std::make_shared<std::string>(".");
  auto extra = std::make_shared<std::string>();
  auto fail_on = std::make_shared<std::string>();
  auto no_detect = std::make_shared<bool>(false);
  auto no_stress = std::make_shared<bool>(false);
  auto no_gil = std::make_shared<bool>(false);
  // The module owns these defaults (as for `ft run`): bound here, kept in RunOptions only
  // when given.
  auto iterations = std::make_shared<int>(10);
  auto timeout_s = std::make_shared<double>(600);
  auto setup_timeout_s = std::make_shared<double>(1800);
  auto stall_s = std::make_shared<double>(60);
  auto until_bound = std::make_shared<double>(0);
  auto parallel_threads = std::make_shared<int>(0);
  auto stress_threads = std::make_shared<int>(2);
  auto stress_repeat = std::make_shared<int>(20);
  auto stress_budget = std::make_shared<double>(kDefaultStressBudget);
  auto installer = std::make_shared<std::string>();
  cmd->add_option("dir", *dir, "Package checkout or unpacked sdist (default: the current directory)");
  cmd->add_option("--target-python", r.target_python,
                  "Free-threaded Python (default: $LABEILLE_FT_PYTHON, python3.14t/python3.13t on PATH, uv python find)");
  cmd->add_option("--install-command", o->install_command,
                  "Replaces the install command read from the package's declarations (run in a copy of DIR)");
  cmd->add_option("--test-command", o->test_command, "Test command (run in the copy of DIR)")->capture_default_str();
  cmd->add_option("--import-name", o->import_name, "Module the import probe imports (default: read from DIR)");
  cmd->add_option("--fail-on", *fail_on,
                  "Categories that fail the command, comma-separated, or none (default: incompatible, intermittent, "
                  "crash, deadlock, tsan_warnings -> exit 1; install_failure, import_failure, unknown -> exit 5)");
  auto* n_opt = cmd->add_option("-n,--iterations", *iterations, "Iterations per GIL mode (and as many stress iterations)")
                    ->check(cli::whole_number(1, 100000, "a whole number of iterations"))
                    ->capture_default_str();
  auto* timeout = cmd->add_option("--timeout", *timeout_s, "Per-iteration timeout in seconds (x10 under --tsan)")
                      ->check(cli::whole_number(1, cli::kMaxSeconds, "a whole number of seconds"))
                      ->capture_default_str();
  auto* setup_timeout = cmd->add_option("--setup-timeout", *setup_timeout_s, "Per set-up step timeout in seconds")
                            ->check(cli::whole_number(1, cli::kMaxSeconds, "a whole number of seconds"))
                            ->capture_default_str();
  auto* stall = cmd->add_option("--stall-threshold", *stall_s, "Seconds without output before a deadlock (0: off)")
                    ->check(cli::whole_number(0, cli::kMaxSeconds, "a whole number of seconds", "; 0 turns it off"))
                    ->capture_default_str();
  add_compare_with_gil(*cmd, r.compare_with_gil, r.gil_control)
      ->description("PYTHON_GIL=1 control runs: auto (the default: only after a GIL=0 run that failed, crashed, "
                    "stalled or did not run its tests) or always (without a value; give DIR first)");
  cmd->add_flag("--no-compare-with-gil", *no_gil, "No PYTHON_GIL=1 control runs");
  cmd->add_flag("--serial-iterations", r.serial_iterations,
                "Run the iterations one after another in the one copy (default: side by side in private copies)");
  cmd->add_flag("--stress", r.stress, "Stress iterations through pytest-run-parallel (default)");
  cmd->add_flag("--no-stress", *no_stress, "No stress iterations");
  auto* sthreads_opt = cmd->add_option("--stress-threads", *stress_threads, "Threads per test in stress iterations")
                           ->check(CLI::Range(1, 256))
                           ->capture_default_str();
  auto* srepeat_opt =
      cmd->add_option("--stress-repeat", *stress_repeat,
                      "Repetitions of each test per thread in stress iterations (the maximum under --stress-budget)")
          ->check(CLI::Range(1, 100000))
          ->capture_default_str();
  cmd->add_option("--stress-budget", *stress_budget,
                  "Seconds of CPU per stress run: a slow suite repeats each test fewer times (at least 2), scaled "
                  "from its plain GIL=0 runs; 0: always --stress-repeat")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  auto* bound_opt =
      cmd->add_option("--until-bound", *until_bound,
                      "Stop a mode's iterations once its verdict is settled at failure-rate bound R (-n is the maximum)")
          ->check(CLI::Range(0.0, 0.999999));
  cmd->add_flag("--stop-on-first-pass", r.stop_on_first_pass, "Skip the remaining iterations after a pass");
  cmd->add_flag("--no-detect-extensions", *no_detect, "Do not probe extensions for GIL fallback");
  cmd->add_flag("--tsan", r.tsan, "ThreadSanitizer (needs a --with-thread-sanitizer interpreter)");
  cmd->add_option("--tsan-suppressions", r.tsan_suppressions, "TSAN suppressions file (repeatable; with --tsan)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--check-stability", r.check_stability, "Measure load and CPU timing spread before starting");
  cmd->add_option("--extra-deps", *extra, "Extra dependencies for the venv, comma-separated (commas inside one, as in numpy>=1.26,<3, stay in it)");
  auto* installer_opt = cmd->add_option("--installer", *installer, "uv or pip (default: uv when found, else pip)")
                            ->check(CLI::IsMember({"uv", "pip"}));
  auto* threads_opt =
      cmd->add_option("--parallel-threads", *parallel_threads, "pytest-run-parallel threads in every run (0: off)")
          ->check(cli::whole_number(0, 4096, "a whole number of threads", "; 0 turns it off"));
  cmd->add_option("--env", r.env, "KEY=VALUE for every test command (repeatable)");
  cmd->add_option("--work-dir", r.work_dir, "Copies of DIR and venvs, reused between runs (default ~/.cache/labeille-ft/test)");
  cmd->add_option("--results-dir", r.results_dir, "Where ft_<timestamp>/ goes (default <work-dir>/results)");
  cmd->add_option("-j,--jobs", r.jobs, "Tests at once (one package: its runs are serialized)")
      ->check(cli::whole_number(0, 4096, "a whole number of tests at once", "; 0 means one per CPU"));
  cmd->add_flag("-v,--verbose", r.verbose, "Show CMake's and CTest's output");
  cmd->callback([=] {
    TestOptions opts = *o;
    opts.dir = *dir;
    auto& ro = opts.run;
    ro.extra_deps = split_requirements(*extra);
    ro.detect_extensions = !*no_detect;
    if (*no_stress) ro.stress = false;
    if (*no_gil) ro.compare_with_gil = false;
    opts.fail_on = fail_on->empty() ? default_fail_on() : parse_fail_on(*fail_on);
    auto given = [](CLI::Option* opt, auto value) {
      return opt->count() > 0 ? std::optional<decltype(value)>(value) : std::nullopt;
    };
    ro.iterations = given(n_opt, *iterations);
    ro.timeout = given(timeout, *timeout_s);
    ro.setup_timeout = given(setup_timeout, *setup_timeout_s);
    ro.stall_threshold = given(stall, *stall_s);
    ro.until_bound = given(bound_opt, *until_bound);
    ro.parallel_threads = given(threads_opt, *parallel_threads);
    ro.stress_threads = given(sthreads_opt, *stress_threads);
    ro.stress_repeat = given(srepeat_opt, *stress_repeat);
    ro.stress_budget = *stress_budget;
    ro.installer = given(installer_opt, *installer);
    ro.cli_args = command_line();
    if (!ro.tsan_suppressions.empty() && !ro.tsan) throw Error("--tsan-suppressions needs --tsan", kExitUsage);
    check_env_items(ro.env);
    if (trim(opts.test_command).empty()) throw Error("--test-command: empty", kExitUsage);
    int code = test(std::move(opts));
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace labeille::driver
