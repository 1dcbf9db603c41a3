// ThreadSanitizer evidence through fold and the views: distinct races per package,
// counted per run, with their stacks, in show, report (every format) and export.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "labeille/analyzers/fold.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/tsan.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/record.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;

namespace labeille::analyzers {

namespace {

TsanReport race(const std::string& a, const std::string& b, int count) {
  TsanReport r;
  r.type = r.kind = "data race";
  r.stacks = {{a + " _counter.c:8", "bump _counter.c:14"}, {b + " _counter.c:8"}};
  r.frames = r.stacks[0];
  r.location = "_counter.c:8";
  std::vector<std::string> tops = {r.stacks[0][0], r.stacks[1][0]};
  std::sort(tops.begin(), tops.end());
  r.signature = "data race | " + tops[0] + " | " + tops[1];
  r.count = count;
  return r;
}

void write_attempt(const fs::path& rec, const std::string& pkg, int iter, std::vector<TsanReport> tsan) {
  AttemptRecord r;
  r.package = pkg;
  r.mode = "gil0";
  r.iteration = iter;
  r.attempt = 1;
  r.test_name = fmt::format("ft.{}.gil0.iter{:02d}", pkg, iter);
  r.attempt_id = r.test_name;
  r.outcome = Outcome::Pass;
  r.tsan_enabled = true;
  for (const auto& t : tsan) r.tsan_count += t.count;
  r.tsan = std::move(tsan);
  auto dir = rec / pkg / fmt::format("gil0.iter{:02d}.a001", iter);
  fs::create_directories(dir);
  atomic_write_file(dir / "record.json", to_json(r));
}

}  // namespace

TEST(Tsan, DistinctRacesAreCountedPerRunAndShownEverywhere) {
  auto d = test_support::scratch_dir();
  auto rec = d / "records";
  write_attempt(rec, "racy", 1, {race("bump_n", "bump_n", 2)});
  write_attempt(rec, "racy", 2, {race("bump_n", "bump_n", 1), race("add_to", "bump_n", 1)});
  write_attempt(rec, "racy", 3, {race("bump_n", "add_to", 3)});  // the same race, threads swapped
  write_attempt(rec, "safe", 1, {});
  FoldReport report;
  FoldInputs in;
  in.record_dirs = {rec};
  fold_to_dir(in, report, d / "run", "{}");
  auto run = read_run(d / "run", ReadOptions::summary());
  ASSERT_EQ(run.packages.size(), 2u);
  const auto& racy = run.packages[0];
  EXPECT_EQ(racy.category, "tsan_warnings");
  ASSERT_EQ(racy.tsan_races.size(), 2u);
  EXPECT_EQ(racy.tsan_races[0].signature, "data race | add_to _counter.c:8 | bump_n _counter.c:8");
  EXPECT_EQ(racy.tsan_races[0].runs, 2);
  EXPECT_EQ(racy.tsan_races[0].reports, 4);
  EXPECT_EQ(racy.tsan_races[1].runs, 2);
  EXPECT_EQ(racy.tsan_races[1].stacks[0], (std::vector<std::string>{"bump_n _counter.c:8", "bump _counter.c:14"}));
  EXPECT_EQ(run.packages[1].category, "compatible");
  EXPECT_TRUE(run.packages[1].tsan_races.empty());

  EXPECT_EQ(tsan_summary(racy), "TSAN: 2 distinct race(s): data race in add_to _counter.c:8 (2/3 runs), +1 more");
  auto show = render_show(run, SortBy::Name, 0, Style{});
  EXPECT_NE(show.find("ThreadSanitizer races"), std::string::npos) << show;
  EXPECT_NE(show.find("stack 1: bump_n _counter.c:8 < bump _counter.c:14"), std::string::npos) << show;
  EXPECT_NE(show.find("(2/3 runs, 4 report(s))"), std::string::npos) << show;
  EXPECT_NE(render_report(run, "text").find("ThreadSanitizer races"), std::string::npos);
  auto md = render_report(run, "markdown");
  EXPECT_NE(md.find("| racy | data race | `_counter.c:8` | 2/3 | `add_to _counter.c:8 < bump _counter.c:14` |"),
            std::string::npos) << md;
  auto html = render_report(run, "html");
  EXPECT_NE(html.find("<code>bump_n _counter.c:8<br>bump _counter.c:14</code>"), std::string::npos) << html;
  EXPECT_NE(render_export(run, "json").find("\"tsan_races\":[{\"signature\":\"data race | add_to"), std::string::npos);
  EXPECT_NE(render_export(run, "csv").find("TSAN: 2 distinct race(s)"), std::string::npos);
  // No race in the run: no section.
  RunResults clean;
  clean.packages = {run.packages[1]};
  EXPECT_EQ(render_show(clean, SortBy::Name, 0, Style{}).find("ThreadSanitizer"), std::string::npos);
}

}  // namespace labeille::analyzers
