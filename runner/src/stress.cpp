#include "labeille/runner/stress.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/json.hpp"

namespace fs = std::filesystem;

namespace labeille::runner {

StressEnv stress_environment(const fs::path& venv, int threads, int repeat, const fs::path& attempt_dir) {
  StressEnv e;
  e.vars.emplace_back("PYTHONPATH", (venv / kStressToolsDir).string());
  e.vars.emplace_back("LABEILLE_FT_STRESS_OUT", (attempt_dir / attempt_files::kStressOut).string());
  // -p run-parallel also when the package disables plugin autoloading. The GIL check of
  // pytest-run-parallel is off: the import probe reports a GIL fallback already, and
  // this mode must fail only for what the tests do.
  e.pytest_addopts = fmt::format("-p run-parallel -p labeille_ft_stress --parallel-threads={} --iterations={} "
                                 "--ignore-gil-enabled",
                                 threads, repeat);
  return e;
}

int budgeted_stress_repeat(double budget_s, double plain_mean_s, int threads, int max_repeat) {
  if (plain_mean_s <= 0 || budget_s <= 0) return max_repeat;
  const double k = std::floor(budget_s / (plain_mean_s * std::max(1, threads)));
  return static_cast<int>(std::clamp(k, static_cast<double>(std::min(2, max_repeat)), static_cast<double>(max_repeat)));
}

double stress_stall_threshold(double plain_s, int repeat, double timeout_s) {
  if (plain_s <= 0) return plain_s;  // stall detection off
  double t = plain_s * std::max(1, repeat);
  if (timeout_s > 0) t = std::min(t, std::max(plain_s, timeout_s / 2));
  return t;
}

StressInfo read_stress_output(const fs::path& file, int threads, int repeat) {
  StressInfo s;
  s.threads = threads;
  s.repeat = repeat;
  if (!fs::exists(file)) return s;
  std::map<std::string, StressTestCount> tests;
  std::map<std::string, std::string> unsafe;
  std::istringstream lines(read_file(file));
  int line_no = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_no;
    // One session's line, read whole through the shared reader or not at all.
    std::map<std::string, StressTestCount> line_tests;
    std::map<std::string, std::string> line_unsafe;
    int tests_run = 0;
    try {
      const auto d = json::parse_object(line, fmt::format("{}:{}", file.string(), line_no));
      const json::Reader in(d, file.string());
      tests_run = in.count("tests_run");
      in.each("tests", [&](const json::Reader& t) {
        const auto id = t.str("id");
        if (id.empty()) return;
        auto& c = line_tests[id];
        c.id = id;
        c.calls += t.count("calls");
        c.failures += t.count("failures");
        if (c.message.empty()) c.message = t.str("message");
      });
      in.each("thread_unsafe", [&](const json::Reader& t) {
        if (auto id = t.str("id"); !id.empty()) line_unsafe[id] = t.str("reason");
      });
    } catch (const Error&) {
      continue;
    }
    s.reported = true;
    s.tests_run += tests_run;
    for (auto& [id, c] : line_tests) {
      auto& into = tests[id];
      into.id = id;
      into.calls += c.calls;
      into.failures += c.failures;
      if (into.message.empty()) into.message = std::move(c.message);
    }
    for (auto& [id, why] : line_unsafe) unsafe[id] = std::move(why);
  }
  for (auto& [id, c] : tests) s.tests.push_back(std::move(c));
  for (auto& [id, why] : unsafe) s.thread_unsafe.push_back({id, why});
  return s;
}

}  // namespace labeille::runner
