#include "labeille/runner/stress.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "labeille/core/fs.hpp"

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
  for (std::string line; std::getline(lines, line);) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    if (d.HasParseError() || !d.IsObject()) continue;
    s.reported = true;
    if (d.HasMember("tests_run") && d["tests_run"].IsInt()) s.tests_run += d["tests_run"].GetInt();
    if (d.HasMember("tests") && d["tests"].IsArray())
      for (auto& t : d["tests"].GetArray()) {
        if (!t.IsObject() || !t.HasMember("id") || !t["id"].IsString()) continue;
        auto& c = tests[t["id"].GetString()];
        c.id = t["id"].GetString();
        if (t.HasMember("calls") && t["calls"].IsInt()) c.calls += t["calls"].GetInt();
        if (t.HasMember("failures") && t["failures"].IsInt()) c.failures += t["failures"].GetInt();
        if (c.message.empty() && t.HasMember("message") && t["message"].IsString()) c.message = t["message"].GetString();
      }
    if (d.HasMember("thread_unsafe") && d["thread_unsafe"].IsArray())
      for (auto& t : d["thread_unsafe"].GetArray())
        if (t.IsObject() && t.HasMember("id") && t["id"].IsString())
          unsafe[t["id"].GetString()] =
              t.HasMember("reason") && t["reason"].IsString() ? t["reason"].GetString() : "";
  }
  for (auto& [id, c] : tests) s.tests.push_back(std::move(c));
  for (auto& [id, why] : unsafe) s.thread_unsafe.push_back({id, why});
  return s;
}

}  // namespace labeille::runner
