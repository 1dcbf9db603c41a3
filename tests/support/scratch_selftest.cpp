// scratch_dir() on its own, driven by check_scratch.cmake (support.scratch_cleanup), which
// runs this executable with TMPDIR pointing at an empty directory and looks at what is
// left there: nothing after the passing test, the root and the evidence after the
// failing one.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "support/scratch.hpp"

namespace fs = std::filesystem;
using labeille::test_support::scratch_dir;

TEST(Scratch, FreshEmptyAndOneRootPerProcess) {
  const auto d = scratch_dir();
  std::cout << "scratch: " << d.string() << "\n";  // check_scratch.cmake looks for it under TMPDIR
  EXPECT_EQ(d.filename(), "Scratch.FreshEmptyAndOneRootPerProcess");
  EXPECT_EQ(d.parent_path().parent_path(), fs::temp_directory_path());
  const auto root = d.parent_path().filename().string();
  EXPECT_EQ(root.rfind("labeille-tests-scratch_selftest-" + std::to_string(::getpid()) + "-", 0), 0u) << root;
  std::ofstream(d / "left-over") << "x\n";
  fs::create_directories(d / "sub");
  EXPECT_EQ(scratch_dir(), d);
  EXPECT_TRUE(fs::is_empty(d));  // fresh each time it is asked for
  const auto named = scratch_dir("second");
  EXPECT_EQ(named.filename(), "Scratch.FreshEmptyAndOneRootPerProcess.second");
  EXPECT_EQ(named.parent_path(), d.parent_path());
  EXPECT_TRUE(fs::is_directory(d));
}

// Run only by check_scratch.cmake (--gtest_also_run_disabled_tests).
TEST(Scratch, DISABLED_FailsAndKeepsItsEvidence) {
  std::ofstream(scratch_dir() / "evidence.txt") << "kept\n";
  FAIL() << "on purpose: the root must be kept and named";
}
