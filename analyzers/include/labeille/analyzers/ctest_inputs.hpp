// What fold reads besides records: CTest's results (its JUnit and Test.xml), each
// attempt's pytest JUnit, and the names of our CTest tests (ft.<pkg>.<mode>.iterNN,
// ft.<pkg>.setup, ft.<pkg>.probe) and attempt directories.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "labeille/core/test_names.hpp"
#include "labeille/analyzers/model.hpp"

namespace labeille::analyzers {

// A CTest test result, from either CTest format.
struct CTestResult {
  std::string name;
  std::string status;   // passed | failed | notrun | skipped
  std::string reason;   // "Timeout", "Failed", "Not Run", ...
  double duration_s = -1;  // CTest's time for the (last) run; -1 when not given
};

std::vector<CTestResult> read_ctest_junit(const std::filesystem::path& file);
std::vector<CTestResult> read_ctest_xml(const std::filesystem::path& file);
// pytest's JUnit XML: one TestResult per testcase.
std::vector<TestResult> parse_pytest_junit(std::string_view xml, std::string_view source);

// CTest test names: the one scheme of core/test_names.hpp (format and parse, checked
// against the module's output). A TEST_PREFIX in front ("nightly.ft.<pkg>.setup") is
// allowed; `canonical` is the name without it, the key that matches CTest's tests with
// records and attempt directories.
using TestName = test_names::Parsed;
std::optional<TestName> parse_test_name(const std::string& name);
// The name without its TEST_PREFIX (the name itself when it is not one of ours).
std::string canonical_test_name(const std::string& name);
// An attempt directory "<mode>.iter<NN>.a<NNN>" of package pkg -> (CTest test name, NNN).
std::optional<std::pair<std::string, int>> attempt_dir_test(const std::string& pkg, const std::string& dir);

// Test.xml names a run CTest killed on its TIMEOUT ("Exit Code: Timeout"); the JUnit
// never does.
bool says_timeout(const CTestResult& c);

}  // namespace labeille::analyzers
