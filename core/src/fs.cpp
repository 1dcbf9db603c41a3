#include "labeille/core/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "labeille/core/error.hpp"

namespace fs = std::filesystem;

namespace labeille {

namespace {
std::string errno_text() { return std::strerror(errno); }
}  // namespace

AtomicFile::AtomicFile(fs::path path, Sync sync) : path_(std::move(path)), sync_(sync) {
  std::error_code ec;
  if (path_.has_parent_path()) fs::create_directories(path_.parent_path(), ec);
  tmp_ = fmt::format("{}.tmp.{}", path_.string(), ::getpid());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(fmt::format("cannot write {}: {}", tmp_, errno_text()), kExitInternal);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicFile::write(std::string_view piece) {
  const char* p = piece.data();
  std::size_t left = piece.size();
  while (left > 0) {
    ssize_t w = ::write(fd_, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("cannot write {}: {}", tmp_, errno_text()), kExitInternal);
    }
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

void AtomicFile::commit() {
  if (sync_ == Sync::Yes) ::fsync(fd_);
  ::close(fd_);
  fd_ = -1;
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(tmp_.c_str());
    throw Error(fmt::format("cannot rename {} to {}: {}", tmp_, path_.string(), why), kExitInternal);
  }
}

void atomic_write_file(const fs::path& path, std::span<const std::string_view> pieces, Sync sync) {
  AtomicFile f(path, sync);
  for (const auto& piece : pieces) f.write(piece);
  f.commit();
}

void atomic_write_file(const fs::path& path, std::string_view content, Sync sync) {
  atomic_write_file(path, std::span<const std::string_view>(&content, 1), sync);
}

void write_output_file(const fs::path& path, std::string_view content) {
  fs::path target = path;
  for (int hops = 0;; ++hops) {
    std::error_code ec;
    auto st = fs::symlink_status(target, ec);
    if (ec || !fs::is_symlink(st)) break;
    if (hops == 40) throw Error(fmt::format("{}: too many levels of symbolic links", path.string()), kExitUsage);
    fs::path next = fs::read_symlink(target);
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  std::error_code ec;
  auto st = fs::status(target, ec);
  if (!ec && fs::exists(st) && !fs::is_regular_file(st)) {
    const char* what = fs::is_directory(st)          ? "a directory"
                       : fs::is_character_file(st)   ? "a character device"
                       : fs::is_block_file(st)       ? "a block device"
                       : fs::is_fifo(st)             ? "a FIFO"
                       : fs::is_socket(st)           ? "a socket"
                                                     : "not a regular file";
    throw Error(fmt::format("{}: is {}; an output file must be a regular file or absent (-o - writes to standard "
                            "output)",
                            path.string(), what),
                kExitUsage);
  }
  atomic_write_file(target, content);
}

void write_stdout(std::string_view content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(1, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw Error(fmt::format("standard output: {} after {} of {} bytes", n < 0 ? errno_text() : "nothing written",
                              done, content.size()),
                  kExitInternal);
    done += static_cast<std::size_t>(n);
  }
  // A regular file (`> file`) on a full disk can accept write() and fail only at close;
  // fsync asks now. Pipes and terminals say EINVAL/EROFS/ENOTSUP: nothing to report.
  struct stat st {};
  if (::fstat(1, &st) == 0 && S_ISREG(st.st_mode) && ::fsync(1) != 0 && errno != EINVAL && errno != EROFS &&
      errno != ENOTSUP)
    throw Error(fmt::format("standard output: {}", errno_text()), kExitInternal);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}: {}", path.string(), errno_text()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ClaimedAttempt claim_attempt_dir(const fs::path& parent, std::string_view stem) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw Error(fmt::format("cannot create {}: {}", parent.string(), ec.message()), kExitInternal);
  for (int n = 1; n < 100000; ++n) {
    fs::path dir = parent / fmt::format("{}.a{:03d}", stem, n);
    if (::mkdir(dir.c_str(), 0755) == 0) return {dir, n};
    if (errno != EEXIST)
      throw Error(fmt::format("cannot create {}: {}", dir.string(), errno_text()), kExitInternal);
  }
  throw Error(fmt::format("too many attempts under {} for {}", parent.string(), stem), kExitInternal);
}

fs::path find_in_own_tree(std::initializer_list<std::string_view> relatives) {
  std::error_code ec;
  const fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path root = exe.parent_path().parent_path();
  for (const fs::path& r : {root, root.parent_path()})
    for (auto rel : relatives)
      if (fs::exists(r / rel)) return r / rel;
  return {};
}

fs::path own_cmake_package_dir() {
  const fs::path config = find_in_own_tree({"LabeilleFTConfig.cmake", "lib/cmake/LabeilleFT/LabeilleFTConfig.cmake",
                                            "lib64/cmake/LabeilleFT/LabeilleFTConfig.cmake"});
  return config.empty() ? fs::path() : config.parent_path();
}

}  // namespace labeille
