// Google Benchmark micro-benchmarks of the hot paths: what one record, one MiB of test
// output, one package or one results line costs. The whole-process bench scripts
// (bench/<part>/*.py) measure what users feel; these say where the time goes inside.
// Figures and how to compare two commits: docs/benchmarks.md.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "labeille/analyzers/classify.hpp"
#include "labeille/analyzers/fold.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/stats.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/record.hpp"
#include "labeille/core/text.hpp"
#include "labeille/observe/classify.hpp"
#include "labeille/observe/output_scan.hpp"

namespace fs = std::filesystem;
using namespace labeille;

namespace {

// A record as a real failing pytest run leaves it: 64 KiB tails, a crash, env delta.
AttemptRecord sample_record(int iteration) {
  AttemptRecord r;
  r.package = "urllib3";
  r.mode = "gil0";
  r.gil = GilMode::Off;
  r.iteration = iteration;
  r.attempt = 1;
  r.test_name = fmt::format("ft.urllib3.gil0.iter{:02d}", iteration);
  r.attempt_id = fmt::format("host:4242:1764046800123:gil0.iter{:02d}.a001", iteration);
  r.command = {"/bin/sh", "-c", "python -m pytest -x"};
  r.cwd = "/home/ci/ft-work/repos/urllib3";
  r.venv = "/home/ci/ft-work/venvs/urllib3";
  r.outcome = iteration % 3 == 0 ? Outcome::Crash : Outcome::Pass;
  r.detail = "exit 0";
  r.duration_s = 12.5;
  r.start_time = "2026-11-25T05:00:00.123Z";
  r.end_time = "2026-11-25T05:00:12.623Z";
  r.host = "host";
  r.env_delta = {{"PYTHON_GIL", "0"}, {"PYTEST_ADDOPTS", "--junitxml=/home/ci/ft-work/records/junit.xml"}};
  std::string line = "test/test_poolmanager.py::TestPoolManager::test_many_urls PASSED                 [ 42%]\n";
  while (r.out.tail.size() < 64 * 1024) r.out.tail += line;
  r.err.tail = "Fatal Python error: Segmentation fault\n\nCurrent thread 0x00007f (most recent call first):\n"
               "  File \"/home/ci/ft-work/repos/urllib3/src/urllib3/pool.py\", line 12 in _get_conn\n";
  r.out.bytes = r.out.tail.size();
  if (r.outcome == Outcome::Crash)
    r.crash = CrashInfo{11, "SIGSEGV", "Fatal Python error: Segmentation fault", {"pool.py:12 _get_conn"},
                        "SIGSEGV | Fatal Python error: Segmentation fault | pool.py:12 _get_conn"};
  return r;
}

// One MiB of pytest-like output with a fatal error and a faulthandler dump near the end.
std::string output_mib() {
  std::string s;
  std::string line = "tests/test_threads.py::test_counter[threads-8] PASSED                         [ 12%]\n";
  while (s.size() < (1u << 20) - 4096) s += line;
  s += "Fatal Python error: Segmentation fault\n\nCurrent thread 0x00007f0000000001 (most recent call first):\n"
       "  File \"/venv/lib/python3.13t/site-packages/pkg/core.py\", line 12 in crash\n"
       "  File \"/venv/lib/python3.13t/site-packages/pkg/api.py\", line 40 in call\n";
  while (s.size() < (1u << 20)) s += line;
  return s.substr(0, 1u << 20);
}

void BM_RecordWrite(benchmark::State& state) {
  const auto r = sample_record(3);
  for (auto _ : state) benchmark::DoNotOptimize(to_json(r));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordWrite);

void BM_RecordParse(benchmark::State& state) {
  const std::string json = to_json(sample_record(3));
  for (auto _ : state) benchmark::DoNotOptimize(parse_record(json, "record.json"));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(json.size()));
}
BENCHMARK(BM_RecordParse);

// Clean ASCII (the common case) and bytes that need repair.
void BM_SanitizeUtf8(benchmark::State& state) {
  std::string text = output_mib();
  if (state.range(0) == 1)
    for (std::size_t i = 0; i < text.size(); i += 97) text[i] = static_cast<char>(0xC3 + (i % 3) * 0x20);
  for (auto _ : state) benchmark::DoNotOptimize(sanitize_utf8(text));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
  state.SetLabel(state.range(0) == 1 ? "with invalid bytes" : "ascii");
}
BENCHMARK(BM_SanitizeUtf8)->Arg(0)->Arg(1);

