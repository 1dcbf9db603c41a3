// The registry reader on the fixture registries of tests/fixtures/registries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include <algorithm>

#include "labeille/core/error.hpp"
#include "labeille/registry/registry.hpp"

namespace reg = labeille::registry;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::filesystem::path fixture(const char* name) {
  return std::filesystem::path(LABEILLE_FT_SOURCE_DIR) / "tests/fixtures/registries" / name;
}

std::vector<std::string> names(const std::vector<reg::Package>& packages) {
  std::vector<std::string> out;
  for (const auto& p : packages) out.push_back(p.name);
  return out;
}

const reg::Package& find(const reg::Registry& r, const std::string& name) {
  auto it = std::find_if(r.packages.begin(), r.packages.end(), [&](const auto& p) { return p.name == name; });
  EXPECT_NE(it, r.packages.end()) << name;
  return *it;
}

}  // namespace

TEST(RegistryName, Pep508) {
  EXPECT_TRUE(reg::is_valid_name("a"));
  EXPECT_TRUE(reg::is_valid_name("zope.interface"));
  EXPECT_TRUE(reg::is_valid_name("typing_extensions-2"));
  EXPECT_FALSE(reg::is_valid_name("../evil"));
  EXPECT_FALSE(reg::is_valid_name("a/b"));
  EXPECT_FALSE(reg::is_valid_name("-a"));
  EXPECT_FALSE(reg::is_valid_name("a."));
  EXPECT_FALSE(reg::is_valid_name(""));
  EXPECT_FALSE(reg::is_valid_name("a b"));
}

TEST(RegistryLoad, ReadsAllFieldsAndToleratesUnknownOnesAndNulls) {
  const reg::Registry r = reg::load(fixture("basic"));
  EXPECT_EQ(r.schema_version, 1);
  EXPECT_TRUE(r.problems.empty()) << r.problems.front().to_string();
  EXPECT_EQ(r.packages.size(), 8u);
  const auto& big = find(r, "big");
  EXPECT_EQ(big.download_count, 1000);
  EXPECT_EQ(big.repo, "https://github.com/example/big");
  EXPECT_EQ(big.install_command, "pip install -e \".[test]\"");
  EXPECT_EQ(big.test_command, "python -m pytest -x");
  EXPECT_TRUE(big.uses_xdist);
  EXPECT_EQ(big.timeout, 1200);
  EXPECT_EQ(big.clone_depth, 50);
  EXPECT_EQ(big.import_name, "big_module");
  const auto& small = find(r, "small");  // every field null or empty
  EXPECT_FALSE(small.timeout.has_value());
  EXPECT_FALSE(small.clone_depth.has_value());
  EXPECT_EQ(small.import_name, "");
  EXPECT_EQ(small.skip_reason, "");
  EXPECT_FALSE(find(r, "alpha").download_count.has_value());
  EXPECT_EQ(find(r, "unknown-count").repo, "");
}

TEST(RegistryChoose, RanksByDownloadsNullsLastThenName) {
  const reg::Registry r = reg::load(fixture("basic"));
  const reg::Chosen c = reg::choose(r, {});
  EXPECT_THAT(names(c.run), ElementsAre("old-only", "big", "mid", "small", "alpha", "unknown-count"));
}

TEST(RegistryChoose, TopCountsOnlyRunnablePackages) {
  const reg::Registry r = reg::load(fixture("basic"));
  reg::Selection s;
  s.top = 2;
  s.python_version = "3.13";  // old-only (777777 downloads) is skipped for 3.13
  const reg::Chosen c = reg::choose(r, s);
  EXPECT_THAT(names(c.run), ElementsAre("big", "mid"));
  // The skipped ones ranked above are reported, not silently dropped.
  ASSERT_EQ(c.skipped.size(), 3u);
  EXPECT_EQ(c.skipped[0].first, "index-skipped");
  EXPECT_EQ(c.skipped[1].first, "file-skipped");
  EXPECT_EQ(c.skipped[1].second, "segfaults the collector");
  EXPECT_EQ(c.skipped[2].first, "old-only");
}

TEST(RegistryChoose, SkipVersionsApplyToTheTargetVersionOnly) {
  const reg::Registry r = reg::load(fixture("basic"));
  reg::Selection s;
  s.python_version = "3.13";
  const reg::Chosen c313 = reg::choose(r, s);
  EXPECT_THAT(names(c313.run), Not(::testing::Contains("old-only")));
  EXPECT_THAT(names(c313.run), ::testing::Contains("mid"));
  EXPECT_THAT(c313.skipped.back().second, HasSubstr("no wheels for 3.13"));
  s.python_version = "3.12";
  const reg::Chosen c312 = reg::choose(r, s);
  EXPECT_THAT(names(c312.run), ::testing::Contains("old-only"));
  EXPECT_THAT(names(c312.run), Not(::testing::Contains("mid")));
}

