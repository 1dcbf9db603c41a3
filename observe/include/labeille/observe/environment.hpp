// The child's environment, built from the runner's own:
// venv bin first on PATH and VIRTUAL_ENV; PYTHON_GIL = 0 | 1 | removed;
// PYTHONFAULTHANDLER=1; PYTHONHOME and PYTHONPATH removed (they would point the venv's
// interpreter at another installation); LABEILLE_FT_* identifiers and the hook dir;
// PYTEST_ADDOPTS extended with --junitxml=<attempt>/junit.xml; the user's --env last;
// with --tsan, TSAN_OPTIONS = ours followed by the inherited or --env one (tsan.hpp).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "labeille/core/outcome.hpp"

namespace labeille::observe {

struct EnvInputs {
  std::string venv;                  // "" = none
  GilMode gil = GilMode::Off;
  std::string package, mode;
  int iteration = 1, attempt = 1;
  std::string hook_dir;
  std::string junit_path;
  std::string tsan_options;          // "" = leave TSAN_OPTIONS alone; else ours, then any given one
  std::vector<std::pair<std::string, std::string>> user;  // --env, in order
  // Stress attempts (stress.hpp): set after the user's --env (PYTHONPATH: ahead of the
  // user's), and more PYTEST_ADDOPTS.
  std::vector<std::pair<std::string, std::string>> stress_vars;
  std::string stress_addopts;
};

struct EnvPlan {
  std::map<std::string, std::string> env;    // the child's whole environment
  std::map<std::string, std::string> delta;  // what differs from the base ("" = removed)
};

EnvPlan build_environment(const std::map<std::string, std::string>& base, const EnvInputs& in);

// The runner's own environment as a map.
std::map<std::string, std::string> current_environment();

// "KEY=VALUE" strings for exec.
std::vector<std::string> to_entries(const std::map<std::string, std::string>& env);

}  // namespace labeille::observe
