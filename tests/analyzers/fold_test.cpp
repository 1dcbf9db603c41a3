#include "labeille/analyzers/fold.hpp"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "labeille/analyzers/results_io.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/record.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;

namespace labeille::analyzers {

namespace {

using test_support::scratch_dir;

// Writes one attempt record the way the runner lays it out.
fs::path attempt(const fs::path& rec, const std::string& pkg, const std::string& mode, int iter, Outcome o,
                 int attempt_no = 1, const std::string& junit = "") {
  AttemptRecord r;
  r.package = pkg;
  r.mode = mode;
  r.gil = *gil_mode_from_string(mode);
  r.iteration = iter;
  r.attempt = attempt_no;
  r.test_name = fmt::format("ft.{}.{}.iter{:02d}", pkg, mode, iter);
  r.attempt_id = fmt::format("host:{}:{}:{}:{}", pkg, mode, iter, attempt_no);
  r.outcome = o;
  r.duration_s = 1.5;
  if (o == Outcome::Crash) r.crash = CrashInfo{11, "SIGSEGV", "", {"pkg/a.py:3 f"}, "SIGSEGV | pkg/a.py:3 f"};
  if (o == Outcome::Deadlock) {
    r.stall.detected = true;
    r.stall.cpu_state = "idle";
    r.thread_stacks =
        "Thread 0x00007f0000000002 (most recent call first):\n"
        "  File \"/venvs/" + pkg + "/lib/python3.13t/site-packages/lockpkg/core.py\", line 12 in take_b_then_a\n\n"
        "Current thread 0x00007f0000000001 (most recent call first):\n"
        "  File \"/usr/lib/python3.13/threading.py\", line 1092 in join\n";
  }
  // As on another machine: the runner's absolute path is stale, the file sits beside the record.
  if (!junit.empty()) r.junit_path = "/elsewhere/records/junit.xml";
  auto dir = rec / pkg / fmt::format("{}.iter{:02d}.a{:03d}", mode, iter, attempt_no);
  fs::create_directories(dir);
  atomic_write_file(dir / "record.json", to_json(r));
  if (!junit.empty()) std::ofstream(dir / "junit.xml") << junit;
  return dir;
}

std::string junit_with(bool test_b_fails) {
  return fmt::format(
      "<?xml version=\"1.0\"?><testsuites><testsuite name=\"pytest\">"
      "<testcase classname=\"tests.test_x\" name=\"test_a\" time=\"0.1\"/>"
      "<testcase classname=\"tests.test_x\" name=\"test_b\" time=\"0.1\">{}</testcase>"
      "</testsuite></testsuites>",
      test_b_fails ? "<failure message=\"AssertionError: lost update: 1999 != 2000\">trace</failure>" : "");
}

// The runner's started.json in an attempt directory that never got its record.
void started(const fs::path& rec, const std::string& pkg, const std::string& dir, double timeout_s) {
  StartedMarker m;
  m.attempt_id = fmt::format("host:1:2:{}", dir);
  m.package = pkg;
  m.mode = "gil0";
  m.timeout_s = timeout_s;
  m.start_time = "2026-11-25T05:00:00.000Z";
  fs::create_directories(rec / pkg / dir);
  atomic_write_file(rec / pkg / dir / "started.json", to_json(m));
}

const PackageResult& find(const RunResults& run, const std::string& name) {
  for (const auto& p : run.packages)
    if (p.package == name) return p;
  throw std::runtime_error("no package " + name);
}

}  // namespace

TEST(Fold, CategoriesCountsAndFlakyTests) {
  auto d = scratch_dir();
  auto rec = d / "records";
  for (int i = 1; i <= 4; ++i) attempt(rec, "ok", "gil0", i, Outcome::Pass);
  for (int i = 1; i <= 4; ++i) attempt(rec, "racy", "gil0", i, i % 2 ? Outcome::Pass : Outcome::Fail, 1, junit_with(i % 2 == 0));
  attempt(rec, "boom", "gil0", 1, Outcome::Pass);
  attempt(rec, "boom", "gil0", 2, Outcome::Crash);
  attempt(rec, "stuck", "gil0", 1, Outcome::Deadlock);
  FoldReport report;
  auto run = fold({{rec}, {}, {}}, report);
  EXPECT_EQ(report.records, 11);
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(find(run, "ok").category, "compatible");
  EXPECT_EQ(find(run, "ok").verdict, "4/4 passed: failure rate <= 53% (95%)");
  const auto& racy = find(run, "racy");
  EXPECT_EQ(racy.category, "intermittent");
  EXPECT_EQ(racy.pass_count, 2);
  EXPECT_EQ(racy.flaky_tests.at("tests.test_x::test_b"), 2);
  EXPECT_FALSE(racy.flaky_tests.count("tests.test_x::test_a"));
  EXPECT_EQ(racy.iterations[1].tests_failed, 1);
  EXPECT_EQ(racy.iterations[1].test_results[1].message, "AssertionError: lost update: 1999 != 2000");
  EXPECT_EQ(find(run, "boom").category, "crash");
  EXPECT_EQ(find(run, "boom").failure_signatures.at(0), "SIGSEGV | pkg/a.py:3 f");
  EXPECT_EQ(find(run, "stuck").category, "deadlock");
  EXPECT_EQ(find(run, "stuck").iterations[0].stall_cpu_state, "idle");
  EXPECT_EQ(find(run, "stuck").failure_signatures.at(0),
            "stall (idle) | lockpkg/core.py:12 take_b_then_a ; python3.13/threading.py:1092 join");
}

TEST(Fold, ShardsCopiedTwiceCountOnceAndMergeEqualsOneRun) {
  auto d = scratch_dir();
  for (int i = 1; i <= 3; ++i) attempt(d / "one", "a", "gil0", i, i == 2 ? Outcome::Fail : Outcome::Pass);
  for (int i = 1; i <= 2; ++i) attempt(d / "one", "b", "gil0", i, Outcome::Pass);
  // The same attempts split over two shards, one record present in both.
  for (int i = 1; i <= 3; ++i) attempt(d / "s1", "a", "gil0", i, i == 2 ? Outcome::Fail : Outcome::Pass);
  attempt(d / "s2", "a", "gil0", 3, Outcome::Pass);
  for (int i = 1; i <= 2; ++i) attempt(d / "s2", "b", "gil0", i, Outcome::Pass);
  FoldReport r1, r2;
  auto single = fold({{d / "one"}, {}, {}}, r1);
  auto merged = fold({{d / "s1", d / "s2"}, {}, {}}, r2);
  EXPECT_EQ(r2.duplicates, 1);
  ASSERT_EQ(single.packages.size(), merged.packages.size());
  for (std::size_t i = 0; i < single.packages.size(); ++i)
    EXPECT_EQ(package_to_json_line(single.packages[i]), package_to_json_line(merged.packages[i]));
}

TEST(Fold, CorruptRecordIsReportedWithItsPathAndSkipped) {
  auto d = scratch_dir();
  attempt(d, "a", "gil0", 1, Outcome::Pass);
  auto bad = d / "a" / "gil0.iter02.a001";
  fs::create_directories(bad);
  std::ofstream(bad / "record.json") << "{\"schema\": 1, \"kind\": \"attempt\", \"outco";
  fs::create_directories(d / "a" / "gil0.iter03.a001");  // still running: no record.json yet
  FoldReport report;
  auto run = fold({{d}, {}, {}}, report);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find((bad / "record.json").string()), std::string::npos);
  EXPECT_EQ(find(run, "a").iterations_completed, 1);
}

