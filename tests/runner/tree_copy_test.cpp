#include "labeille/runner/tree_copy.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "labeille/core/error.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/runner/attempt.hpp"
#include "support/scratch.hpp"

namespace fs = std::filesystem;

namespace labeille::runner {

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ino_t inode(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_ino;
}

}  // namespace

TEST(TreeCopy, FilesAreTheCopysOwnExceptGitObjects) {
  const fs::path dir = test_support::scratch_dir();
  const fs::path src = dir / "src", dst = dir / "copies" / "gil0.iter01";
  write(src / "data.txt", "original\n");
  write(src / "pkg" / "__pycache__" / "m.cpython-313.pyc", "pyc");
  write(src / ".pytest_cache" / "v" / "cache" / "lastfailed", "{}");
  write(src / ".git" / "objects" / "ab" / "cdef01", "blob");
  write(src / ".git" / "index", "index");
  write(src / "run.sh", "#!/bin/sh\n");
  fs::permissions(src / "run.sh", fs::perms::owner_all);
  fs::create_symlink("data.txt", src / "link");
  const auto old = fs::last_write_time(src / "run.sh") - std::chrono::hours(24);
  fs::last_write_time(src / "run.sh", old);

  auto st = copy_tree(src, dst);
  EXPECT_EQ(st.files, 6u);
  EXPECT_EQ(st.hard_linked, 1u);  // only the git object
  EXPECT_EQ(st.reflinked + st.copied, 5u);

  // The write-once object store is shared; everything a test may write is not.
  EXPECT_EQ(inode(src / ".git" / "objects" / "ab" / "cdef01"), inode(dst / ".git" / "objects" / "ab" / "cdef01"));
  for (auto rel : {"data.txt", ".git/index", ".pytest_cache/v/cache/lastfailed", "pkg/__pycache__/m.cpython-313.pyc"})
    EXPECT_NE(inode(src / rel), inode(dst / rel)) << rel;

  // Written in place (the same inode, as open(..., "a") does): the source never sees it.
  { std::ofstream(dst / "data.txt", std::ios::app) << "written by the copy\n"; }
  { std::ofstream(dst / ".pytest_cache" / "v" / "cache" / "lastfailed", std::ios::in | std::ios::out) << "[]"; }
  EXPECT_EQ(read(src / "data.txt"), "original\n");
  EXPECT_EQ(read(src / ".pytest_cache" / "v" / "cache" / "lastfailed"), "{}");
  EXPECT_EQ(read(dst / "data.txt"), "original\nwritten by the copy\n");

  // Links stay links, modes and times are kept (a copied .pyc stays valid for its source).
  EXPECT_TRUE(fs::is_symlink(dst / "link"));
  EXPECT_EQ(fs::read_symlink(dst / "link"), "data.txt");
  EXPECT_EQ(fs::status(dst / "run.sh").permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
  EXPECT_EQ(fs::last_write_time(dst / "run.sh"), old);
}

TEST(TreeCopy, RefusesAnExistingTargetAndAMissingSource) {
  const fs::path dir = test_support::scratch_dir();
  write(dir / "src" / "a", "a");
  fs::create_directories(dir / "dst");
  EXPECT_THROW(copy_tree(dir / "src", dir / "dst"), Error);
  try {
    copy_tree(dir / "nope", dir / "dst2");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

TEST(TreeCopy, WriteOncePathsAreGitObjectsOnly) {
  EXPECT_TRUE(write_once_path(".git/objects/ab/cdef"));
  EXPECT_TRUE(write_once_path(".git/objects/pack/pack-1.pack"));
  EXPECT_FALSE(write_once_path(".git/objects"));
  EXPECT_FALSE(write_once_path(".git/index"));
  EXPECT_FALSE(write_once_path("src/.git/objects/ab/cd"));
  EXPECT_FALSE(write_once_path("objects/ab/cd"));
}

TEST(GilControl, RunsUnlessEveryRunOfTheControlledModePassed) {
  using O = Outcome;
  EXPECT_EQ(control_skip_reason({O::Pass, O::Pass}), kGilControlNotNeeded);
  EXPECT_EQ(control_skip_reason({O::Pass, O::Skipped}), kGilControlNotNeeded);  // until-bound stopped early
  EXPECT_EQ(control_skip_reason({}), "");                                      // nothing to decide from
  EXPECT_EQ(control_skip_reason({O::Skipped, O::Interrupted}), "");
  for (auto bad : {O::Fail, O::Crash, O::Deadlock, O::Timeout, O::TestsNotRun, O::Error})
    EXPECT_EQ(control_skip_reason({O::Pass, bad, O::Pass}), "") << to_string(bad);
}

}  // namespace labeille::runner
