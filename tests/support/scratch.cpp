#include "support/scratch.hpp"

#include <errno.h>   // program_invocation_short_name (glibc)
#include <stdlib.h>  // mkdtemp
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <mutex>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

namespace fs = std::filesystem;

namespace labeille::test_support {

namespace {

std::mutex mutex;
fs::path root;  // empty until the first scratch_dir() of this process (or after removal)

// Test and executable names as one path component: a parameterised test's name holds '/'.
std::string component(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  return out;
}

fs::path make_root() {
  // mkdtemp, not a fixed <pid> name: a root kept by a failed run whose pid is reused
  // would otherwise be emptied by the next process with that pid.
  std::string tmpl = (fs::temp_directory_path() / ("labeille-tests-" + component(program_invocation_short_name) +
                                                   "-" + std::to_string(::getpid()) + "-XXXXXX"))
                         .string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "labeille tests: mkdtemp " + tmpl);
  return tmpl;
}

// Removes the root at the end of the process when every test passed. An Environment and
// not an atexit handler: its TearDown runs while GoogleTest still knows whether a test
// failed, and can record a failure of its own.
class RemoveScratchRoot : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard lock(mutex);
    if (root.empty()) return;  // no test asked for a scratch directory
    if (!::testing::UnitTest::GetInstance()->Passed()) {
      std::fprintf(stderr, "labeille tests: a test failed; its scratch directories are kept in %s\n", root.c_str());
      std::fflush(stderr);
    } else if (std::error_code ec; fs::remove_all(root, ec), ec) {
      ADD_FAILURE() << "labeille tests: cannot remove the scratch root " << root << ": " << ec.message();
    }
    root.clear();  // with --gtest_repeat, the next round makes a new one
  }
};

// Registered from this translation unit, the one that defines scratch_dir(): an
// executable that calls scratch_dir() links this object file, so the environment comes
// with it (a registration in a file of its own would be dropped from the static library,
// since nothing refers to it).
[[maybe_unused]] const ::testing::Environment* const kRegistered =
    ::testing::AddGlobalTestEnvironment(new RemoveScratchRoot);

}  // namespace

fs::path scratch_dir(std::string_view name) {
  std::lock_guard lock(mutex);
  if (root.empty()) root = make_root();
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string leaf = info ? std::string(info->test_suite_name()) + "." + info->name() : "no-test";
  if (!name.empty()) leaf += "." + std::string(name);
  fs::path dir = root / component(leaf);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace labeille::test_support