// fold reads records into a 256 KiB buffer it grows: a record of several MiB (a stderr
// tail of control characters, escaped six bytes each) is read whole, never cut.
TEST(Fold, RecordLargerThanTheReadBufferIsReadWhole) {
  auto d = scratch_dir();
  AttemptRecord r;
  r.package = "big";
  r.mode = "gil0";
  r.gil = GilMode::Off;
  r.iteration = 1;
  r.attempt = 1;
  r.test_name = "ft.big.gil0.iter01";
  r.attempt_id = "host:big:1";
  r.outcome = Outcome::Fail;
  r.err.tail = std::string(600 * 1024, '\x01') + "\nthe last line\n";
  auto dir = d / "big" / "gil0.iter01.a001";
  fs::create_directories(dir);
  const auto json = to_json(r);
  ASSERT_GT(json.size(), 1024u * 1024u);
  atomic_write_file(dir / "record.json", json);
  FoldReport report;
  auto run = fold({{d}, {}, {}}, report);
  EXPECT_TRUE(report.problems.empty()) << report.problems.at(0);
  const auto& it = find(run, "big").iterations.at(0);
  EXPECT_EQ(it.status, "fail");
  EXPECT_NE(it.stderr_tail.find("the last line"), std::string::npos);
}

// Package directories fold in parallel; the result is in name order whatever the order
// the file system lists them in or the threads finish in.
TEST(Fold, ManyPackagesFoldInNameOrderAndCountEveryRecord) {
  auto d = scratch_dir();
  std::vector<std::string> names;
  for (int i = 0; i < 60; ++i) names.push_back(fmt::format("p{:02d}", (i * 37) % 60));
  for (const auto& n : names)
    for (int it = 1; it <= 3; ++it) attempt(d, n, "gil0", it, it == 2 && n < "p30" ? Outcome::Fail : Outcome::Pass);
  FoldReport report;
  auto run = fold({{d}, {}, {}}, report);
  EXPECT_EQ(report.records, 180);
  ASSERT_EQ(run.packages.size(), 60u);
  for (std::size_t i = 0; i < run.packages.size(); ++i) {
    EXPECT_EQ(run.packages[i].package, fmt::format("p{:02d}", i));
    EXPECT_EQ(run.packages[i].category, i < 30 ? "intermittent" : "compatible");
  }
}

