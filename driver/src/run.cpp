#include "labeille/driver/run.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "labeille/analyzers/fold.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/cmake_value.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/json.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/system_profile.hpp"
#include "labeille/core/record.hpp"
#include "labeille/core/test_names.hpp"
#include "labeille/core/text.hpp"
#include "labeille/registry/registry.hpp"
#include "labeille/core/time.hpp"
#include "labeille/process/supervisor.hpp"
#include "python_check_script.hpp"

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
  fs::path dir = own_cmake_package_dir();
  if (dir.empty()) throw Error("cannot find LabeilleFTConfig.cmake next to this executable's tree", kExitInternal);
  return dir;
}

// The interpreter check: LabeilleFTPython.py, the module's own check, run with PYTHON_GIL
// unset. Refused unless "free_threaded" (Py_GIL_DISABLED=1 and the GIL off at start-up).
// Output goes nowhere on disk: it runs before the run directory exists.
struct PythonProfile {
  rj::Document doc;     // python_profile object
  std::string version;  // X.Y.Z
  std::string version_xy;
  bool tsan = false;    // configured --with-thread-sanitizer
};

PythonProfile python_profile(const std::string& python) {
  std::error_code ec;
  if (!fs::exists(python, ec))
    throw Error(fmt::format("--target-python {}: no such file", python));
  if (fs::is_directory(python, ec))
    throw Error(fmt::format("--target-python {}: is a directory, not an interpreter", python));
  if (::access(python.c_str(), X_OK) != 0)
    throw Error(fmt::format("--target-python {}: not executable", python));
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    if (std::string_view(*e).rfind("PYTHON_GIL=", 0) != 0 && std::string_view(*e).rfind("TSAN_OPTIONS=", 0) != 0)
      env.emplace_back(*e);
  // A ThreadSanitizer build reports CPython's own races at exit and would exit 66 for them.
  env.emplace_back("TSAN_OPTIONS=exitcode=0 report_bugs=0");
  auto spec = process::helper_spec({python, "-c", kPythonCheckScript}, fs::current_path().string(), std::move(env), "",
                                   "python-profile", 120);
  spec.stdout_log = spec.stderr_log = "/dev/null";
  auto r = process::supervise(spec);
  if (!succeeded(r))
    throw Error(fmt::format("--target-python {}: could not run it ({})", python,
                            r.termination.start_error.empty() ? last_line(r.err.tail) : r.termination.start_error));
  PythonProfile p;
  const std::string source = "--target-python " + python + " (its profile)";
  p.doc = json::parse_object(trim(last_line(r.out.tail)), source);
  json::Reader in(p.doc, source);
  p.version = in.str("version");
  p.version_xy = in.str("version_xy");
  p.tsan = in.boolean("tsan_build");
  if (!in.boolean("free_threaded"))
    throw Error(fmt::format("--target-python {} (Python {}) is not a free-threaded build with the GIL off by default "
                            "(Py_GIL_DISABLED={}, GIL enabled at start-up: {}); build CPython with ./configure "
                            "--disable-gil (scripts/setup.sh does)",
                            python, p.version, in.boolean("py_gil_disabled") ? 1 : 0,
                            in.boolean("gil_enabled_at_start") ? "yes" : "no"));
  return p;
}

void check_tsan(const RunOptions& o, const PythonProfile& py) {
  if (o.tsan && !py.tsan)
    throw Error(fmt::format("--tsan: --target-python {} (Python {}) is not a ThreadSanitizer build (its "
                            "sysconfig CONFIG_ARGS lack --with-thread-sanitizer); build one with "
                            "scripts/setup.sh --tsan, or drop --tsan",
                            o.target_python, py.version));
}

// A rough system stability check: load average and the spread of a fixed CPU workload.
struct Stability {
  double loadavg_1m = 0, cpu_timing_cv = 0;
  bool stable = false;
};

Stability measure_stability() {
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
  Stability s;
  s.loadavg_1m = std::round(load[0] * 100) / 100;
  s.cpu_timing_cv = std::round((mean > 0 ? std::sqrt(var) / mean : 0) * 1000) / 1000;
  unsigned cpus = std::thread::hardware_concurrency();
  s.stable = load[0] < 0.5 * cpus + 0.5 && s.cpu_timing_cv < 0.15;
  return s;
}

