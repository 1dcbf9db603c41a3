// Root causes in every view, the blockers they add up to, and source-tree shadowing: fold
// on hand-written set-up and probe records (laid out as the set-up step writes them), then
// every view.
#include "labeille/analyzers/blockers.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "labeille/analyzers/evidence.hpp"
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

// The lines the set-up step read from real pip and uv logs (tests/fixtures/install-logs).
const std::string kCffiLine =
    "RuntimeError: CFFI does not support the free-threaded build of CPython 3.13. Upgrade to free-threaded 3.14 or "
    "newer to use CFFI with the free-threaded build.";
const std::string kPyO3Line =
    "PyO3 does not support the free-threaded build of CPython versions below 3.14, the selected Python version is 3.13";
const std::string kCompilerLine = "src/crc32c/ext/_crc32c.c:30:10: fatal error: checkarm.h: No such file or directory";

CauseInfo cause(const std::string& dep, const std::string& version, const std::string& role, const std::string& line,
                bool blocks) {
  CauseInfo c;
  c.step = "install";
  c.dependency = dep;
  c.version = version;
  c.role = role;
  c.failure = "failed to build";
  c.line = line;
  c.blocks = blocks;
  return c;
}

void failed_setup(const fs::path& rec, const std::string& pkg, const CauseInfo& c, const std::string& declared = "") {
  SetupRecord s;
  s.package = pkg;
  s.attempt_id = "host:setup:" + pkg;
  s.ok = false;
  s.stage = "install";
  s.install_from = "sdist";
  s.start_time = "2026-12-01T10:00:00.000Z";
  s.error = cause_sentence(c);
  s.cause = c;
  s.source = SourceInfo{"sdist", "1.0", {}, {}, {}, {}, {}};
  if (!declared.empty()) s.declared = parse_declared_info(declared, "test");
  fs::create_directories(rec / pkg / "setup.a001");
  atomic_write_file(rec / pkg / "setup.a001" / "record.json", to_json(s));
}

RunResults fold_and_read(const fs::path& rec, const fs::path& out) {
  FoldReport rep;
  fold_to_dir({{rec}, {}, {}}, rep, out, "{\"run_id\": \"ft_test\"}");
  auto run = read_run(out, ReadOptions::everything());
  run.dir = "ft_test";
  return run;
}

std::vector<std::string> every_view(const RunResults& run) {
  return {render_show(run, SortBy::Name, 0, Style{}), render_report(run, "markdown"), render_report(run, "text"),
          render_report(run, "html"),                 render_export(run, "csv"),       render_export(run, "json"),
          render_export(run, "junit")};
}

// Nine packages blocked by cffi, one by hypothesis, one failing on its own C code.
RunResults registry_like_run(const fs::path& d, int cffi_packages) {
  for (int i = 0; i < cffi_packages; ++i)
    failed_setup(d / "rec", fmt::format("needs-cffi-{}", i), cause("cffi", "2.1.1", "a test dependency", kCffiLine, true));
  failed_setup(d / "rec", "attrs", cause("hypothesis", "6.170.27", "a test dependency", kPyO3Line, true));
  failed_setup(d / "rec", "crc32c", cause("crc32c", "2.7", "", kCompilerLine, false),
               R"({"classifier_level":null,"ft_wheel":true,"ft_wheel_tags":["cp313-cp313t-manylinux_2_17_x86_64"],"error":null})");
  return fold_and_read(d / "rec", d / "run");
}

