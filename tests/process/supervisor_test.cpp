// supervise() on real short-lived processes (/bin/sh): exit status, logs and tails, the
// observer, a timeout, a command that is not there, find_executable's PATH rule.
#include "labeille/process/supervisor.hpp"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "labeille/core/fs.hpp"

namespace labeille::process {
namespace {

namespace fs = std::filesystem;

fs::path scratch() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path p = fs::path(LABEILLE_FT_BINARY_DIR) / "tests" / "process" / "scratch" / info->name();
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

const std::vector<std::string> kPath = {"PATH=/usr/bin:/bin"};

struct Recorder : Observer {
  std::string out, err;
  void on_output(Channel c, std::string_view d) override { (c == Channel::Stdout ? out : err).append(d); }
};

TEST(Supervise, ExitStatusLogsTailsAndObserver) {
  auto d = scratch();
  Recorder rec;
  auto r = supervise(helper_spec({"sh", "-c", "echo out; echo err >&2; exit 3"}, d.string(), kPath, d, "step", 60), &rec);
  EXPECT_TRUE(r.termination.started);
  EXPECT_EQ(r.termination.exit_code, 3);
  EXPECT_FALSE(exited_zero(r));
  EXPECT_EQ(r.out.tail, "out\n");
  EXPECT_EQ(r.err.tail, "err\n");
  EXPECT_EQ(read_file(d / "step.stdout.log"), "out\n");
  EXPECT_EQ(read_file(d / "step.stderr.log"), "err\n");
  EXPECT_EQ(rec.out, "out\n");
  EXPECT_EQ(rec.err, "err\n");
}

TEST(Supervise, TimeoutKillsTheGroup) {
  auto d = scratch();
  auto r = supervise(helper_spec({"sh", "-c", "sleep 60 & sleep 60"}, d.string(), kPath, d, "slow", 1));
  EXPECT_TRUE(r.termination.timed_out);
  EXPECT_FALSE(exited_zero(r));
  EXPECT_LT(r.duration_s, 30);
}

TEST(Supervise, MissingCommandIsNotStarted) {
  auto d = scratch();
  auto r = supervise(helper_spec({"no-such-command-labeille"}, d.string(), kPath, d, "missing", 60));
  EXPECT_FALSE(r.termination.started);
  EXPECT_EQ(r.termination.start_error, "no-such-command-labeille: command not found on PATH");
}

TEST(FindExecutable, UsesThePathOfTheGivenEnvironment) {
  EXPECT_EQ(find_executable("sh", {"PATH=/nonexistent:/bin"}), fs::path("/bin/sh"));
  EXPECT_TRUE(find_executable("sh", {"PATH=/nonexistent"}).empty());
  EXPECT_FALSE(find_executable("sh", {}).empty()) << "no PATH: /usr/local/bin:/usr/bin:/bin";
  EXPECT_EQ(find_executable("./local-tool", {"PATH=/bin"}), fs::path("./local-tool")) << "a name with '/' is a path";
  // A directory of that name is not an executable.
  auto d = scratch();
  fs::create_directories(d / "bin" / "tool");
  EXPECT_TRUE(find_executable("tool", {"PATH=" + (d / "bin").string()}).empty());
}

}  // namespace
}  // namespace labeille::process