// The base of ft_meta.json (analyzers::write_meta writes the file): built with
// RapidJSON's writer, every string sanitized.
std::string meta_base(const RunOptions& o, const std::string& run_id, const PythonProfile& py,
                      const std::optional<Stability>& stability) {
  rj::StringBuffer sb;
  json::LineWriter w(sb);
  json::Out out(w);
  w.StartObject();
  out.key("run_id").str(run_id);
  out.key("timestamp").str(iso8601_utc_now());
  // The Python labeille tool's SystemProfile keys, then ours.
  rj::Document sys = json::parse_object(system_profile_json(o.results_dir), "system profile");
  auto& a = sys.GetAllocator();
  sys.AddMember("cpu_count", rj::Value(static_cast<int>(std::thread::hardware_concurrency())), a);
  sys.AddMember("os", rj::Value("Linux"), a);
  if (stability) {
    rj::Value st(rj::kObjectType);
    st.AddMember("loadavg_1m", stability->loadavg_1m, a);
    st.AddMember("cpu_timing_cv", stability->cpu_timing_cv, a);
    st.AddMember("stable", stability->stable, a);
    sys.AddMember("stability", st, a);
  }
  out.key("system_profile");
  sys.Accept(w);
  out.key("python_profile");
  py.doc.Accept(w);
  // The run's settings are the module's (module_config() puts them in after the
  // configure); these are what only the driver knows.
  out.key("config");
  w.StartObject();
  out.key("registry_dir").str(o.registry_dir.string());
  out.key("packages").strings(o.packages);
  out.key("top").integer(o.top);
  out.key("jobs").integer(o.jobs);
  w.EndObject();
  out.key("cli_args").strings(o.cli_args);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

void stall_warning(double stall, double timeout) {
  if (stall > 0 && stall >= timeout)
    std::cerr << fmt::format("labeille: warning: --stall-threshold {:g} is not below --timeout {:g}: a hung test will "
                             "be reported as a timeout, never as a deadlock\n",
                             stall, timeout);
}

// ft_meta.json's `config` has one builder, the module (_labeille_ft_write_meta, the run's
// values after its defaults and TSAN scaling): its object, read from the configured
// build, with the driver's own keys of `base` added.
std::string module_config(const std::string& base, const fs::path& build) {
  const fs::path seed_file = build / "LabeilleFT" / "ft_meta_seed.json";
  rj::Document seed = json::parse_object(read_file(seed_file), seed_file.string());
  rj::Document meta = json::parse_object(base, "ft_meta.json");
  auto& a = meta.GetAllocator();
  if (!seed.HasMember("config") || !seed["config"].IsObject())
    throw Error(fmt::format("{}: config: expected an object", seed_file.string()), kExitInternal);
  rj::Value config(seed["config"], a);
  if (meta.HasMember("config") && meta["config"].IsObject())
    for (auto& m : meta["config"].GetObject())
      if (!config.HasMember(m.name)) config.AddMember(rj::Value(m.name, a), rj::Value(m.value, a), a);
  meta.RemoveMember("config");
  meta.AddMember("config", config, a);
  return json::text(meta);
}

// Test names that already have a record (for --resume) and outcome counts (for progress).
struct Seen {
  std::set<std::string> done_tests;
  std::set<std::string> set_up;  // packages whose set-up succeeded (its venv is there)
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
          if (s->ok) seen.set_up.insert(s->package);
        } else if (auto* p = std::get_if<ProbeRecord>(&rec)) {
          ++seen.outcomes[p->ok ? "imported" : "import_failed"];
          seen.done_tests.insert(test_names::probe(p->package));
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

void check_run_dir(const fs::path& run_dir, std::string_view option) {
  const std::string dir = run_dir.string();
  check_cmake_value(dir, option, kExitUsage);
  if (dir.find(';') != std::string::npos)
    throw Error(fmt::format("{} {}: holds ';', which CMake takes as a list separator in a build directory's path "
                            "(its own modules would write outside it); choose a directory without ';'",
                            option, dir),
                kExitUsage);
}

// <work-dir>/durations.tsv: the durations one run leaves for the next one's COST.
fs::path durations_file(const RunOptions& o) {
  return (o.work_dir.empty() ? fs::path("ft-work") : o.work_dir) / analyzers::kDurationsFile;
}

std::string run_settings(const RunOptions& o, const fs::path& run_dir) {
  std::string out =
      "# Written by `labeille ft run`: the values given on its command line (the module has the\n"
      "# defaults), each a bracket argument, list items encoded (core/cmake_value.hpp).\n";
  auto set = [&](std::string_view name, std::string_view value, std::string_view option) {
    check_cmake_value(value, option, kExitUsage);
    out += cmake_set(name, value);
  };
  auto list = [&](std::string_view name, const std::vector<std::string>& items, std::string_view option) {
    for (const auto& i : items) check_cmake_value(i, option, kExitUsage);
    out += fmt::format("set({} {})\n", name, cmake_list(items));
  };
  auto onoff = [](bool b) { return b ? "ON" : "OFF"; };
  auto num = [](double d) { return fmt::format("{:g}", d); };
  set("LABEILLE_FT_TARGET_PYTHON", o.target_python, "--target-python");
  if (o.iterations) set("LABEILLE_FT_ITERATIONS", std::to_string(*o.iterations), "-n");
  if (o.timeout) set("LABEILLE_FT_TIMEOUT", num(*o.timeout), "--timeout");
  if (o.stall_threshold) set("LABEILLE_FT_STALL_THRESHOLD", num(*o.stall_threshold), "--stall-threshold");
  if (o.setup_timeout) set("LABEILLE_FT_SETUP_TIMEOUT", num(*o.setup_timeout), "--setup-timeout");
  if (o.until_bound) set("LABEILLE_FT_UNTIL_BOUND", num(*o.until_bound), "--until-bound");
  if (o.parallel_threads) set("LABEILLE_FT_PARALLEL_THREADS", std::to_string(*o.parallel_threads), "--parallel-threads");
  if (o.stress_threads) set("LABEILLE_FT_STRESS_THREADS", std::to_string(*o.stress_threads), "--stress-threads");
  if (o.stress_repeat) set("LABEILLE_FT_STRESS_REPEAT", std::to_string(*o.stress_repeat), "--stress-repeat");
  if (o.stress_budget) set("LABEILLE_FT_STRESS_BUDGET", num(*o.stress_budget), "--stress-budget");
  if (o.source) set("LABEILLE_FT_SOURCE", *o.source, "--source");
  if (o.installer) set("LABEILLE_FT_INSTALLER", *o.installer, "--installer");
  if (o.compare_with_gil) out += "set(LABEILLE_FT_GIL_MODES gil0 gil1)\n";
  if (o.stop_on_first_pass) out += "set(LABEILLE_FT_STOP_ON_FIRST_PASS ON)\n";
  if (o.tsan) out += "set(LABEILLE_FT_TSAN ON)\n";
  if (!o.detect_extensions) out += "set(LABEILLE_FT_DETECT_EXTENSIONS OFF)\n";
  if (o.stress) out += fmt::format("set(LABEILLE_FT_STRESS {})\n", onoff(o.stress));
  if (o.compare_with_gil && o.gil_control != "always") set("LABEILLE_FT_GIL_CONTROL", o.gil_control, "--compare-with-gil");
  if (o.serial_iterations) out += "set(LABEILLE_FT_SERIAL_ITERATIONS ON)\n";
  // The previous run's durations in this work directory order the tests (CTest COST).
  set("LABEILLE_FT_DURATIONS_FILE", fs::absolute(durations_file(o)).string(), "--work-dir");
  std::vector<std::string> supp;
  for (const auto& f : o.tsan_suppressions) supp.push_back(fs::absolute(f).string());
  if (!supp.empty()) list("LABEILLE_FT_TSAN_SUPPRESSIONS", supp, "--tsan-suppressions");
  if (!o.extra_deps.empty()) list("LABEILLE_FT_EXTRA_DEPS", o.extra_deps, "--extra-deps");
  if (!o.env.empty()) list("LABEILLE_FT_ENV", o.env, "--env");
  if (!o.test_command_suffix.empty())
    set("LABEILLE_FT_TEST_COMMAND_SUFFIX", o.test_command_suffix, "--test-command-suffix");
  if (!o.test_command_override.empty())
    set("LABEILLE_FT_TEST_COMMAND_OVERRIDE", o.test_command_override, "--test-command-override");
  // Paths inside the run directory are written relative to this file
  // (<run>/ctest/src/settings.cmake), so a run directory configured again after a move or
  // copy points into itself and never into the original.
  out += "get_filename_component(_lft_run \"${CMAKE_CURRENT_LIST_DIR}/../..\" ABSOLUTE)\n";
  const fs::path run = fs::absolute(run_dir).lexically_normal();
  auto path = [&](std::string_view name, const fs::path& p, std::string_view option) {
    const fs::path abs = fs::absolute(p).lexically_normal();
    const fs::path rel = abs.lexically_relative(run);
    if (!rel.empty() && *rel.begin() != "..") {
      check_cmake_value(rel.string(), option, kExitUsage);
      out += fmt::format("set({0} \"${{_lft_run}}/\")\nstring(APPEND {0} {1})\n", name, cmake_bracket(rel.string()));
    } else {
      set(name, abs.string(), option);
    }
  };
  if (!o.repos_dir.empty()) path("LABEILLE_FT_REPOS_DIR", o.repos_dir, "--repos-dir");
  if (!o.venvs_dir.empty()) path("LABEILLE_FT_VENVS_DIR", o.venvs_dir, "--venvs-dir");
  path("LABEILLE_FT_RECORDS_DIR", run / "records", "--results-dir");
  path("LABEILLE_FT_RESULTS_DIR", run / "ctest" / "results", "--results-dir");
  // The driver folds the run itself (records, JUnit, Test.xml): no ft.fold test.
  out += "set(LABEILLE_FT_FOLD OFF)\n";
  // A registry's packages, or (ft test) one checkout given by its path.
  out += o.packages_cmake.empty() ? "set(LABEILLE_FT_INSTALL_FROM registry)\n" : "set(LABEILLE_FT_INSTALL_FROM path)\n";
  list("LABEILLE_FT_CLI_ARGS", o.cli_args, "the command line");
  return out;
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

namespace {

// Where everything of a run lives.
struct RunPaths {
  explicit RunPaths(fs::path run_dir)
      : dir(std::move(run_dir)), ctest(dir / "ctest"), build(ctest / "build"), records(dir / "records") {}
  fs::path dir, ctest, build, records;
};

void configure(const RunPaths& p, const std::vector<std::string>& defs, bool verbose) {
  std::vector<std::string> cfg = {"cmake", "-S", (p.ctest / "src").string(), "-B", p.build.string()};
  cfg.insert(cfg.end(), defs.begin(), defs.end());
  auto c = supervise(cfg, p.ctest, "configure", verbose);
  if (!succeeded(c))
    throw Error(fmt::format("configuring the run's CTest project failed: {} (log: {})", last_line(c.err.tail),
                            (p.ctest / "configure.stderr.log").string()),
                kExitCTest);
}

// A new run: everything that can be refused (interpreter, registry, selection) is checked
// before the run directory is made, so a refused run leaves nothing behind.
void start_run(RunOptions& o, const RunPaths& p) {
  auto py = python_profile(o.target_python);
  check_tsan(o, py);
  // Both given: said before anything is made. With a module default on one side the
  // configured values are compared (stall_warning).
  if (o.stall_threshold && o.timeout) stall_warning(*o.stall_threshold, *o.timeout);
  // The packages as CMake code: the registry's, or (`labeille ft test`) the one package
  // its caller described.
  std::string packages = o.packages_cmake;
  std::size_t count = 1;
  if (packages.empty()) {
    if (!fs::is_regular_file(o.registry_dir / "index.yaml"))
      throw Error(fmt::format("--registry-dir {}: no index.yaml (a labeille registry has index.yaml and packages/)",
                              o.registry_dir.string()));
    registry::Selection sel;
    if (o.top > 0) sel.top = static_cast<std::size_t>(o.top);
    registry::add_packages(sel, o.packages);  // name==version pins the sdist
    sel.python_version = py.version_xy;
    const auto reg = registry::load(o.registry_dir);
    const auto chosen = registry::choose(reg, sel);
    for (const auto* list : {&reg.problems, &chosen.problems})
      for (const auto& pr : *list) std::cerr << "labeille: warning: " << pr.to_string() << " (skipped)\n";
    for (const auto& [name, why] : chosen.skipped) std::cerr << fmt::format("labeille: skipping {}: {}\n", name, why);
    if (chosen.run.empty()) throw Error(fmt::format("{}: no package selected to run", o.registry_dir.string()));
    if (auto pins = registry::pin_problems(reg, chosen, o.source.value_or("repo")); !pins.empty())
      throw Error(fmt::format("{}", fmt::join(pins, "; ")), kExitUsage);
    packages = registry::render_cmake(reg, chosen);
    count = chosen.run.size();
  }
  const fs::path package = package_dir();
  // Every value checked (a string CMake cannot carry is refused) before anything is made.
  const std::string settings = run_settings(o, p.dir) + cmake_set("LabeilleFT_DIR", package.string());
  std::optional<Stability> stability;
  if (o.check_stability) stability = measure_stability();

  // The run directory: ft_meta.json first, so even a run killed now is readable.
  fs::create_directories(p.ctest / "src");
  std::string base = meta_base(o, p.dir.filename().string(), py, stability);
  if (!o.meta_extra.empty()) base = analyzers::merge_meta(base, o.meta_extra, "the run's own settings");
  analyzers::write_meta(p.dir, base);
  atomic_write_file(p.ctest / "src" / "settings.cmake", settings);
  atomic_write_file(p.ctest / "src" / "packages.cmake", packages);
  atomic_write_file(p.ctest / "src" / "CMakeLists.txt",
                    "# Written by `labeille ft run`: the packages of this run as CTest tests.\n"
                    "cmake_minimum_required(VERSION 3.25)\nproject(labeille_ft_run LANGUAGES NONE)\n"
                    "enable_testing()\ninclude(settings.cmake)\nfind_package(LabeilleFT REQUIRED)\n"
                    "include(packages.cmake)\n");
  std::cerr << fmt::format("labeille: {} package(s){}; results in {}\n", count,
                           o.compare_with_gil ? " x 2 GIL modes" : "", p.dir.string());
  configure(p, {}, o.verbose);
  const std::string meta = module_config(base, p.build);
  analyzers::write_meta(p.dir, meta);
  if (!(o.stall_threshold && o.timeout)) {
    auto doc = json::parse_object(meta, "ft_meta.json");
    json::Reader config(doc["config"], "ft_meta.json", "config.");
    stall_warning(config.num("stall_threshold"), config.num("timeout"));
  }
}

// CMakeCache.txt entries ("NAME:TYPE=VALUE"; CMake's own line format) whose name starts
// with one of `prefixes`.
std::vector<std::pair<std::string, std::string>> cache_entries(const fs::path& cache,
                                                                std::initializer_list<std::string_view> prefixes) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto line : split_lines(read_file(cache))) {
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || line[0] == '/' || eq == std::string_view::npos) continue;
    std::string_view decl = line.substr(0, eq);
    for (auto prefix : prefixes)
      if (decl.rfind(prefix, 0) == 0) out.emplace_back(std::string(decl), std::string(line.substr(eq + 1)));
  }
  return out;
}

// --resume works on the directory it is given. The CTest build inside a run directory
// holds the absolute paths of where it was made (records, results, the build itself), so
// a run directory that was moved or copied would write into the original: its build is
// configured again here first. Its settings.cmake names every path inside the run
// relative to itself, so the new configure points into this directory; a run made before
// settings.cmake existed gets its cache's LABEILLE_FT_* values, every path that pointed
// into the old run directory pointed into this one. Nothing of the original is touched.
void reroot_if_moved(const RunPaths& p, bool verbose) {
  const fs::path cache = p.build / "CMakeCache.txt";
  auto where = cache_entries(cache, {"CMAKE_CACHEFILE_DIR:"});
  if (where.empty()) throw Error(fmt::format("--resume {}: {} names no build directory", p.dir.string(), cache.string()));
  const fs::path made_in = fs::path(where.front().second).lexically_normal();
  if (fs::weakly_canonical(made_in) == fs::canonical(p.build)) return;
  const std::string old_dir = made_in.parent_path().parent_path().string();  // <old run>/ctest/build
  std::cerr << fmt::format("labeille: {} was made in {}; configuring its CTest build here first\n", p.dir.string(),
                           old_dir);
  std::vector<std::string> defs;
  if (!fs::exists(p.ctest / "src" / "settings.cmake"))
    for (auto [decl, value] : cache_entries(cache, {"LABEILLE_FT_", "LabeilleFT_DIR:"})) {
      if (value == old_dir || value.rfind(old_dir + "/", 0) == 0) value = p.dir.string() + value.substr(old_dir.size());
      defs.push_back("-D" + decl + "=" + value);
    }
  // Only CMake's state goes; Testing/ (the Test.xml of the first part) stays.
  fs::remove(cache);
  fs::remove_all(p.build / "CMakeFiles");
  configure(p, defs, verbose);
}

// ctest over the whole run, minus (when resuming) every test that already has a record.
std::vector<std::string> ctest_command(const RunPaths& p, const RunOptions& o, const Seen& seen, bool resuming) {
  std::vector<std::string> ctest = {"ctest", "--test-dir", p.build.string(), "-T", "Test", "-L", "^ft$", "-j",
                                    std::to_string(o.jobs), "--output-junit", (p.ctest / "junit.xml").string(),
                                    "--no-tests=ignore"};
  if (resuming && !seen.done_tests.empty()) {
    std::string re;
    for (const auto& t : seen.done_tests) re += (re.empty() ? "^(" : "|") + regex_escape(t);
    ctest.insert(ctest.end(), {"-E", re + ")$"});
  }
  // A set-up that succeeded is not run again: neither selected (-E) nor added back by
  // CTest as the setup of a fixture a remaining iteration requires (-FS, fixture ft.<pkg>).
  if (resuming && !seen.set_up.empty()) {
    std::string tests, fixtures;
    for (const auto& pkg : seen.set_up) {
      tests += (tests.empty() ? "^(" : "|") + regex_escape(test_names::setup(pkg));
      fixtures += (fixtures.empty() ? "^(" : "|") + regex_escape(test_names::fixture(pkg));
    }
    ctest.insert(ctest.end(), {"-FS", fixtures + ")$"});
    auto e = std::find(ctest.begin(), ctest.end(), "-E");
    if (e != ctest.end()) *(e + 1) = tests + "|" + (e + 1)->substr(2);
    else ctest.insert(ctest.end(), {"-E", tests + ")$"});
  }
  return ctest;
}

int count_tests(std::vector<std::string> ctest, const RunPaths& p) {
  ctest.push_back("-N");
  auto n = supervise(ctest, p.ctest, "ctest-list");
  int total = 0;
  for (auto line : split_lines(n.out.tail))
    if (line.rfind("Total Tests:", 0) == 0) total = std::atoi(std::string(line.substr(12)).c_str());
  return total;
}

// Runs CTest, showing progress from the records as they appear (CTest's own output goes
// to ctest/ logs).
process::Result run_ctest(const std::vector<std::string>& ctest, const RunPaths& p, const RunOptions& o,
                          const Seen& seen, const std::set<fs::path>& read, int total) {
  std::atomic<bool> finished{false};
  const bool tty = ::isatty(2) == 1;
  const int base = seen.records;
  std::thread progress([&] {
    const double t0 = monotonic_s();
    double last_print = 0;
    Seen s = seen;
    std::set<fs::path> r = read;
    // One more pass once CTest is done, printed whatever the interval: the last line
    // says where the run ended (the GIL=1 controls skipped at the end finish within it).
    for (bool last = false; !last;) {
      last = finished.load();
      if (!last) std::this_thread::sleep_for(std::chrono::milliseconds(500));
      scan_records(p.records, s, r);
      std::vector<std::pair<std::string, int>> counts(s.outcomes.begin(), s.outcomes.end());
      auto line = progress_line(s.records - base, total, monotonic_s() - t0, counts, 30);
      if (tty) {
        std::cerr << "\r\x1b[K" << line << std::flush;
      } else if (last || monotonic_s() - last_print >= 10) {
        std::cerr << line << "\n";
        last_print = monotonic_s();
      }
    }
    if (tty) std::cerr << "\n";
  });
  auto t = supervise(ctest, p.ctest, "ctest", o.verbose);
  finished = true;
  progress.join();
  return t;
}

// Folds everything of the run (also what an interrupted run finished), once.
void fold_run(const RunPaths& p) {
  analyzers::FoldInputs in;
  in.record_dirs = {p.records};
  if (fs::exists(p.ctest / "junit.xml")) in.ctest_junit.push_back(p.ctest / "junit.xml");
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(p.build / "Testing", ec))
    if (e.path().filename() == "Test.xml") in.ctest_xml.push_back(e.path());
  // Only the newest Test.xml: older tags belong to the runs a --resume completed.
  if (in.ctest_xml.size() > 1) {
    std::sort(in.ctest_xml.begin(), in.ctest_xml.end());
    in.ctest_xml = {in.ctest_xml.back()};
  }
  analyzers::FoldReport report;
  analyzers::fold_to_dir(in, report, p.dir, analyzers::read_meta(p.dir / "ft_meta.json"));
  for (const auto& pr : report.problems) std::cerr << "labeille: warning: skipped " << pr << "\n";
}

}  // namespace

