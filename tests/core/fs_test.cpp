#include "labeille/core/fs.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "labeille/core/error.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;

namespace labeille {

using test_support::scratch_dir;

TEST(AtomicWrite, ReplacesWholeFileAndLeavesNoTemp) {
  auto d = scratch_dir();
  atomic_write_file(d / "r.json", "first");
  atomic_write_file(d / "r.json", "second");
  EXPECT_EQ(read_file(d / "r.json"), "second");
  int files = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(d)) ++files;
  EXPECT_EQ(files, 1);
}

TEST(AtomicWrite, PiecesAreWrittenInOrderAsOneFile) {
  auto d = scratch_dir();
  atomic_write_file(d / "r.jsonl", "old");
  std::vector<std::string> lines{"{\"a\":1}\n", "", "{\"b\":2}\n"};
  atomic_write_file(d / "r.jsonl", std::vector<std::string_view>(lines.begin(), lines.end()));
  EXPECT_EQ(read_file(d / "r.jsonl"), "{\"a\":1}\n{\"b\":2}\n");
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
  auto d = scratch_dir();
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
}

}  // namespace labeille
