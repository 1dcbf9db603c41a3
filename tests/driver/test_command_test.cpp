// `labeille ft test`: the pure parts (exit status, --fail-on, quoting, the package's CMake
// code). The command itself runs for real in ft_test_e2e_test.py.
#include "labeille/driver/test_command.hpp"

#include <gtest/gtest.h>

#include "labeille/analyzers/model.hpp"
#include "labeille/core/error.hpp"

namespace labeille::driver {

TEST(FtTest, ExitStatusByCategory) {
  const auto d = default_fail_on();
  for (const char* ok : {"compatible", "compatible_gil_fallback"}) EXPECT_EQ(exit_status_for(ok, d), 0) << ok;
  for (const char* bad : {"incompatible", "intermittent", "crash", "deadlock", "tsan_warnings"})
    EXPECT_EQ(exit_status_for(bad, d), kExitProblem) << bad;
  for (const char* none : {"install_failure", "import_failure", "unknown"})
    EXPECT_EQ(exit_status_for(none, d), kExitNoVerdict) << none;
  // A failure that happens with the GIL as well is no finding about free-threading.
  for (const char* bad : {"incompatible", "intermittent", "crash", "deadlock"})
    EXPECT_EQ(exit_status_for(bad, d, /*pre_existing=*/true), kExitNoVerdict) << bad;
  EXPECT_EQ(exit_status_for("incompatible", parse_fail_on("crash"), true), 0) << "--fail-on still decides first";
  EXPECT_NE(kExitProblem, kExitNoVerdict);
  for (int reserved : {0, 2, 3, 4, 70, 130}) {
    EXPECT_NE(kExitProblem, reserved);
    EXPECT_NE(kExitNoVerdict, reserved);
  }
}

// Only failures that the GIL=1 controls show as often are pre-existing; a significant
// difference, or a test that failed under stress only without the GIL, is a finding.
TEST(FtTest, PreExistingOnlyWhenEveryFailureHappensWithTheGilToo) {
  analyzers::PackageResult p;
  p.category = "incompatible";
  p.iterations_completed = 10;
  p.pass_count = 0;
  p.gil_comparison = "pre_existing";
  p.gil_fisher_p = 1.0;
  EXPECT_TRUE(failures_only_pre_existing(p));
  p.gil_fisher_p = 0.001;  // 10/10 failed without the GIL, 1/10 with it
  EXPECT_FALSE(failures_only_pre_existing(p));
  p.gil_fisher_p = 1.0;
  p.gil_comparison = "free_threading_specific";
  EXPECT_FALSE(failures_only_pre_existing(p));
  p.gil_comparison = "pre_existing";
  p.stress = analyzers::StressResult{};
  p.stress->iterations.resize(10);
  p.stress->pass_count = 0;
  p.stress->comparison = "pre_existing";
  p.stress->fisher_p = 0.47;
  EXPECT_TRUE(failures_only_pre_existing(p));
  p.stress->finding = true;  // a test failing under stress only without the GIL
  EXPECT_FALSE(failures_only_pre_existing(p));
  p.stress->finding = false;
  p.category = "tsan_warnings";  // TSAN's reports are evidence of their own
  EXPECT_FALSE(failures_only_pre_existing(p));
  p.category = "compatible";
  EXPECT_FALSE(failures_only_pre_existing(p));
}

TEST(FtTest, FailOnChangesWhatFails) {
  const auto only_crash = parse_fail_on("crash,deadlock");
  EXPECT_EQ(exit_status_for("crash", only_crash), kExitProblem);
  EXPECT_EQ(exit_status_for("intermittent", only_crash), 0);
  EXPECT_EQ(exit_status_for("install_failure", only_crash), 0);
  const auto strict = parse_fail_on("compatible_gil_fallback,import_failure");
  EXPECT_EQ(exit_status_for("compatible_gil_fallback", strict), kExitProblem);
  EXPECT_EQ(exit_status_for("import_failure", strict), kExitNoVerdict);
  EXPECT_TRUE(parse_fail_on("none").empty());
  try {
    parse_fail_on("crash,racy");
    FAIL() << "racy accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("unknown category \"racy\""), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("tsan_warnings"), std::string::npos) << e.what();
  }
}

TEST(FtTest, ShellQuoting) {
  EXPECT_EQ(shell_quote("PYTHON_GIL=0"), "PYTHON_GIL=0");
  EXPECT_EQ(shell_quote("/a/b-c_d.py"), "/a/b-c_d.py");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$HOME;rm"), "'$HOME;rm'");
}

TEST(FtTest, PackageCodeQuotesEveryValue) {
  auto code = package_cmake("pkg", "/src/my pkg", "python -m pip install -e '.[test]'", "python -m pytest ]=] x", "");
  EXPECT_NE(code.find("labeille_ft_add_package([=[pkg]=]"), std::string::npos) << code;
  EXPECT_NE(code.find("PATH [=[/src/my pkg]=]"), std::string::npos) << code;
  EXPECT_NE(code.find("INSTALL_COMMAND [=[python -m pip install -e '.[test]']=]"), std::string::npos) << code;
  EXPECT_NE(code.find("TEST_COMMAND [==[python -m pytest ]=] x]==]"), std::string::npos) << code;
  EXPECT_EQ(code.find("IMPORT_NAME"), std::string::npos) << code;
  EXPECT_NE(package_cmake("pkg", "/s", "i", "t", "pkg_mod").find("IMPORT_NAME [=[pkg_mod]=]"), std::string::npos);
}

}  // namespace labeille::driver