int run(RunOptions o) {
  const bool resuming = !o.resume.empty();
  if (o.jobs <= 0) o.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (o.work_dir.empty()) o.work_dir = "ft-work";
  if (o.repos_dir.empty()) o.repos_dir = o.work_dir / "repos";
  if (o.venvs_dir.empty()) o.venvs_dir = o.work_dir / "venvs";
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const RunPaths p(fs::absolute(resuming          ? o.resume
                                : !o.run_dir.empty() ? o.run_dir
                                                     : fs::absolute(o.results_dir) / run_dir_name(now)));
  check_run_dir(p.dir, resuming ? "--resume" : "--results-dir");

  if (resuming) {
    if (!fs::is_regular_file(p.dir / "ft_meta.json") || !fs::exists(p.build / "CTestTestfile.cmake") ||
        !fs::exists(p.build / "CMakeCache.txt"))
      throw Error(fmt::format("--resume {}: not a labeille ft run directory (no ft_meta.json or ctest/build)",
                              p.dir.string()));
    analyzers::read_meta(p.dir / "ft_meta.json");  // a broken one is refused before anything runs
    reroot_if_moved(p, o.verbose);
  } else {
    start_run(o, p);
  }

  // Which tests: all of ft, minus (when resuming) those that already have a record.
  Seen seen;
  std::set<fs::path> read;
  scan_records(p.records, seen, read);
  const auto ctest = ctest_command(p, o, seen, resuming);
  auto t = run_ctest(ctest, p, o, seen, read, count_tests(ctest, p));
  if (!t.termination.started) throw Error("could not start ctest: " + t.termination.start_error, kExitCTest);

  fold_run(p);
  const auto results = analyzers::read_run(p.dir, analyzers::ReadOptions::summary());
  // The next run in this work directory starts its longest packages first (CTest COST).
  if (!t.termination.interrupted) {
    try {
      fs::create_directories(durations_file(o).parent_path());
      atomic_write_file(durations_file(o), analyzers::durations_tsv(results));
    } catch (const Error& e) {
      std::cerr << "labeille: warning: durations not kept for the next run: " << e.what() << "\n";
    }
  }
  if (o.print_summary)
    write_stdout(analyzers::render_show(results, analyzers::SortBy::Category, 0,
                                      analyzers::Style{::isatty(1) == 1 && std::getenv("NO_COLOR") == nullptr}));
  if (t.termination.interrupted) {
    std::cerr << fmt::format("labeille: interrupted; the partial run is in {}; complete it with: labeille ft run "
                             "--resume {}\n",
                             p.dir.string(), p.dir.string());
    return kExitInterrupted;
  }
  std::cerr << fmt::format("labeille: results in {}\n", p.dir.string());
  return 0;
}

}  // namespace labeille::driver
