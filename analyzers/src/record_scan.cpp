#include "record_scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "labeille/analyzers/ctest_inputs.hpp"
#include "labeille/analyzers/evidence.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/signature.hpp"
#include "labeille/core/text.hpp"

namespace fs = std::filesystem;

namespace labeille::analyzers {

namespace {

// O_NOATIME: a file read for the first time would otherwise have its atime updated
// (relatime does that while atime <= mtime), a journaled inode write per file that
// doubles the cost of a first fold. Only the file's owner may ask for it.
int open_for_reading(int dir_fd, const char* path) {
  int fd = ::openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::openat(dir_fd, path, O_RDONLY | O_CLOEXEC);
  return fd;
}

// Reads <dir>/<rel> into buf (reused across calls, so a worker allocates once) and
// returns its length; nullopt when it cannot be opened (errno says why: ENOENT when the
// attempt has no record yet). Plain POSIX relative to the package directory's
// descriptor: fold reads hundreds of thousands of small files, and open + read + close
// is all a record costs (no stat: a read shorter than asked is the end of a regular file;
// a record a signal cut short fails to parse and is read again by read_whole_file before
// it is called corrupt).
std::optional<std::size_t> read_at(int dir_fd, const char* rel, std::string& buf) {
  int fd = open_for_reading(dir_fd, rel);
  if (fd < 0) return std::nullopt;
  if (buf.size() < (std::size_t{256} << 10)) buf.resize(std::size_t{256} << 10);
  std::size_t got = 0;
  for (;;) {
    if (got == buf.size()) buf.resize(buf.size() * 2);
    const std::size_t want = buf.size() - got;
    ssize_t n = ::read(fd, buf.data() + got, want);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
    if (static_cast<std::size_t>(n) < want) break;
  }
  ::close(fd);
  return got;
}

// The careful read: until read() says end of file.
void read_fd(int fd, std::string& out);

bool read_whole_file(const fs::path& p, std::string& out) {
  int fd = open_for_reading(AT_FDCWD, p.c_str());
  if (fd < 0) return false;
  read_fd(fd, out);
  return true;
}

// Reads what is left of `fd` into out, and closes it.
void read_fd(int fd, std::string& out) {
  out.clear();
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
}

constexpr std::size_t kStderrTailBytes = 2048;

// `warning` receives what is wrong with the attempt's JUnit (the iteration still counts,
// without per-test results).
IterationResult to_iteration(const AttemptRecord& r, const fs::path& record_file, std::string& warning) {
  IterationResult it;
  it.status = std::string(to_string(r.outcome));
  it.exit_code = r.exit_code;
  it.duration_s = r.duration_s;
  if (r.crash) {
    it.crash_signal = r.crash->signal_name;
    it.crash_signature = r.crash->signature;
  }
  it.tsan_warning_count = r.tsan_count;
  // The Python tool's per-run list: TSAN's distinct warning types, sorted.
  for (const auto& t : r.tsan) it.tsan_warnings.push_back(t.type.empty() ? t.kind : t.type);
  std::sort(it.tsan_warnings.begin(), it.tsan_warnings.end());
  it.tsan_warnings.erase(std::unique(it.tsan_warnings.begin(), it.tsan_warnings.end()), it.tsan_warnings.end());
  it.output_stalled = r.stall.detected;
  it.last_output_line = r.last_output_line;
  it.stderr_tail = last_lines(r.err.tail, 20);
  if (it.stderr_tail.size() > kStderrTailBytes)
    it.stderr_tail = sanitize_utf8(it.stderr_tail.substr(it.stderr_tail.size() - kStderrTailBytes));
  it.iteration = r.iteration;
  it.attempt = r.attempt;
  it.stall_cpu_state = r.stall.cpu_state;
  if (r.outcome == Outcome::Deadlock) {
    auto tops = stall_signature(r.thread_stacks);
    it.stall_signature = fmt::format("stall ({}){}", r.stall.cpu_state.empty() ? "not sampled" : r.stall.cpu_state,
                                     tops.empty() ? "" : " | " + tops);
  }
  it.gil_enabled = r.gil_enabled_at_exit;
  it.attempt_id = r.attempt_id;
  // The runner sets junit_path only when pytest wrote one, always beside the record.
  // Only that file is read, never through a symbolic link and never at the record's
  // junit_path itself (a record copied, or made, elsewhere would make fold read any
  // file). A JUnit that is missing, a link, cut short by a crash, or not XML is named in a
  // warning; the iteration still counts, without per-test results.
  if (!r.junit_path.empty() && !record_file.empty()) {
    const fs::path junit = record_file.parent_path() / attempt_files::kJUnit;
    std::string xml;
    int fd = ::open(junit.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      warning = fmt::format("{}: {} (the record names a JUnit); the iteration counts without per-test results",
                            junit.string(), errno == ELOOP ? "a symbolic link, not followed" : std::strerror(errno));
    } else {
      read_fd(fd, xml);
      try {
        it.test_results = parse_pytest_junit(xml, junit.string());
      } catch (const Error& e) {
        warning = fmt::format("{}; the iteration counts without per-test results", e.what());
      }
    }
  }
  for (const auto& t : it.test_results) {
    if (t.status == "passed") ++it.tests_passed;
    else if (t.status == "failed") ++it.tests_failed;
    else if (t.status == "error") ++it.tests_errored;
    else if (t.status == "skipped") ++it.tests_skipped;
  }
  it.mode = r.mode;
  it.first_error = first_error(r, it);
  return it;
}

// Parses one record into its compact form (throws Error naming the file).
void parse_into(Parsed& out, std::string_view text, const fs::path& attempt_dir) {
  auto file = attempt_dir / attempt_files::kRecord;
  auto rec = parse_record(text, file.string());
  std::visit(
      [&](auto& r) {
        out.package = r.package;
        out.id = r.attempt_id.empty() ? file.string() : r.attempt_id;
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, AttemptRecord>) {
          // The compact form at once: memory holds compact attempts, never records.
          Attempt a{r.mode, r.test_name, out.id, r.start_time, r.gil, r.iteration, r.attempt, r.outcome, {}, {}, {}, {}};
          if (counts_as_iteration(r.outcome)) a.it = to_iteration(r, file, out.warning);
          if (r.outcome == Outcome::Skipped) a.skip_detail = r.detail;
          a.stress = r.stress;
          a.tsan = std::move(r.tsan);
          out.item = std::move(a);
        } else {
          out.item = std::move(r);
        }
      },
      rec);
}

}  // namespace

