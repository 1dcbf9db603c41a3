#include "labeille/observe/environment.hpp"

#include <gtest/gtest.h>

namespace labeille::observe {

TEST(Environment, DesignRules) {
  std::map<std::string, std::string> base = {{"PATH", "/usr/bin"}, {"PYTHONPATH", "/evil"},
                                             {"PYTHONHOME", "/other"}, {"PYTEST_ADDOPTS", "-x"},
                                             {"PYTHON_GIL", "1"}, {"HOME", "/root"}};
  EnvInputs in;
  in.venv = "/v";
  in.gil = GilMode::Off;
  in.package = "pkg";
  in.mode = "gil0";
  in.iteration = 7;
  in.junit_path = "/a/junit.xml";
  in.hook_dir = "/a/hook";
  in.user = {{"PYTHONMALLOC", "debug"}, {"PYTEST_ADDOPTS", "-q"}};
  auto plan = build_environment(base, in);
  const auto& e = plan.env;
  EXPECT_EQ(e.at("PATH"), "/v/bin:/usr/bin");
  EXPECT_EQ(e.at("VIRTUAL_ENV"), "/v");
  EXPECT_EQ(e.at("PYTHON_GIL"), "0");
  EXPECT_EQ(e.at("PYTHONFAULTHANDLER"), "1");
  EXPECT_FALSE(e.count("PYTHONPATH"));
  EXPECT_FALSE(e.count("PYTHONHOME"));
  EXPECT_EQ(e.at("LABEILLE_FT_ITERATION"), "7");
  EXPECT_EQ(e.at("LABEILLE_FT_HOOK_DIR"), "/a/hook");
  EXPECT_EQ(e.at("PYTHONMALLOC"), "debug");
  // The user's PYTEST_ADDOPTS is extended, not replaced, and ours is never lost.
  EXPECT_EQ(e.at("PYTEST_ADDOPTS"), "-q --junitxml=/a/junit.xml");
  EXPECT_EQ(e.at("HOME"), "/root");
  EXPECT_EQ(plan.delta.at("PYTHONPATH"), "");
  EXPECT_FALSE(plan.delta.count("HOME"));
}

TEST(Environment, IterationsWriteBytecodeUnlessTheUserSaysOtherwise) {
  EnvInputs in;
  in.gil = GilMode::Off;
  auto plan = build_environment({{"PYTHONDONTWRITEBYTECODE", "1"}}, in);
  EXPECT_FALSE(plan.env.count("PYTHONDONTWRITEBYTECODE")) << "the set-up compiles nothing: iterations must be able to";
  in.user = {{"PYTHONDONTWRITEBYTECODE", "1"}};
  EXPECT_EQ(build_environment({{"PYTHONDONTWRITEBYTECODE", "1"}}, in).env.at("PYTHONDONTWRITEBYTECODE"), "1");
}

TEST(Environment, GilUnsetRemovesIt) {
  EnvInputs in;
  in.gil = GilMode::Unset;
  auto plan = build_environment({{"PYTHON_GIL", "0"}}, in);
  EXPECT_FALSE(plan.env.count("PYTHON_GIL"));
  in.gil = GilMode::On;
  EXPECT_EQ(build_environment({}, in).env.at("PYTHON_GIL"), "1");
}

}  // namespace labeille::observe
