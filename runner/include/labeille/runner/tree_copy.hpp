// A private copy of a package's source tree for one attempt, so iterations of one package
// can run side by side (docs/run.md, "Iterations side by side").
//
// What tests write into their tree decides how cheap the copy may be. pytest rewrites
// .pytest_cache/ files in place, suites open fixture files with "w" or "a", coverage and
// build steps update files where they lie. A hard-linked file written in place is written
// through the link: into the shared tree and every other iteration's copy. So files are
// never hard-linked, except git's object store (.git/objects/): git writes an object once,
// to a temporary file renamed into place, and never opens one for writing again. Every
// other regular file is a reflink where the file system allows it (FICLONE: btrfs, XFS,
// bcachefs; the copy shares blocks until either side writes), else a plain copy.
// Directories, permissions, symlinks (as links) and modification times are kept (a
// __pycache__ entry stays valid for its copied source).
#pragma once

#include <cstdint>
#include <filesystem>

namespace labeille::runner {

struct TreeCopyStats {
  std::uint64_t files = 0, reflinked = 0, hard_linked = 0, copied = 0, bytes_copied = 0;
};

// Copies `from` into `to` (which must not exist). Throws labeille::Error naming the path.
TreeCopyStats copy_tree(const std::filesystem::path& from, const std::filesystem::path& to);

// Whether `rel` (relative to the tree's root) is in git's write-once object store.
bool write_once_path(const std::filesystem::path& rel);

}  // namespace labeille::runner
