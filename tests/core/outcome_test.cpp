#include "labeille/core/outcome.hpp"

#include <gtest/gtest.h>

namespace labeille {

TEST(Outcome, NamesRoundTripThroughTheTable) {
#define LABEILLE_X(id, name, code, counts, desc) \
  EXPECT_EQ(outcome_from_string(name), Outcome::id); \
  EXPECT_EQ(to_string(Outcome::id), name);
  LABEILLE_FT_OUTCOMES(LABEILLE_X)
#undef LABEILLE_X
  EXPECT_FALSE(outcome_from_string("passed"));
}

// Written out by hand from docs/runner.md's exit-status table and docs/records.md's
// outcome list, not from the table that generates the code: renaming an outcome or
// changing an exit status fails here until the documentation says the same.
TEST(Outcome, DocumentedNamesAndExitStatuses) {
  const std::pair<const char*, int> documented[] = {{"pass", 0},    {"fail", 1},    {"crash", 2},
                                                    {"deadlock", 3}, {"timeout", 4}, {"error", 5},
                                                    {"skipped", 77}, {"interrupted", 130}};
  for (const auto& [name, code] : documented) {
    auto o = outcome_from_string(name);
    ASSERT_TRUE(o) << name;
    EXPECT_EQ(to_string(*o), name);
    EXPECT_EQ(exit_code(*o), code) << name;
  }
  const char* categories[] = {"compatible", "compatible_gil_fallback", "intermittent", "incompatible", "crash",
                              "deadlock",   "tsan_warnings",           "install_failure", "import_failure", "unknown"};
  for (const char* c : categories) {
    auto cat = category_from_string(c);
    ASSERT_TRUE(cat) << c;
    EXPECT_EQ(to_string(*cat), c);
  }
}

TEST(Outcome, ExitCodesAreDistinctAndSkipIsCTestsSkipCode) {
  EXPECT_EQ(exit_code(Outcome::Pass), 0);
  EXPECT_EQ(exit_code(Outcome::Skipped), kExitSkipped);
  EXPECT_NE(exit_code(Outcome::Crash), exit_code(Outcome::Fail));
  EXPECT_FALSE(counts_as_iteration(Outcome::Interrupted));
  EXPECT_FALSE(counts_as_iteration(Outcome::Skipped));
  EXPECT_TRUE(counts_as_iteration(Outcome::Timeout));
}

TEST(Category, SeverityRankPutsCrashFirstAndUnknownLast) {
  EXPECT_LT(rank(Category::Crash), rank(Category::Intermittent));
  EXPECT_LT(rank(Category::Intermittent), rank(Category::Compatible));
  EXPECT_EQ(category_from_string("compatible_gil_fallback"), Category::CompatibleGilFallback);
  EXPECT_FALSE(category_from_string("mystery"));
}

TEST(GilMode, AcceptsBothSpellings) {
  EXPECT_EQ(gil_mode_from_string("gil0"), GilMode::Off);
  EXPECT_EQ(gil_mode_from_string("1"), GilMode::On);
  EXPECT_EQ(gil_mode_from_string("unset"), GilMode::Unset);
  EXPECT_FALSE(gil_mode_from_string("2"));
}

}  // namespace labeille
