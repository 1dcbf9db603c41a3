#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <fstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "labeille/core/cli_checks.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/text.hpp"
#include "labeille/driver/run.hpp"

namespace labeille::driver {

std::vector<std::string> command_line() {
  std::vector<std::string> args;
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  if (!args.empty()) args.erase(args.begin());
  return args;
}

void check_env_items(const std::vector<std::string>& env) {
  for (const auto& kv : env) {
    const auto eq = kv.find('=');
    const std::string key = kv.substr(0, eq);
    const bool name_ok = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
                         std::all_of(key.begin(), key.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    if (eq == std::string::npos || !name_ok)
      throw Error(fmt::format("--env \"{}\": expected KEY=VALUE with KEY letters, digits and '_' (not starting "
                              "with a digit)",
                              kv),
                  kExitUsage);
  }
}

CLI::Option* add_compare_with_gil(CLI::App& cmd, bool& on, std::string& mode) {
  return cmd
      .add_option_function<std::string>(
          "--compare-with-gil",
          [&on, &mode](const std::string& v) {
            on = true;
            mode = v.empty() ? "always" : v;
          },
          "Also run with PYTHON_GIL=1: always (the default when no value is given), or auto: only for packages "
          "with a GIL=0 run that failed, crashed, stalled or did not run its tests")
      ->expected(0, 1)
      ->type_name("[always|auto]")
      ->check(CLI::IsMember({"always", "auto", ""}));
}

void add_commands(CLI::App& ft) {
  auto* cmd = ft.add_subcommand("run", "Run packages' test suites many times on a free-threaded CPython (via CTest)");
  auto o = std::make_shared<RunOptions>();
  auto packages = std::make_shared<std::string>();
  auto extra = std::make_shared<std::string>();
  auto registry = std::make_shared<std::string>();
  auto no_detect = std::make_shared<bool>(false);
  auto resume = std::make_shared<std::string>();
  const char* env_registry = std::getenv("LABEILLE_REGISTRY_DIR");
  const char* home = std::getenv("HOME");
  *registry = env_registry ? env_registry : std::string(home ? home : "") + "/.local/share/labeille/registry";
  o->results_dir = "results";
  // The module owns these defaults (shown in --help as the module's): bound here, kept in
  // RunOptions only when given.
  auto iterations = std::make_shared<int>(10);
  auto timeout_s = std::make_shared<double>(600);
  auto setup_timeout_s = std::make_shared<double>(1800);
  auto stall_s = std::make_shared<double>(60);
  auto until_bound = std::make_shared<double>(0);
  auto parallel_threads = std::make_shared<int>(0);
  auto stress_threads = std::make_shared<int>(2);
  auto stress_repeat = std::make_shared<int>(20);
  auto stress_budget = std::make_shared<double>(0);
  auto source = std::make_shared<std::string>("repo");
  auto installer = std::make_shared<std::string>();
  cmd->add_option("--target-python", o->target_python, "Free-threaded Python build (required unless --resume)");
  // 0 is the module's "set-up and probe only" (the benchmark's baseline, too).
  // Whole numbers: the module's keywords (and CTest's TIMEOUT arithmetic) take integers.
  auto* n_opt = cmd->add_option("-n,--iterations", *iterations, "Iterations per package (0: set-up and probe only)")
      ->check(cli::whole_number(0, 100000, "a whole number of iterations"))
      ->capture_default_str();
  auto* timeout = cmd->add_option("--timeout", *timeout_s, "Per-iteration timeout in seconds (x10 under --tsan)")
                      ->check(cli::whole_number(1, cli::kMaxSeconds, "a whole number of seconds"))
                      ->capture_default_str();
  auto* setup_timeout = cmd->add_option("--setup-timeout", *setup_timeout_s,
                                        "Per set-up step (clone, download, install) timeout in seconds (x10 under --tsan)")
                            ->check(cli::whole_number(1, cli::kMaxSeconds, "a whole number of seconds"))
                            ->capture_default_str();
  // 0 is the runner's "no stall detection": a suite that is silent for long on purpose.
  auto* stall = cmd->add_option("--stall-threshold", *stall_s,
                                "Seconds without output before a deadlock (0: off; x10 under --tsan)")
                    ->check(cli::whole_number(0, cli::kMaxSeconds, "a whole number of seconds",
                                              "; 0 turns stall detection off"))
                    ->capture_default_str();
  cmd->add_option("--packages", *packages, "Comma-separated package filter (name==version pins the sdist)");
  cmd->add_option("--top", o->top, "Top N packages by downloads")
      ->check(cli::whole_number(0, cli::kMaxCount, "a whole number of packages", "; 0 means all"));
  auto* source_opt = cmd->add_option("--source", *source, "Sources: repo (clone), sdist (package index, through pip), auto (repo, else sdist)")
      ->check(CLI::IsMember({"repo", "sdist", "auto"}))
      ->capture_default_str();
  add_compare_with_gil(*cmd, o->compare_with_gil, o->gil_control);
  cmd->add_flag("--serial-iterations", o->serial_iterations,
                "Run each package's iterations one after another (default: side by side when cores are free, each "
                "in its own copy of the source tree)");
  cmd->add_flag("--stop-on-first-pass", o->stop_on_first_pass, "Skip the remaining iterations after a pass");
  cmd->add_flag("--detect-extensions", o->detect_extensions, "Probe extensions for GIL fallback (default)");
  cmd->add_flag("--no-detect-extensions", *no_detect, "Do not probe extensions");
  cmd->add_flag("--tsan", o->tsan,
                "ThreadSanitizer: collect and fold TSAN reports (needs a --with-thread-sanitizer interpreter)");
  cmd->add_option("--tsan-suppressions", o->tsan_suppressions,
                  "TSAN suppressions file, added to CPython's own (repeatable; with --tsan)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--check-stability", o->check_stability, "Measure load and CPU timing spread before starting");
  cmd->add_option("--extra-deps", *extra, "Extra dependencies for every venv, comma-separated (commas inside one, as in numpy>=1.26,<3, stay in it)");
  auto* installer_opt = cmd->add_option("--installer", *installer, "uv or pip (default: uv when found, else pip)")
      ->check(CLI::IsMember({"uv", "pip"}));
  cmd->add_option("--test-command-suffix", o->test_command_suffix, "Appended to every test command");
  cmd->add_option("--test-command-override", o->test_command_override, "Replaces every test command");
  cmd->add_option("--env", o->env, "KEY=VALUE for every test command (repeatable)");
  cmd->add_option("--registry-dir", *registry, "Registry (default ~/.local/share/labeille/registry, or LABEILLE_REGISTRY_DIR)");
  cmd->add_option("--work-dir", o->work_dir, "Working directory (repos/ and venvs/ below it)");
  cmd->add_option("--repos-dir", o->repos_dir, "Persistent source checkouts (default <work-dir>/repos)");
  cmd->add_option("--venvs-dir", o->venvs_dir, "Persistent venvs (default <work-dir>/venvs)");
  cmd->add_option("--results-dir", o->results_dir, "Where ft_<timestamp>/ goes")->capture_default_str();
  cmd->add_option("-j,--jobs", o->jobs, "Tests run at once (default: CPUs)")
      ->check(cli::whole_number(0, 4096, "a whole number of tests at once", "; 0 means one per CPU"));
  cmd->add_option("--resume", *resume, "Complete an interrupted run directory");
  auto* threads_opt = cmd->add_option("--parallel-threads", *parallel_threads, "pytest-run-parallel threads (0: off)")
      ->check(cli::whole_number(0, 4096, "a whole number of threads", "; 0 turns it off"));
  auto* bound_opt = cmd->add_option("--until-bound", *until_bound,
                  "Stop a package's iterations of a mode once settled: all passed with a 95% failure-rate bound <= R, "
                  "passes and failures both seen, or all failed (-n is the maximum; 0: off)")
      ->check(CLI::Range(0.0, 0.999999));
  cmd->add_flag("--stress", o->stress,
                "Also run stress iterations: the suite through pytest-run-parallel, each test repeated in-process");
  auto* sthreads_opt = cmd->add_option("--stress-threads", *stress_threads, "Threads per test in stress iterations")
      ->check(CLI::Range(1, 256))->capture_default_str();
  auto* srepeat_opt = cmd->add_option("--stress-repeat", *stress_repeat, "Repetitions of each test per thread in stress iterations")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  auto* sbudget_opt =
      cmd->add_option("--stress-budget", *stress_budget,
                      "Seconds of CPU per stress run: the repetitions scale down for a slow suite, from its plain "
                      "GIL=0 runs (--stress-repeat is then the maximum; 0: off)")
          ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_flag("-v,--verbose", o->verbose, "Show CMake's and CTest's output");
  cmd->callback([=] {
    RunOptions opts = *o;
    opts.packages = split_list(*packages);
    opts.extra_deps = split_requirements(*extra);
    opts.registry_dir = *registry;
    opts.detect_extensions = !*no_detect;
    opts.resume = *resume;
    opts.cli_args = command_line();
    auto given = [](CLI::Option* opt, auto value) {
      return opt->count() > 0 ? std::optional<decltype(value)>(value) : std::nullopt;
    };
    opts.iterations = given(n_opt, *iterations);
    opts.timeout = given(timeout, *timeout_s);
    opts.setup_timeout = given(setup_timeout, *setup_timeout_s);
    opts.stall_threshold = given(stall, *stall_s);
    opts.until_bound = given(bound_opt, *until_bound);
    opts.parallel_threads = given(threads_opt, *parallel_threads);
    opts.stress_threads = given(sthreads_opt, *stress_threads);
    opts.stress_repeat = given(srepeat_opt, *stress_repeat);
    opts.stress_budget = given(sbudget_opt, *stress_budget);
    opts.source = given(source_opt, *source);
    opts.installer = given(installer_opt, *installer);
    if (!opts.tsan_suppressions.empty() && !opts.tsan) throw Error("--tsan-suppressions needs --tsan", kExitUsage);
    check_env_items(opts.env);
    if (opts.resume.empty() && opts.target_python.empty())
      throw Error("--target-python is required (a free-threaded CPython, e.g. python3.13t)", kExitUsage);
    int code = run(std::move(opts));
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace labeille::driver
