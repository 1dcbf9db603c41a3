// Root causes read from real pip and uv logs (tests/fixtures/install-logs/, made on CPython
// 3.13t with scrub.py: machine paths replaced) and from small hand-made outputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "labeille/core/fs.hpp"
#include "labeille/setup/install_log.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;

namespace labeille::setup {
namespace {

std::string fixture(const std::string& name) {
  return read_file(fs::path(LABEILLE_FT_SOURCE_DIR) / "tests/fixtures/install-logs" / name);
}

LogCause must_read(const std::string& name) {
  auto c = read_install_log(fixture(name));
  EXPECT_TRUE(c.has_value()) << name;
  return c.value_or(LogCause{});
}

TEST(InstallLog, CffiRefusingTheFreeThreadedBuildPip) {
  auto c = must_read("cffi-2.1.1-refuses-3.13t.pip.log");
  EXPECT_EQ(c.dependency, "cffi");
  EXPECT_EQ(c.version, "2.1.1");
  EXPECT_EQ(c.failure, "failed to build");
  EXPECT_EQ(c.line,
            "RuntimeError: CFFI does not support the free-threaded build of CPython 3.13. Upgrade to free-threaded "
            "3.14 or newer to use CFFI with the free-threaded build.");
}

TEST(InstallLog, CffiRefusingTheFreeThreadedBuildUv) {
  auto c = must_read("cffi-2.1.1-refuses-3.13t.uv.log");
  EXPECT_EQ(c.dependency, "cffi");
  EXPECT_EQ(c.version, "2.1.1");
  EXPECT_EQ(c.failure, "failed to build");
  EXPECT_EQ(c.line.rfind("RuntimeError: CFFI does not support the free-threaded build of CPython 3.13.", 0), 0u)
      << c.line;
}

}  // namespace
}  // namespace labeille::setup

