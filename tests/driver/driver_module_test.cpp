// Every `labeille ft run` option changes what the generated tests do: the driver's -D
// definitions configure a real project with the LabeilleFT module and the free-threaded
// interpreter, and `ctest --show-only=json-v1` shows each option in the tests' commands
// and properties.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "labeille/core/cmake_value.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/test_names.hpp"
#include "labeille/driver/run.hpp"
#include "labeille/process/supervisor.hpp"

namespace labeille::driver {
namespace {

namespace fs = std::filesystem;

struct GeneratedTest {
  std::vector<std::string> command;
  std::map<std::string, std::string> properties;  // scalar properties as text
  bool has(const std::string& a, const std::string& b) const {
    for (std::size_t i = 0; i + 1 < command.size(); ++i)
      if (command[i] == a && command[i + 1] == b) return true;
    return false;
  }
  bool has(const std::string& a) const { return std::find(command.begin(), command.end(), a) != command.end(); }
};

int run_tool(std::vector<std::string> argv, const fs::path& logs, const std::string& name) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  auto r = process::supervise(process::helper_spec(std::move(argv), logs.string(), std::move(env), logs, name, 300));
  return r.termination.exit_code.value_or(-1);
}

// Configures a one-package project with the driver's definitions for `o`; the tests CTest sees.
std::map<std::string, GeneratedTest> generate(RunOptions o, const std::string& tag) {
  const fs::path work = fs::path(LABEILLE_FT_BINARY_DIR) / "tests" / "driver" / ("options-" + tag);
  fs::remove_all(work);
  fs::create_directories(work / "src");
  fs::create_directories(work / "pkg");
  fs::create_directories(work / "run" / "ctest" / "src");
  // As `labeille ft run` writes it: the settings file, then the module.
  std::ofstream(work / "run" / "ctest" / "src" / "settings.cmake") << run_settings(o, work / "run");
  std::ofstream(work / "src" / "CMakeLists.txt")
      << "cmake_minimum_required(VERSION 3.25)\nproject(p NONE)\nenable_testing()\n"
      << "include(" << cmake_bracket((work / "run" / "ctest" / "src" / "settings.cmake").string()) << ")\n"
      << "find_package(LabeilleFT REQUIRED)\n"
      << "labeille_ft_add_package(p PATH [[" << (work / "pkg").string() << "]])\n";
  std::vector<std::string> configure = {"cmake", "-S", (work / "src").string(), "-B", (work / "build").string(),
                                        std::string("-DLabeilleFT_DIR=") + LABEILLE_FT_BINARY_DIR};
  EXPECT_EQ(run_tool(configure, work, "configure"), 0) << read_file(work / "configure.stderr.log");
  EXPECT_EQ(run_tool({"ctest", "--test-dir", (work / "build").string(), "--show-only=json-v1"}, work, "ctest"), 0);
  rapidjson::Document doc;
  const std::string json = read_file(work / "ctest.stdout.log");
  doc.Parse(json.c_str());
  std::map<std::string, GeneratedTest> tests;
  if (doc.HasParseError() || !doc.HasMember("tests")) {
    ADD_FAILURE() << "ctest --show-only=json-v1 said: " << json.substr(0, 2000);
    return tests;
  }
  for (auto& t : doc["tests"].GetArray()) {
    GeneratedTest g;
    if (t.HasMember("command"))
      for (auto& a : t["command"].GetArray()) g.command.emplace_back(a.GetString());
    for (auto& p : t["properties"].GetArray()) {
      const auto& v = p["value"];
      g.properties[p["name"].GetString()] = v.IsString()   ? v.GetString()
                                            : v.IsNumber() ? fmt::format("{:g}", v.GetDouble())
                                                           : "";
    }
    tests[t["name"].GetString()] = std::move(g);
  }
  return tests;
}

RunOptions base_options() {
  RunOptions o;
  o.target_python = LABEILLE_FT_TEST_PYTHON;
  o.iterations = 2;
  o.repos_dir = "/w/repos";
  o.venvs_dir = "/w/venvs";
  return o;
}

TEST(DriverOptions, DefaultsGiveTheDefaultTests) {
  ASSERT_STRNE(LABEILLE_FT_TEST_PYTHON, "") << "LABEILLE_FT_TEST_PYTHON not set (run scripts/test.sh)";
  auto tests = generate(base_options(), "defaults");
  EXPECT_EQ(tests.size(), 4u) << "setup, probe, 2 iterations with the GIL off";
  EXPECT_EQ(tests.count("ft.fold"), 0u) << "the driver folds the run itself, once";
  const auto& it = tests["ft.p.gil0.iter02"];
  EXPECT_TRUE(it.has("--timeout", "600"));
  EXPECT_TRUE(it.has("--stall-threshold", "60"));
  EXPECT_TRUE(it.has("--shell", "python -m pytest"));
  EXPECT_FALSE(it.has("--tsan"));
  EXPECT_FALSE(it.has("--skip-if-passed"));
  EXPECT_TRUE(it.has("--cwd", "/w/repos/p"));
  EXPECT_FALSE(tests["ft.p.probe"].has("--no-detect-extensions"));
  EXPECT_FALSE(tests["ft.p.setup"].has("--extra-dep"));
  EXPECT_EQ(tests.count("ft.p.gil1.iter01"), 0u);
}

TEST(DriverOptions, EveryRunOptionChangesTheTests) {
  ASSERT_STRNE(LABEILLE_FT_TEST_PYTHON, "") << "LABEILLE_FT_TEST_PYTHON not set (run scripts/test.sh)";
  RunOptions o = base_options();
  o.iterations = 7;
  o.timeout = 90;
  o.stall_threshold = 12.5;
  o.compare_with_gil = true;
  o.stop_on_first_pass = true;
  // --tsan is left out: the module refuses it with a plain interpreter. It reaches the
  // tests in e2e.tsan_through_ft_run (a real TSAN build) and driver.tsan_refuses_plain_interpreter.
  o.detect_extensions = false;
  o.extra_deps = {"trustme", "uvicorn"};
  o.env = {"PYTHONMALLOC=debug", "A=b"};
  o.test_command_suffix = "--tb=short";
  o.parallel_threads = 4;
  o.setup_timeout = 300;
  auto tests = generate(o, "all");
  EXPECT_EQ(tests.size(), 16u) << "setup, probe, 7 iterations in each GIL mode";
  const auto& it = tests["ft.p.gil1.iter07"];
  EXPECT_TRUE(it.has("--gil", "1"));                    // --compare-with-gil
  EXPECT_TRUE(it.has("--timeout", "90"));               // --timeout
  EXPECT_EQ(it.properties.at("TIMEOUT"), "150");        //   and CTest's limit above it
  EXPECT_TRUE(it.has("--stall-threshold", "12.5"));     // --stall-threshold
  EXPECT_TRUE(it.has("--skip-if-passed"));              // --stop-on-first-pass
  EXPECT_EQ(it.properties.at("SKIP_RETURN_CODE"), "77");
  EXPECT_TRUE(it.has("--env", "PYTHONMALLOC=debug"));   // --env
  EXPECT_TRUE(it.has("--env", "A=b"));
  EXPECT_TRUE(it.has("--shell", "python -m pytest --parallel-threads=4 --tb=short"));  // suffix, threads
  EXPECT_TRUE(it.has("--record-dir", (fs::path(LABEILLE_FT_BINARY_DIR) / "tests/driver/options-all/run/records").string()));
  EXPECT_TRUE(tests["ft.p.probe"].has("--no-detect-extensions"));  // --no-detect-extensions
  EXPECT_TRUE(tests["ft.p.setup"].has("--extra-dep", "trustme"));
  EXPECT_TRUE(tests["ft.p.setup"].has("--extra-dep", "uvicorn"));
  EXPECT_TRUE(tests["ft.p.setup"].has("--extra-dep", "pytest-run-parallel"));
  EXPECT_TRUE(tests["ft.p.setup"].has("--venvs-dir", "/w/venvs"));
  EXPECT_TRUE(tests["ft.p.setup"].has("--timeout", "300"));  // --setup-timeout, not --timeout
  EXPECT_EQ(tests["ft.p.setup"].properties.at("TIMEOUT"), "960");

  o.test_command_override = "python -m pytest tests/";
  auto overridden = generate(o, "override");
  EXPECT_TRUE(overridden["ft.p.gil0.iter01"].has("--shell", "python -m pytest tests/"))
      << "the override replaces the command, suffix and thread flag";
}

// The options that came with stress mode, --until-bound and the installer choice.
TEST(DriverOptions, StressBoundAndInstallerChangeTheTests) {
  ASSERT_STRNE(LABEILLE_FT_TEST_PYTHON, "") << "LABEILLE_FT_TEST_PYTHON not set (run scripts/test.sh)";
  RunOptions o = base_options();
  o.stress = true;
  o.stress_threads = 3;
  o.stress_repeat = 5;
  o.until_bound = 0.25;
  o.installer = "pip";
  auto tests = generate(o, "stress");
  EXPECT_EQ(tests.size(), 6u) << "setup, probe, 2 plain and 2 stress iterations with the GIL off";
  EXPECT_TRUE(tests["ft.p.setup"].has("--installer", "pip"));  // --installer
  EXPECT_TRUE(tests["ft.p.setup"].has("--stress"));            // --stress: the tools installed
  const auto& stress = tests["ft.p.stress.gil0.iter02"];
  EXPECT_TRUE(stress.has("--stress-threads", "3"));  // --stress-threads
  EXPECT_TRUE(stress.has("--stress-repeat", "5"));   // --stress-repeat
  const auto& it = tests["ft.p.gil0.iter02"];
  EXPECT_FALSE(it.has("--stress-threads"));
  EXPECT_TRUE(it.has("--until-bound", "0.25"));  // --until-bound
  EXPECT_EQ(it.properties.at("SKIP_RETURN_CODE"), "77");
}

// The test-name scheme has one C++ owner (core/test_names.hpp): the names the module
// generates are exactly the ones it formats, and each parses back (issue #22 item 4).
TEST(TestNames, TheModulesNamesAreTheCoreScheme) {
  ASSERT_STRNE(LABEILLE_FT_TEST_PYTHON, "") << "LABEILLE_FT_TEST_PYTHON not set (run scripts/test.sh)";
  RunOptions o = base_options();
  o.iterations = 100;  // <NN> gets 3 digits
  o.compare_with_gil = true;
  o.stress = true;
  auto tests = generate(o, "names");
  std::set<std::string> want = {test_names::setup("p"), test_names::probe("p")};
  const int width = test_names::iteration_width(100);
  EXPECT_EQ(width, 3);
  for (const char* mode : {"gil0", "gil1", "stress.gil0", "stress.gil1"})
    for (int i = 1; i <= 100; ++i) want.insert(test_names::iteration("p", mode, i, width));
  std::set<std::string> got;
  for (const auto& [name, t] : tests) {
    got.insert(name);
    auto parsed = test_names::parse(name);
    ASSERT_TRUE(parsed) << name;
    EXPECT_EQ(parsed->package, "p") << name;
    EXPECT_EQ(parsed->canonical, name);
    if (parsed->iteration > 0) {
      EXPECT_TRUE(t.has("--iteration", std::to_string(parsed->iteration))) << name;
      EXPECT_TRUE(t.has("--mode", parsed->kind)) << name;
    }
  }
  EXPECT_EQ(got, want);
}

// Issue #20's property: any string (valid UTF-8) given to `ft run` reaches the command the
// runner and the set-up execute intact, through the settings file and the module. Seeded
// random strings over the bytes CMake treats specially.
TEST(DriverValues, AnyStringRoundTripsToTheTestCommands) {
  ASSERT_STRNE(LABEILLE_FT_TEST_PYTHON, "") << "LABEILLE_FT_TEST_PYTHON not set (run scripts/test.sh)";
  const std::vector<std::string> pieces = {";", "[[", "]]", "]=]", "]==]", "[=[", "\\", "\\;", "$", "${X}",
                                           "$ENV{HOME}", "\"", "\n", "\t", "%", "%3B", "%25", "[", "]", " ", "a",
                                           "é", "#", "'", "@X@", "(", ")", "=", ",", "*"};
  std::mt19937 rng(20);
  auto any = [&](std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += pieces[rng() % pieces.size()];
    return out;
  };
  for (int round = 0; round < 3; ++round) {
    RunOptions o = base_options();
    o.iterations = 1;
    o.env = {"A=" + any(8), "B=" + any(12), "C=;"};
    o.extra_deps = {"x" + any(6), any(3) + "y"};
    o.repos_dir = "/w/" + any(5) + "/repos";
    o.venvs_dir = "/w/" + any(5) + "/venvs";
    if (round == 1) o.test_command_suffix = any(10);
    if (round == 2) o.test_command_override = any(10) + "\n" + any(4);
    auto tests = generate(o, "values-" + std::to_string(round));
    ASSERT_EQ(tests.count("ft.p.gil0.iter01"), 1u) << "round " << round;
    const auto& it = tests["ft.p.gil0.iter01"];
    for (const auto& e : o.env) EXPECT_TRUE(it.has("--env", e)) << "round " << round << ": --env " << e;
    EXPECT_TRUE(it.has("--cwd", o.repos_dir.string() + "/p")) << o.repos_dir;
    EXPECT_TRUE(it.has("--venv", o.venvs_dir.string() + "/p")) << o.venvs_dir;
    const std::string shell = !o.test_command_override.empty()  ? o.test_command_override
                              : !o.test_command_suffix.empty() ? "python -m pytest " + o.test_command_suffix
                                                                : "python -m pytest";
    EXPECT_TRUE(it.has("--shell", shell)) << "round " << round << ": " << shell;
    const auto& setup = tests["ft.p.setup"];
    for (const auto& d : o.extra_deps) EXPECT_TRUE(setup.has("--extra-dep", d)) << d;
    EXPECT_TRUE(setup.has("--repos-dir", o.repos_dir.string()));
  }
}

}  // namespace
}  // namespace labeille::driver
