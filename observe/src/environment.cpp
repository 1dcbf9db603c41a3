#include "labeille/observe/environment.hpp"

#include <unistd.h>

#include <fmt/format.h>

extern char** environ;

namespace labeille::observe {

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

std::vector<std::string> to_entries(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

EnvPlan build_environment(const std::map<std::string, std::string>& base, const EnvInputs& in) {
  auto env = base;
  if (!in.venv.empty()) {
    auto path = env.count("PATH") ? env["PATH"] : std::string("/usr/local/bin:/usr/bin:/bin");
    env["PATH"] = fmt::format("{}/bin:{}", in.venv, path);
    env["VIRTUAL_ENV"] = in.venv;
  }
  switch (in.gil) {
    case GilMode::Off: env["PYTHON_GIL"] = "0"; break;
    case GilMode::On: env["PYTHON_GIL"] = "1"; break;
    case GilMode::Unset: env.erase("PYTHON_GIL"); break;
  }
  env["PYTHONFAULTHANDLER"] = "1";
  env.erase("PYTHONHOME");
  env.erase("PYTHONPATH");
  // Set in many CI images; with it every iteration (and every pytest assertion rewrite)
  // would compile each imported module again: slow, silent starts that can read as
  // stalls. Without it the first iteration writes the bytecode and the next ones reuse
  // it, so the set-up need not compile all of site-packages. --env can set it back.
  env.erase("PYTHONDONTWRITEBYTECODE");
  env["LABEILLE_FT_PACKAGE"] = in.package;
  env["LABEILLE_FT_MODE"] = in.mode;
  env["LABEILLE_FT_ITERATION"] = std::to_string(in.iteration);
  env["LABEILLE_FT_ATTEMPT"] = std::to_string(in.attempt);
  if (!in.hook_dir.empty()) env["LABEILLE_FT_HOOK_DIR"] = in.hook_dir;
  for (const auto& [k, v] : in.user) env[k] = v;
  // After the user's values: the stress tools must stay importable, ahead of a
  // PYTHONPATH the user gave.
  for (const auto& [k, v] : in.stress_vars) {
    auto it = env.find(k);
    env[k] = k == "PYTHONPATH" && it != env.end() && !it->second.empty() ? v + ":" + it->second : v;
  }
  // After the user's values: a PYTEST_ADDOPTS given with --env is extended, not lost.
  auto add_pytest_opts = [&](const std::string& add) {
    auto it = env.find("PYTEST_ADDOPTS");
    env["PYTEST_ADDOPTS"] = (it == env.end() || it->second.empty()) ? add : fmt::format("{} {}", it->second, add);
  };
  if (!in.stress_addopts.empty()) add_pytest_opts(in.stress_addopts);
  if (!in.junit_path.empty()) add_pytest_opts("--junitxml=" + in.junit_path);
  // Ours first: TSAN reads flags left to right, so a TSAN_OPTIONS the user gave wins.
  if (!in.tsan_options.empty()) {
    auto it = env.find("TSAN_OPTIONS");
    env["TSAN_OPTIONS"] =
        (it == env.end() || it->second.empty()) ? in.tsan_options : fmt::format("{} {}", in.tsan_options, it->second);
  }

  EnvPlan plan;
  for (const auto& [k, v] : env) {
    auto it = base.find(k);
    if (it == base.end() || it->second != v) plan.delta[k] = v;
  }
  for (const auto& [k, v] : base)
    if (!env.count(k)) plan.delta[k] = "";
  plan.env = std::move(env);
  return plan;
}

}  // namespace labeille::observe
