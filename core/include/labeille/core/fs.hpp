// File-system primitives that keep records safe under crashes, Ctrl-C, `ctest -j` and
// `ctest --repeat`.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace labeille {

// Writes `content` to a temporary file in the same directory, fsyncs it and renames it
// over `path`: a reader sees either the old file or the whole new one, never a part.
// Throws labeille::Error naming the path on failure.
// Sync::No skips the fsync (a hint that a machine crash may lose, never a record: it
// costs milliseconds on the runner's path).
enum class Sync { Yes, No };
void atomic_write_file(const std::filesystem::path& path, std::string_view content, Sync sync = Sync::Yes);
// The same for content in pieces, written one after the other: a large file is never
// joined into one more copy in memory.
void atomic_write_file(const std::filesystem::path& path, std::span<const std::string_view> pieces,
                       Sync sync = Sync::Yes);

// The same, written piece by piece as the content is produced: the temporary file becomes
// `path` at commit(); destroyed without commit() (an error, Ctrl-C unwinding), it is
// removed and the old file stays.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path, Sync sync = Sync::Yes);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  void write(std::string_view piece);
  void commit();

 private:
  std::filesystem::path path_;
  std::string tmp_;
  Sync sync_;
  int fd_ = -1;
};

// Writes a command's output file (`-o FILE`) without destroying what is at the path:
// FILE absent or a regular file is replaced atomically (as atomic_write_file); a symlink
// is followed (also a dangling one) and its target written, the link stays a link;
// anything else (a device like /dev/full, a directory, a FIFO, a socket) is refused with
// an Error naming it, exit kExitUsage, before anything is written.
void write_output_file(const std::filesystem::path& path, std::string_view content);

// The one writer of standard output for what a command produces (a view, a report, an
// export): every byte written or an Error "standard output: <reason>" (exit
// kExitInternal, 70), so a full disk behind `> file` or /dev/full is never an exit 0 with
// the output cut. Writes straight to file descriptor 1 (nothing buffered behind it).
void write_stdout(std::string_view content);

// Reads a whole file; throws labeille::Error naming the path on failure.
std::string read_file(const std::filesystem::path& path);

// A file or directory shipped with this executable: the first `root / relative` that
// exists, for `root` the executable's grandparent (<prefix> for <prefix>/bin/<exe> when
// installed, <build> for <build>/<part>/<exe> in a build tree), then the grandparent's
// parent. Empty when none exists. The executable is /proc/self/exe, links resolved.
std::filesystem::path find_in_own_tree(std::initializer_list<std::string_view> relatives);

// The directory holding this executable's LabeilleFTConfig.cmake (the one to give CMake as
// LabeilleFT_DIR or in CMAKE_PREFIX_PATH): <prefix>/lib/cmake/LabeilleFT (lib64 too) in an
// install tree, a wheel's included; the build directory in a build tree. Empty when none.
std::filesystem::path own_cmake_package_dir();

// Claims the next free attempt directory `<parent>/<stem>.a<NNN>` (NNN from 001) by
// exclusive creation: mkdir(2) fails with EEXIST exactly like open(O_CREAT|O_EXCL), so
// two runners started at once (ctest -j, ctest --repeat, two shards sharing a disk)
// can never receive the same number. Creates `parent` if needed.
struct ClaimedAttempt {
  std::filesystem::path dir;
  int attempt = 0;
};
ClaimedAttempt claim_attempt_dir(const std::filesystem::path& parent, std::string_view stem);

// File names used inside an attempt directory (the record format's layout, one place).
namespace attempt_files {
inline constexpr std::string_view kRecord = "record.json";
inline constexpr std::string_view kStarted = "started.json";  // StartedMarker (record.hpp)
inline constexpr std::string_view kStdout = "stdout.log";
inline constexpr std::string_view kStderr = "stderr.log";
inline constexpr std::string_view kJUnit = "junit.xml";
inline constexpr std::string_view kHookDir = "hook";  // startup hook writes here
// A stress attempt's plugin output: one JSON line per pytest session (runner/stress.hpp).
inline constexpr std::string_view kStressOut = "stress.jsonl";
}  // namespace attempt_files

// The directory below a package's venv that holds the stress tools: set-up installs them
// there, a stress attempt puts it on PYTHONPATH (outside site-packages, so plain
// iterations never load them).
inline constexpr std::string_view kStressToolsDir = "labeille-ft-stress";

}  // namespace labeille