// fold_each hands packages over a chunk at a time (256 per chunk), in name order, and
// the chunks together are exactly what fold() returns.
TEST(Fold, FoldEachStreamsPackagesInNameOrderChunkByChunk) {
  auto d = scratch_dir();
  for (int i = 0; i < 600; ++i) attempt(d, fmt::format("p{:03d}", (i * 7) % 600), "gil0", 1, Outcome::Pass);
  FoldReport streamed_report, whole_report;
  std::vector<std::string> names;
  int chunks = 0;
  fold_each({{d}, {}, {}}, streamed_report, [&](std::vector<PackageResult>& chunk) {
    ++chunks;
    EXPECT_FALSE(chunk.empty());
    EXPECT_LE(chunk.size(), 256u);
    for (const auto& p : chunk) names.push_back(p.package);
  });
  EXPECT_GE(chunks, 3);
  auto whole = fold({{d}, {}, {}}, whole_report);
  ASSERT_EQ(names.size(), 600u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], whole.packages[i].package);
  EXPECT_EQ(streamed_report.records, 600);
  EXPECT_EQ(whole_report.records, 600);
}

// A record must live under its package's directory: one that says otherwise would be
// folded into the wrong package, so it is reported and skipped.
TEST(Fold, RecordUnderAnotherPackagesDirectoryIsReported) {
  auto d = scratch_dir();
  attempt(d, "a", "gil0", 1, Outcome::Pass);
  auto moved = attempt(d / "tmp", "b", "gil0", 1, Outcome::Fail);
  fs::rename(moved, d / "a" / "gil0.iter02.a001");
  FoldReport report;
  auto run = fold({{d}, {}, {}}, report);
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find("package \"b\" does not match its directory \"a\""), std::string::npos)
      << report.problems[0];
  EXPECT_EQ(find(run, "a").iterations_completed, 1);
}

