#include "labeille/core/pytest_output.hpp"

#include <gtest/gtest.h>

using namespace labeille;

TEST(PytestOutput, RecognisesPytestCommands) {
  EXPECT_TRUE(is_pytest_command({"python", "-m", "pytest", "tests/"}));
  EXPECT_TRUE(is_pytest_command({"/venv/bin/pytest", "-x"}));
  EXPECT_TRUE(is_pytest_command({"py.test"}));
  EXPECT_TRUE(is_pytest_command({"/bin/sh", "-c", "python -m pytest tests/ -x"}));
  EXPECT_TRUE(is_pytest_command({"/bin/sh", "-c", "cd src && pytest"}));
  EXPECT_FALSE(is_pytest_command({"python", "-m", "unittest", "discover"}));
  EXPECT_FALSE(is_pytest_command({"/bin/sh", "-c", "./run_tests.sh"}));
  EXPECT_FALSE(is_pytest_command({"/bin/sh", "-c", "python -m pytest_benchmark_tool"}));
  EXPECT_FALSE(is_pytest_command({"tox", "-e", "pytest-env"}));
}

TEST(PytestOutput, ExitStatusesThatMeanTheSuiteDidNotRun) {
  for (int c : {2, 3, 4, 5}) EXPECT_TRUE(pytest_suite_did_not_run(c)) << c;
  for (int c : {0, 1, 6, 137}) EXPECT_FALSE(pytest_suite_did_not_run(c)) << c;
  EXPECT_EQ(pytest_exit_meaning(5), "no tests collected");
}

// What pytest 9 prints when a test module imports a missing dependency (captured as is).
constexpr const char* kCollectionError = R"(============================= test session starts ==============================
platform linux -- Python 3.13.1, pytest-9.2.0, pluggy-1.7.0
rootdir: /src/pkg
collected 2 items / 2 errors

==================================== ERRORS ====================================
_______________________ ERROR collecting tests/test_x.py _______________________
ImportError while importing test module '/src/pkg/tests/test_x.py'.
Hint: make sure your test modules/packages have valid Python names.
Traceback:
/usr/lib/python3.13/importlib/__init__.py:126: in import_module
    return _bootstrap._gcd_import(name[level:], package, level)
tests/test_x.py:1: in <module>
    import hypothesis
E   ModuleNotFoundError: No module named 'hypothesis'
_______________________ ERROR collecting tests/test_y.py _______________________
tests/test_y.py:3: in <module>
    raise RuntimeError("boom")
E   RuntimeError: boom
=========================== short test summary info ============================
ERROR tests/test_x.py
ERROR tests/test_y.py
!!!!!!!!!!!!!!!!!!! Interrupted: 2 errors during collection !!!!!!!!!!!!!!!!!!!!
=============================== 2 errors in 0.30s ===============================
)";

TEST(PytestOutput, PytestItselfMissing) {
  EXPECT_EQ(pytest_missing_line(1, "", "/w/venvs/numpy/bin/python: No module named pytest\n"), "No module named pytest");
  EXPECT_EQ(pytest_missing_line(127, "", "/bin/sh: 1: pytest: not found\n"), "/bin/sh: 1: pytest: not found");
  EXPECT_EQ(pytest_missing_line(1, "E   ModuleNotFoundError: No module named pytest_foo\n", ""), "");
  EXPECT_EQ(pytest_missing_line(2, "", "python: No module named pytest\n"), "") << "exit 2 is pytest's own";
}

TEST(PytestOutput, CollectionErrorGivesFileAndException) {
  EXPECT_EQ(pytest_not_run_reason(2, kCollectionError, ""),
            "tests/test_x.py: ModuleNotFoundError: No module named 'hypothesis' (+1 more collection error)");
}

TEST(PytestOutput, SyntaxErrorBlockKeepsTheExceptionLine) {
  std::string out =
      "____ ERROR collecting tests/test_s.py ____\n"
      "E     File \"/src/tests/test_s.py\", line 1\n"
      "E       def f(:\n"
      "E             ^\n"
      "E   SyntaxError: invalid syntax\n"
      "!!!! Interrupted: 1 error during collection !!!!\n";
  EXPECT_EQ(pytest_not_run_reason(2, out, ""), "tests/test_s.py: SyntaxError: invalid syntax");
}

TEST(PytestOutput, ConftestThatDoesNotImport) {
  // pytest 9, exit 4, everything on stderr.
  EXPECT_EQ(pytest_not_run_reason(4, "",
                                  "ImportError while loading conftest '/src/pkg/tests/conftest.py'.\n"
                                  "tests/conftest.py:1: in <module>\n"
                                  "    import hypothesis\n"
                                  "E   ModuleNotFoundError: No module named 'hypothesis'\n"),
            "tests/conftest.py: ModuleNotFoundError: No module named 'hypothesis'");
}

TEST(PytestOutput, UsageInternalNoTestsAndInterrupted) {
  EXPECT_EQ(pytest_not_run_reason(4, "collected 0 items\n\n==== no tests ran in 0.08s ====\n",
                                  "ERROR: file or directory not found: tests/\n\n"),
            "ERROR: file or directory not found: tests/");
  EXPECT_EQ(pytest_not_run_reason(4, "", "usage: pytest [options]\npytest: error: unrecognized arguments: --nope\n"),
            "pytest: error: unrecognized arguments: --nope");
  EXPECT_EQ(pytest_not_run_reason(3, "INTERNALERROR> Traceback (most recent call last):\nINTERNALERROR>   File \"x\"\n"
                                     "INTERNALERROR> ValueError: bad plugin\n", ""),
            "INTERNALERROR> ValueError: bad plugin");
  EXPECT_EQ(pytest_not_run_reason(5, "collected 0 items\n==== no tests ran in 0.01s ====\n", ""), "no tests collected");
  EXPECT_EQ(pytest_not_run_reason(2, "tests/test_a.py ..\n!!!!!!! KeyboardInterrupt !!!!!!!\n", ""), "KeyboardInterrupt");
  EXPECT_EQ(pytest_not_run_reason(2, "", ""), "");
}