// Lists one package directory and reads every attempt record in it.
void read_package(PackageDir& pd, std::string& buf) {
  int dfd = ::open(pd.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = dfd < 0 ? nullptr : ::fdopendir(dfd);
  if (!d) {
    if (dfd >= 0) ::close(dfd);
    Parsed p;
    p.problem = fmt::format("{}: cannot list: {}", pd.path.string(), std::strerror(errno));
    pd.attempts.push_back(std::move(p));
    return;
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {  // file systems that do not fill d_type
      struct stat st {};
      is_dir = ::fstatat(dfd, e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  pd.attempts.resize(names.size());
  std::string rel;
  for (std::size_t k = 0; k < names.size(); ++k) {
    auto& out = pd.attempts[k];
    out.attempt_dir = names[k];
    rel = fmt::format("{}/{}", names[k], attempt_files::kRecord);
    auto n = read_at(dfd, rel.c_str(), buf);
    if (!n && errno == ENOENT) {
      out.missing = true;  // still running, or killed before writing
      rel = fmt::format("{}/{}", names[k], attempt_files::kStarted);
      if (auto m = read_at(dfd, rel.c_str(), buf)) {
        try {
          out.started = parse_started(std::string_view(buf.data(), *m), (pd.path / rel).string());
        } catch (const Error&) {
          // A hint cut short by the kill: the attempt is still known from its directory.
        }
      }
      continue;
    }
    if (!n) {
      out.problem = fmt::format("{}: cannot read: {}", (pd.path / rel).string(), std::strerror(errno));
      continue;
    }
    try {
      parse_into(out, std::string_view(buf.data(), *n), pd.path / names[k]);
    } catch (const Error& first) {
      std::string whole;
      try {
        if (!read_whole_file(pd.path / rel, whole)) throw first;
        parse_into(out, whole, pd.path / names[k]);
      } catch (const Error& e) {
        out = Parsed{};
        out.attempt_dir = names[k];
        out.problem = e.what();
      }
    }
  }
  ::closedir(d);
}

}  // namespace labeille::analyzers
