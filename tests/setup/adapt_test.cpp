// Install commands written for a checkout, adapted to an unpacked sdist, and the check
// that the test command's paths are there. Commands are laruche's own (the real registry).
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "labeille/setup/adapt.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;

namespace labeille::setup {

namespace {

// An unpacked-sdist-like directory holding `files` (a trailing '/' makes a directory).
class Sdist : public ::testing::Test {
 protected:
  fs::path dir = test_support::scratch_dir();
  void SetUp() override {
    make("pyproject.toml");
    make("PKG-INFO");
  }
  void make(const std::string& rel) {
    if (rel.ends_with("/")) {
      fs::create_directories(dir / rel);
    } else {
      fs::create_directories((dir / rel).parent_path());
      std::ofstream(dir / rel) << "x\n";
    }
  }
};

}  // namespace

TEST_F(Sdist, CommandsThatWorkAreLeftAsWritten) {
  for (const char* cmd : {"pip install -e . && pip install pytest", "pip install -e \".[test]\" && pip install coverage",
                          "pip install . && pip install pytest", "python -m pip install --group test -e .",
                          "pip install meson-python meson cython ninja && pip install -e \".[test]\" --no-build-isolation"}) {
    auto a = adapt_for_sdist(cmd, dir);
    EXPECT_EQ(a.command, cmd);
    EXPECT_TRUE(a.notes.empty()) << cmd;
  }
}

TEST_F(Sdist, GitStepsAreDropped) {
  auto a = adapt_for_sdist("git fetch --tags --depth 1 && pip install -e . && pip install pytest hypothesis", dir);
  EXPECT_EQ(a.command, "pip install -e . && pip install pytest hypothesis");
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_NE(a.notes[0].find("dropped `git fetch --tags --depth 1`"), std::string::npos) << a.notes[0];
  a = adapt_for_sdist("git fetch --unshallow || true && git submodule update --init && pip install -e .", dir);
  EXPECT_EQ(a.command, "pip install -e .");
  EXPECT_EQ(a.notes.size(), 2u);
}

TEST_F(Sdist, EditableSubdirectoryBecomesTheSdistOrGoes) {
  // A monorepo's package directory: the sdist is that project.
  auto a = adapt_for_sdist("pip install -e python/ && pip install pytest", dir);
  EXPECT_EQ(a.command, "pip install -e . && pip install pytest");
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_NE(a.notes[0].find("`-e python/` -> `-e .`"), std::string::npos) << a.notes[0];
  a = adapt_for_sdist("pip install -e \"bindings/python[test]\"", dir);
  EXPECT_EQ(a.command, "pip install -e \".[test]\"");
  // A sibling project (cryptography's vectors) when `.` is installed anyway: dropped.
  a = adapt_for_sdist("pip install -e ./vectors && pip install -e \".[test]\"", dir);
  EXPECT_EQ(a.command, "pip install -e \".[test]\"");
  ASSERT_EQ(a.notes.size(), 2u);
  EXPECT_NE(a.notes[0].find("dropped `-e ./vectors`"), std::string::npos) << a.notes[0];
  EXPECT_NE(a.notes[1].find("nothing left to install"), std::string::npos) << a.notes[1];
  // A directory the sdist has is kept.
  make("vectors/");
  a = adapt_for_sdist("pip install -e ./vectors && pip install -e .", dir);
  EXPECT_TRUE(a.notes.empty());
}

TEST_F(Sdist, MissingRequirementFilesAreDropped) {
  auto a = adapt_for_sdist("pip install -e . && pip install -r requirements-dev.txt", dir);
  EXPECT_EQ(a.command, "pip install -e .");
  ASSERT_EQ(a.notes.size(), 2u);
  EXPECT_NE(a.notes[0].find("dropped `-r requirements-dev.txt`: requirements-dev.txt is not in the sdist"),
            std::string::npos)
      << a.notes[0];
  a = adapt_for_sdist("pip install -r requirements/test.txt pytest --constraint=constraints.txt", dir);
  EXPECT_EQ(a.command, "pip install pytest");
  make("requirements/test.txt");
  a = adapt_for_sdist("pip install -r requirements/test.txt pytest", dir);
  EXPECT_TRUE(a.notes.empty());
}

TEST_F(Sdist, NothingLeftFallsBackToTheDefault) {
  auto a = adapt_for_sdist("git fetch --tags", dir);
  EXPECT_EQ(a.command, "python -m pip install . pytest");
  EXPECT_EQ(a.notes.size(), 2u);
}

TEST_F(Sdist, TestPathsNamedByTheCommand) {
  make("tests/test_a.py");
  EXPECT_EQ(check_tests("python -m pytest tests/ -p no:xdist", dir, "sdist").present, true);
  EXPECT_EQ(check_tests("python -m pytest -k \"not integration\" -m \"not slow\" tests", dir, "sdist").present, true);
  auto t = check_tests("python -m pytest testing/ -p no:xdist", dir, "sdist");
  EXPECT_EQ(t.present, false);
  EXPECT_EQ(t.note, "testing/ (named by the test command) is not in the sdist");
  t = check_tests("python -m pytest src/test_typing_extensions.py", dir, "sdist");
  EXPECT_EQ(t.present, false);
  EXPECT_EQ(check_tests("python -m pytest tests/test_a.py::test_one", dir, "sdist").present, true);
  EXPECT_EQ(check_tests("python -m pytest --pyargs numpy", dir, "sdist").present, std::nullopt);
  EXPECT_EQ(check_tests("python -m unittest discover -s tests", dir, "sdist").present, true);
  EXPECT_EQ(check_tests("python -m unittest discover -s testing -p '*_test.py'", dir, "sdist").present, false);
  EXPECT_EQ(check_tests("./run-tests.sh", dir, "sdist").present, std::nullopt);
}

TEST_F(Sdist, NoPathNamedMeansAnyTestFile) {
  auto t = check_tests("python -m pytest -p no:xdist", dir, "sdist");
  EXPECT_EQ(t.present, false);
  EXPECT_EQ(t.note, "the sdist holds no test file (test_*.py, *_test.py)");
  make("src/pkg/tests/test_x.py");
  EXPECT_EQ(check_tests("python -m pytest -p no:xdist", dir, "sdist").present, true);
}

}  // namespace labeille::setup
