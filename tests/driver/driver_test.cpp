#include "labeille/driver/run.hpp"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <rapidjson/document.h>

#include <CLI/CLI.hpp>

#include <gtest/gtest.h>

#include "labeille/core/error.hpp"

namespace labeille::driver {

TEST(Driver, RunDirectoryNameIsUtc) { EXPECT_EQ(run_dir_name(1772546400), "ft_20260303_140000"); }

TEST(Driver, ProgressLine) {
  EXPECT_EQ(progress_line(0, 10, 0, {}, 10), "[..........] 0/10 ETA --");
  EXPECT_EQ(progress_line(5, 10, 60, {{"pass", 4}, {"crash", 1}}, 10), "[#####.....] 5/10 ETA 1m00s pass 4 crash 1");
  EXPECT_EQ(progress_line(12, 10, 60, {}, 4), "[####] 10/10 ETA 0s");
  EXPECT_EQ(progress_line(1, 100, 60, {}, 4), "[....] 1/100 ETA 1h39m");
}

TEST(Driver, EveryRunOptionReachesTheModule) {
  RunOptions o;
  o.target_python = "/py/python3.13t";
  o.iterations = 7;
  o.timeout = 90;
  o.stall_threshold = 12.5;
  o.compare_with_gil = true;
  o.stop_on_first_pass = true;
  o.tsan = true;
  o.tsan_suppressions = {"/s/mine.supp", "/s/other.supp"};
  o.detect_extensions = false;
  o.extra_deps = {"trustme", "uvicorn"};
  o.env = {"PYTHONMALLOC=debug", "A=b"};
  o.test_command_suffix = "--tb=short";
  o.test_command_override = "python -m pytest tests/";
  o.parallel_threads = 4;
  o.until_bound = 0.05;
  o.stress = true;
  o.stress_threads = 3;
  o.stress_repeat = 15;
  o.repos_dir = "/w/repos";
  o.venvs_dir = "/w/venvs";
  o.setup_timeout = 300;
  o.source = "sdist";
  auto d = cmake_definitions(o, "/r/ft_1");
  auto has = [&](const std::string& s) { return std::find(d.begin(), d.end(), s) != d.end(); };
  EXPECT_TRUE(has("-DLABEILLE_FT_TARGET_PYTHON=/py/python3.13t"));
  EXPECT_TRUE(has("-DLABEILLE_FT_ITERATIONS=7"));
  EXPECT_TRUE(has("-DLABEILLE_FT_SOURCE=sdist"));
  EXPECT_TRUE(has("-DLABEILLE_FT_TIMEOUT=90"));
  EXPECT_TRUE(has("-DLABEILLE_FT_STALL_THRESHOLD=12.5"));
  EXPECT_TRUE(has("-DLABEILLE_FT_GIL_MODES=gil0;gil1"));
  EXPECT_TRUE(has("-DLABEILLE_FT_STOP_ON_FIRST_PASS=ON"));
  EXPECT_TRUE(has("-DLABEILLE_FT_TSAN=ON"));
  EXPECT_TRUE(has("-DLABEILLE_FT_TSAN_SUPPRESSIONS=/s/mine.supp;/s/other.supp"));
  EXPECT_TRUE(has("-DLABEILLE_FT_DETECT_EXTENSIONS=OFF"));
  EXPECT_TRUE(has("-DLABEILLE_FT_EXTRA_DEPS=trustme;uvicorn"));
  EXPECT_TRUE(has("-DLABEILLE_FT_ENV=PYTHONMALLOC=debug;A=b"));
  EXPECT_TRUE(has("-DLABEILLE_FT_TEST_COMMAND_SUFFIX=--tb=short"));
  EXPECT_TRUE(has("-DLABEILLE_FT_TEST_COMMAND_OVERRIDE=python -m pytest tests/"));
  EXPECT_TRUE(has("-DLABEILLE_FT_PARALLEL_THREADS=4"));
  EXPECT_TRUE(has("-DLABEILLE_FT_UNTIL_BOUND=0.05"));
  EXPECT_TRUE(has("-DLABEILLE_FT_STRESS=ON"));
  EXPECT_TRUE(has("-DLABEILLE_FT_STRESS_THREADS=3"));
  EXPECT_TRUE(has("-DLABEILLE_FT_STRESS_REPEAT=15"));
  EXPECT_TRUE(has("-DLABEILLE_FT_RECORDS_DIR=/r/ft_1/records"));
  EXPECT_TRUE(has("-DLABEILLE_FT_REPOS_DIR=/w/repos"));
  EXPECT_TRUE(has("-DLABEILLE_FT_SETUP_TIMEOUT=300"));
  // The driver folds the run itself: the module's ft.fold is left out.
  EXPECT_TRUE(has("-DLABEILLE_FT_FOLD=OFF"));
}

TEST(Driver, TsanScalesOnlyTheDefaultTimeouts) {
  RunOptions o;
  scale_for_tsan(o);
  EXPECT_EQ(o.timeout, 600);  // no --tsan: untouched
  o.tsan = true;
  scale_for_tsan(o);
  EXPECT_EQ(o.timeout, 600 * kTsanSlowdown);
  EXPECT_EQ(o.stall_threshold, 60 * kTsanSlowdown);
  EXPECT_EQ(o.setup_timeout, 1800 * kTsanSlowdown);
  RunOptions given;
  given.tsan = true;
  given.timeout = 90;
  given.timeout_given = true;
  given.setup_timeout = 120;
  given.setup_timeout_given = true;
  scale_for_tsan(given);
  EXPECT_EQ(given.timeout, 90);  // what the user set stays
  EXPECT_EQ(given.setup_timeout, 120);
  EXPECT_EQ(given.stall_threshold, 60 * kTsanSlowdown);
}

// -n 0 (set-up and probe only) passes the option check and reaches the run, which then
// refuses the interpreter; -n -1 is a usage error before anything runs.
TEST(Driver, ZeroIterationsIsAValidRun) {
  auto results = std::filesystem::temp_directory_path() / "labeille-driver-test-results";
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
  std::filesystem::remove_all(results);
}

}  // namespace labeille::driver

namespace labeille::driver {

// ft_meta.json's system_profile has every key of the Python labeille tool's
// SystemProfile with its type, measured on this machine (its `ft show` prints "System:
// <cpu_model>, <ram_total_gb>GB RAM, <os_distro>" from it).
TEST(Driver, SystemProfileHasTheLabeilleToolsKeysAndTypes) {
  const auto text = system_profile_json(std::filesystem::temp_directory_path() / "labeille-not-yet-made" / "x");
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