// The runner scans every byte a test suite prints, in the chunks the pipe gives (64 KiB).
void BM_OutputScanPerMiB(benchmark::State& state) {
  const std::string text = output_mib();
  const bool tsan = state.range(0) == 1;
  for (auto _ : state) {
    observe::OutputScanner scanner(tsan);
    for (std::size_t i = 0; i < text.size(); i += 64 * 1024) scanner.feed(std::string_view(text).substr(i, 64 * 1024));
    scanner.finish();
    benchmark::DoNotOptimize(scanner.crash_frames());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
  state.SetLabel(tsan ? "tsan parsing on" : "tsan parsing off");
}
BENCHMARK(BM_OutputScanPerMiB)->Arg(0)->Arg(1);

void BM_ClassifyAttempt(benchmark::State& state) {
  observe::Termination t;
  t.signal = 11;
  const std::string fatal = "Fatal Python error: Segmentation fault";
  const std::vector<std::string> frames = {"core.py:12 crash", "api.py:40 call"};
  for (auto _ : state) benchmark::DoNotOptimize(observe::classify(t, fatal, frames));
}
BENCHMARK(BM_ClassifyAttempt);

// The package classifier over N counted iterations.
void BM_ClassifyPackage(benchmark::State& state) {
  analyzers::ClassifyInput in;
  for (int i = 0; i < state.range(0); ++i) in.outcomes.push_back(i % 7 == 0 ? Outcome::Fail : Outcome::Pass);
  for (auto _ : state) benchmark::DoNotOptimize(analyzers::classify_package(in));
}
BENCHMARK(BM_ClassifyPackage)->Arg(10)->Arg(1000);

void BM_ClopperPearson(benchmark::State& state) {
  int k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(analyzers::clopper_pearson_95(k % 11, 10));
    ++k;
  }
}
BENCHMARK(BM_ClopperPearson);

void BM_FisherExact(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(analyzers::fisher_exact_two_sided(n, n / 3, n / 2, n));
  state.SetLabel(fmt::format("{} runs per mode", 2 * n));
}
BENCHMARK(BM_FisherExact)->Arg(10)->Arg(100);

// One ft_results.jsonl line, as `ft show` reads it (no tails) and as `ft flaky` does.
void BM_ResultsLineParse(benchmark::State& state) {
  analyzers::PackageResult p;
  p.package = "urllib3";
  p.category = "intermittent";
  for (int i = 0; i < 10; ++i) {
    analyzers::IterationResult it;
    it.index = i + 1;
    it.iteration = i + 1;
    it.status = i % 3 == 0 ? "fail" : "pass";
    it.duration_s = 12.5;
    it.last_output_line = "==== 412 passed, 1 failed in 12.50s ====";
    for (int t = 0; t < 20; ++t) it.test_results.push_back({fmt::format("tests/test_a.py::test_{}", t), "passed", ""});
    p.iterations.push_back(std::move(it));
  }
  const std::string line = analyzers::package_to_json_line(p);
  const auto keep = state.range(0) == 0 ? analyzers::ReadOptions::summary() : analyzers::ReadOptions::everything();
  for (auto _ : state) benchmark::DoNotOptimize(analyzers::package_from_json(line, "ft_results.jsonl:1", keep));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(line.size()));
  state.SetLabel(state.range(0) == 0 ? "summary" : "everything");
}
BENCHMARK(BM_ResultsLineParse)->Arg(0)->Arg(1);

// Fold of one package with N attempt records on disk (page cache warm): read, parse,
// classify, statistics.
void BM_FoldOnePackage(benchmark::State& state) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("labeille-bench-fold-{}", ::getpid());
  fs::remove_all(dir);
  for (int i = 1; i <= state.range(0); ++i) {
    auto r = sample_record(i);
    auto d = dir / r.package / fmt::format("gil0.iter{:02d}.a001", i);
    fs::create_directories(d);
    atomic_write_file(d / "record.json", to_json(r), Sync::No);
  }
  for (auto _ : state) {
    analyzers::FoldReport report;
    benchmark::DoNotOptimize(analyzers::fold({{dir}, {}, {}}, report));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  fs::remove_all(dir);
}
BENCHMARK(BM_FoldOnePackage)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