namespace labeille::setup {
namespace {

TEST(InstallLog, CompilerErrorInAnSdistPip) {
  auto c = must_read("crc32c-2.7-sdist-lacks-checkarm.h.pip.log");
  EXPECT_EQ(c.dependency, "crc32c");
  EXPECT_EQ(c.version, "2.7");
  EXPECT_EQ(c.failure, "failed to build");
  // The compiler's line, not setuptools' "error: Command '['gcc', ...]' returned non-zero".
  EXPECT_EQ(c.line, "src/crc32c/ext/_crc32c.c:30:10: fatal error: checkarm.h: No such file or directory");
}

TEST(InstallLog, CompilerErrorInAnSdistUv) {
  auto c = must_read("crc32c-2.7-sdist-lacks-checkarm.h.uv.log");
  EXPECT_EQ(c.dependency, "crc32c");
  EXPECT_EQ(c.version, "2.7");
  EXPECT_EQ(c.line, "src/crc32c/ext/_crc32c.c:30:10: fatal error: checkarm.h: No such file or directory");
}

TEST(InstallLog, BuildRequirementTheIndexDoesNotServePip) {
  auto c = must_read("build-requirement-not-on-index.pip.log");
  EXPECT_EQ(c.dependency, "python-sbom");
  EXPECT_EQ(c.version, ">=0.1.2");
  EXPECT_EQ(c.failure, "has no matching distribution on the index");
  EXPECT_TRUE(c.build_requirement);
  EXPECT_EQ(c.build_requirement_of, "");  // "Processing ./pkg": the package itself
  EXPECT_EQ(c.line, "No matching distribution found for python-sbom>=0.1.2");
  EXPECT_EQ(dependency_role(c, {"needs-missing-build-req", "pip install .", {}, {}}), "a build requirement");
}

TEST(InstallLog, BuildRequirementTheIndexDoesNotServeUv) {
  auto c = must_read("build-requirement-not-on-index.uv.log");
  EXPECT_EQ(c.dependency, "python-sbom");
  EXPECT_EQ(c.version, ">=0.1.2");
  EXPECT_EQ(c.failure, "has no matching distribution on the index");
  EXPECT_TRUE(c.build_requirement);
  EXPECT_EQ(c.build_requirement_of, "needs-missing-build-req");
  EXPECT_EQ(c.line.rfind("Because python-sbom was not found in the package registry", 0), 0u) << c.line;
  EXPECT_EQ(dependency_role(c, {"needs-missing-build-req", "pip install .", {}, {}}), "a build requirement");
  EXPECT_EQ(dependency_role(c, {"other", "pip install .", {}, {}}), "a build requirement of needs-missing-build-req");
}

TEST(InstallLog, PyO3RefusingTheFreeThreadedBuild) {
  for (const char* log : {"hypothesis-6.170.27-pyo3-refuses-3.13t.pip.log", "hypothesis-6.170.27-pyo3-refuses-3.13t.uv.log"}) {
    auto c = must_read(log);
    EXPECT_EQ(c.dependency, "hypothesis") << log;
    EXPECT_EQ(c.version, "6.170.27") << log;
    EXPECT_EQ(c.failure, "failed to build") << log;
    // Not cargo's "failed to run custom build command", nor maturin's "Error: command [...]".
    EXPECT_EQ(c.line,
              "PyO3 does not support the free-threaded build of CPython versions below 3.14, the selected Python "
              "version is 3.13")
        << log;
  }
}

TEST(InstallLog, CauseSentenceForEveryView) {
  auto cause = install_cause("install", fixture("cffi-2.1.1-refuses-3.13t.uv.log"), {"cffi", "", {}, {}});
  ASSERT_TRUE(cause);
  EXPECT_FALSE(cause->blocks);  // the package itself
  EXPECT_EQ(cause_sentence(*cause).rfind("cffi 2.1.1 failed to build: RuntimeError: CFFI does not support", 0), 0u);
  // The same log under another package that pulled cffi in: cffi blocks it.
  cause = install_cause("install", fixture("cffi-2.1.1-refuses-3.13t.pip.log"), {"argon2-cffi", "pip install .", {}, {}});
  ASSERT_TRUE(cause);
  EXPECT_TRUE(cause->blocks);
  EXPECT_EQ(cause->role, "an indirect dependency");
  // A specifier is what was asked, not a version: the sentence names the requirement.
  cause = install_cause("install", fixture("build-requirement-not-on-index.pip.log"), {"needs-missing-build-req", "", {}, {}});
  ASSERT_TRUE(cause);
  EXPECT_FALSE(cause->version);
  EXPECT_EQ(cause_sentence(*cause),
            "python-sbom>=0.1.2 (a build requirement) has no matching distribution on the index: No matching "
            "distribution found for python-sbom>=0.1.2");
}

// pip builds cryptography from its sdist; installing cryptography's build requirements
// runs a nested pip, quoted, in which cffi refuses 3.13t. cffi is the blocker, not the
// cryptography that needed it (the top of the real registry: aiobotocore, requests, ...),
// with pip 25.x's wording and with pip 26.3's ("installing build dependencies for X").
TEST(InstallLog, NestedBuildRequirementIsTheCause) {
  for (const char* log : {"cffi-2.1.1-build-requirement-of-cryptography.pip.log",
                          "cffi-2.1.1-build-requirement-of-cryptography-pip-26.3.pip.log"}) {
    auto c = must_read(log);
    EXPECT_EQ(c.dependency, "cffi") << log;
    EXPECT_EQ(c.version, "2.1.1") << log;
    EXPECT_EQ(c.failure, "failed to build") << log;
    EXPECT_TRUE(c.build_requirement) << log;
    EXPECT_EQ(c.build_requirement_of, "cryptography") << log;
    EXPECT_EQ(c.line.rfind("RuntimeError: CFFI does not support the free-threaded build of CPython 3.13.", 0), 0u)
        << log << ": " << c.line;
    auto cause = install_cause("install", fixture(log), {"aiobotocore", "pip install -e . pytest", {}, {}});
    ASSERT_TRUE(cause) << log;
    EXPECT_TRUE(cause->blocks) << log;
    EXPECT_EQ(cause->dependency, "cffi") << log;
    EXPECT_EQ(cause->role, "a build requirement of cryptography") << log;
  }
}

// pandas' registry command builds with --no-build-isolation into a venv without
// meson-python: pip's own traceback ends "BackendUnavailable: Cannot import 'mesonpy'".
TEST(InstallLog, BuildBackendMissingWithoutIsolation) {
  auto c = must_read("pandas-no-build-isolation-without-mesonpy.pip.log");
  EXPECT_EQ(c.dependency, "");  // "Obtaining file:///...": the package itself
  EXPECT_EQ(c.failure, "failed to build");
  EXPECT_EQ(c.line, "its build backend cannot be imported (BackendUnavailable: Cannot import 'mesonpy')");
  auto cause = install_cause("install", fixture("pandas-no-build-isolation-without-mesonpy.pip.log"),
                             {"pandas", "pip install -e \".[test]\" --no-build-isolation", {}, {}});
  ASSERT_TRUE(cause);
  EXPECT_FALSE(cause->blocks);
  EXPECT_EQ(cause_sentence(*cause).rfind("pandas failed to build: its build backend cannot be imported", 0), 0u)
      << cause_sentence(*cause);
  EXPECT_NE(cause->line.find("passes --no-build-isolation"), std::string::npos) << cause->line;
}

TEST(InstallLog, WrapperLinesNeverWin) {
  EXPECT_EQ(cause_line({"error: command '/usr/bin/gcc' failed with exit code 1"}), "");
  EXPECT_EQ(cause_line({"  a.c:1:2: error: expected ';'", "error: command 'gcc' failed"}), "a.c:1:2: error: expected ';'");
  EXPECT_EQ(cause_line({"error[E0425]: cannot find value `x`", "error: could not compile `foo`"}),
            "error[E0425]: cannot find value `x`");
  EXPECT_EQ(cause_line({"Traceback (most recent call last):", "  File \"x\", line 1", "    raise RuntimeError('no')",
                        "RuntimeError: no"}),
            "RuntimeError: no");
}

TEST(InstallLog, RoleFromTheSdistsMetadata) {
  const fs::path dir = test_support::scratch_dir();
  std::ofstream(dir / "PKG-INFO") << "Metadata-Version: 2.4\nName: attrs\nRequires-Dist: cffi\n"
                                     "Requires-Dist: hypothesis; extra == \"tests\"\n"
                                     "Requires-Dist: sphinx; extra == \"docs\"\n\nbody\n";
  LogCause c;
  c.dependency = "hypothesis";
  EXPECT_EQ(dependency_role(c, {"attrs", "pip install .[tests]", {}, dir}), "a test dependency");
  c.dependency = "Sphinx";
  EXPECT_EQ(dependency_role(c, {"attrs", "pip install .[docs]", {}, dir}), "a dependency through the extra docs");
  c.dependency = "cffi";
  EXPECT_EQ(dependency_role(c, {"attrs", "pip install .", {}, dir}), "a dependency");
  c.dependency = "pytest-xdist";
  EXPECT_EQ(dependency_role(c, {"attrs", "pip install . pytest-xdist", {}, dir}), "named by the install command");
  EXPECT_EQ(dependency_role(c, {"attrs", "pip install .", {"pytest_xdist>=3"}, dir}), "an extra dependency (--extra-deps)");
  c.dependency = "attrs";
  EXPECT_EQ(dependency_role(c, {"attrs", "pip install .", {}, dir}), "");
  // uv's own words, when it printed them.
  c.dependency = "hypothesis";
  c.role_hint = "attrs[tests]";
  EXPECT_EQ(dependency_role(c, {"attrs", "", {}, {}}), "a test dependency");
}

TEST(InstallLog, RoleFromPyprojectToml) {
  const fs::path dir = test_support::scratch_dir();
  std::ofstream(dir / "pyproject.toml") << "[project]\nname = \"p\"\ndependencies = [\n  \"cffi>=1\",\n]\n"
                                           "[project.optional-dependencies]\ntest = [\"hypothesis\", 'pytest']\n"
                                           "[dependency-groups]\ndev = [\"coverage[toml]\"]\n";
  LogCause c;
  c.dependency = "cffi";
  EXPECT_EQ(dependency_role(c, {"p", "", {}, dir}), "a dependency");
  c.dependency = "hypothesis";
  EXPECT_EQ(dependency_role(c, {"p", "", {}, dir}), "a test dependency");
  c.dependency = "coverage";
  EXPECT_EQ(dependency_role(c, {"p", "", {}, dir}), "a test dependency");
}

TEST(InstallLog, CloneFailure) {
  auto c = clone_cause("Cloning into 'x'...\nfatal: repository 'https://example.invalid/x/' not found\n", "x");
  ASSERT_TRUE(c);
  EXPECT_EQ(cause_sentence(*c), "x could not be cloned: fatal: repository 'https://example.invalid/x/' not found");
}

}  // namespace
}  // namespace labeille::setup
