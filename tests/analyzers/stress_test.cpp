// Stress iterations through fold: records as the runner writes them for plain and stress
// attempts -> categories, per-test kinds and the evidence every view shows.
#include "labeille/analyzers/stress.hpp"

#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "labeille/analyzers/fold.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/fs.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;

namespace labeille::analyzers {

namespace {

constexpr const char* kRace = "tests.test_box::test_concurrent_bumps_lose_nothing";
constexpr const char* kScratch = "tests.test_scratch::test_scratch_is_mine";

using test_support::scratch_dir;

// One attempt record; a stress attempt (mode "stress.gilN") carries the plugin's counts:
// `failing` tests each failed `failures` of threads x repeat (2 x 20) repetitions.
// A plain attempt given `failing` gets pytest's JUnit file naming those tests as failed.
void attempt(const fs::path& rec, const std::string& pkg, const std::string& mode, int iter, Outcome o,
             const std::vector<std::string>& failing = {}, int failures = 0, std::string detail = "") {
  AttemptRecord r;
  r.package = pkg;
  r.mode = mode;
  const bool stress = mode.rfind("stress.", 0) == 0;
  r.gil = *gil_mode_from_string(stress ? mode.substr(7) : mode);
  r.iteration = iter;
  r.attempt = 1;
  r.test_name = fmt::format("ft.{}.{}.iter{:02d}", pkg, mode, iter);
  r.attempt_id = fmt::format("h:{}:{}:{}", pkg, mode, iter);
  r.outcome = o;
  r.detail = std::move(detail);
  r.duration_s = 2;
  if (stress) {
    StressInfo s{2, 20, true, 3, {}, {{"tests.test_scratch::test_marked_thread_unsafe", "changes the process environment"}}};
    for (const auto& id : failing) s.tests.push_back({id, 40, failures, "AssertionError: lost 3 updates"});
    r.stress = s;
  }
  auto dir = rec / pkg / fmt::format("{}.iter{:02d}.a001", mode, iter);
  fs::create_directories(dir);
  if (!stress && !failing.empty()) {
    std::string cases;
    for (const auto& id : failing) {
      const auto at = id.rfind("::");
      cases += fmt::format("<testcase classname=\"{}\" name=\"{}\"><failure message=\"assert 4 == 5\">t</failure>"
                           "</testcase>",
                           id.substr(0, at), id.substr(at + 2));
    }
    atomic_write_file(dir / "junit.xml",
                      "<?xml version=\"1.0\"?><testsuites><testsuite name=\"pytest\">" + cases + "</testsuite></testsuites>");
    r.junit_path = (dir / "junit.xml").string();
  }
  atomic_write_file(dir / "record.json", to_json(r));
}

PackageResult fold_one_package(const fs::path& rec) {
  FoldReport rep;
  auto run = fold({{rec}, {}, {}}, rep);
  EXPECT_EQ(run.packages.size(), 1u);
  return run.packages.empty() ? PackageResult{} : run.packages.front();
}

}  // namespace

TEST(Stress, FailingOnlyWithoutTheGilMakesAnAllPassPackageIntermittent) {
  auto rec = scratch_dir();
  for (int i = 1; i <= 2; ++i) {
    attempt(rec, "race", "gil0", i, Outcome::Pass);
    attempt(rec, "race", "gil1", i, Outcome::Pass);
    attempt(rec, "race", "stress.gil1", i, Outcome::Pass);
  }
  attempt(rec, "race", "stress.gil0", 1, Outcome::Fail, {kRace}, 37);
  attempt(rec, "race", "stress.gil0", 2, Outcome::Pass);
  auto p = fold_one_package(rec);
  EXPECT_EQ(p.category, "intermittent");
  EXPECT_EQ(p.pass_count, 2);  // the plain runs stay the seed's
  EXPECT_EQ(p.verdict, "2/2 passed: failure rate <= 78% (95%); under stress: 1/2 failed: failure rate 1.3%-99% (95%)");
  ASSERT_TRUE(p.stress);
  EXPECT_TRUE(p.stress->finding);
  EXPECT_EQ(p.stress->comparison, "free_threading_specific");
  ASSERT_EQ(p.stress->tests.size(), 1u);
  EXPECT_EQ(p.stress->tests[0].kind, "free_threading");
  EXPECT_EQ(p.stress->tests[0].failures, 37);
  EXPECT_EQ(p.stress->tests[0].calls, 40);
  EXPECT_EQ(p.stress->evidence.substr(0, p.stress->evidence.find(';')),
            fmt::format("fails under stress only (threads 2, repeat 20): {} 37/40", kRace));
  EXPECT_NE(p.stress->evidence.find("1 test(s) run single-threaded"), std::string::npos);
  EXPECT_NE(details(p).find("fails under stress only"), std::string::npos);
}

TEST(Stress, FailingWithTheGilTooIsAThreadUnsafeTestAndKeepsTheCategory) {
  auto rec = scratch_dir();
  attempt(rec, "unsafe", "gil0", 1, Outcome::Pass);
  attempt(rec, "unsafe", "gil1", 1, Outcome::Pass);
  attempt(rec, "unsafe", "stress.gil0", 1, Outcome::Fail, {kScratch}, 30);
  attempt(rec, "unsafe", "stress.gil1", 1, Outcome::Fail, {kScratch}, 28);
  auto p = fold_one_package(rec);
  EXPECT_EQ(p.category, "compatible");
  ASSERT_TRUE(p.stress);
  EXPECT_FALSE(p.stress->finding);
  EXPECT_EQ(p.stress->comparison, "pre_existing");
  ASSERT_EQ(p.stress->tests.size(), 1u);
  EXPECT_EQ(p.stress->tests[0].kind, "thread_unsafe");
  EXPECT_NE(p.stress->evidence.find(fmt::format("thread-unsafe tests (fail under stress with the GIL too): {} 30/40 "
                                                "(GIL=1: 28/40)", kScratch)),
            std::string::npos);
}

// A test that fails in the plain runs too is no thread-unsafe test: it fails anyway, and
// the evidence says so (real: a wrong expectation under `labeille ft test`).
TEST(Stress, FailingEverywhereIsNamedAFailingTestNotAThreadUnsafeOne) {
  auto rec = scratch_dir();
  attempt(rec, "wrong", "gil0", 1, Outcome::Fail, {kScratch});
  attempt(rec, "wrong", "gil1", 1, Outcome::Fail);
  attempt(rec, "wrong", "stress.gil0", 1, Outcome::Fail, {kScratch}, 40);
  attempt(rec, "wrong", "stress.gil1", 1, Outcome::Fail, {kScratch}, 40);
  auto p = fold_one_package(rec);
  ASSERT_TRUE(p.stress);
  ASSERT_EQ(p.stress->tests.size(), 1u);
  EXPECT_EQ(p.stress->tests[0].kind, "fails_anyway");
  EXPECT_NE(p.stress->evidence.find(fmt::format("fail without stress too (with and without the GIL): {} 40/40", kScratch)),
            std::string::npos)
      << p.stress->evidence;
  EXPECT_EQ(p.stress->evidence.find("thread-unsafe tests"), std::string::npos) << p.stress->evidence;
}

TEST(Stress, WithoutGilStressRunsAFailureIsNotComparedButCounts) {
  auto rec = scratch_dir();
  attempt(rec, "race", "gil0", 1, Outcome::Pass);
  attempt(rec, "race", "stress.gil0", 1, Outcome::Fail, {kRace}, 5);
  auto p = fold_one_package(rec);
  EXPECT_EQ(p.category, "intermittent");
  EXPECT_EQ(p.stress->comparison, "not_compared");
  EXPECT_EQ(p.stress->tests[0].kind, "not_compared");
  EXPECT_NE(p.stress->evidence.find("not compared with the GIL"), std::string::npos);
}

TEST(Stress, CrashUnderStressOnlyWithoutTheGilIsACrash) {
  auto rec = scratch_dir();
  attempt(rec, "boom", "gil0", 1, Outcome::Pass);
  attempt(rec, "boom", "stress.gil0", 1, Outcome::Crash);
  EXPECT_EQ(fold_one_package(rec).category, "crash");
}

TEST(Stress, ResultsWriteAndReadBack) {
  auto rec = scratch_dir();
  attempt(rec, "race", "gil0", 1, Outcome::Pass);
  attempt(rec, "race", "stress.gil0", 1, Outcome::Fail, {kRace}, 37);
  attempt(rec, "race", "stress.gil1", 1, Outcome::Pass);
  auto p = fold_one_package(rec);
  auto back = package_from_json(package_to_json_line(p), "line");
  ASSERT_TRUE(back.stress);
  EXPECT_EQ(package_to_json_line(back), package_to_json_line(p));
  EXPECT_EQ(back.stress->tests[0].id, kRace);
  EXPECT_EQ(back.stress->iterations.size(), 1u);
  EXPECT_EQ(back.stress->single_threaded.size(), 1u);
  // A line without "stress" (older runs, the Python tool's) reads as before.
  EXPECT_FALSE(package_from_json(R"({"package": "old", "category": "compatible"})", "old").stress);
}

TEST(Stress, UntilBoundSkipsNameTheIterationsRunAndWhy) {
  auto rec = scratch_dir();
  for (int i = 1; i <= 29; ++i) attempt(rec, "ok", "gil0", i, Outcome::Pass);
  for (int i = 30; i <= 40; ++i)
    attempt(rec, "ok", "gil0", i, Outcome::Skipped, {}, 0, "verdict settled (until-bound): 29 of 29 passed");
  auto p = fold_one_package(rec);
  EXPECT_EQ(p.category, "compatible");
  EXPECT_EQ(p.iterations_completed, 29);
  EXPECT_EQ(p.iterations_allowed, 40);
  EXPECT_EQ(p.verdict, "29/29 passed: failure rate <= 9.8% (95%); stopped after 29 of 40 iterations: "
                       "verdict settled (until-bound): 29 of 29 passed");
}

// The heatmap of the html report as XML (an inline SVG is XML): every cell's tooltip ->
// its rect, and the block headers.
struct Heatmap {
  pugi::xml_document doc;
  std::map<std::string, pugi::xml_node> cells;  // "<pkg> <mode> run <n>..." tooltip -> rect
  std::vector<std::string> headers;
  // The cell whose tooltip starts with `prefix` (exactly one must).
  pugi::xml_node cell(const std::string& prefix) const {
    pugi::xml_node found;
    int n = 0;
    for (const auto& [title, rect] : cells)
      if (title.rfind(prefix, 0) == 0) found = rect, ++n;
    EXPECT_EQ(n, 1) << prefix;
    return found;
  }
  int count(const std::string& prefix) const {
    int n = 0;
    for (const auto& [title, rect] : cells) n += title.rfind(prefix, 0) == 0;
    return n;
  }
};
void read_heatmap(const std::string& html, Heatmap& h) {
  const auto start = html.find("<svg", html.find("<h2>Every run</h2>"));
  const auto end = html.find("</svg>", start);
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  const auto svg = html.substr(start, end + 6 - start);
  ASSERT_TRUE(h.doc.load_string(svg.c_str())) << svg;
  for (auto rect : h.doc.child("svg").children("rect"))
    if (auto title = rect.child("title")) h.cells[title.text().get()] = rect;
  for (auto text : h.doc.child("svg").children("text"))
    if (std::string(text.attribute("font-weight").value()) == "bold") h.headers.push_back(text.text().get());
}

// The html report: each GIL mode's stress runs as their own heatmap block beside the
// plain runs, and in each package's section the per-test stress evidence (which tests
// failed, how many repetitions of how many, the first message, the single-threaded tests).
TEST(Stress, HtmlReportShowsStressRunsBesideThePlainRunsAndThePerTestEvidence) {
  auto d = scratch_dir();
  auto rec = d / "rec";
  for (int i = 1; i <= 2; ++i) {
    attempt(rec, "race", "gil0", i, Outcome::Pass);
    attempt(rec, "race", "gil1", i, Outcome::Pass);
    attempt(rec, "race", "stress.gil1", i, Outcome::Pass);
  }
  attempt(rec, "race", "stress.gil0", 1, Outcome::Fail, {kRace}, 37, "1 failed, 1 passed");
  attempt(rec, "race", "stress.gil0", 2, Outcome::Fail, {kRace}, 12, "1 failed, 1 passed");
  attempt(rec, "race", "stress.gil0", 3, Outcome::Pass);
  attempt(rec, "unsafe", "gil0", 1, Outcome::Pass);
  attempt(rec, "unsafe", "gil1", 1, Outcome::Pass);
  attempt(rec, "unsafe", "stress.gil0", 1, Outcome::Fail, {kScratch}, 30);
  attempt(rec, "unsafe", "stress.gil1", 1, Outcome::Fail, {kScratch}, 28);
  attempt(rec, "plain", "gil0", 1, Outcome::Pass);
  // Through ft_results.jsonl, as `labeille ft report` reads it.
  FoldReport rep;
  fold_to_dir({{rec}, {}, {}}, rep, d / "run", "{\"run_id\": \"ft_test\"}");
  const auto html = render_report(read_run(d / "run", ReadOptions::everything()), "html");

  Heatmap h;
  read_heatmap(html, h);
  EXPECT_EQ(h.headers, (std::vector<std::string>{"PYTHON_GIL=0", "PYTHON_GIL=1", "stress, PYTHON_GIL=0",
                                                  "stress, PYTHON_GIL=1"}));
  EXPECT_EQ(h.count("race GIL=0 run "), 2);
  EXPECT_EQ(h.count("race stress GIL=0 run "), 3);
  EXPECT_EQ(h.count("race stress GIL=1 run "), 2);
  EXPECT_EQ(h.count("unsafe stress GIL=1 run "), 1);
  EXPECT_EQ(h.count("plain stress"), 0);
  // A failed stress run: its settings and why it failed, in the fail colour, on the
  // package's row, right of every plain run.
  auto failed = h.cell("race stress GIL=0 run 1 (threads 2, repeat 20): fail — 1 failed, 1 passed");
  EXPECT_STREQ(failed.attribute("fill").value(), "#f9a825");
  EXPECT_STREQ(h.cell("race stress GIL=0 run 3 (threads 2, repeat 20): pass").attribute("fill").value(), "#2e7d32");
  auto plain = h.cell("race GIL=1 run 2: pass");
  EXPECT_EQ(failed.attribute("y").as_int(), plain.attribute("y").as_int());
  EXPECT_GT(failed.attribute("x").as_int(), plain.attribute("x").as_int());
  EXPECT_GT(h.cell("race stress GIL=1 run 1").attribute("x").as_int(), failed.attribute("x").as_int());
  EXPECT_NE(html.find("stress runs: every test in N threads x K repetitions"), std::string::npos);  // the legend
  EXPECT_NE(html.find(" + 7 stress runs"), std::string::npos);

  // The evidence: the race is a free-threading finding, 49 of the 80 repetitions of the
  // two runs it failed in; the scratch test is thread-unsafe.
  EXPECT_NE(html.find("<h4>Under stress: every test in 2 thread(s) x 20 repetition(s) in one process</h4>"), std::string::npos);
  EXPECT_NE(html.find(fmt::format("<tr class=\"finding\"><td><code>{}</code></td><td>free-threading only (fails without "
                                  "the GIL, never with it)</td><td>49/80 repetitions in 2 of 3 run(s)</td><td>no failure "
                                  "in 2 run(s)</td><td><code>AssertionError: lost 3 updates</code></td></tr>",
                                  kRace)),
            std::string::npos)
      << html;
  EXPECT_NE(html.find(fmt::format("<tr><td><code>{}</code></td><td>thread-unsafe test (fails with the GIL too)</td>"
                                  "<td>30/40 repetitions in 1 of 1 run(s)</td><td>28/40 repetitions in 1 of 1 run(s)</td>",
                                  kScratch)),
            std::string::npos);
  EXPECT_NE(html.find("<h4>Run single-threaded as thread-unsafe by pytest-run-parallel (1)</h4><ul>\n<li><code>"
                      "tests.test_scratch::test_marked_thread_unsafe</code>: changes the process environment</li>"),
            std::string::npos);
  EXPECT_NE(html.find("<dt>Stress runs</dt><dd class=\"\">GIL=0: 1/3 passed; GIL=1: 2/2 passed</dd>"), std::string::npos);
  EXPECT_NE(html.find("<td>stress.gil0</td><td>2</td>"), std::string::npos);  // the runs table
  EXPECT_EQ(html.find("<script"), std::string::npos);

  // A run without stress iterations: no stress block, no stress evidence.
  auto rec2 = d / "rec2";
  attempt(rec2, "plain", "gil0", 1, Outcome::Pass);
  fold_to_dir({{rec2}, {}, {}}, rep, d / "run2", "{\"run_id\": \"ft_test\"}");
  const auto no_stress = render_report(read_run(d / "run2", ReadOptions::everything()), "html");
  Heatmap h2;
  read_heatmap(no_stress, h2);
  EXPECT_EQ(h2.headers, std::vector<std::string>{"PYTHON_GIL=0"});
  EXPECT_EQ(no_stress.find("Under stress"), std::string::npos);
  EXPECT_EQ(no_stress.find("stress runs"), std::string::npos);
}

}  // namespace labeille::analyzers

