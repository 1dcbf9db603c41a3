#include "labeille/driver/run.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "labeille/analyzers/fold.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/record.hpp"
#include "labeille/core/text.hpp"
#include "labeille/registry/registry.hpp"
#include "labeille/core/time.hpp"
#include "labeille/process/supervisor.hpp"

namespace fs = std::filesystem;
namespace rj = rapidjson;

namespace labeille::driver {

namespace {

constexpr int kExitCTest = 4;
constexpr int kExitInterrupted = 130;

// Runs a helper command (cmake, ctest, python) under process supervision: own process
// group, nothing left behind, Ctrl-C forwarded as SIGTERM to the whole group with a grace
// long enough for every runner below to kill its tree and write an "interrupted" record.
process::Result supervise(const std::vector<std::string>& argv, const fs::path& logs, const std::string& name,
                          bool echo = false) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  auto spec = process::helper_spec(argv, fs::current_path().string(), std::move(env), logs, name, 0);
  spec.watchdog.interrupt_grace_s = 10;
  spec.echo = echo;
  return process::supervise(spec);
}

bool succeeded(const process::Result& r) { return process::exited_zero(r); }

// Our sibling executables and the config package: next to `labeille` in an install tree
// (<prefix>/bin, <prefix>/lib/cmake/LabeilleFT) or in the build tree (<build>/app).
fs::path package_dir() {
  fs::path config = find_in_own_tree({"LabeilleFTConfig.cmake", "lib/cmake/LabeilleFT/LabeilleFTConfig.cmake",
                                      "lib64/cmake/LabeilleFT/LabeilleFTConfig.cmake"});
  if (config.empty())
    throw Error("cannot find LabeilleFTConfig.cmake next to this executable's tree", kExitInternal);
  return config.parent_path();
}

struct PythonProfile {
  std::string json;     // python_profile object
  std::string version;  // X.Y.Z
  bool gil_disabled = false;
};

PythonProfile python_profile(const std::string& python, const fs::path& logs) {
  static const char* kCode =
      "import json, platform, sys, sysconfig\n"
      "print(json.dumps({'path': sys.executable, 'version': platform.python_version(),\n"
      "  'implementation': platform.python_implementation(), 'compiler': platform.python_compiler(),\n"
      "  'build_flags': sysconfig.get_config_var('CONFIG_ARGS') or '',\n"
      "  'jit_available': hasattr(sys, '_jit'), 'jit_enabled': bool(getattr(getattr(sys, '_jit', None), 'is_enabled', lambda: False)()),\n"
      "  'gil_disabled': sysconfig.get_config_var('Py_GIL_DISABLED') == 1 and not sys._is_gil_enabled(),\n"
      "  'debug_build': hasattr(sys, 'gettotalrefcount'), 'hash_randomization': sys.flags.hash_randomization != 0}))\n";
  auto r = supervise({python, "-c", kCode}, logs, "python-profile");
  if (!succeeded(r))
    throw Error(fmt::format("--target-python {}: could not run it ({})", python,
                            r.termination.start_error.empty() ? last_line(r.err.tail) : r.termination.start_error));
  PythonProfile p;
  p.json = trim(last_line(r.out.tail));
  rj::Document d;
  d.Parse(p.json.c_str());
  if (d.HasParseError() || !d.IsObject()) throw Error(fmt::format("--target-python {}: unexpected answer", python));
  p.version = d["version"].GetString();
  p.gil_disabled = d["gil_disabled"].GetBool();
  if (!p.gil_disabled)
    throw Error(fmt::format("--target-python {} (Python {}) is not a free-threaded build with the GIL off by default; "
                            "build CPython with ./configure --disable-gil (scripts/setup.sh does)",
                            python, p.version));
  return p;
}

// A rough system stability check: load average and the spread of a fixed CPU workload.
std::string stability_json() {
  double load[3] = {0, 0, 0};
  ::getloadavg(load, 3);
  std::vector<double> times;
  volatile double sink = 0;
  for (int r = 0; r < 7; ++r) {
    double t0 = monotonic_s();
    for (int i = 0; i < 3'000'000; ++i) sink = sink + std::sqrt(static_cast<double>(i));
    times.push_back(monotonic_s() - t0);
  }
  double mean = 0, var = 0;
  for (double t : times) mean += t / times.size();
  for (double t : times) var += (t - mean) * (t - mean) / times.size();
  double cv = mean > 0 ? std::sqrt(var) / mean : 0;
  unsigned cpus = std::thread::hardware_concurrency();
  bool stable = load[0] < 0.5 * cpus + 0.5 && cv < 0.15;
  return fmt::format(R"({{"loadavg_1m": {:.2f}, "cpu_timing_cv": {:.3f}, "stable": {}}})", load[0], cv, stable);
}

std::string json_string(const std::string& s) {
  rj::StringBuffer sb;
  rj::Writer<rj::StringBuffer> w(sb);
  std::string clean = sanitize_utf8(s);
  w.String(clean.c_str(), static_cast<rj::SizeType>(clean.size()));
  return sb.GetString();
}

std::string json_strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + json_string(v[i]);
  return out + "]";
}

