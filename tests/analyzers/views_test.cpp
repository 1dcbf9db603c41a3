// Golden outputs of every view on small data files (tests/analyzers/data). The first run
// with LABEILLE_UPDATE_GOLDEN=1 writes the files; review them like code.
#include "labeille/analyzers/views.hpp"

#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "labeille/analyzers/results_io.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;

namespace labeille::analyzers {

namespace {

fs::path data(const std::string& name) { return fs::path(LABEILLE_FT_SOURCE_DIR) / "tests/analyzers/data" / name; }

RunResults load(const std::string& name) {
  auto run = read_run(data(name));
  run.dir = name;  // no machine path in the goldens
  return run;
}

void expect_golden(const std::string& actual, const std::string& golden) {
  auto path = data("golden") / golden;
  if (std::getenv("LABEILLE_UPDATE_GOLDEN")) atomic_write_file(path, actual);
  ASSERT_TRUE(fs::exists(path)) << path << " missing; run with LABEILLE_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, read_file(path)) << "golden " << golden << " differs";
}

}  // namespace

TEST(Views, ShowReadsThePythonToolsFormat) {
  auto run = load("pytool_run");
  auto out = render_show(run, SortBy::Category, 0, Style{});
  expect_golden(out, "show_pytool.txt");
  // An unknown category string from another writer is shown, not rejected.
  EXPECT_NE(out.find("future_category"), std::string::npos);
  // k/n printed exactly.
  EXPECT_NE(out.find("7/10"), std::string::npos);
}

TEST(Views, ShowSortingAndLimit) {
  auto run = load("pytool_run");
  auto by_name = render_show(run, SortBy::Name, 2, Style{});
  EXPECT_LT(by_name.find("oddball"), by_name.find("requests"));
  EXPECT_EQ(by_name.find("urllib3  "), std::string::npos);
  EXPECT_NE(by_name.find("1 more"), std::string::npos);
  auto by_rate = render_show(run, SortBy::PassRate, 0, Style{});
  EXPECT_LT(by_rate.find("urllib3"), by_rate.find("requests"));
  EXPECT_EQ(by_rate.find("\x1b["), std::string::npos);
  EXPECT_NE(render_show(run, SortBy::Name, 0, Style{true}).find("\x1b["), std::string::npos);
}

TEST(Views, FlakyCompatCompareReportExport) {
  auto a = load("pytool_run");
  auto b = load("later_run");
  expect_golden(render_flaky(a, "", Style{}), "flaky_pytool.txt");
  expect_golden(render_flaky(a, "urllib3", Style{}), "flaky_urllib3.txt");
  expect_golden(render_compat(a, false, Style{}), "compat_pytool.txt");
  expect_golden(render_compare(a, b, false), "compare.txt");
  expect_golden(render_compare(a, b, true), "compare.json");
  expect_golden(render_report(b, "markdown"), "report_later.md");
  expect_golden(render_report(b, "text"), "report_later.txt");
  expect_golden(render_export(b, "csv"), "export_later.csv");
  auto html = render_report(b, "html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no other link
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(Views, CompareJudgesWithFisherNotAFixedBand) {
  auto a = load("pytool_run");
  auto b = load("later_run");
  auto out = render_compare(a, b, false);
  // 10/10 -> 9/10 is a category change (a crash appeared) but no significant pass-rate change.
  EXPECT_NE(out.find("requests                 compatible -> crash"), std::string::npos);
  EXPECT_NE(out.find("no significant change, Fisher p=1"), std::string::npos);
  EXPECT_NE(out.find("Only in A (1): oddball"), std::string::npos);
  EXPECT_NE(out.find("Only in B (1): newpkg"), std::string::npos);
}

TEST(Views, MissingMetaIsOneClearError) {
  auto d = test_support::scratch_dir();
  try {
    read_run(d);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing ft_meta.json"), std::string::npos);
    EXPECT_EQ(e.exit_code(), kExitInput);
  }
}

TEST(Views, BrokenResultsLineNamesFileAndLine) {
  auto d = test_support::scratch_dir();
  atomic_write_file(d / "ft_meta.json", "{}");
  atomic_write_file(d / "ft_results.jsonl", "{\"package\": \"a\"}\nnot json\n");
  try {
    read_run(d);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ft_results.jsonl:2"), std::string::npos) << e.what();
  }
}

// Lines parse in parallel batches of 512: the error still names the FIRST broken line,
// and line numbers stay right past the first batch.
TEST(Views, FirstBrokenLineIsNamedWhateverTheBatch) {
  auto d = test_support::scratch_dir();
  atomic_write_file(d / "ft_meta.json", "{}");
  std::string lines;
  for (int i = 1; i <= 1500; ++i)
    lines += i == 700 || i == 1400 ? "not json\n" : fmt::format("{{\"package\": \"p{}\"}}\n", i);
  atomic_write_file(d / "ft_results.jsonl", lines);
  try {
    read_run(d);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ft_results.jsonl:700:"), std::string::npos) << e.what();
  }
  lines.replace(lines.find("not json"), 8, "{\"package\": \"p700\"}");
  lines.replace(lines.find("not json"), 8, "{\"package\": \"p1400\"}");
  atomic_write_file(d / "ft_results.jsonl", lines);
  auto run = read_run(d);
  ASSERT_EQ(run.packages.size(), 1500u);
  EXPECT_EQ(run.packages[1399].package, "p1400");
}

// Views read only what they show: show/report/compare/compat no per-test results or
// tails, flaky per-test results of the packages it lists, export everything.
TEST(Views, ReadOptionsKeepOnlyWhatTheViewShows) {
  auto d = test_support::scratch_dir();
  atomic_write_file(d / "ft_meta.json", "{}");
  auto line = [](const std::string& pkg, const std::string& cat) {
    return fmt::format(R"({{"package": "{}", "category": "{}", "failing_tests": {{"t::a": 1}}, )"
                       R"("iterations": [{{"index": 1, "status": "fail", )"
                       R"("stderr_tail": "E boom", "test_results": {{"t::a": "failed", "t::b": "passed"}}}}]}})",
                       pkg, cat);
  };
  const std::string text = line("flip", "intermittent") + "\n" + line("solid", "incompatible") + "\n";
  atomic_write_file(d / "ft_results.jsonl", text);
  auto all = read_run(d, ReadOptions::everything());
  ASSERT_EQ(all.packages.size(), 2u);
  EXPECT_EQ(all.packages[0].iterations.at(0).test_results.size(), 2u);
  EXPECT_EQ(all.packages[0].iterations.at(0).stderr_tail, "E boom");
  auto summary = read_run(d, ReadOptions::summary());
  EXPECT_TRUE(summary.packages[0].iterations.at(0).test_results.empty());
  EXPECT_TRUE(summary.packages[0].iterations.at(0).stderr_tail.empty());
  auto keep = ReadOptions::without_tails();
  keep.per_test_for = [](const std::string&, const std::string& category) { return category == "intermittent"; };
  auto flaky = read_run(d, keep);
  EXPECT_EQ(flaky.packages[0].iterations.at(0).test_results.size(), 2u);
  EXPECT_TRUE(flaky.packages[1].iterations.at(0).test_results.empty());
  // What the flaky view reads: only the tests that failed somewhere.
  keep.failing_tests_only = true;
  auto failing = read_run(d, keep);
  ASSERT_EQ(failing.packages[0].iterations.at(0).test_results.size(), 1u);
  EXPECT_EQ(failing.packages[0].iterations.at(0).test_results[0].id, "t::a");
}

}  // namespace labeille::analyzers

namespace labeille::analyzers {

TEST(Views, CompareSaysWhenAPackageWasNotMeasuredOnOneSide) {
  PackageResult was;
  was.package = "pkg";
  was.category = "compatible";
  was.iterations_completed = was.pass_count = 10;
  PackageResult now = was;
  now.category = "install_failure";
  now.install_ok = false;
  now.iterations_completed = now.pass_count = 0;
  RunResults a{"a", "{}", {was}}, b{"b", "{}", {now}};
  auto text = render_compare(a, b, false);
  EXPECT_NE(text.find("compatible -> install_failure"), std::string::npos) << text;
  EXPECT_NE(text.find("not measured in both runs"), std::string::npos) << text;
  EXPECT_EQ(text.find("(, "), std::string::npos) << text;
}

}  // namespace labeille::analyzers