namespace labeille::analyzers {

// wrapt and more-itertools in the real top 30: stress runs stalled in both modes. Nothing
// passed, so nothing "passes under stress"; say it was inconclusive and why.
TEST(Stress, StalledInBothModesIsInconclusiveNeverPasses) {
  auto rec = scratch_dir();
  attempt(rec, "wrapt", "gil0", 1, Outcome::Pass);
  attempt(rec, "wrapt", "gil1", 1, Outcome::Pass);
  attempt(rec, "wrapt", "stress.gil0", 1, Outcome::Deadlock);
  attempt(rec, "wrapt", "stress.gil1", 1, Outcome::Deadlock);
  auto p = fold_one_package(rec);
  ASSERT_TRUE(p.stress);
  EXPECT_EQ(p.stress->evidence.find("passes under stress"), std::string::npos) << p.stress->evidence;
  EXPECT_EQ(p.stress->evidence.rfind("stress inconclusive (threads 2, repeat 20): 0/1 runs passed, 1 stalled (with the "
                                     "GIL too: 1 stalled of 1)",
                                     0),
            0u)
      << p.stress->evidence;
}

// simplejson: a test that failed under stress only with the GIL is not one that fails
// "with the GIL too".
TEST(Stress, FailingOnlyWithTheGilIsNamedForWhatItIs) {
  auto rec = scratch_dir();
  attempt(rec, "sj", "gil0", 1, Outcome::Pass);
  attempt(rec, "sj", "stress.gil0", 1, Outcome::Fail, {kScratch}, 3);
  attempt(rec, "sj", "stress.gil1", 1, Outcome::Fail, {kScratch, kRace}, 2);
  auto p = fold_one_package(rec);
  ASSERT_TRUE(p.stress);
  ASSERT_EQ(p.stress->tests.size(), 2u);
  for (const auto& t : p.stress->tests) EXPECT_EQ(t.kind, t.id == kRace ? "gil_only" : "thread_unsafe") << t.id;
  EXPECT_NE(p.stress->evidence.find(fmt::format("thread-unsafe tests (fail under stress with the GIL too): {} 3/40", kScratch)),
            std::string::npos)
      << p.stress->evidence;
  EXPECT_NE(p.stress->evidence.find(fmt::format("fail under stress only with the GIL: {} no failure (GIL=1: 2/40)", kRace)),
            std::string::npos)
      << p.stress->evidence;
  EXPECT_EQ(p.stress->evidence.find(fmt::format("{} no failure (GIL=1: 2/40)", kRace)),
            p.stress->evidence.find("fail under stress only with the GIL") + 37);
  EXPECT_FALSE(p.stress->finding);
}

// coverage under --stress --compare-with-gil: the category comes from the stress runs; the
// summary says which runs crashed and how, since the columns count the plain runs.
TEST(Stress, CrashFromStressRunsSaysWhichRunsAndSignatures) {
  auto rec = scratch_dir();
  for (int i = 1; i <= 3; ++i) {
    attempt(rec, "coverage", "gil0", i, Outcome::Pass);
    AttemptRecord r;  // a crash with its signature, as the runner records it
    r.package = "coverage";
    r.mode = "stress.gil0";
    r.gil = GilMode::Off;
    r.iteration = i;
    r.attempt = 1;
    r.test_name = fmt::format("ft.coverage.stress.gil0.iter{:02d}", i);
    r.attempt_id = fmt::format("h:coverage:s:{}", i);
    r.outcome = Outcome::Crash;
    r.crash = CrashInfo{11, "SIGSEGV", "", {}, "SIGSEGV | coverage/ctracer.c:42 CTracer_trace"};
    auto dir = rec / "coverage" / fmt::format("stress.gil0.iter{:02d}.a001", i);
    fs::create_directories(dir);
    atomic_write_file(dir / "record.json", to_json(r));
    attempt(rec, "coverage", "stress.gil1", i, Outcome::Fail, {kScratch}, 1);
  }
  auto p = fold_one_package(rec);
  EXPECT_EQ(p.category, "crash");
  EXPECT_EQ(p.crash_count, 0);  // the plain runs' columns
  ASSERT_TRUE(p.stress);
  EXPECT_EQ(p.stress->evidence.rfind("crashed under stress (GIL=0 stress runs, 3/3): SIGSEGV | coverage/ctracer.c:42 "
                                     "CTracer_trace; GIL=1 stress runs: 0/3 passed, no crash",
                                     0),
            0u)
      << p.stress->evidence;
  EXPECT_NE(details(p).find("crashed under stress (GIL=0 stress runs, 3/3)"), std::string::npos);
}

}  // namespace labeille::analyzers
