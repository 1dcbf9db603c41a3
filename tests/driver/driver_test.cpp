#include "labeille/driver/run.hpp"

#include <algorithm>
#include <filesystem>

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

// What each `ft run` option does to the generated tests: driver_module_test (a real
// configure of the module, label real).

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
