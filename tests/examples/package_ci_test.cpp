// examples/package-ci/free-threading.yml: valid YAML of the GitHub Actions shape a
// maintainer copies, the interpreters from actions/setup-python, the job gated by
// `labeille ft test`'s exit status with the reports kept when it fails, and every
// `labeille ft` command it runs exists and accepts each option it is given (its --help
// lists it).
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "labeille/process/supervisor.hpp"

namespace fs = std::filesystem;

namespace {
const fs::path kSource = LABEILLE_FT_SOURCE_DIR;
const fs::path kBinary = LABEILLE_FT_BINARY_DIR;
const fs::path kWorkflow = kSource / "examples/package-ci/free-threading.yml";

YAML::Node steps() { return YAML::LoadFile(kWorkflow.string())["jobs"]["free-threading"]["steps"]; }

// Every `labeille ft <command> <rest of the line>` of the run steps, continuation lines joined.
std::vector<std::pair<std::string, std::string>> ft_commands() {
  std::vector<std::pair<std::string, std::string>> out;
  const std::regex ft_re(R"(labeille ft ([a-z]+)([^\n]*))");
  for (const auto& step : steps()) {
    if (!step["run"]) continue;
    std::string run = std::regex_replace(step["run"].as<std::string>(), std::regex(R"(\\\n\s*)"), " ");
    for (std::sregex_iterator it(run.begin(), run.end(), ft_re), end; it != end; ++it)
      out.emplace_back((*it)[1], (*it)[2]);
  }
  return out;
}

std::string help_of(const std::string& command) {
  const fs::path logs = kBinary / "tests/examples/package_ci_logs";
  fs::create_directories(logs);
  auto spec = labeille::process::helper_spec({(kBinary / "app/labeille").string(), "ft", command, "--help"},
                                              kBinary.string(), {}, logs, command, 60);
  auto r = labeille::process::supervise(spec);
  EXPECT_TRUE(labeille::process::exited_zero(r)) << "labeille ft " << command << " does not exist";
  return r.out.tail;
}
}  // namespace

TEST(PackageCi, WorkflowShape) {
  YAML::Node wf = YAML::LoadFile(kWorkflow.string());
  ASSERT_TRUE(wf["on"]["push"] || wf["on"]["push"].IsNull()) << "not run on push";
  auto job = wf["jobs"]["free-threading"];
  ASSERT_TRUE(job) << "no free-threading job";
  std::set<std::string> pythons;
  for (const auto& p : job["strategy"]["matrix"]["python"]) pythons.insert(p.as<std::string>());
  EXPECT_EQ(pythons, (std::set<std::string>{"3.13t", "3.14t"}));
  std::string setup_python_id;
  bool gate_seen = false, junit_tab = false;
  for (const auto& step : job["steps"]) {
    if (step["uses"] && step["uses"].as<std::string>().rfind("actions/setup-python@", 0) == 0) {
      EXPECT_EQ(step["with"]["python-version"].as<std::string>(), "${{ matrix.python }}");
      setup_python_id = step["id"].as<std::string>();
    }
    const std::string run = step["run"] ? step["run"].as<std::string>() : "";
    if (run.find("labeille ft test") != std::string::npos) {
      gate_seen = true;
      // The gate: its exit status fails the job, so nothing may swallow it.
      EXPECT_FALSE(step["continue-on-error"]) << "the ft test step must gate the job";
      EXPECT_EQ(run.find("|| true"), std::string::npos);
      EXPECT_NE(run.find("--target-python \"${{ steps." + setup_python_id + ".outputs.python-path }}\""),
                std::string::npos)
          << "ft test does not get setup-python's interpreter";
      EXPECT_NE(run.find(" -n 20"), std::string::npos);
    } else if (gate_seen) {
      // Reports after the gate run also when it failed.
      EXPECT_EQ(step["if"].as<std::string>(""), "always()") << "a step after the gate without if: always()";
    }
    if (step["uses"] && step["uses"].as<std::string>().find("junit") != std::string::npos) junit_tab = true;
    if (run.find("GITHUB_STEP_SUMMARY") != std::string::npos) {
      EXPECT_NE(run.find("--format markdown"), std::string::npos);
    }
  }
  EXPECT_FALSE(setup_python_id.empty()) << "no actions/setup-python step with an id";
  EXPECT_TRUE(gate_seen) << "no labeille ft test step";
  EXPECT_TRUE(junit_tab) << "no JUnit report step";
}

TEST(PackageCi, EveryCommandAndOptionExists) {
  auto commands = ft_commands();
  std::set<std::string> names;
  for (const auto& [c, _] : commands) names.insert(c);
  EXPECT_EQ(names, (std::set<std::string>{"test", "export", "report"}));
  const std::regex opt_re(R"((^|\s)(--?[A-Za-z][A-Za-z0-9-]*))");
  for (const auto& [command, rest] : commands) {
    const std::string help = help_of(command);
    for (std::sregex_iterator it(rest.begin(), rest.end(), opt_re), end; it != end; ++it) {
      const std::string opt = (*it)[2];
      // CLI11 lists "-n,--iterations" and "-o,--output": the option as written, then a
      // separator or the end of the name.
      EXPECT_TRUE(std::regex_search(help, std::regex("(^|[\\s,])" + opt + "([\\s,=]|$)")))
          << "labeille ft " << command << " does not take " << opt << "\n" << help;
    }
    // Values of --format the workflow asks for are among the documented ones.
    std::smatch m;
    if (std::regex_search(rest, m, std::regex(R"(--format (\w+))"))) {
      EXPECT_NE(help.find(m[1].str()), std::string::npos) << command << " --format " << m[1] << "\n" << help;
    }
  }
}