std::string meta_json(const RunOptions& o, const std::string& run_id, const PythonProfile& py,
                      const std::string& stability) {
  std::string text = fmt::format(
      R"({{"run_id": {}, "timestamp": {}, "system_profile": {{"hostname": {}, "cpu_count": {}, "os": "Linux"{}}},
 "python_profile": {},
 "config": {{"target_python": {}, "iterations": {}, "timeout": {}, "stall_threshold": {}, "compare_with_gil": {},
   "tsan_build": {}, "stop_on_first_pass": {}, "detect_extensions": {}, "extra_deps": {}, "test_command_suffix": {},
   "test_command_override": {}, "install_from": "registry", "source": {}, "registry_dir": {}, "packages": {}, "top": {},
   "jobs": {}, "parallel_threads": {}, "env": {}}},
 "cli_args": {}, "packages_total": 0, "packages_completed": 0, "total_iterations": 0, "total_duration_s": 0}})",
      json_string(run_id), json_string(iso8601_utc_now()), json_string(host_name()), std::thread::hardware_concurrency(),
      stability.empty() ? "" : ", \"stability\": " + stability, py.json, json_string(o.target_python), o.iterations,
      o.timeout, o.stall_threshold, o.compare_with_gil, o.tsan, o.stop_on_first_pass, o.detect_extensions,
      json_strings(o.extra_deps), json_string(o.test_command_suffix), json_string(o.test_command_override),
      json_string(o.source), json_string(o.registry_dir.string()), json_strings(o.packages), o.top, o.jobs, o.parallel_threads,
      json_strings(o.env), json_strings(o.cli_args));
  rj::Document d;
  d.Parse(text.c_str());  // normalize the layout
  rj::StringBuffer sb;
  rj::PrettyWriter<rj::StringBuffer> w(sb);
  d.Accept(w);
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

// Test names that already have a record (for --resume) and outcome counts (for progress).
struct Seen {
  std::set<std::string> done_tests;
  std::map<std::string, int> outcomes;
  int records = 0;
};

void scan_records(const fs::path& records, Seen& seen, std::set<fs::path>& read) {
  std::error_code ec;
  for (auto& pkg : fs::directory_iterator(records, ec)) {
    for (auto& att : fs::directory_iterator(pkg.path(), ec)) {
      auto f = att.path() / attempt_files::kRecord;
      if (read.count(f) || !fs::exists(f)) continue;
      read.insert(f);
      try {
        auto rec = parse_record(read_file(f), f.string());
        ++seen.records;
        if (auto* a = std::get_if<AttemptRecord>(&rec)) {
          ++seen.outcomes[std::string(to_string(a->outcome))];
          if (a->outcome != Outcome::Interrupted) seen.done_tests.insert(a->test_name);
        } else if (auto* s = std::get_if<SetupRecord>(&rec)) {
          ++seen.outcomes[s->ok ? "installed" : "install_failed"];
        } else if (auto* p = std::get_if<ProbeRecord>(&rec)) {
          ++seen.outcomes[p->ok ? "imported" : "import_failed"];
          seen.done_tests.insert("ft." + p->package + ".probe");
        }
      } catch (const Error&) {
        // A record being written right now: read it on the next pass.
        read.erase(f);
      }
    }
  }
}

std::string regex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string run_dir_name(long long t) { return "ft_" + compact_utc(t); }

std::vector<std::string> cmake_definitions(const RunOptions& o, const fs::path& run_dir) {
  auto list = [](const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ";")); };
  auto onoff = [](bool b) { return b ? "ON" : "OFF"; };
  std::vector<std::string> d = {
      "-DLABEILLE_FT_TARGET_PYTHON=" + o.target_python,
      fmt::format("-DLABEILLE_FT_ITERATIONS={}", o.iterations),
      fmt::format("-DLABEILLE_FT_TIMEOUT={:g}", o.timeout),
      fmt::format("-DLABEILLE_FT_STALL_THRESHOLD={:g}", o.stall_threshold),
      std::string("-DLABEILLE_FT_GIL_MODES=") + (o.compare_with_gil ? "gil0;gil1" : "gil0"),
      std::string("-DLABEILLE_FT_STOP_ON_FIRST_PASS=") + onoff(o.stop_on_first_pass),
      std::string("-DLABEILLE_FT_TSAN=") + onoff(o.tsan),
      std::string("-DLABEILLE_FT_DETECT_EXTENSIONS=") + onoff(o.detect_extensions),
      "-DLABEILLE_FT_EXTRA_DEPS=" + list(o.extra_deps),
      "-DLABEILLE_FT_ENV=" + list(o.env),
      "-DLABEILLE_FT_TEST_COMMAND_SUFFIX=" + o.test_command_suffix,
      "-DLABEILLE_FT_TEST_COMMAND_OVERRIDE=" + o.test_command_override,
      fmt::format("-DLABEILLE_FT_PARALLEL_THREADS={}", o.parallel_threads),
      "-DLABEILLE_FT_SOURCE=" + o.source,
      "-DLABEILLE_FT_RECORDS_DIR=" + (run_dir / "records").string(),
      "-DLABEILLE_FT_REPOS_DIR=" + fs::absolute(o.repos_dir).string(),
      "-DLABEILLE_FT_VENVS_DIR=" + fs::absolute(o.venvs_dir).string(),
      "-DLABEILLE_FT_RESULTS_DIR=" + (run_dir / "ctest" / "results").string(),
  };
  return d;
}