TEST(RegistryChoose, PackagesSelectsAndReportsUnknownNames) {
  const reg::Registry r = reg::load(fixture("basic"));
  reg::Selection s;
  s.names = {"small", "nope", "alpha"};
  const reg::Chosen c = reg::choose(r, s);
  EXPECT_THAT(names(c.run), ElementsAre("small", "alpha"));
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_THAT(c.problems[0].message, HasSubstr("\"nope\""));
}

TEST(RegistryLoad, MalformedFileReportedWithFileAndLineOthersKept) {
  const reg::Registry r = reg::load(fixture("malformed"));
  EXPECT_THAT(names(r.packages), ElementsAre("good-one", "good-two"));
  ASSERT_EQ(r.problems.size(), 3u);
  EXPECT_EQ(r.problems[0].file.filename(), "broken.yaml");
  EXPECT_EQ(r.problems[0].line, 4);  // the flow sequence opened on line 3 never closes
  EXPECT_EQ(r.problems[1].file.filename(), "bad-type.yaml");
  EXPECT_EQ(r.problems[1].line, 4);
  EXPECT_THAT(r.problems[1].to_string(), HasSubstr("bad-type.yaml:4: field timeout: expected an integer, got \"ten minutes\""));
  EXPECT_EQ(r.problems[2].file.filename(), "missing-file.yaml");
}

TEST(RegistryLoad, HostileNamesRefusedBeforeAnyPathIsBuilt) {
  const reg::Registry r = reg::load(fixture("hostile"));
  EXPECT_THAT(names(r.packages), ElementsAre("inject"));
  ASSERT_EQ(r.problems.size(), 3u);
  EXPECT_THAT(r.problems[0].message, HasSubstr("\"../evil\" is not a valid package name"));
  EXPECT_EQ(r.problems[0].line, 2);
  EXPECT_EQ(r.problems[0].file.filename(), "index.yaml");
}

TEST(RegistryLoad, MissingIndexIsAnError) {
  try {
    reg::load(fixture("no-such-registry"));
    FAIL() << "no error";
  } catch (const labeille::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no-such-registry/index.yaml"));
  }
}

TEST(RegistrySource, UrlsPathsAndSdists) {
  reg::Package p;
  p.name = "x";
  const auto dir = fixture("basic");
  EXPECT_EQ(reg::source_of(p, dir).kind, reg::Source::Kind::sdist);
  p.repo = "https://github.com/a/b";
  EXPECT_EQ(reg::source_of(p, dir).kind, reg::Source::Kind::git);
  p.repo = "../../packages/ft-compatible";
  auto s = reg::source_of(p, dir);
  EXPECT_EQ(s.kind, reg::Source::Kind::path);
  EXPECT_EQ(s.location, (std::filesystem::path(LABEILLE_FT_SOURCE_DIR) / "tests/fixtures/packages/ft-compatible").string());
  p.repo = "file:///srv/pkgs/x";
  s = reg::source_of(p, dir);
  EXPECT_EQ(s.kind, reg::Source::Kind::path);
  EXPECT_EQ(s.location, "/srv/pkgs/x");
  p.repo = LABEILLE_FT_SOURCE_DIR;  // a git work tree: cloned, so a REF would work
  s = reg::source_of(p, dir);
  EXPECT_EQ(s.kind, reg::Source::Kind::git);
  EXPECT_EQ(s.location, std::string("file://") + LABEILLE_FT_SOURCE_DIR);
}

TEST(RegistryRender, BracketQuoteCannotBeClosedByContent) {
  EXPECT_EQ(reg::bracket_quote("abc"), "[=[abc]=]");
  EXPECT_EQ(reg::bracket_quote("a]=]b"), "[==[a]=]b]==]");
  EXPECT_EQ(reg::bracket_quote("a]"), "[=[a]]=]");
  EXPECT_EQ(reg::bracket_quote("a]="), "[==[a]=]==]");
  EXPECT_EQ(reg::bracket_quote("\nx"), "[=[\n\nx]=]");
}

