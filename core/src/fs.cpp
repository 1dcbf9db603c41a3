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

void atomic_write_file(const fs::path& path, std::span<const std::string_view> pieces, Sync sync) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  std::string tmp = fmt::format("{}.tmp.{}", path.string(), ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("cannot write {}: {}", tmp, errno_text()), kExitInternal);
  for (const auto& piece : pieces) {
    const char* p = piece.data();
    std::size_t left = piece.size();
    while (left > 0) {
      ssize_t w = ::write(fd, p, left);
      if (w < 0) {
        if (errno == EINTR) continue;
        std::string why = errno_text();
        ::close(fd);
        ::unlink(tmp.c_str());
        throw Error(fmt::format("cannot write {}: {}", tmp, why), kExitInternal);
      }
      p += w;
      left -= static_cast<std::size_t>(w);
    }
  }
  if (sync == Sync::Yes) ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw Error(fmt::format("cannot rename {} to {}: {}", tmp, path.string(), why), kExitInternal);
  }
}

void atomic_write_file(const fs::path& path, std::string_view content, Sync sync) {
  atomic_write_file(path, std::span<const std::string_view>(&content, 1), sync);
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

}  // namespace labeille