std::string progress_line(int done, int total, double elapsed, const std::vector<std::pair<std::string, int>>& counts,
                          int width) {
  total = std::max(total, 1);
  done = std::min(done, total);
  int filled = width * done / total;
  std::string bar = std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.');
  std::string eta = "--";
  if (done > 0 && done < total) {
    int s = static_cast<int>(elapsed / done * (total - done));
    eta = s >= 3600 ? fmt::format("{}h{:02d}m", s / 3600, s / 60 % 60) : fmt::format("{}m{:02d}s", s / 60, s % 60);
  } else if (done == total) {
    eta = "0s";
  }
  std::string c;
  for (const auto& [k, v] : counts) c += fmt::format(" {} {}", k, v);
  return fmt::format("[{}] {}/{} ETA {}{}", bar, done, total, eta, c);
}

int run(RunOptions o) {
  const bool resuming = !o.resume.empty();
  if (o.jobs <= 0) o.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (o.work_dir.empty()) o.work_dir = "ft-work";
  if (o.repos_dir.empty()) o.repos_dir = o.work_dir / "repos";
  if (o.venvs_dir.empty()) o.venvs_dir = o.work_dir / "venvs";
  fs::path run_dir = resuming ? o.resume
                              : fs::absolute(o.results_dir) /
                                    run_dir_name(std::chrono::duration_cast<std::chrono::seconds>(
                                                     std::chrono::system_clock::now().time_since_epoch())
                                                     .count());
  run_dir = fs::absolute(run_dir);
  const fs::path ctest_dir = run_dir / "ctest";
  const fs::path build = ctest_dir / "build";
  const fs::path records = run_dir / "records";
  fs::create_directories(ctest_dir);

  if (resuming) {
    if (!fs::exists(run_dir / "ft_meta.json") || !fs::exists(build / "CTestTestfile.cmake"))
      throw Error(fmt::format("--resume {}: not a labeille ft run directory (no ft_meta.json or ctest/build)",
                              run_dir.string()));
  } else {
    auto py = python_profile(o.target_python, ctest_dir);
    if (!fs::exists(o.registry_dir / "index.yaml"))
      throw Error(fmt::format("--registry-dir {}: no index.yaml (a labeille registry has index.yaml and packages/)",
                              o.registry_dir.string()));
    atomic_write_file(run_dir / "ft_meta.json",
                      meta_json(o, run_dir.filename().string(), py, o.check_stability ? stability_json() : ""));
    // The packages: the registry rendered as labeille_ft_add_package() calls.
    registry::Selection sel;
    if (o.top > 0) sel.top = static_cast<std::size_t>(o.top);
    registry::add_packages(sel, o.packages);
    sel.python_version = py.version.substr(0, py.version.rfind('.'));
    const auto reg = registry::load(o.registry_dir);
    const auto chosen = registry::choose(reg, sel);
    for (const auto* list : {&reg.problems, &chosen.problems})
      for (const auto& p : *list) std::cerr << "labeille: warning: " << p.to_string() << " (skipped)\n";
    for (const auto& [name, why] : chosen.skipped) std::cerr << fmt::format("labeille: skipping {}: {}\n", name, why);
    if (chosen.run.empty()) throw Error(fmt::format("{}: no package selected to run", o.registry_dir.string()));
    fs::create_directories(ctest_dir / "src");
    atomic_write_file(ctest_dir / "src" / "packages.cmake", registry::render_cmake(reg, chosen));
    atomic_write_file(ctest_dir / "src" / "CMakeLists.txt",
                      "# Written by `labeille ft run`: the packages of this run as CTest tests.\n"
                      "cmake_minimum_required(VERSION 3.25)\nproject(labeille_ft_run LANGUAGES NONE)\n"
                      "enable_testing()\nfind_package(LabeilleFT REQUIRED)\ninclude(packages.cmake)\n");
    std::cerr << fmt::format("labeille: {} package(s), {} iteration(s){}; results in {}\n", chosen.run.size(),
                             o.iterations, o.compare_with_gil ? " x 2 GIL modes" : "", run_dir.string());
    std::vector<std::string> cfg = {"cmake", "-S", (ctest_dir / "src").string(), "-B", build.string(),
                                    "-DLabeilleFT_DIR=" + package_dir().string()};
    auto defs = cmake_definitions(o, run_dir);
    cfg.insert(cfg.end(), defs.begin(), defs.end());
    auto c = supervise(cfg, ctest_dir, "configure", o.verbose);
    if (!succeeded(c))
      throw Error(fmt::format("configuring the run's CTest project failed: {} (log: {})", last_line(c.err.tail),
                              (ctest_dir / "configure.stderr.log").string()),
                  kExitCTest);
  }

  // Which tests: all of ft, minus (when resuming) those that already have a record.
  Seen seen;
  std::set<fs::path> read;
  scan_records(records, seen, read);
  std::vector<std::string> ctest = {"ctest", "--test-dir", build.string(), "-T", "Test", "-L", "^ft$", "-j",
                                    std::to_string(o.jobs), "--output-junit", (ctest_dir / "junit.xml").string(),
                                    "--no-tests=ignore"};
  if (resuming && !seen.done_tests.empty()) {
    std::string re;
    for (const auto& t : seen.done_tests) re += (re.empty() ? "^(" : "|") + regex_escape(t);
    ctest.insert(ctest.end(), {"-E", re + ")$"});
  }
  int total = 0;
  {
    std::vector<std::string> count(ctest.begin(), ctest.end());
    count.push_back("-N");
    auto n = supervise(count, ctest_dir, "ctest-list");
    for (auto line : split_lines(n.out.tail))
      if (line.rfind("Total Tests:", 0) == 0) total = std::atoi(std::string(line.substr(12)).c_str());
  }

  // Progress from the records as they appear (CTest's own output goes to ctest/ logs).
  std::atomic<bool> finished{false};
  const bool tty = ::isatty(2) == 1;
  const int base = seen.records;
  std::thread progress([&] {
    const double t0 = monotonic_s();
    double last_print = 0;
    Seen s = seen;
    std::set<fs::path> r = read;
    while (!finished.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      scan_records(records, s, r);
      std::vector<std::pair<std::string, int>> counts(s.outcomes.begin(), s.outcomes.end());
      auto line = progress_line(s.records - base, total, monotonic_s() - t0, counts, 30);
      if (tty) {
        std::cerr << "\r\x1b[K" << line << std::flush;
      } else if (monotonic_s() - last_print >= 10) {
        std::cerr << line << "\n";
        last_print = monotonic_s();
      }
    }
    if (tty) std::cerr << "\n";
  });
  auto t = supervise(ctest, ctest_dir, "ctest", o.verbose);
  finished = true;
  progress.join();
  const bool interrupted = t.termination.interrupted;
  if (!t.termination.started) throw Error("could not start ctest: " + t.termination.start_error, kExitCTest);

  // Fold everything of the run (also what an interrupted run finished).
  analyzers::FoldInputs in;
  in.record_dirs = {records};
  if (fs::exists(ctest_dir / "junit.xml")) in.ctest_junit.push_back(ctest_dir / "junit.xml");
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(build / "Testing", ec))
    if (e.path().filename() == "Test.xml") in.ctest_xml.push_back(e.path());
  // Only the newest Test.xml: older tags belong to the runs a --resume completed.
  if (in.ctest_xml.size() > 1) {
    std::sort(in.ctest_xml.begin(), in.ctest_xml.end());
    in.ctest_xml = {in.ctest_xml.back()};
  }
  analyzers::FoldReport report;
  analyzers::fold_to_dir(in, report, run_dir, read_file(run_dir / "ft_meta.json"));
  for (const auto& p : report.problems) std::cerr << "labeille: warning: skipped " << p << "\n";
  const auto results = analyzers::read_run(run_dir, analyzers::ReadOptions::summary());
  std::cout << analyzers::render_show(results, analyzers::SortBy::Category, 0,
                                      analyzers::Style{::isatty(1) == 1 && std::getenv("NO_COLOR") == nullptr});
  if (interrupted) {
    std::cerr << fmt::format("labeille: interrupted; the partial run is in {}; complete it with: labeille ft run "
                             "--resume {}\n",
                             run_dir.string(), run_dir.string());
    return kExitInterrupted;
  }
  std::cerr << fmt::format("labeille: results in {}\n", run_dir.string());
  return 0;
}

}  // namespace labeille::driver