TEST(RegistryRender, OneCallPerPackageEveryValueQuoted) {
  const reg::Registry r = reg::load(fixture("basic"));
  reg::Selection s;
  s.names = {"big", "alpha", "unknown-count"};
  const std::string code = reg::render_cmake(r, reg::choose(r, s));
  EXPECT_THAT(code, HasSubstr("labeille_ft_add_package([=[big]=]\n  GIT [=[https://github.com/example/big]=]\n"
                              "  CLONE_DEPTH 50\n  IMPORT_NAME [=[big_module]=]\n"
                              "  INSTALL_COMMAND [=[pip install -e \".[test]\"]=]\n"
                              "  TEST_COMMAND [=[python -m pytest -x]=]\n  TIMEOUT 1200\n  USES_XDIST\n"
                              "  ${LABEILLE_FT_REGISTRY_EXTRA_ARGS})\n"));
  EXPECT_THAT(code, HasSubstr("labeille_ft_add_package([=[alpha]=]\n  PATH [=["));
  EXPECT_THAT(code, HasSubstr("labeille_ft_add_package([=[unknown-count]=]\n  SDIST\n"));
}

TEST(RegistryRender, PinnedVersionsBecomeVersion) {
  EXPECT_EQ(reg::split_pin("idna==3.10"), (std::pair<std::string, std::string>{"idna", "3.10"}));
  EXPECT_EQ(reg::split_pin("idna"), (std::pair<std::string, std::string>{"idna", ""}));
  const reg::Registry r = reg::load(fixture("basic"));
  reg::Selection s;
  reg::add_packages(s, {"big==2.0.1", "unknown-count"});
  EXPECT_EQ(s.names, (std::vector<std::string>{"big", "unknown-count"}));
  const std::string code = reg::render_cmake(r, reg::choose(r, s));
  EXPECT_THAT(code, HasSubstr("  CLONE_DEPTH 50\n  VERSION [=[2.0.1]=]\n"));
  EXPECT_THAT(code, HasSubstr("labeille_ft_add_package([=[unknown-count]=]\n  SDIST\n  ${"));
}

TEST(RegistryRender, ProblemsBecomeWarnings) {
  const reg::Registry r = reg::load(fixture("malformed"));
  const std::string code = reg::render_cmake(r, reg::choose(r, {}));
  EXPECT_THAT(code, HasSubstr("message(WARNING [=[labeille ft registry: "));
  EXPECT_THAT(code, HasSubstr("broken.yaml:4: "));
  EXPECT_THAT(code, HasSubstr("labeille_ft_add_package([=[good-one]=]"));
}

// In-memory registries through the FileReader seam: edge cases without fixture files.
namespace {

class FakeFiles final : public reg::FileReader {
 public:
  std::map<std::filesystem::path, std::string> files;
  bool is_file(const std::filesystem::path& p) const override { return files.count(p) > 0; }
  std::string read(const std::filesystem::path& p) const override {
    auto it = files.find(p);
    if (it == files.end()) throw labeille::Error(p.string() + ": cannot read");
    return it->second;
  }
};

}  // namespace

TEST(RegistryFake, TiesRankByNameAndTopCutsThere) {
  FakeFiles fake;
  std::string index = "packages:\n";
  for (const char* n : {"delta", "alpha", "charlie", "bravo"}) {
    index += std::string("  - {name: ") + n + ", download_count: 7}\n";
    fake.files[std::string("/r/packages/") + n + ".yaml"] = std::string("package: ") + n + "\n";
  }
  fake.files["/r/index.yaml"] = index;
  const reg::Registry r = reg::load("/r", fake);
  EXPECT_EQ(r.schema_version, 0);  // no schema.yaml: tolerated
  reg::Selection s;
  s.top = 3;
  EXPECT_THAT(names(reg::choose(r, s).run), ElementsAre("alpha", "bravo", "charlie"));
}

TEST(RegistryFake, IndexWithoutAPackageListIsAnErrorNamingTheField) {
  FakeFiles fake;
  fake.files["/r/index.yaml"] = "packages: {requests: 1}\n";
  try {
    reg::load("/r", fake);
    FAIL() << "no error";
  } catch (const labeille::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/r/index.yaml: field packages: expected a list"));
  }
}

TEST(RegistryFake, MismatchedPackageFieldAndUnreadableFileAreProblems) {
  FakeFiles fake;
  fake.files["/r/index.yaml"] = "packages:\n  - name: a\n  - name: b\n  - name: c\n";
  fake.files["/r/packages/a.yaml"] = "package: not-a\n";
  fake.files["/r/packages/b.yaml"] = "package: b\nskip_versions: [\"3.13\"]\n";
  fake.files["/r/packages/c.yaml"] = "- just\n- a list\n";
  const reg::Registry r = reg::load("/r", fake);
  EXPECT_THAT(names(r.packages), ElementsAre("b"));
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_THAT(r.problems[0].to_string(), HasSubstr("a.yaml: package: \"not-a\" does not match"));
  EXPECT_THAT(r.problems[1].to_string(), HasSubstr("c.yaml:1: "));
  reg::Selection s;
  s.python_version = "3.13";  // the list form of skip_versions
  EXPECT_TRUE(reg::choose(r, s).run.empty());
}
