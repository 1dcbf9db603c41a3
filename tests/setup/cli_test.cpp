#include "labeille/setup/cli.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "labeille/core/error.hpp"
#include "labeille/core/outcome.hpp"

namespace labeille::setup {

namespace {

// Parses argv (program name first) as labeille-ft-setup's main does.
std::optional<Command> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "labeille-ft-setup");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

int usage_status(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const Error& e) {
    return e.exit_code();
  }
  return 0;
}

const std::vector<std::string> kPrepare = {"prepare", "--record-dir", "/r", "--python", "/p", "--repos-dir", "/s",
                                           "--venvs-dir", "/v", "--hook-dir", "/h"};

}  // namespace

// The command line is parsed in the library (as the runner's): what main used to check
// by hand is a usage error, exit 64.
TEST(SetupCommandLine, OptionsAreCheckedAndFilled) {
  auto prep = kPrepare;
  for (auto a : {"--package", "six", "--git", "https://example.invalid/six", "--extra-deps",
                 "a,b[x,y]>=1,<2", "--extra-dep", "c>=1,<2"})
    prep.emplace_back(a);
  auto c = parse(prep);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Command::Kind::Prepare);
  EXPECT_EQ(c->prepare.package, "six");
  EXPECT_EQ(c->prepare.hook_dir, "/h");
  EXPECT_EQ(c->prepare.extra_deps, (std::vector<std::string>{"a", "b[x,y]>=1,<2", "c>=1,<2"}));

  auto bad_name = kPrepare;
  for (auto a : {"--package", "not a name", "--git", "x"}) bad_name.emplace_back(a);
  EXPECT_EQ(usage_status(bad_name), kExitToolUsage);
  auto no_source = kPrepare;
  for (auto a : {"--package", "six", "--source", "repo"}) no_source.emplace_back(a);
  EXPECT_EQ(usage_status(no_source), kExitToolUsage);
  auto uv = kPrepare;
  for (auto a : {"--package", "six", "--git", "x", "--installer", "uv", "--uv", "/no/such/uv"}) uv.emplace_back(a);
  EXPECT_EQ(usage_status(uv), kExitToolUsage);
  EXPECT_EQ(usage_status({"prepare", "--package", "six"}), kExitToolUsage);  // required options missing
  EXPECT_EQ(usage_status({"probe", "--record-dir", "/r", "--package", "six", "--repos-dir", "/s", "--venvs-dir", "/v",
                          "--probe-script", "/p.py", "--no-detect-extensions"}),
            0);
  auto probe = parse({"probe", "--record-dir", "/r", "--package", "six", "--repos-dir", "/s", "--venvs-dir", "/v",
                      "--probe-script", "/p.py", "--no-detect-extensions"});
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->kind, Command::Kind::Probe);
  EXPECT_FALSE(probe->probe.detect_extensions);
}

}  // namespace labeille::setup
