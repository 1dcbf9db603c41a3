// examples/ci-matrix/ft-shards.yml: valid YAML of the GitHub Actions shape, n matrix
// shards for SHARDS, and every project script and `labeille ft` command it names exists.
#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "labeille/process/supervisor.hpp"

namespace fs = std::filesystem;

namespace {
const fs::path kSource = LABEILLE_FT_SOURCE_DIR;
const fs::path kBinary = LABEILLE_FT_BINARY_DIR;
}  // namespace

TEST(CiMatrix, WorkflowParsesAndNamesOnlyWhatExists) {
  YAML::Node wf = YAML::LoadFile((kSource / "examples/ci-matrix/ft-shards.yml").string());
  ASSERT_TRUE(wf["jobs"]["shard"]) << "no shard job";
  ASSERT_TRUE(wf["jobs"]["report"]) << "no report job";
  EXPECT_EQ(wf["jobs"]["report"]["needs"].as<std::string>(), "shard");
  int shards = std::stoi(wf["env"]["SHARDS"].as<std::string>());
  EXPECT_EQ(static_cast<int>(wf["jobs"]["shard"]["strategy"]["matrix"]["shard"].size()), shards);

  std::set<std::string> files, commands;
  const std::regex file_re(R"((scripts|ctest_scripts)/[A-Za-z0-9_./-]+\.(sh|cmake))");
  const std::regex ft_re(R"(labeille ft ([a-z]+))");
  for (const char* job : {"shard", "report"}) {
    for (const auto& step : wf["jobs"][job]["steps"]) {
      if (!step["run"]) continue;
      std::string run = step["run"].as<std::string>();
      for (std::sregex_iterator it(run.begin(), run.end(), file_re), end; it != end; ++it) files.insert((*it)[0]);
      for (std::sregex_iterator it(run.begin(), run.end(), ft_re), end; it != end; ++it) commands.insert((*it)[1]);
    }
  }
  EXPECT_TRUE(files.count("ctest_scripts/ft_shard.cmake"));
  EXPECT_TRUE(files.count("scripts/setup.sh"));
  for (const auto& f : files) EXPECT_TRUE(fs::exists(kSource / f)) << f << " is named but does not exist";
  EXPECT_TRUE(commands.count("fold") && commands.count("report"));
  const fs::path logs = kBinary / "tests/ctest_scripts/ci_matrix_logs";
  fs::create_directories(logs);
  for (const auto& c : commands) {
    auto r = labeille::process::supervise(labeille::process::helper_spec(
        {(kBinary / "app/labeille").string(), "ft", c, "--help"}, kBinary.string(), {}, logs, c, 60));
    EXPECT_TRUE(labeille::process::exited_zero(r)) << "labeille ft " << c << " does not exist";
  }
}