TEST(Blockers, CountedPerDependencyMostPackagesFirst) {
  auto d = scratch_dir();
  auto run = registry_like_run(d, 9);
  auto list = blockers(run);
  ASSERT_EQ(list.size(), 2u);  // crc32c fails on its own: no blocker
  EXPECT_EQ(list[0].dependency, "cffi");
  EXPECT_EQ(list[0].packages.size(), 9u);
  EXPECT_EQ(list[0].roles, std::vector<std::string>{"a test dependency"});
  EXPECT_EQ(blocker_cause(list[0]), "cffi 2.1.1 failed to build: " + kCffiLine);
  EXPECT_EQ(list[1].dependency, "hypothesis");
  EXPECT_EQ(list[1].packages, std::vector<std::string>{"attrs"});

  const auto md = render_report(run, "markdown");
  EXPECT_NE(md.find("## Blockers"), std::string::npos) << md;
  EXPECT_NE(md.find("| cffi | 9 | needs-cffi-0, needs-cffi-1"), std::string::npos) << md;
  EXPECT_NE(md.find("| hypothesis | 1 | attrs | a test dependency |"), std::string::npos) << md;
  EXPECT_LT(md.find("| cffi | 9"), md.find("| hypothesis | 1"));
  EXPECT_NE(render_show(run, SortBy::Name, 0, Style{}).find("cffi blocks 9 packages (a test dependency)"),
            std::string::npos);
  EXPECT_NE(render_report(run, "html").find("<h2>Blockers</h2>"), std::string::npos);
}

TEST(Blockers, EveryViewStatesTheCauseNotTheWrapper) {
  auto d = scratch_dir();
  auto run = registry_like_run(d, 1);
  for (const auto& view : every_view(run)) {
    EXPECT_NE(view.find("hypothesis 6.170.27 (a test dependency) failed to build: PyO3 does not support"),
              std::string::npos)
        << view.substr(0, 3000);
    EXPECT_NE(view.find("checkarm.h: No such file or directory"), std::string::npos) << view.substr(0, 3000);
  }
  // The row's own cause is kept in ft_results.jsonl under our key.
  const auto lines = read_file(d / "run" / "ft_results.jsonl");
  EXPECT_NE(lines.find(R"("setup_cause":{"step":"install","dependency":"hypothesis","version":"6.170.27")"),
            std::string::npos)
      << lines;
}

TEST(Blockers, AFailedSdistBuildIsNoContradictionOfTheWheel) {
  auto d = scratch_dir();
  auto run = registry_like_run(d, 1);
  const PackageResult* crc = nullptr;
  for (const auto& p : run.packages)
    if (p.package == "crc32c") crc = &p;
  ASSERT_TRUE(crc);
  EXPECT_TRUE(contradictions(*crc).empty());
  EXPECT_EQ(untested_wheel(*crc), "the sdist build failed; the cp313t wheel was not tested");
  for (const auto& view : every_view(run)) {
    EXPECT_EQ(view.find("contradiction: publishes"), std::string::npos) << view.substr(0, 3000);
    EXPECT_EQ(view.find("measured install_failure"), std::string::npos) << view.substr(0, 3000);
  }
  EXPECT_NE(render_show(run, SortBy::Name, 0, Style{}).find("the cp313t wheel was not tested"), std::string::npos);
}

TEST(Blockers, CompareShowsBlockersThatAppearAndDisappear) {
  auto a_dir = scratch_dir();
  auto a = registry_like_run(a_dir, 3);
  // Run B: a newer cffi fixed, a new blocker appeared.
  auto b_dir = a_dir / "b";
  failed_setup(b_dir / "rec", "attrs", cause("hypothesis", "6.170.27", "a test dependency", kPyO3Line, true));
  failed_setup(b_dir / "rec", "pkg", cause("maturin-thing", "1.0", "a build requirement", "boom", true));
  auto b = fold_and_read(b_dir / "rec", b_dir / "run");
  const auto text = render_compare(a, b, false);
  EXPECT_NE(text.find("Blockers appeared (1)\n  + maturin-thing blocks 1 package (pkg)"), std::string::npos) << text;
  EXPECT_NE(text.find("Blockers gone (1)\n  - cffi blocks 3 packages"), std::string::npos) << text;
  const auto json = render_compare(a, b, true);
  EXPECT_NE(json.find("\"blockers_appeared\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"blockers_disappeared\""), std::string::npos) << json;
}

