// Evidence: the one-line explanations every view shows, and where they come from.
//
// fold side: each run's first error (why it did not pass), the summary of runs whose
// tests never ran, and the set-up record's "source" / "declared" objects (copied
// verbatim). View side: those read back as text, declared free-threading support next
// to the measured category, and the contradictions between them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "labeille/analyzers/model.hpp"
#include "labeille/core/record.hpp"

namespace labeille::analyzers {

// ---- fold side ----

// Why one run did not pass, in one line: pytest's reason when the tests did not run, the
// first failing test of its JUnit with its message ("tests.test_a::test_x: AssertionError:
// ..."), the crash signature, the stall, the timeout, the start error. "" for a pass.
std::string first_error(const AttemptRecord& r, const IterationResult& it);

// Counts of runs whose tests did not run, per mode, and the first reason seen.
struct NotRunTally {
  int gil0 = 0, gil0_runs = 0, gil1 = 0, gil1_runs = 0;
  std::optional<int> exit_code;  // of the first such run
  std::string reason;            // its first error
  void add(bool gil1_mode, bool not_run, const IterationResult& it);
  // "" when every run ran its tests; otherwise "tests did not run in 3 of 3 GIL=0 runs
  // (pytest exit 2): <reason>", or "... in any of the 6 runs ..." when `none_ran`.
  std::string text(bool none_ran) const;
};

// Source-tree shadowing: the suite's import error ("No module named 'pkg._ext'") names a
// module the probe imported from the venv, so the tests import the unbuilt source tree
// at `source_dir` (pytest puts the rootdir first on sys.path) instead of the installed
// package. Returns the reason to show in front of `why` ("" when the error is not that),
// kShadowingFix after it. Never a finding about free-threading: the package stays unknown.
std::string shadowing_reason(std::string_view why, const ProbeRecord& probe, const std::string& source_dir);
inline constexpr const char* kShadowingFix =
    "fix: install with `pip install -e`, run pytest with `--import-mode=importlib`, or use a src layout";

// ---- view side ----

// The set-up record's objects (docs/records.md), as the views read them.
struct SourceSummary {
  std::string kind, version, url, fallback_reason;  // kind: repo | sdist | path
  std::vector<std::string> adapted;
  std::optional<bool> tests_present;
  std::string tests_note;  // why tests_present is false
};
struct DeclaredSupport {
  std::string classifier_level;  // "3 - Stable", "" when none declared
  // A wheel the target interpreter installs as is (a free-threaded ABI wheel, or a pure
  // py3-none-any one); null: not looked up.
  std::optional<bool> ft_wheel;
  std::vector<std::string> ft_wheel_tags;
  std::string error;             // the look-up failed
  // false: the index does not publish the tested version (a local package): no wheel to
  // look for, nothing to contradict. null: unknown.
  std::optional<bool> on_index;
  // The free-threaded ABIs among the tags ("cp313t"): a pure wheel declares nothing.
  std::vector<std::string> ft_abis() const;
};
// Parsed from the verbatim JSON (nullopt when absent or not an object).
std::optional<SourceSummary> source_summary(const PackageResult& p);
std::optional<DeclaredSupport> declared_support(const PackageResult& p);

// "sdist 2.32.3 (repository clone failed: ...; adapted: ...; no tests in the sdist)"; "" when unknown.
std::string source_text(const PackageResult& p);
// "declares 3 - Stable, free-threaded wheel (cp313t)" | "declares nothing" | ""
std::string declared_text(const PackageResult& p);
// The same in a table cell: "3 - Stable, wheel", "none", "-" (not looked up).
std::string declared_short(const PackageResult& p);
// Declared support against measured behaviour: "declares 3 - Stable; measured
// intermittent", "compatible, no free-threaded wheel published", ...
std::vector<std::string> contradictions(const PackageResult& p);
// "the sdist build failed; the cp313t wheel was not tested": a failed install from source
// next to a published free-threaded wheel, which is no contradiction. "" otherwise.
std::string untested_wheel(const PackageResult& p);

// What the import probe saw: "imports; the GIL was re-enabled by pkg._speedups; 2
// extension module(s):" and one indented line per module; "import failed: ...".
std::string probe_text(const PackageResult& p);

// "tests.test_a::test_x: AssertionError: one is not two" for up to `max` failing tests
// (most failures first), then "(+N more failing tests)".
std::vector<std::string> failing_test_lines(const PackageResult& p, std::size_t max);

}  // namespace labeille::analyzers
