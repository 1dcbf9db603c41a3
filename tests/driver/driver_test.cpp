#include "labeille/driver/run.hpp"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <rapidjson/document.h>

#include <CLI/CLI.hpp>

#include <gtest/gtest.h>

#include "labeille/core/error.hpp"
#include "labeille/core/system_profile.hpp"
#include "support/scratch.hpp"

namespace labeille::driver {

TEST(Driver, RunDirectoryNameIsUtc) { EXPECT_EQ(run_dir_name(1772546400), "ft_20260303_140000"); }

TEST(Driver, ProgressLine) {
  EXPECT_EQ(progress_line(0, 10, 0, {}, 10), "[..........] 0/10 ETA --");
  EXPECT_EQ(progress_line(5, 10, 60, {{"pass", 4}, {"crash", 1}}, 10), "[#####.....] 5/10 ETA 1m00s pass 4 crash 1");
  EXPECT_EQ(progress_line(12, 10, 60, {}, 4), "[####] 10/10 ETA 0s");
  EXPECT_EQ(progress_line(1, 100, 60, {}, 4), "[....] 1/100 ETA 1h39m");
}

// --compare-with-gil takes an optional value: alone it is `always` (the seed's meaning);
// a required positional after it is never taken as its value.
TEST(Driver, CompareWithGilTakesAnOptionalValue) {
  struct Parsed {
    bool on = false;
    std::string mode = "unset", positional;
  };
  auto parse = [](std::vector<std::string> args, bool with_positional) {
    Parsed p;
    CLI::App app;
    add_compare_with_gil(app, p.on, p.mode);
    app.add_option("--iterations", p.positional);
    if (with_positional) app.add_option("package", p.positional)->required();
    std::reverse(args.begin(), args.end());
    app.parse(args);
    return p;
  };
  auto p = parse({"--compare-with-gil"}, false);
  EXPECT_TRUE(p.on);
  EXPECT_EQ(p.mode, "always");
  EXPECT_EQ(parse({"--compare-with-gil", "auto"}, false).mode, "auto");
  EXPECT_EQ(parse({"--compare-with-gil=auto"}, false).mode, "auto");
  EXPECT_EQ(parse({"--compare-with-gil", "always"}, false).mode, "always");
  EXPECT_EQ(parse({"--compare-with-gil", "--iterations", "3"}, false).mode, "always");
  EXPECT_FALSE(parse({"--iterations", "3"}, false).on);
  p = parse({"--compare-with-gil", "numpy"}, true);  // `ft test --compare-with-gil numpy`
  EXPECT_EQ(p.mode, "always");
  EXPECT_EQ(p.positional, "numpy");
  p = parse({"--compare-with-gil", "auto", "numpy"}, true);
  EXPECT_EQ(p.mode, "auto");
  EXPECT_EQ(p.positional, "numpy");
  EXPECT_THROW(parse({"--compare-with-gil", "sometimes"}, false), CLI::ValidationError);
}

// Only what the user gave reaches the module, each value as one bracket argument; the
// module has the defaults (and their x10 under TSAN).
// Side by side and the automatic control are the module's defaults (SERIAL_ITERATIONS
// OFF, GIL_CONTROL always): only a change reaches it; the durations file always does.
TEST(Driver, SettingsCarryTheScheduleOptions) {
  RunOptions o;
  o.target_python = "/py/python3.13t";
  o.work_dir = "/w";
  std::string s = run_settings(o, "/r/ft_1");
  EXPECT_NE(s.find("set(LABEILLE_FT_DURATIONS_FILE [=[/w/durations.tsv]=])"), std::string::npos) << s;
  EXPECT_EQ(s.find("LABEILLE_FT_SERIAL_ITERATIONS"), std::string::npos) << s;
  EXPECT_EQ(s.find("LABEILLE_FT_GIL_CONTROL"), std::string::npos) << s;
  o.compare_with_gil = true;
  o.gil_control = "auto";
  o.serial_iterations = true;
  s = run_settings(o, "/r/ft_1");
  EXPECT_NE(s.find("set(LABEILLE_FT_GIL_CONTROL [=[auto]=])"), std::string::npos) << s;
  EXPECT_NE(s.find("set(LABEILLE_FT_SERIAL_ITERATIONS ON)"), std::string::npos) << s;
}

TEST(Driver, SettingsCarryOnlyTheGivenValues) {
  RunOptions o;
  o.target_python = "/py/python3.13t";
  o.tsan = true;
  o.cli_args = {"ft", "run"};
  const std::string s = run_settings(o, "/r/ft_1");
  EXPECT_NE(s.find("set(LABEILLE_FT_TARGET_PYTHON [=[/py/python3.13t]=])"), std::string::npos) << s;
  EXPECT_NE(s.find("set(LABEILLE_FT_TSAN ON)"), std::string::npos) << s;
  for (const char* absent : {"LABEILLE_FT_TIMEOUT", "LABEILLE_FT_ITERATIONS", "LABEILLE_FT_STALL_THRESHOLD",
                             "LABEILLE_FT_SETUP_TIMEOUT", "LABEILLE_FT_SOURCE", "LABEILLE_FT_INSTALLER",
                             "LABEILLE_FT_STRESS_THREADS"})
    EXPECT_EQ(s.find(std::string(absent) + " "), std::string::npos) << absent << " is the module's default:\n" << s;
  EXPECT_NE(s.find("set(LABEILLE_FT_FOLD OFF)"), std::string::npos) << "the driver folds the run itself";
  o.timeout = 90;
  o.env = {"X=a;b", "Y=[c"};
  o.test_command_override = "true; true ]=] ]==]";
  const std::string t = run_settings(o, "/r/ft_1");
  EXPECT_NE(t.find("set(LABEILLE_FT_TIMEOUT [=[90]=])"), std::string::npos) << t;
  EXPECT_NE(t.find("set(LABEILLE_FT_ENV [=[X=a%3Bb;Y=%5Bc]=])"), std::string::npos) << t;
  EXPECT_NE(t.find("set(LABEILLE_FT_TEST_COMMAND_OVERRIDE [===[true; true ]=] ]==]]===])"), std::string::npos) << t;
}

TEST(Driver, ValuesCMakeCannotCarryAreRefused) {
  RunOptions o;
  o.target_python = "/py/python3.13t";
  o.env = {std::string("X=\xff\xfe")};
  try {
    run_settings(o, "/r/ft_1");
    ADD_FAILURE() << "a non-UTF-8 --env value was accepted";
  } catch (const labeille::Error& e) {
    EXPECT_EQ(e.exit_code(), labeille::kExitUsage);
    EXPECT_NE(std::string(e.what()).find("--env"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not valid UTF-8"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_run_dir("/tmp/victim;x/ft_1", "--results-dir"), labeille::Error);
  EXPECT_NO_THROW(check_run_dir("/tmp/odd [dir] $x/ft_1", "--results-dir"));
}

// -n 0 (set-up and probe only) passes the option check and reaches the run, which then
// refuses the interpreter; -n -1 is a usage error before anything runs.
TEST(Driver, ZeroIterationsIsAValidRun) {
  auto results = test_support::scratch_dir() / "results";
  auto parse = [&](const char* n) {
    CLI::App app;
    auto* ft = app.add_subcommand("ft");
    add_commands(*ft);
    std::vector<std::string> args = {"ft", "run", "-n", n, "--target-python", "/nonexistent/labeille-python",
                                     "--results-dir", results.string()};
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector last argument first
    app.parse(args);
  };
  EXPECT_THROW(parse("-1"), CLI::ValidationError);
  EXPECT_THROW(parse("0"), labeille::Error);  // the interpreter check, past option parsing
}

}  // namespace labeille::driver

namespace labeille::driver {

// ft_meta.json's system_profile has every key of the Python labeille tool's
// SystemProfile with its type, measured on this machine (its `ft show` prints "System:
// <cpu_model>, <ram_total_gb>GB RAM, <os_distro>" from it).
TEST(Driver, SystemProfileHasTheLabeilleToolsKeysAndTypes) {
  const auto text = labeille::system_profile_json(test_support::scratch_dir() / "not-yet-made" / "x");
  rapidjson::Document d;
  d.Parse(text.c_str());
  ASSERT_TRUE(d.IsObject()) << text;
  for (const char* k : {"cpu_model", "cpu_architecture", "os_name", "os_kernel_version", "os_distro",
                        "host_python_version", "host_python_implementation", "disk_type", "hostname", "timestamp"})
    EXPECT_TRUE(d.HasMember(k) && d[k].IsString()) << k << " in " << text;
  for (const char* k : {"cpu_cores_physical", "cpu_cores_logical", "running_processes"})
    EXPECT_TRUE(d.HasMember(k) && d[k].IsInt()) << k << " in " << text;
  for (const char* k : {"ram_total_gb", "ram_available_gb", "swap_total_gb", "load_avg_1m", "load_avg_5m",
                        "load_avg_15m", "disk_available_gb"})
    EXPECT_TRUE(d.HasMember(k) && d[k].IsNumber()) << k << " in " << text;
  for (const char* k : {"cpu_freq_mhz", "cpu_freq_max_mhz"})
    EXPECT_TRUE(d.HasMember(k) && (d[k].IsNumber() || d[k].IsNull())) << k << " in " << text;
  EXPECT_EQ(d["cpu_cores_logical"].GetInt(), static_cast<int>(std::thread::hardware_concurrency()));
  EXPECT_GT(d["ram_total_gb"].GetDouble(), 0.1);
  EXPECT_GT(d["disk_available_gb"].GetDouble(), 0.0);  // the nearest existing parent's disk
  EXPECT_EQ(std::string(d["os_name"].GetString()), "Linux");
  EXPECT_FALSE(std::string(d["os_distro"].GetString()).empty());
  EXPECT_NE(std::string(d["cpu_model"].GetString()), "");
}

}  // namespace labeille::driver
