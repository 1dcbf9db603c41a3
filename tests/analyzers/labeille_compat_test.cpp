// Both directions between this tool and the Python labeille tool (docs/records.md, "The
// Python labeille tool's result directory"):
// - data/labeille_run was written by labeille's own writer (its save_ft_run on its
//   dataclasses: crashes with SIGSEGV and SIGABRT, a deadlock, TSAN warning lists, GIL=1
//   runs, an extension that re-enabled the GIL, an install failure, a category we lack);
//   every reader of ours takes it, field for field;
// - what fold writes keeps every key labeille defines with labeille's name and JSON type,
//   and the keys its from_dict requires, checked line by line against that schema.
#include <cstdlib>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "labeille/analyzers/fold.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/record.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;
namespace rj = rapidjson;

namespace labeille::analyzers {

namespace {

const fs::path kLabeilleRun = fs::path(LABEILLE_FT_SOURCE_DIR) / "tests/analyzers/data/labeille_run";

using test_support::scratch_dir;

const PackageResult& find(const RunResults& run, const std::string& name) {
  for (const auto& p : run.packages)
    if (p.package == name) return p;
  throw std::runtime_error("no package " + name);
}

// labeille's JSON types, as its dataclasses declare them (docs/records.md).
enum T { Str = 1, Int = 2, Num = 4, Bool = 8, Null = 16, Arr = 32, Obj = 64 };

int type_of(const rj::Value& v) {
  if (v.IsString()) return Str;
  if (v.IsBool()) return Bool;
  if (v.IsNull()) return Null;
  if (v.IsArray()) return Arr;
  if (v.IsObject()) return Obj;
  if (v.IsInt64() || v.IsUint64()) return Int | Num;
  return Num;
}

// Every key labeille's writer emits for `what`, with its type; `required`: its from_dict
// fails (the line is skipped as malformed) without it.
void check_keys(const rj::Value& o, const std::map<std::string, int>& schema, const std::set<std::string>& required,
                const std::string& where) {
  ASSERT_TRUE(o.IsObject()) << where;
  for (const auto& k : required) EXPECT_TRUE(o.HasMember(k.c_str())) << where << ": no " << k;
  for (const auto& [k, t] : schema) {
    if (!o.HasMember(k.c_str())) continue;
    EXPECT_TRUE(type_of(o[k.c_str()]) & t) << where << "." << k << ": labeille's type is " << t << ", got "
                                           << type_of(o[k.c_str()]);
  }
}

void check_iteration(const rj::Value& it, const std::string& where) {
  check_keys(it,
             {{"index", Int}, {"status", Str}, {"exit_code", Int | Null}, {"duration_s", Num},
              {"crash_signal", Str | Null}, {"crash_signature", Str | Null}, {"tsan_warnings", Arr},
              {"output_stalled", Bool}, {"last_output_line", Str}, {"stderr_tail", Str}, {"test_results", Obj},
              {"tests_passed", Int | Null}, {"tests_failed", Int | Null}, {"tests_errored", Int | Null},
              {"tests_skipped", Int | Null}},
             {"index", "status"}, where);
  static const std::set<std::string> statuses = {"pass", "fail", "crash", "timeout", "deadlock"};
  EXPECT_TRUE(statuses.count(it["status"].GetString())) << where << ".status: " << it["status"].GetString();
  if (it.HasMember("crash_signal") && it["crash_signal"].IsString()) {
    EXPECT_EQ(std::string(it["crash_signal"].GetString()).rfind("SIG", 0), 0u) << where;
  }
  for (const auto& w : it["tsan_warnings"].GetArray()) EXPECT_TRUE(w.IsString()) << where << ".tsan_warnings";
  static const std::set<std::string> test_statuses = {"PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"};
  for (const auto& m : it["test_results"].GetObject())
    EXPECT_TRUE(test_statuses.count(m.value.GetString())) << where << ".test_results: " << m.value.GetString();
}

// One line of ft_results.jsonl against labeille's FTPackageResult.to_dict / from_dict.
void check_package_line(const std::string& line, const std::string& where) {
  rj::Document d;
  d.Parse(line.c_str());
  ASSERT_FALSE(d.HasParseError()) << where;
  check_keys(d,
             {{"package", Str}, {"category", Str}, {"iterations_completed", Int}, {"pass_count", Int},
              {"fail_count", Int}, {"crash_count", Int}, {"timeout_count", Int}, {"deadlock_count", Int},
              {"tsan_warning_iterations", Int}, {"pass_rate", Num}, {"mean_duration_s", Num},
              {"failure_signatures", Arr}, {"tsan_warning_types", Arr}, {"flaky_tests", Obj}, {"install_ok", Bool},
              {"install_error", Str | Null}, {"install_duration_s", Num}, {"import_ok", Bool},
              {"import_error", Str | Null}, {"commit", Str | Null}, {"install_from", Str},
              {"sdist_version", Str | Null}, {"sdist_tag_matched", Bool | Null}, {"ft_wheel_found", Bool | Null},
              {"ft_wheel_version", Str | Null}, {"iterations", Arr}, {"extension_compat", Obj},
              {"gil_enabled_pass_rate", Num}, {"gil_enabled_iterations", Arr}},
             {"package", "category", "iterations"}, where);
  static const std::set<std::string> categories = {
      "compatible",   "compatible_by_wheel", "compatible_gil_fallback", "intermittent",    "incompatible",
      "crash",        "deadlock",            "tsan_warnings",           "install_failure", "import_failure",
      "unknown"};
  EXPECT_TRUE(categories.count(d["category"].GetString())) << where;
  int i = 0;
  for (const auto& it : d["iterations"].GetArray()) check_iteration(it, fmt::format("{}.iterations[{}]", where, i++));
  if (d.HasMember("gil_enabled_iterations")) {
    i = 0;
    for (const auto& it : d["gil_enabled_iterations"].GetArray())
      check_iteration(it, fmt::format("{}.gil_enabled_iterations[{}]", where, i++));
  }
  if (d.HasMember("extension_compat")) {
    const auto& e = d["extension_compat"];
    check_keys(e,
               {{"package", Str}, {"is_pure_python", Bool}, {"extensions", Arr}, {"gil_fallback_active", Bool},
                {"all_extensions_compatible", Bool}, {"import_ok", Bool}, {"import_error", Str | Null},
                {"probe_error", Str | Null}, {"source_scan", Obj}},
               {"package"}, where + ".extension_compat");
    for (const auto& x : e["extensions"].GetArray())
      check_keys(x,
                 {{"module_name", Str}, {"is_extension", Bool}, {"import_ok", Bool}, {"import_error", Str | Null},
                  {"triggered_gil_fallback", Bool}},
                 {"module_name"}, where + ".extension_compat.extensions");
  }
}

// A run of ours with every kind of evidence: a crash, a deadlock, TSAN reports, GIL=1
// runs and an extension that re-enabled the GIL.
fs::path fold_rich_run(const fs::path& d) {
  const auto rec = d / "records";
  auto write = [&](const std::string& pkg, const std::string& mode, int iter, Outcome o,
                   std::vector<TsanReport> tsan = {}) {
    AttemptRecord r;
    r.package = pkg;
    r.mode = mode;
    r.gil = *gil_mode_from_string(mode);
    r.iteration = iter;
    r.attempt = 1;
    r.test_name = fmt::format("ft.{}.{}.iter{:02d}", pkg, mode, iter);
    r.attempt_id = r.test_name;
    r.outcome = o;
    r.duration_s = 2;
    if (o == Outcome::Crash) r.crash = CrashInfo{11, "SIGSEGV", "", {"pkg/a.py:3 f"}, "SIGSEGV | pkg/a.py:3 f"};
    if (o == Outcome::Deadlock) {
      r.stall.detected = true;
      r.stall.cpu_state = "idle";
    }
    r.tsan_enabled = !tsan.empty();
    for (const auto& t : tsan) r.tsan_count += t.count;
    r.tsan = std::move(tsan);
    auto dir = rec / pkg / fmt::format("{}.iter{:02d}.a001", mode, iter);
    fs::create_directories(dir);
    atomic_write_file(dir / "record.json", to_json(r));
    if (o == Outcome::Fail || o == Outcome::Pass)
      std::ofstream(dir / "junit.xml")
          << "<?xml version=\"1.0\"?><testsuites><testsuite name=\"pytest\">"
             "<testcase classname=\"tests.test_x\" name=\"test_a\"/><testcase classname=\"tests.test_x\" name=\"test_b\">"
          << (o == Outcome::Fail ? "<failure message=\"boom\">t</failure>" : "") << "</testcase></testsuite></testsuites>";
  };
  TsanReport race;
  race.type = race.kind = "data race";
  race.stacks = {{"bump _c.c:8"}, {"bump _c.c:8"}};
  race.frames = race.stacks[0];
  race.location = "_c.c:8";
  race.signature = "data race | bump _c.c:8";
  race.count = 3;
  write("crashy", "gil0", 1, Outcome::Crash);
  write("crashy", "gil0", 2, Outcome::Pass);
  write("crashy", "gil1", 1, Outcome::Pass);
  write("crashy", "gil1", 2, Outcome::Pass);
  write("stucky", "gil0", 1, Outcome::Deadlock);
  write("racy", "gil0", 1, Outcome::Pass, {race});
  write("flippy", "gil0", 1, Outcome::Fail);
  write("flippy", "gil0", 2, Outcome::Pass);
  ProbeRecord pr;
  pr.attempt_id = "p1";
  pr.package = "crashy";
  pr.ok = true;
  pr.gil_reenabled_by = "crashy._speedups";
  pr.extensions = {{"crashy._speedups", "/x.so", true, "", true, "none"}};
  fs::create_directories(rec / "crashy" / "probe.a001");
  atomic_write_file(rec / "crashy" / "probe.a001" / "record.json", to_json(pr));
  FoldReport report;
  FoldInputs in;
  in.record_dirs = {rec};
  fold_to_dir(in, report, d / "run", "{}");
  return d / "run";
}

}  // namespace

TEST(LabeilleCompat, ReadsARunLabeilleWrote) {
  auto run = read_run(kLabeilleRun);
  ASSERT_EQ(run.packages.size(), 6u);
  const auto& crashy = find(run, "crashy");
  EXPECT_EQ(crashy.category, "crash");
  EXPECT_EQ(crashy.crash_count, 2);
  EXPECT_EQ(crashy.iterations.at(0).crash_signal, "SIGSEGV");
  EXPECT_EQ(crashy.iterations.at(2).crash_signal, "SIGABRT");
  EXPECT_EQ(crashy.iterations.at(1).test_results.at(0).status, "passed");
  ASSERT_TRUE(crashy.extension_compat);
  ASSERT_EQ(crashy.extension_compat->extensions.size(), 1u);
  EXPECT_EQ(crashy.extension_compat->extensions[0].module, "crashy._speedups");
  EXPECT_EQ(crashy.extension_compat->extensions[0].reenabled_gil, true);
  EXPECT_EQ(crashy.extension_compat->gil_enabled_after_import, true);

  const auto& stucky = find(run, "stucky");
  EXPECT_EQ(stucky.category, "deadlock");
  EXPECT_EQ(stucky.deadlock_count, 1);
  EXPECT_EQ(stucky.timeout_count, 2);
  EXPECT_EQ(stucky.iterations.at(0).status, "deadlock");
  EXPECT_TRUE(stucky.iterations.at(0).output_stalled);

  const auto& racy = find(run, "racy-counter");
  EXPECT_EQ(racy.category, "tsan_warnings");
  EXPECT_EQ(racy.tsan_warning_iterations, 2);
  EXPECT_EQ(racy.iterations.at(1).tsan_warnings, (std::vector<std::string>{"data race", "thread leak"}));
  EXPECT_EQ(racy.iterations.at(1).tsan_warning_count, 2);
  EXPECT_EQ(racy.tsan_warning_types, (std::vector<std::string>{"data race", "thread leak"}));

  const auto& flippy = find(run, "flippy");
  EXPECT_EQ(flippy.category, "intermittent");
  EXPECT_EQ(flippy.flaky_tests.at("tests/test_f.py::test_flip"), 2);
  EXPECT_EQ(flippy.gil_enabled_iterations, 2);
  EXPECT_EQ(flippy.gil_enabled_runs.size(), 2u);
  EXPECT_EQ(flippy.gil_enabled_pass_count, 2);
  EXPECT_DOUBLE_EQ(flippy.gil_enabled_duration_s, 4.75);
  std::map<std::string, std::string> statuses;
  for (const auto& t : flippy.iterations.at(1).test_results) statuses[t.id] = t.status;
  EXPECT_EQ(statuses.at("tests/test_f.py::test_flip"), "failed");
  EXPECT_EQ(statuses.at("tests/test_f.py::test_xf"), "skipped");  // XFAIL

  EXPECT_EQ(find(run, "nobuild").category, "install_failure");
  const auto& wheely = find(run, "wheely");
  EXPECT_EQ(wheely.category, "compatible_by_wheel");  // a category of labeille's only: kept
  EXPECT_EQ(wheely.ft_wheel_found, true);
  EXPECT_EQ(wheely.ft_wheel_version, "2.0.1");

  EXPECT_EQ(meta_string(run.meta_json, "system_profile.cpu_model"), "AMD EPYC 7B13");
  const auto show = render_show(run, SortBy::Category, 0, Style{});
  EXPECT_NE(show.find("System: ci-7 (8 CPUs)"), std::string::npos) << show;
  EXPECT_NE(show.find("SIGABRT | Fatal Python error: _PyMutex_Unlock"), std::string::npos) << show;
  for (const char* view : {"markdown", "text", "html"}) EXPECT_FALSE(render_report(run, view).empty()) << view;
  for (const char* view : {"csv", "json", "junit"}) EXPECT_FALSE(render_export(run, view).empty()) << view;
}

// Read labeille's, written back by us: labeille's keys keep their values and types.
TEST(LabeilleCompat, ALabeilleRunWrittenBackKeepsItsFields) {
  auto d = scratch_dir();
  write_run(read_run(kLabeilleRun), d, read_file(kLabeilleRun / "ft_meta.json"));
  std::ifstream in(d / "ft_results.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) check_package_line(line, fmt::format("line {}", ++n));
  EXPECT_EQ(n, 6);
  auto back = read_run(d);
  const auto& racy = find(back, "racy-counter");
  EXPECT_EQ(racy.iterations.at(1).tsan_warnings, (std::vector<std::string>{"data race", "thread leak"}));
  EXPECT_EQ(find(back, "crashy").iterations.at(0).crash_signal, "SIGSEGV");
  EXPECT_EQ(find(back, "flippy").gil_enabled_runs.size(), 2u);
  EXPECT_EQ(find(back, "wheely").ft_wheel_found, true);
  EXPECT_EQ(meta_string(back.meta_json, "system_profile.os_distro"), "Debian GNU/Linux 12 (bookworm)");
}

// What fold writes from records, line by line against labeille's schema.
TEST(LabeilleCompat, FoldWritesLabeillesKeysWithLabeillesTypes) {
  auto d = scratch_dir();
  const auto run_dir = fold_rich_run(d);
  std::ifstream in(run_dir / "ft_results.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) check_package_line(line, fmt::format("line {}", ++n));
  EXPECT_EQ(n, 4);
  auto run = read_run(run_dir);
  const auto& crashy = find(run, "crashy");
  EXPECT_EQ(crashy.iterations.at(0).crash_signal, "SIGSEGV");
  EXPECT_EQ(crashy.gil_enabled_iterations, 2);
  EXPECT_EQ(crashy.gil_enabled_runs.size(), 2u);
  EXPECT_EQ(find(run, "racy").iterations.at(0).tsan_warnings, std::vector<std::string>{"data race"});
  EXPECT_EQ(find(run, "racy").iterations.at(0).tsan_warning_count, 3);
  EXPECT_EQ(find(run, "stucky").category, "deadlock");
  // A --meta without system_profile (the CMake module's seed): the folding machine's.
  EXPECT_EQ(meta_string(run.meta_json, "system_profile.os_name"), "Linux");
  EXPECT_FALSE(meta_string(run.meta_json, "system_profile.cpu_model").empty());
  // ft_summary.json: labeille's FTRunSummary keys.
  rj::Document s;
  const auto summary = read_file(run_dir / "ft_summary.json");
  s.Parse(summary.c_str());
  ASSERT_TRUE(s.IsObject());
  EXPECT_EQ(s["total_packages"].GetInt(), 4);
  EXPECT_TRUE(s["pass_rate_distribution"].IsObject());
  EXPECT_EQ(s["extension_count"].GetInt(), 1);
  EXPECT_EQ(s["tsan_warning_count"].GetInt(), 1);
}

// labeille's own load_ft_run on what we write: every line read (its reader skips a line it
// cannot take, logging "Skipping malformed JSONL line"), with our values.
TEST(LabeilleCompat, LabeillesOwnReaderReadsEveryLineOfOurs) {
  const std::string python = LABEILLE_FT_TEST_LABEILLE_PYTHON;
  if (python.empty())
    GTEST_SKIP() << "LABEILLE_FT_TEST_LABEILLE_PYTHON is not set (a Python with labeille installed)";
  auto d = scratch_dir();
  const auto ours = fold_rich_run(d);
  write_run(read_run(kLabeilleRun), d / "rewritten", read_file(kLabeilleRun / "ft_meta.json"));
  const std::string script =
      "import sys, pathlib\n"
      "from labeille.ft.results import load_ft_run\n"
      "for d in sys.argv[1:]:\n"
      "    meta, results = load_ft_run(pathlib.Path(d))\n"
      "    lines = sum(1 for l in open(pathlib.Path(d) / 'ft_results.jsonl') if l.strip())\n"
      "    print(len(results), lines, meta.system_profile.cpu_model)\n"
      "    for r in results:\n"
      "        for it in r.iterations + (r.gil_enabled_iterations or []):\n"
      "            assert isinstance(it.tsan_warnings, list) and all(isinstance(w, str) for w in it.tsan_warnings)\n"
      "            assert it.crash_signal is None or it.crash_signal.startswith('SIG'), it.crash_signal\n"
      "        print(r.package, r.category.value, len(r.gil_enabled_iterations or []),\n"
      "              sorted({w for it in r.iterations for w in it.tsan_warnings}),\n"
      "              [it.crash_signal for it in r.iterations if it.crash_signal],\n"
      "              r.extension_compat.gil_fallback_active if r.extension_compat else None)\n";
  atomic_write_file(d / "read.py", script);
  const auto cmd = fmt::format("'{}' '{}' '{}' '{}' >'{}' 2>'{}'", python, (d / "read.py").string(), ours.string(),
                               (d / "rewritten").string(), (d / "out").string(), (d / "err").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(d / "err");
  const auto out = read_file(d / "out"), err = read_file(d / "err");
  EXPECT_EQ(err.find("Skipping"), std::string::npos) << err;
  EXPECT_NE(out.find("4 4 "), std::string::npos) << out;
  EXPECT_NE(out.find("6 6 AMD EPYC 7B13"), std::string::npos) << out;
  EXPECT_NE(out.find("crashy crash 2 [] ['SIGSEGV'] True"), std::string::npos) << out;
  EXPECT_NE(out.find("racy tsan_warnings 0 ['data race'] [] None"), std::string::npos) << out;
  EXPECT_NE(out.find("stucky deadlock"), std::string::npos) << out;
  EXPECT_NE(out.find("racy-counter tsan_warnings 0 ['data race', 'thread leak']"), std::string::npos) << out;
  EXPECT_NE(out.find("flippy intermittent 2"), std::string::npos) << out;
}

// Results of ours from before the alignment (counts where labeille has lists, the signal
// number) still read.
TEST(LabeilleCompat, OlderResultsOfOursStillRead) {
  auto p = package_from_json(
      R"({"package": "old", "category": "crash", "iterations_completed": 1, "iterations": [{"index": 1,
      "status": "crash", "crash_signal": 11, "tsan_warnings": 4, "test_results": {"t::a": "failed"}}],
      "gil_enabled_pass_rate": 1.0, "gil_enabled_iterations": 1, "gil_enabled_pass_count": 1,
      "gil_enabled_runs": [{"index": 1, "status": "pass"}]})",
      "old.jsonl:1");
  EXPECT_EQ(p.iterations.at(0).crash_signal, "SIGSEGV");
  EXPECT_EQ(p.iterations.at(0).tsan_warning_count, 4);
  EXPECT_TRUE(p.iterations.at(0).tsan_warnings.empty());
  EXPECT_EQ(p.iterations.at(0).test_results.at(0).status, "failed");
  EXPECT_EQ(p.gil_enabled_iterations, 1);
  EXPECT_EQ(p.gil_enabled_runs.size(), 1u);
}

}  // namespace labeille::analyzers
