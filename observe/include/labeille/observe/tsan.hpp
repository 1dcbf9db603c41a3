// ThreadSanitizer around one attempt: the TSAN_OPTIONS the test command gets and the
// per-process report files read back once it has ended.
//
// TSAN writes its reports to stderr by default, where pytest's fd-level capture swallows
// them for every passing test, and it changes the exit status of any process that
// reported (66), which fails a passing suite and every pip install that sees CPython's
// own shutdown races. So the runner gives the command:
//   log_path=<attempt>/tsan/report  one file per process (report.<pid>), subprocesses too
//   exitcode=0                      TSAN never changes an exit status
//   halt_on_error=0                 keep running: every report of the whole suite
//   suppressions=<file>             CPython's known races (and the user's), if given
// and appends the TSAN_OPTIONS it inherited or was given with --env (later flags win).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "labeille/core/record.hpp"

namespace labeille::observe {

// The TSAN_OPTIONS value (paths quoted: TSAN splits flags on spaces, commas and colons).
std::string tsan_options(const std::filesystem::path& log_dir, const std::string& suppressions);

struct TsanLogs {
  std::vector<TsanReport> reports;  // deduplicated by signature
  int count = 0;                    // every report, before dedup
  std::string fatal;                // TSAN's own abort message, if any process had one
  int files = 0;
};

// Reads every report.<pid> in log_dir (in name order, at most kMaxLogBytes of each).
TsanLogs read_tsan_logs(const std::filesystem::path& log_dir);

inline constexpr std::uint64_t kMaxTsanLogBytes = 64ull << 20;

}  // namespace labeille::observe
