#include "labeille/core/fs.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <thread>
#include <vector>

#include "labeille/core/error.hpp"

namespace fs = std::filesystem;

namespace labeille {

namespace {
fs::path temp_dir(const char* name) {
  auto p = fs::temp_directory_path() / (std::string("labeille-core-") + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}
}  // namespace

TEST(AtomicWrite, ReplacesWholeFileAndLeavesNoTemp) {
  auto d = temp_dir("atomic");
  atomic_write_file(d / "r.json", "first");
  atomic_write_file(d / "r.json", "second");
  EXPECT_EQ(read_file(d / "r.json"), "second");
  int files = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(d)) ++files;
  EXPECT_EQ(files, 1);
  fs::remove_all(d);
}

TEST(AtomicWrite, PiecesAreWrittenInOrderAsOneFile) {
  auto d = temp_dir("pieces");
  atomic_write_file(d / "r.jsonl", "old");
  std::vector<std::string> lines{"{\"a\":1}\n", "", "{\"b\":2}\n"};
  atomic_write_file(d / "r.jsonl", std::vector<std::string_view>(lines.begin(), lines.end()));
  EXPECT_EQ(read_file(d / "r.jsonl"), "{\"a\":1}\n{\"b\":2}\n");
  fs::remove_all(d);
}

TEST(ReadFile, MissingFileNamesThePath) {
  try {
    read_file("/nonexistent/labeille/x.json");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/labeille/x.json"), std::string::npos);
  }
}

TEST(ClaimAttempt, ConcurrentClaimsNeverCollide) {
  auto d = temp_dir("claim");
  constexpr int kThreads = 8, kPerThread = 25;
  std::vector<std::vector<int>> got(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) got[t].push_back(claim_attempt_dir(d / "pkg", "gil0.iter01").attempt);
    });
  for (auto& t : ts) t.join();
  std::set<int> all;
  for (auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kPerThread);
  EXPECT_TRUE(fs::is_directory(d / "pkg" / "gil0.iter01.a001"));
  fs::remove_all(d);
}

}  // namespace labeille
