// Registry commands are written for a repository checkout. When the sources are an
// unpacked sdist instead, two things differ: some steps of the install command mean
// nothing there (`git fetch --tags` for setuptools-scm, `pip install -e python/` of a
// monorepo's sub-directory, `-r requirements-dev.txt` that the sdist does not ship), and
// the test paths the test command names may be missing (many sdists ship no tests).
//
// adapt_for_sdist() rewrites the install command for the unpacked sdist and says what it
// changed, one line per change (the setup record's source.adapted); check_tests() says
// whether the test command's paths are there (source.tests_present, tests_note).
//
// Both read commands as words separated by blanks, with '...', "..." and backslash
// quoting, and `&&` as the only separator they split on: the forms labeille's registry
// uses. Anything else (pipes, `;`, `||` inside a step, subshells) is left as written.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace labeille::setup {

struct Adapted {
  std::string command;             // the command to run (unchanged when notes is empty)
  std::vector<std::string> notes;  // what was changed and why, one line each
};

// The install command made to work in the unpacked sdist at `src`:
// - `git ...` steps are dropped (no .git in an sdist; setuptools-scm and hatch-vcs read
//   the version from the sdist's PKG-INFO);
// - `-e DIR` / `--editable DIR` of a directory the sdist lacks becomes `-e .` (the sdist is
//   that project), or is dropped when another step already installs `.` (a sibling
//   project of the repository, like cryptography's `./vectors`); extras are kept;
// - `-r FILE` / `-c FILE` (and the long forms) of a file the sdist lacks are dropped;
// - a pip step left with nothing to install is dropped.
// `pip install -e .`, `.[test]` extras and `--group` (pip reads [dependency-groups] from
// pyproject.toml, which every sdist ships) work unchanged.
Adapted adapt_for_sdist(std::string_view install_command, const std::filesystem::path& src);

struct TestsPresence {
  std::optional<bool> present;  // null: the command's runner is not one we read
  std::string note;             // why present is false (or null), exactly
};

// Are the tests the test command runs in `src`? For pytest: the paths it names (node ids
// `path::test` count by their path) must exist; naming none, `src` must hold a test file
// (test_*.py or *_test.py); `--pyargs` tests the installed package (null). For
// `python -m unittest discover [-s] DIR`, DIR must exist. `what` names the sources in
// the note ("sdist", "checkout").
TestsPresence check_tests(std::string_view test_command, const std::filesystem::path& src, std::string_view what);

}  // namespace labeille::setup
