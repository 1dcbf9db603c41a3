#include "labeille/runner/tree_copy.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "labeille/core/error.hpp"

namespace fs = std::filesystem;

namespace labeille::runner {

namespace {

// A file descriptor closed on every path out.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// FICLONE of the whole file: true when the file system shared the blocks.
bool reflink(const fs::path& from, const fs::path& to, mode_t mode) {
  Fd src(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (src.fd < 0) return false;
  Fd dst(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777));
  if (dst.fd < 0) return false;
  if (::ioctl(dst.fd, FICLONE, src.fd) == 0) return true;
  ::unlink(to.c_str());  // EOPNOTSUPP, EXDEV, EINVAL: the caller copies instead
  return false;
}

[[noreturn]] void fail(const char* what, const fs::path& p, const std::error_code& ec) {
  throw Error(fmt::format("copying the source tree: cannot {} {}: {}", what, p.string(), ec.message()),
              kExitInternal);
}

}  // namespace

bool write_once_path(const fs::path& rel) {
  auto it = rel.begin();
  if (it == rel.end() || *it != ".git") return false;
  ++it;
  return it != rel.end() && *it == "objects" && std::next(it) != rel.end();
}

TreeCopyStats copy_tree(const fs::path& from, const fs::path& to) {
  TreeCopyStats st;
  std::error_code ec;
  if (!fs::is_directory(from, ec)) fail("read the directory", from, ec ? ec : std::make_error_code(std::errc::not_a_directory));
  fs::create_directories(to.parent_path(), ec);
  if (ec) fail("create", to.parent_path(), ec);
  if (!fs::create_directory(to, from, ec) && !ec) ec = std::make_error_code(std::errc::file_exists);
  if (ec) fail("create", to, ec);
  bool reflinks = true;  // one refusal says the file system has none: stop asking
  for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path& src = it->path();
    const fs::path rel = src.lexically_relative(from);
    const fs::path dst = to / rel;
    const auto status = it->symlink_status(ec);
    // A file gone since the listing is a writer's temporary (Python's __pycache__ writes
    // and renames while a side-by-side neighbour imports from an editable install).
    if (ec == std::errc::no_such_file_or_directory) {
      ec.clear();
      continue;
    }
    if (ec) fail("stat", src, ec);
    if (fs::is_symlink(status)) {
      fs::copy_symlink(src, dst, ec);
      if (ec) fail("copy the link", src, ec);
    } else if (fs::is_directory(status)) {
      fs::create_directory(dst, src, ec);
      if (ec) fail("create", dst, ec);
    } else if (fs::is_regular_file(status)) {
      ++st.files;
      if (write_once_path(rel)) {
        fs::create_hard_link(src, dst, ec);
        if (!ec) {
          ++st.hard_linked;
          continue;
        }
        ec.clear();  // another file system, a link limit: copy it
      }
      if (reflinks && reflink(src, dst, static_cast<mode_t>(status.permissions()))) {
        ++st.reflinked;
      } else {
        reflinks = false;
        fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
        if (ec == std::errc::no_such_file_or_directory && !fs::exists(src)) {
          ec.clear();
          --st.files;
          continue;
        }
        if (ec) fail("copy", src, ec);
        ++st.copied;
        st.bytes_copied += static_cast<std::uint64_t>(it->file_size(ec));
        ec.clear();
      }
      const auto mtime = fs::last_write_time(src, ec);
      if (!ec) fs::last_write_time(dst, mtime, ec);
      ec.clear();  // a time not kept costs a recompiled .pyc, nothing more
    }
    // Sockets, FIFOs, devices: nothing a test suite reads from its tree.
  }
  if (ec) fail("walk", from, ec);
  return st;
}

}  // namespace labeille::runner