// A writer that does not finish (an error mid-way) leaves the previous results whole.
TEST(Fold, UnfinishedRunWriterLeavesTheOldResults) {
  auto d = scratch_dir();
  attempt(d / "rec", "a", "gil0", 1, Outcome::Pass);
  FoldReport report;
  auto run = fold({{d / "rec"}, {}, {}}, report);
  write_run(run, d / "out", "");
  const auto before = read_file(d / "out" / "ft_results.jsonl");
  {
    RunWriter w(d / "out", "");
    w.add(run.packages);
    w.add(run.packages);
  }  // no finish()
  EXPECT_EQ(read_file(d / "out" / "ft_results.jsonl"), before);
  for (const auto& e : fs::directory_iterator(d / "out"))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(Fold, InterruptedAndSkippedAreNotIterations) {
  auto d = scratch_dir();
  attempt(d, "a", "gil0", 1, Outcome::Pass);
  attempt(d, "a", "gil0", 2, Outcome::Skipped);
  attempt(d, "a", "gil0", 3, Outcome::Interrupted);
  FoldReport report;
  auto run = fold({{d}, {}, {}}, report);
  EXPECT_EQ(find(run, "a").iterations_completed, 1);
  EXPECT_EQ(report.uncounted, 2);
}

TEST(Fold, RepeatedAttemptsEachCount) {
  // ctest --repeat until-pass:3 on iteration 1: fail, fail, pass -> three measured runs.
  auto d = scratch_dir();
  attempt(d, "a", "gil0", 1, Outcome::Fail, 1);
  attempt(d, "a", "gil0", 1, Outcome::Fail, 2);
  attempt(d, "a", "gil0", 1, Outcome::Pass, 3);
  FoldReport report;
  auto run = fold({{d}, {}, {}}, report);
  EXPECT_EQ(find(run, "a").iterations_completed, 3);
  EXPECT_EQ(find(run, "a").pass_count, 1);
  EXPECT_EQ(find(run, "a").category, "intermittent");
}

TEST(Fold, GilComparison) {
  auto d = scratch_dir();
  for (int i = 1; i <= 3; ++i) {
    attempt(d, "ftonly", "gil0", i, Outcome::Fail);
    attempt(d, "ftonly", "gil1", i, Outcome::Pass);
    attempt(d, "old", "gil0", i, Outcome::Fail);
    attempt(d, "old", "gil1", i, Outcome::Fail);
  }
  FoldReport report;
  auto run = fold({{d}, {}, {}}, report);
  EXPECT_EQ(find(run, "ftonly").gil_comparison, "free_threading_specific");
  EXPECT_EQ(find(run, "ftonly").iterations_completed, 3);
  EXPECT_EQ(find(run, "ftonly").gil_enabled_iterations, 3);
  EXPECT_EQ(find(run, "old").gil_comparison, "pre_existing");
}

// ft_meta.json's total_duration_s is time spent in measured runs of both GIL modes
// (each attempt() lasts 1.5 s): 3 GIL=0 + 2 GIL=1 runs = 7.5 s, and it survives a read.
TEST(Fold, TotalDurationCountsBothGilModes) {
  auto d = scratch_dir();
  for (int i = 1; i <= 3; ++i) attempt(d / "rec", "a", "gil0", i, Outcome::Pass);
  for (int i = 1; i <= 2; ++i) attempt(d / "rec", "a", "gil1", i, Outcome::Pass);
  FoldReport report;
  auto run = fold({{d / "rec"}, {}, {}}, report);
  EXPECT_DOUBLE_EQ(find(run, "a").gil_enabled_duration_s, 3.0);
  write_run(run, d / "out", "");
  auto back = read_run(d / "out");
  EXPECT_EQ(meta_string(back.meta_json, "total_duration_s"), "7.5");
  EXPECT_EQ(meta_string(back.meta_json, "total_iterations"), "5");
  EXPECT_DOUBLE_EQ(back.packages.at(0).gil_enabled_duration_s, 3.0);
}

TEST(Fold, SetupAndProbeRecords) {
  auto d = scratch_dir();
  SetupRecord s;
  s.attempt_id = "s1";
  s.package = "broken";
  s.ok = false;
  s.error = "pip install failed: no matching distribution\nmore";
  fs::create_directories(d / "broken" / "setup.a001");
  atomic_write_file(d / "broken" / "setup.a001" / "record.json", to_json(s));
  ProbeRecord pr;
  pr.attempt_id = "p1";
  pr.package = "fallback";
  pr.ok = true;
  pr.gil_reenabled_by = "fallback._speedups";
  pr.extensions = {{"fallback._speedups", "/x.so", true, "", true, "none"}};
  fs::create_directories(d / "fallback" / "probe.a001");
  atomic_write_file(d / "fallback" / "probe.a001" / "record.json", to_json(pr));
  attempt(d, "fallback", "gil0", 1, Outcome::Pass);
  ProbeRecord bad;
  bad.attempt_id = "p2";
  bad.package = "noimport";
  bad.ok = false;
  bad.error = "ModuleNotFoundError: No module named 'noimport._core'";
  fs::create_directories(d / "noimport" / "probe.a001");
  atomic_write_file(d / "noimport" / "probe.a001" / "record.json", to_json(bad));
  FoldReport report;
  auto run = fold({{d}, {}, {}}, report);
  EXPECT_EQ(find(run, "broken").category, "install_failure");
  EXPECT_EQ(find(run, "broken").install_error, "pip install failed: no matching distribution");
  EXPECT_EQ(find(run, "fallback").category, "compatible_gil_fallback");
  EXPECT_EQ(find(run, "noimport").category, "import_failure");
}

TEST(Fold, CTestJUnitFillsWhatRecordsCannotSay) {
  auto d = scratch_dir();
  attempt(d / "rec", "slow", "gil0", 1, Outcome::Pass);
  std::ofstream(d / "ctest.xml")
      << "<?xml version=\"1.0\"?><testsuite>"
         "<testcase name=\"ft.nosetup.setup\" classname=\"ft.nosetup.setup\" status=\"fail\"><failure message=\"Failed\"/></testcase>"
         "<testcase name=\"ft.nosetup.gil0.iter01\" classname=\"x\" status=\"notrun\"><skipped message=\"Fixture dependency failed\"/></testcase>"
         "<testcase name=\"ft.slow.gil0.iter01\" classname=\"x\" status=\"run\"/>"
         // As CTest 3.25 writes a run it killed: no word of the timeout, only the time.
         "<testcase name=\"ft.slow.gil0.iter02\" classname=\"x\" time=\"90.5\" status=\"fail\"><failure message=\"\"/></testcase>"
         "</testsuite>";
  started(d / "rec", "slow", "gil0.iter02.a001", 60);
  FoldReport report;
  auto run = fold({{d / "rec"}, {d / "ctest.xml"}, {}}, report);
  EXPECT_EQ(find(run, "nosetup").category, "install_failure");
  const auto& slow = find(run, "slow");
  EXPECT_EQ(slow.iterations_completed, 2);
  EXPECT_EQ(slow.timeout_count, 1);
  EXPECT_EQ(slow.category, "intermittent");
  EXPECT_EQ(report.lost, 1);
}

// What CTest 3.25 really writes (data/ctest_run/README): the driver passes the JUnit AND
// Test.xml of the same run; the record-less timeout must count once, as a timeout.
TEST(Fold, RealCTestFilesTogetherCountALostAttemptOnceAsATimeout) {
  auto d = scratch_dir();
  const fs::path data = fs::path(LABEILLE_FT_SOURCE_DIR) / "tests/analyzers/data/ctest_run";
  attempt(d / "rec", "q", "gil0", 2, Outcome::Pass);
  for (bool xml_first : {false, true}) {
    FoldInputs in{{d / "rec"}, {data / "junit.xml"}, {data / "Test.xml"}};
    if (xml_first) in.ctest_junit.push_back(data / "junit.xml");  // the same file twice too
    FoldReport report;
    auto run = fold(in, report);
    EXPECT_EQ(report.lost, 1);
    const auto& q = find(run, "q");
    EXPECT_EQ(q.iterations_completed, 2);
    EXPECT_EQ(q.timeout_count, 1);
    EXPECT_EQ(q.pass_count, 1);
    EXPECT_EQ(q.category, "intermittent");
    const auto& p = find(run, "p");
    EXPECT_EQ(p.category, "install_failure");
    EXPECT_EQ(p.iterations_completed, 0);
  }
}

// No Test.xml and no started.json (records from an older runner): a plain failure.
TEST(Fold, RealCTestJUnitAloneWithoutAMarkerIsAFailure) {
  auto d = scratch_dir();
  fs::create_directories(d / "rec");
  const fs::path data = fs::path(LABEILLE_FT_SOURCE_DIR) / "tests/analyzers/data/ctest_run";
  FoldReport report;
  auto run = fold({{d / "rec"}, {data / "junit.xml"}, {}}, report);
  EXPECT_EQ(report.lost, 1);
  const auto& q = find(run, "q");
  ASSERT_EQ(q.iterations_completed, 1);
  EXPECT_EQ(q.fail_count, 1);
  EXPECT_EQ(q.iterations[0].last_output_line, "no record: CTest says Failed");
  EXPECT_EQ(find(run, "p").install_error, "ft.p.setup failed (Failed, no set-up record)");
}

// ctest --repeat until-pass:2: a001 failed with its record, a002 was killed by CTest's
// TIMEOUT and left its claimed directory empty. Both are measured runs.
// The real JUnit says only "fail" and time="1.01125" for ft.q.gil0.iter01 (CTest killed
// it on its TIMEOUT 1). The runner's started.json gives its own timeout: past it, CTest's
// kill is a timeout; well before it, something else killed the runner: a failure.
TEST(Fold, RealCTestJUnitAndTheStartedMarkerTellATimeoutFromAKill) {
  const fs::path data = fs::path(LABEILLE_FT_SOURCE_DIR) / "tests/analyzers/data/ctest_run";
  for (double runner_timeout : {1.0, 30.0}) {
    auto d = scratch_dir();
    started(d / "rec", "q", "gil0.iter01.a001", runner_timeout);
    FoldReport report;
    auto run = fold({{d / "rec"}, {data / "junit.xml"}, {}}, report);
    EXPECT_EQ(report.lost, 1);
    const auto& q = find(run, "q");
    ASSERT_EQ(q.iterations_completed, 1);
    const auto& it = q.iterations[0];
    EXPECT_EQ(it.attempt_id, "host:1:2:gil0.iter01.a001");
    EXPECT_DOUBLE_EQ(it.duration_s, 1.01125);
    if (runner_timeout == 1.0) {
      EXPECT_EQ(it.status, "timeout");
      EXPECT_EQ(q.timeout_count, 1);
      EXPECT_EQ(it.last_output_line, "no record: CTest killed the runner after 1.0 s, past its own timeout of 1 s");
    } else {
      EXPECT_EQ(it.status, "fail");
      EXPECT_EQ(q.timeout_count, 0);
      EXPECT_EQ(it.last_output_line,
                "no record: the runner was killed after 1.0 s, before its own timeout of 30 s");
    }
    EXPECT_EQ(q.category, "incompatible");
  }
}

TEST(Fold, EmptyAttemptDirOfATestCTestKilledIsALostTimeout) {
  auto d = scratch_dir();
  attempt(d / "rec", "r", "gil0", 1, Outcome::Fail, 1);
  fs::create_directories(d / "rec/r/gil0.iter01.a002");
  fs::create_directories(d / "rec/r/gil0.iter02.a001");  // still running: CTest says nothing
  attempt(d / "shard", "r", "gil0", 3, Outcome::Pass, 1);
  fs::create_directories(d / "rec/r/gil0.iter03.a001");  // a copy taken mid-write; the record is in the other shard
  std::ofstream(d / "Test.xml")
      << "<?xml version=\"1.0\"?><Site><Testing>"
         "<Test Status=\"failed\"><Name>ft.r.gil0.iter01</Name><Results>"
         "<NamedMeasurement type=\"text/string\" name=\"Exit Code\"><Value>Timeout</Value></NamedMeasurement>"
         "</Results></Test>"
         "<Test Status=\"passed\"><Name>ft.r.gil0.iter03</Name><Results/></Test>"
         "</Testing></Site>";
  FoldReport report;
  auto run = fold({{d / "rec", d / "shard"}, {}, {d / "Test.xml"}}, report);
  EXPECT_EQ(report.lost, 1);
  const auto& r = find(run, "r");
  ASSERT_EQ(r.iterations_completed, 3);
  EXPECT_EQ(r.iterations[0].status, "fail");
  EXPECT_EQ(r.iterations[1].status, "timeout");
  EXPECT_EQ(r.iterations[1].attempt, 2);
  EXPECT_EQ(r.iterations[1].last_output_line, "no record: CTest says Timeout");
  EXPECT_EQ(r.iterations[2].status, "pass");
  EXPECT_EQ(r.category, "intermittent");
}

// TEST_PREFIX (docs/cmake.md): CTest knows the tests as "nightly.ft.<pkg>...", the runner
// was told that name too; the fold matches them by their "ft." part.
TEST(Fold, PrefixedTestNamesMatchRecordsAndAttemptDirectories) {
  auto d = scratch_dir();
  auto dir = attempt(d / "rec", "p", "gil0", 1, Outcome::Pass);
  auto rec = std::get<AttemptRecord>(parse_record(read_file(dir / "record.json"), "record.json"));
  rec.test_name = "nightly.ft.p.gil0.iter01";
  atomic_write_file(dir / "record.json", to_json(rec));
  fs::create_directories(d / "rec/p/gil0.iter02.a001");  // the runner was killed: no record
  std::ofstream(d / "ctest.xml")
      << "<?xml version=\"1.0\"?><testsuite>"
         "<testcase name=\"nightly.ft.p.gil0.iter01\" classname=\"x\" status=\"fail\"><failure message=\"\"/></testcase>"
         "<testcase name=\"nightly.ft.p.gil0.iter02\" classname=\"x\" status=\"fail\"><failure message=\"\"/></testcase>"
         "<testcase name=\"nightly.ft.q.setup\" classname=\"x\" status=\"fail\"><failure message=\"\"/></testcase>"
         "</testsuite>";
  FoldReport report;
  auto run = fold({{d / "rec"}, {d / "ctest.xml"}, {}}, report);
  EXPECT_EQ(report.lost, 1) << "iter01 has its record; iter02 left an empty attempt directory";
  const auto& p = find(run, "p");
  ASSERT_EQ(p.iterations_completed, 2);
  EXPECT_EQ(p.iterations[0].status, "pass");
  EXPECT_EQ(p.iterations[1].status, "fail");
  EXPECT_EQ(p.iterations[1].attempt, 1);
  EXPECT_EQ(find(run, "q").category, "install_failure");
}

TEST(Fold, WriteAndReadBackIsStableAndKeepsMetaKeys) {
  auto d = scratch_dir();
  attempt(d / "rec", "a", "gil0", 1, Outcome::Pass);
  FoldReport report;
  auto run = fold({{d / "rec"}, {}, {}}, report);
  write_run(run, d / "out", R"({"run_id": "ft_20260101_000000", "config": {"iterations": 1}})");
  auto first = read_file(d / "out" / "ft_results.jsonl");
  write_run(fold({{d / "rec"}, {}, {}}, report), d / "out", read_file(d / "out" / "ft_meta.json"));
  EXPECT_EQ(read_file(d / "out" / "ft_results.jsonl"), first);
  auto back = read_run(d / "out");
  EXPECT_EQ(meta_string(back.meta_json, "run_id"), "ft_20260101_000000");
  EXPECT_EQ(meta_string(back.meta_json, "config.iterations"), "1");
  EXPECT_EQ(meta_string(back.meta_json, "packages_total"), "1");
  ASSERT_EQ(back.packages.size(), 1u);
  EXPECT_EQ(package_to_json_line(back.packages[0]), package_to_json_line(run.packages[0]));
  EXPECT_NE(read_file(d / "out" / "ft_summary.json").find("\"compatible\": 1"), std::string::npos);
}

}  // namespace labeille::analyzers
