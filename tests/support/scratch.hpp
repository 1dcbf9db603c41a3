#pragma once
// Scratch directories for the GoogleTest executables: one root per test process, under
// the temp dir (TMPDIR), removed when the process ends with every test passed.
//
// Why: each test used to make its own <tmp>/labeille-<what>-<pid> and never remove it
// (thousands piled up in /tmp), and a few used fixed paths that two processes running
// at once (ctest -j; gtest_discover_tests runs each test case in a process of its own)
// would share. One root per process, named after the executable and the pid, fixes both;
// keeping it when a test failed keeps the evidence to read.

#include <filesystem>
#include <string_view>

namespace labeille::test_support {

// A fresh, empty directory for the running test: <root>/<Suite.Test>, or
// <root>/<Suite.Test>.<name> with a name (for a test that needs several). The root,
// <tmp>/labeille-tests-<executable>-<pid>-XXXXXX, is made on the first call. Calling it
// again with the same name empties the directory again. When the executable ends, the
// root is removed if every test passed; if one failed, it is kept and one line on stderr
// names it.
std::filesystem::path scratch_dir(std::string_view name = {});

}  // namespace labeille::test_support
