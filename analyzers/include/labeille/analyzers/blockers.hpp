// Blockers: the dependencies that stop packages of a run from installing, counted.
//
// Each failed set-up names its root cause (the set-up record's "cause", copied into
// ft_results.jsonl as "setup_cause"); when that is a dependency rather than the package
// itself (cffi refusing 3.13t under nine packages' test extras), the dependency blocks the
// package. A CPython core developer reads this list first after a registry run: one fix
// upstream unblocks every package on the row.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "labeille/analyzers/model.hpp"
#include "labeille/core/record.hpp"

namespace labeille::analyzers {

// The package's set-up cause, parsed (nullopt when none was recorded or it is unreadable).
std::optional<CauseInfo> setup_cause(const PackageResult& p);

struct Blocker {
  std::string dependency;             // as first printed ("cffi")
  std::vector<std::string> versions;  // versions seen, in order ("2.1.1")
  std::string requirement;            // what was asked, when no version could be had ("python-sbom>=0.1.2")
  std::vector<std::string> packages;  // the packages it blocks, sorted
  std::string failure;                // "failed to build", ...
  std::string line;                   // the cause line (the first package's)
  std::vector<std::string> roles;     // what it is to those packages ("a test dependency")
};

// Sorted by packages blocked (most first), then by name. Dependencies compare by their
// PEP 503 name.
std::vector<Blocker> blockers(const RunResults& run);

// "cffi 2.1.1 failed to build: RuntimeError: ..." (one line).
std::string blocker_cause(const Blocker& b);

std::string render_blockers_text(const RunResults& run);      // "" when none
std::string render_blockers_markdown(const RunResults& run);  // "" when none
std::string render_blockers_html(const RunResults& run);      // "" when none

// Blockers of run B that run A did not have, and of A that B no longer has (by
// dependency): "cffi blocks 9 packages: ..." lines.
struct BlockerChanges {
  std::vector<std::string> appeared, disappeared;
};
BlockerChanges compare_blockers(const RunResults& a, const RunResults& b);

}  // namespace labeille::analyzers
