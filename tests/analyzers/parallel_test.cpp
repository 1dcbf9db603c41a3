#include "labeille/analyzers/parallel.hpp"

#include <atomic>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace labeille::analyzers {

TEST(ParallelFor, EveryIndexRunsExactlyOnce) {
  std::vector<std::atomic<int>> hits(1000);
  parallel_for(hits.size(), [&](std::size_t i) { ++hits[i]; });
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
  parallel_for(0, [](std::size_t) { FAIL() << "no item to run"; });
}

TEST(ParallelFor, AnItemsExceptionReachesTheCallerAfterEveryThreadJoined) {
  std::atomic<int> ran{0};
  try {
    parallel_for(1000, [&](std::size_t i) {
      ++ran;
      if (i == 5) throw std::runtime_error("item 5");
    });
    FAIL() << "expected the item's exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "item 5");
  }
  EXPECT_GE(ran.load(), 6);
}

}  // namespace labeille::analyzers
