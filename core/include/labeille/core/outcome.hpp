// The closed outcome taxonomies of labeille ft, each defined once as an X-macro table.
//
// Outcome: what ONE attempt of a test command ended as (written by the runner).
// Category: what a PACKAGE ends as after folding all its attempts (the analyzers).
// Enum, JSON name, CTest exit code and the human description all come from one row,
// so the runner, the analyzers, the CMake module (SKIP_RETURN_CODE) and the docs can
// never disagree. Add a row here and every switch over the enum fails to compile until
// it handles it (-Wswitch + -Werror in developer mode).
#pragma once

#include <optional>
#include <string_view>

namespace labeille {

// clang-format off
//   id           json name      exit  counts  description
#define LABEILLE_FT_OUTCOMES(X)                                                                   \
  X(Pass,        "pass",         0,   true,  "the command exited 0")                              \
  X(Fail,        "fail",         1,   true,  "non-zero exit")                                     \
  X(Crash,       "crash",        2,   true,  "killed by SEGV/ABRT/BUS/ILL/FPE, or a Fatal Python error") \
  X(Deadlock,    "deadlock",     3,   true,  "no output, CPU time or I/O of the whole tree for the stall threshold") \
  X(Timeout,     "timeout",      4,   true,  "the hard timeout was reached while output flowed or the silent tree kept working (stalled, busy)") \
  X(Error,       "error",        5,   true,  "the command could not be started")                  \
  X(TestsNotRun, "tests_not_run", 6,  true,  "pytest exited 2-5 (collection error, interrupted, internal or usage error, no tests collected) or is not installed: the suite did not run") \
  X(Interrupted, "interrupted",  130, false, "the runner got SIGINT/SIGTERM/SIGHUP; the tree was killed") \
  X(Skipped,     "skipped",      77,  false, "not run: the verdict was settled (stop-on-first-pass, --until-bound) or a GIL=1 control was not needed (--compare-with-gil auto)")
// clang-format on

enum class Outcome {
#define LABEILLE_X(id, name, code, counts, desc) id,
  LABEILLE_FT_OUTCOMES(LABEILLE_X)
#undef LABEILLE_X
};

// The detail of a skipped GIL=1 control (--compare-with-gil auto, the runner's
// --control-for): the fold and every view know a control that was not needed by it.
inline constexpr std::string_view kGilControlNotNeeded = "GIL=1 not run: every GIL=0 run passed";

// Exit statuses of the tools CTest runs (labeille-ft-runner, labeille-ft-setup), named as
// error.hpp's kExit* are. Their 1-6 are outcomes, so their own errors take sysexits'
// numbers.
// A skipped attempt: the Skipped row's code, CTest's SKIP_RETURN_CODE (the module reads
// it from the same row: runner/CMakeLists.txt).
inline constexpr int kExitSkipped = [] {
#define LABEILLE_X(id, name, code, counts, desc) \
  if (Outcome::id == Outcome::Skipped) return code;
  LABEILLE_FT_OUTCOMES(LABEILLE_X)
#undef LABEILLE_X
  return 0;
}();
// The tool itself is misused (bad options); not an outcome.
inline constexpr int kExitToolUsage = 64;
// The tool could not write its record (disk full, permissions).
inline constexpr int kExitRecordFailed = 70;

std::string_view to_string(Outcome o);
int exit_code(Outcome o);
// True when the attempt is one measured iteration (it enters k/n); interrupted and
// skipped attempts are kept on disk but never counted. tests_not_run counts only once
// the package's suite is known to run here: when no attempt of the package ran its
// tests, fold counts none of them and the package is unknown (docs/analyzers.md).
bool counts_as_iteration(Outcome o);
std::string_view describe(Outcome o);
std::optional<Outcome> outcome_from_string(std::string_view s);

// clang-format off
//   id                     json name                   rank  description
#define LABEILLE_FT_CATEGORIES(X)                                                                         \
  X(Crash,                 "crash",                    0, "Segfault, abort or fatal error under free-threading") \
  X(Deadlock,              "deadlock",                 1, "The test suite stalled with no output")           \
  X(Intermittent,          "intermittent",             2, "Some iterations pass, some fail: likely a race")   \
  X(Incompatible,          "incompatible",             3, "Every iteration fails")                            \
  X(TsanWarnings,          "tsan_warnings",            4, "Passes, but ThreadSanitizer reported data races")   \
  X(CompatibleGilFallback, "compatible_gil_fallback",  5, "Passes, but an extension re-enabled the GIL")      \
  X(Compatible,            "compatible",               6, "Every iteration passes with PYTHON_GIL=0")         \
  X(InstallFailure,        "install_failure",          7, "The package could not be installed")               \
  X(ImportFailure,         "import_failure",           8, "The package installed but does not import")        \
  X(Unknown,               "unknown",                  9, "No measured iteration to judge from")
// clang-format on

enum class Category {
#define LABEILLE_X(id, name, rank, desc) id,
  LABEILLE_FT_CATEGORIES(LABEILLE_X)
#undef LABEILLE_X
};

std::string_view to_string(Category c);
// Sort rank for `--sort category`: most severe first.
int rank(Category c);
std::string_view describe(Category c);
std::optional<Category> category_from_string(std::string_view s);

// How the runner sets PYTHON_GIL for an attempt.
enum class GilMode { Off, On, Unset };  // "0", "1", unset
std::string_view to_string(GilMode m);   // "0" | "1" | "unset"
std::optional<GilMode> gil_mode_from_string(std::string_view s);  // also accepts "gil0"/"gil1"

}  // namespace labeille
