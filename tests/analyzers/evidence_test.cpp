// Runs whose tests never ran, first errors, declared support: fold on hand-written
// records (laid out as the runner and the set-up step write them), then every view.
#include "labeille/analyzers/evidence.hpp"

#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "labeille/analyzers/fold.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/pytest_output.hpp"
#include "labeille/core/record.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;

namespace labeille::analyzers {

namespace {

using test_support::scratch_dir;

// pytest 9's output for a test module that imports a missing dependency.
constexpr const char* kCollectionError =
    "collected 1 item / 1 error\n\n"
    "==================================== ERRORS ====================================\n"
    "_______________________ ERROR collecting tests/test_x.py _______________________\n"
    "tests/test_x.py:1: in <module>\n"
    "    import hypothesis\n"
    "E   ModuleNotFoundError: No module named 'hypothesis'\n"
    "=========================== short test summary info ============================\n"
    "ERROR tests/test_x.py\n"
    "!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!\n";

struct Run {
  Outcome outcome = Outcome::Pass;
  int exit_code = 0;
  std::string stdout_tail, junit;
};

void attempt(const fs::path& rec, const std::string& pkg, const std::string& mode, int iter, const Run& run) {
  AttemptRecord r;
  r.package = pkg;
  r.mode = mode;
  r.gil = *gil_mode_from_string(mode);
  r.iteration = iter;
  r.attempt = 1;
  r.test_name = fmt::format("ft.{}.{}.iter{:02d}", pkg, mode, iter);
  r.attempt_id = fmt::format("host:{}:{}:{}", pkg, mode, iter);
  r.command = {"/bin/sh", "-c", "python -m pytest"};
  r.shell = true;
  r.outcome = run.outcome;
  r.exit_code = run.exit_code;
  r.duration_s = 2.0;
  r.out.tail = run.stdout_tail;
  // The detail the classifier writes (observe/classify.hpp): a run whose tests did not run
  // says why, read from its output.
  r.detail = run.outcome == Outcome::TestsNotRun
                 ? tests_not_run_detail(run.exit_code, pytest_not_run_reason(run.exit_code, run.stdout_tail, ""))
                 : "exit " + std::to_string(run.exit_code);
  auto dir = rec / pkg / fmt::format("{}.iter{:02d}.a001", mode, iter);
  fs::create_directories(dir);
  if (!run.junit.empty()) {
    r.junit_path = (dir / "junit.xml").string();
    std::ofstream(dir / "junit.xml") << run.junit;
  }
  atomic_write_file(dir / "record.json", to_json(r));
}

// A set-up record with the "source" and "declared" objects the set-up step adds.
void setup(const fs::path& rec, const std::string& pkg, const std::string& source, const std::string& declared) {
  SetupRecord s;
  s.package = pkg;
  s.attempt_id = "host:setup:" + pkg;
  s.ok = true;
  s.install_from = "sdist";
  s.duration_s = 12.5;
  s.start_time = "2026-12-01T10:00:00.000Z";
  // The writer puts "source": null and "declared": null; these exact texts go in their place.
  std::string json = to_json(s);
  json.replace(json.find("\"source\":null"), 13, "\"source\":" + source);
  json.replace(json.find("\"declared\":null"), 15, "\"declared\":" + declared);
  fs::create_directories(rec / pkg / "setup.a001");
  atomic_write_file(rec / pkg / "setup.a001" / "record.json", json);
}

const Run kNotRun{Outcome::TestsNotRun, 2, kCollectionError, ""};
const Run kPass{Outcome::Pass, 0, "", ""};
const std::string kFailingJUnit =
    "<?xml version=\"1.0\"?><testsuites><testsuite name=\"pytest\">"
    "<testcase classname=\"tests.test_x\" name=\"test_a\" time=\"0.1\"/>"
    "<testcase classname=\"tests.test_x\" name=\"test_b\" time=\"0.1\">"
    "<failure message=\"AssertionError: lost update: 1999 != 2000&#10;assert 1999 == 2000\">trace</failure>"
    "</testcase></testsuite></testsuites>";
const Run kFail{Outcome::Fail, 1, "", kFailingJUnit};

const PackageResult& find(const RunResults& run, const std::string& name) {
  for (const auto& p : run.packages)
    if (p.package == name) return p;
  throw std::runtime_error("no package " + name);
}

RunResults fold_and_read(const fs::path& d) {
  FoldReport rep;
  fold_to_dir({{d / "rec"}, {}, {}}, rep, d / "run", "{\"run_id\": \"ft_test\"}");
  auto run = read_run(d / "run", ReadOptions::everything());
  run.dir = "ft_test";
  return run;
}

}  // namespace

TEST(Evidence, NoRunRanItsTestsIsUnknownWithTheReasonNeverIncompatible) {
  auto d = scratch_dir();
  for (int i = 1; i <= 3; ++i) {
    attempt(d / "rec", "needs-hypothesis", "gil0", i, kNotRun);
    attempt(d / "rec", "needs-hypothesis", "gil1", i, kNotRun);
  }
  auto run = fold_and_read(d);
  const auto& p = find(run, "needs-hypothesis");
  EXPECT_EQ(p.category, "unknown");
  EXPECT_EQ(p.iterations_completed, 0);
  EXPECT_EQ(p.gil_enabled_iterations, 0);
  EXPECT_EQ(p.unmeasured_runs.size(), 6u);
  EXPECT_EQ(p.tests_not_run,
            "tests did not run in any of the 6 runs (pytest exit 2): "
            "tests/test_x.py: ModuleNotFoundError: No module named 'hypothesis'");
  EXPECT_EQ(p.unmeasured_runs[0].first_error, "tests/test_x.py: ModuleNotFoundError: No module named 'hypothesis'");
  // In every view.
  const std::string why = "No module named 'hypothesis'";
  EXPECT_NE(render_show(run, SortBy::Name, 0, Style{}).find(why), std::string::npos);
  EXPECT_NE(render_report(run, "markdown").find(why), std::string::npos);
  EXPECT_NE(render_report(run, "html").find(why), std::string::npos);
  EXPECT_NE(render_export(run, "csv").find(why), std::string::npos);
  EXPECT_NE(render_export(run, "junit").find(why), std::string::npos);
  auto story = render_package(run, "needs-hypothesis", Style{});
  EXPECT_NE(story.find("tests_not_run"), std::string::npos) << story;
  EXPECT_NE(story.find("(not counted)"), std::string::npos) << story;
}

TEST(Evidence, CollectsWithTheGilAndNotWithoutIsTheFreeThreadingFinding) {
  auto d = scratch_dir();
  for (int i = 1; i <= 3; ++i) {
    attempt(d / "rec", "needs-gil-at-import", "gil0", i, kNotRun);
    attempt(d / "rec", "needs-gil-at-import", "gil1", i, kPass);
  }
  auto run = fold_and_read(d);
  const auto& p = find(run, "needs-gil-at-import");
  EXPECT_EQ(p.category, "incompatible");
  EXPECT_EQ(p.gil_comparison, "free_threading_specific");
  EXPECT_EQ(p.iterations_completed, 3);
  EXPECT_EQ(p.fail_count, 3);
  EXPECT_EQ(p.gil_enabled_runs.size(), 3u);
  EXPECT_TRUE(p.unmeasured_runs.empty());
  EXPECT_EQ(p.tests_not_run.rfind("tests did not run in 3 of 3 GIL=0 runs (pytest exit 2", 0), 0u) << p.tests_not_run;
  auto line = details(p);
  EXPECT_NE(line.find("free-threading specific"), std::string::npos) << line;
  EXPECT_NE(line.find("No module named 'hypothesis'"), std::string::npos) << line;
}

TEST(Evidence, SomeRunsCollectAndOthersNotIsIntermittent) {
  auto d = scratch_dir();
  attempt(d / "rec", "import-race", "gil0", 1, kPass);
  attempt(d / "rec", "import-race", "gil0", 2, kNotRun);
  attempt(d / "rec", "import-race", "gil0", 3, kPass);
  auto run = fold_and_read(d);
  const auto& p = find(run, "import-race");
  EXPECT_EQ(p.category, "intermittent");
  EXPECT_EQ(p.tests_not_run.rfind("tests did not run in 1 of 3 GIL=0 runs", 0), 0u) << p.tests_not_run;
}

TEST(Evidence, FailingTestsShowTheirFirstJUnitMessageInEveryView) {
  auto d = scratch_dir();
  for (int i = 1; i <= 2; ++i) attempt(d / "rec", "lossy", "gil0", i, kFail);
  auto run = fold_and_read(d);
  const auto& p = find(run, "lossy");
  EXPECT_EQ(p.category, "incompatible");
  const std::string first = "tests.test_x::test_b: AssertionError: lost update: 1999 != 2000";
  EXPECT_EQ(p.failing_test_messages.at("tests.test_x::test_b"), "AssertionError: lost update: 1999 != 2000");
  EXPECT_EQ(p.iterations[0].first_error, first);
  EXPECT_NE(render_show(run, SortBy::Name, 0, Style{}).find(first), std::string::npos);
  EXPECT_NE(render_report(run, "markdown").find(first), std::string::npos);
  EXPECT_NE(render_report(run, "html").find(first), std::string::npos);
  EXPECT_NE(render_export(run, "csv").find(first), std::string::npos);
  EXPECT_NE(render_package(run, "lossy", Style{}).find(first), std::string::npos);
  // What the summary views read (no per-test results) still has the message.
  auto light = read_run(d / "run", ReadOptions::summary());
  EXPECT_EQ(find(light, "lossy").failing_test_messages.size(), 1u);
}

TEST(Evidence, SetupSourceAndDeclaredAreCopiedVerbatimAndContradictionsFlagged) {
  auto d = scratch_dir();
  // The objects as the set-up writes them (every key, in its writer's order): fold and
  // ft_results.jsonl carry them through the records' own reader and writer.
  const std::string source =
      R"({"kind":"sdist","version":"2.1.0","url":"https://files.example/racy-2.1.0.tar.gz","fallback_reason":)"
      R"("git clone failed: Could not resolve host","adapted":["dropped 'git fetch --tags --depth 1 &&'"],"tests_present":true,)"
      R"("tests_note":null})";
  const std::string stable =
      R"({"classifier_level":"3 - Stable","ft_wheel":true,"ft_wheel_tags":["cp313-cp313t-manylinux_2_17_x86_64"],"on_index":null,)"
      R"("error":null})";
  const std::string no_wheel = R"({"classifier_level":null,"ft_wheel":false,"ft_wheel_tags":[],"error":null})";
  setup(d / "rec", "racy", source, stable);
  attempt(d / "rec", "racy", "gil0", 1, kPass);
  attempt(d / "rec", "racy", "gil0", 2, kFail);
  setup(d / "rec", "quiet", source, no_wheel);
  attempt(d / "rec", "quiet", "gil0", 1, kPass);
  FoldReport rep;
  fold_to_dir({{d / "rec"}, {}, {}}, rep, d / "run", "{}");
  auto lines = read_file(d / "run" / "ft_results.jsonl");
  EXPECT_NE(lines.find("\"source\":" + source), std::string::npos) << lines;
  EXPECT_NE(lines.find("\"declared\":" + stable), std::string::npos) << lines;
  EXPECT_NE(lines.find("\"ft_wheel_found\":true"), std::string::npos);

  auto run = read_run(d / "run", ReadOptions::summary());
  const auto& racy = find(run, "racy");
  EXPECT_EQ(racy.category, "intermittent");
  EXPECT_EQ(declared_short(racy), "3 - Stable, wheel");
  EXPECT_EQ(contradictions(racy), std::vector<std::string>{"declares 3 - Stable; measured intermittent"});
  EXPECT_EQ(declared_text(racy), "declares 3 - Stable, free-threaded wheel (cp313t)");
  EXPECT_EQ(source_text(racy),
            "sdist 2.1.0 (fallback: git clone failed: Could not resolve host; adapted: dropped 'git fetch --tags --depth 1 &&')");
  const auto& quiet = find(run, "quiet");
  EXPECT_EQ(contradictions(quiet), std::vector<std::string>{"compatible, no free-threaded wheel published"});
  EXPECT_EQ(declared_text(quiet), "declares nothing, no wheel for this interpreter");
  for (const auto& view : {render_show(run, SortBy::Name, 0, Style{}), render_report(run, "markdown"),
                           render_report(run, "html"), render_export(run, "csv"), render_export(run, "junit")}) {
    EXPECT_NE(view.find("declares 3 - Stable; measured intermittent"), std::string::npos) << view;
    EXPECT_NE(view.find("compatible, no free-threaded wheel published"), std::string::npos) << view;
  }
  EXPECT_NE(render_show(run, SortBy::Name, 0, Style{}).find("3 - Stable, wheel"), std::string::npos);
  EXPECT_NE(render_package(run, "racy", Style{}).find("source: sdist 2.1.0"), std::string::npos);
}

TEST(Evidence, PureWheelsDeclareNothingAndMissingTestsAreSaid) {
  PackageResult p;
  p.package = "purepkg";
  p.category = "incompatible";
  p.declared = parse_declared_info(R"({"classifier_level":null,"ft_wheel":true,"ft_wheel_tags":["py3-none-any"],"error":null})", "test");
  p.source = parse_source_info(R"({"kind":"sdist","version":"1.0","url":null,"fallback_reason":null,"adapted":[],)"
                               R"("tests_present":false,"tests_note":"tests/ (named by the test command) is not in the sdist"})",
                               "test");
  EXPECT_TRUE(contradictions(p).empty());
  EXPECT_EQ(declared_text(p), "declares nothing, pure wheel");
  EXPECT_EQ(source_text(p), "sdist 1.0 (tests/ (named by the test command) is not in the sdist)");
  EXPECT_EQ(details(p).rfind("no tests in the sdist: tests/ (named by the test command) is not in the sdist", 0), 0u) << details(p);
  p.declared = parse_declared_info(R"({"classifier_level":null,"ft_wheel":true,"ft_wheel_tags":["cp314-cp314t-win_amd64"]})", "test");
  EXPECT_EQ(contradictions(p), std::vector<std::string>{"publishes a free-threaded wheel (cp314t); measured incompatible"});
  p.declared = parse_declared_info(R"({"classifier_level":"1 - Unstable","ft_wheel":true,"ft_wheel_tags":["cp314-cp314t-win_amd64"]})", "test");
  EXPECT_TRUE(contradictions(p).empty()) << "Unstable announces trouble";
}

TEST(Evidence, PackagesTheIndexDoesNotHaveShowOnlyTheirClassifier) {
  PackageResult p;
  p.package = "localpkg";
  p.category = "compatible";
  p.declared = parse_declared_info(R"({"classifier_level":null,"ft_wheel":null,"ft_wheel_tags":[],"on_index":false,"error":null})", "test");
  EXPECT_EQ(declared_short(p), "") << "a local package has nothing to look up: blank, not a failed look-up";
  EXPECT_EQ(declared_text(p), "declares nothing, tested version not on the package index");
  EXPECT_TRUE(contradictions(p).empty());
  p.declared = parse_declared_info(R"({"classifier_level":"2 - Beta","ft_wheel":null,"ft_wheel_tags":[],"on_index":false,"error":null})", "test");
  EXPECT_EQ(declared_short(p), "2 - Beta");
  p.declared = parse_declared_info(R"({"classifier_level":null,"ft_wheel":null,"ft_wheel_tags":[],"error":"wheel: index x: URLError"})", "test");
  EXPECT_EQ(declared_short(p), "? (look-up failed)") << "an index that did not answer still says so";
}

TEST(Evidence, OlderResultsWithoutTheNewKeysStillRead) {
  auto d = scratch_dir();
  attempt(d / "rec", "plain", "gil0", 1, kPass);
  auto run = fold_and_read(d);
  const auto& p = find(run, "plain");
  EXPECT_FALSE(p.source.has_value());
  EXPECT_EQ(source_text(p), "");
  EXPECT_EQ(declared_text(p), "");
  EXPECT_TRUE(contradictions(p).empty());
  EXPECT_EQ(render_show(run, SortBy::Name, 0, Style{}).find("Declared"), std::string::npos);
}

TEST(Evidence, JUnitExportHasOneTestcasePerPackageAndModeWithTheEvidence) {
  auto d = scratch_dir();
  for (int i = 1; i <= 2; ++i) {
    attempt(d / "rec", "fine", "gil0", i, kPass);
    attempt(d / "rec", "fine", "gil1", i, kPass);
    attempt(d / "rec", "lossy", "gil0", i, kFail);
    attempt(d / "rec", "lossy", "gil1", i, kFail);
    attempt(d / "rec", "needs-hypothesis", "gil0", i, kNotRun);
    attempt(d / "rec", "needs-hypothesis", "gil1", i, kNotRun);
  }
  auto xml = render_export(fold_and_read(d), "junit");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
  EXPECT_EQ(doc.select_nodes("//testcase").size(), 6u);
  EXPECT_EQ(doc.select_nodes("//testsuite[@name='labeille-ft.gil1']/testcase").size(), 3u);
  EXPECT_STREQ(doc.child("testsuites").attribute("failures").value(), "4");
  auto fine = doc.select_node("//testsuite[@name='labeille-ft.gil0']/testcase[@name='fine']").node();
  EXPECT_FALSE(fine.child("failure"));
  auto lossy = doc.select_node("//testsuite[@name='labeille-ft.gil0']/testcase[@name='lossy']/failure").node();
  EXPECT_STREQ(lossy.attribute("type").value(), "incompatible");
  EXPECT_NE(std::string(lossy.attribute("message").value()).find("0/2 passed"), std::string::npos);
  EXPECT_NE(std::string(lossy.attribute("message").value()).find("AssertionError: lost update"), std::string::npos);
  auto lossy1 = doc.select_node("//testsuite[@name='labeille-ft.gil1']/testcase[@name='lossy']/failure").node();
  EXPECT_STREQ(lossy1.attribute("type").value(), "gil1_failures");
  auto unknown = doc.select_node("//testsuite[@name='labeille-ft.gil1']/testcase[@name='needs-hypothesis']/failure").node();
  EXPECT_NE(std::string(unknown.attribute("message").value()).find("tests did not run"), std::string::npos);
}

TEST(Evidence, HtmlReportHasTotalsBothModesAndASectionPerPackage) {
  auto d = scratch_dir();
  for (int i = 1; i <= 2; ++i) {
    attempt(d / "rec", "fine", "gil0", i, kPass);
    attempt(d / "rec", "fine", "gil1", i, kPass);
  }
  attempt(d / "rec", "needs-hypothesis", "gil0", 1, kNotRun);
  auto html = render_report(fold_and_read(d), "html");
  EXPECT_NE(html.find("<h2>Totals</h2>"), std::string::npos);
  EXPECT_NE(html.find("PYTHON_GIL=0"), std::string::npos);
  EXPECT_NE(html.find("PYTHON_GIL=1"), std::string::npos);
  EXPECT_NE(html.find("fine GIL=1 run 2: pass"), std::string::npos);
  EXPECT_NE(html.find("<details class=\"pkg\">"), std::string::npos);
  EXPECT_EQ(html.find("http://") == std::string::npos || html.find("http://") == html.find("http://www.w3.org"), true);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
}

}  // namespace labeille::analyzers