// pytest's output when the source tree shadows the installed package's extension.
constexpr const char* kShadowed =
    "collected 0 items / 1 error\n\n"
    "==================================== ERRORS ====================================\n"
    "_____________________ ERROR collecting tests/test_answer.py _____________________\n"
    "ImportError while importing test module '/src/rc-flat-shadow/tests/test_answer.py'.\n"
    "tests/test_answer.py:1: in <module>\n"
    "    import rc_flat_shadow\n"
    "rc_flat_shadow/__init__.py:1: in <module>\n"
    "    from rc_flat_shadow._ext import answer  # noqa: F401\n"
    "E   ModuleNotFoundError: No module named 'rc_flat_shadow._ext'\n"
    "=========================== short test summary info ============================\n"
    "ERROR tests/test_answer.py\n"
    "!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!\n";

TEST(Blockers, SourceTreeShadowingIsSaidWithItsFixNeverIncompatible) {
  auto d = scratch_dir();
  const fs::path rec = d / "rec";
  for (const std::string pkg : {"rc-flat-shadow", "missing-dep"}) {
    SetupRecord s;
    s.package = pkg;
    s.attempt_id = "host:setup:" + pkg;
    s.ok = true;
    s.source_dir = "/src/" + pkg;
    fs::create_directories(rec / pkg / "setup.a001");
    atomic_write_file(rec / pkg / "setup.a001" / "record.json", to_json(s));
    ProbeRecord pr;
    pr.package = pkg;
    pr.attempt_id = "host:probe:" + pkg;
    pr.ok = true;
    ExtensionInfo x;
    x.module = "rc_flat_shadow._ext";
    x.import_ok = true;
    if (pkg == "rc-flat-shadow") pr.extensions.push_back(x);
    fs::create_directories(rec / pkg / "probe.a001");
    atomic_write_file(rec / pkg / "probe.a001" / "record.json", to_json(pr));
    for (int i = 1; i <= 2; ++i) {
      AttemptRecord r;
      r.package = pkg;
      r.mode = "gil0";
      r.gil = GilMode::Off;
      r.iteration = i;
      r.attempt = 1;
      r.test_name = fmt::format("ft.{}.gil0.iter{:02d}", pkg, i);
      r.attempt_id = fmt::format("host:{}:{}", pkg, i);
      r.outcome = Outcome::TestsNotRun;
      r.exit_code = 2;
      r.out.tail = kShadowed;
      // The detail the classifier writes (observe/classify.hpp).
      r.detail = tests_not_run_detail(2, pytest_not_run_reason(2, kShadowed, ""));
      auto dir = rec / pkg / fmt::format("gil0.iter{:02d}.a001", i);
      fs::create_directories(dir);
      atomic_write_file(dir / "record.json", to_json(r));
    }
  }
  auto run = fold_and_read(rec, d / "run");
  for (const auto& p : run.packages) {
    EXPECT_EQ(p.category, "unknown") << p.package;
    const bool shadowed = p.tests_not_run.find("source tree") != std::string::npos;
    // Only where the probe imported that very module from the venv.
    EXPECT_EQ(shadowed, p.package == "rc-flat-shadow") << p.tests_not_run;
    if (p.package != "rc-flat-shadow") continue;
    EXPECT_EQ(p.tests_not_run.rfind("the suite imports the source tree at /src/rc-flat-shadow instead of the "
                                    "installed package (the probe imported rc_flat_shadow._ext from the venv): ",
                                    0),
              0u)
        << p.tests_not_run;
    EXPECT_NE(p.tests_not_run.find("--import-mode=importlib"), std::string::npos);
    for (const auto& view : every_view(run)) EXPECT_NE(view.find("source tree"), std::string::npos);
  }
}

}  // namespace
}  // namespace labeille::analyzers
