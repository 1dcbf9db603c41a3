// Why a set-up step failed, read from what pip, uv and git printed: which distribution
// failed to build or resolve, its version, and the line that says why.
//
// A failed install names the package that was asked for ("Error: command ['maturin',
// ...]"), while the cause is often a dependency 30 lines up ("Failed to build
// `hypothesis==6.170.27`" and, in its build output, PyO3's "error: PyO3 does not support
// the free-threaded build ..."). The views state the cause and count how many packages one
// dependency blocks (docs/setup.md "Causes"). Pinned by real pip and uv logs kept in
// tests/fixtures/install-logs/.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "labeille/core/names.hpp"
#include "labeille/core/record.hpp"

namespace labeille::setup {

// What one installer's output says. `dependency` is the distribution as it was printed
// (its project name); `role_hint` what the installer itself says about why it was
// installed (uv's "help: `x` (v1) was included because `pkg[tests]` (v2) depends on `x`"
// gives "pkg[tests]"); `build_requirement` when it failed while the build requirements of
// another distribution (`build_requirement_of`) were installed.
struct LogCause {
  std::string dependency, version;
  std::string failure;  // "failed to build" | "has no matching distribution on the index" | "could not be resolved"
  std::string line;     // the line that says why, wrapper lines skipped
  std::string role_hint;
  bool build_requirement = false;
  std::string build_requirement_of;
};

// pip's or uv's output (stdout and stderr of one step, in any order). nullopt when
// neither a distribution nor a telling line can be found.
std::optional<LogCause> read_install_log(std::string_view text);

// The line that says why inside a build's quoted output: a compiler diagnostic
// (`file:line:col: fatal error: ...`), else the first cargo / rustc / PyO3 / maturin
// `error:` line that is not a wrapper ("error: command 'gcc' failed"), else the exception
// ending a Python traceback, else the last meaningful line. "error: " is dropped from the
// front of a bare `error:` line (the compiler's and the exception's are kept whole).
std::string cause_line(const std::vector<std::string>& lines);

// PEP 503 names (core/names.hpp owns the rule; the views group blockers by it too).
using labeille::normalize_name;

// What the failed distribution is to the package: "" for the package itself, "a build
// requirement of X", "a test dependency" (required through an extra or a dependency
// group named test/tests/testing/dev..., per uv's hint, the sdist's PKG-INFO or the
// pyproject.toml), "a dependency through the extra X", "a dependency", "an extra
// dependency (--extra-deps)", "named by the install command", else "an indirect
// dependency".
struct RoleInputs {
  std::string package;
  std::string install_command;
  std::vector<std::string> extra_deps;
  std::filesystem::path source_dir;  // PKG-INFO and pyproject.toml are read from here
};
std::string dependency_role(const LogCause& c, const RoleInputs& in);

// The cause of a failed step (install, extra deps, sdist download) from its output; the
// role filled in. nullopt when the output names nothing.
std::optional<CauseInfo> install_cause(std::string_view step, std::string_view output, const RoleInputs& in);

// The cause of a failed clone or fetch: git's "fatal: ..." line.
std::optional<CauseInfo> clone_cause(std::string_view output, const std::string& package);

}  // namespace labeille::setup
