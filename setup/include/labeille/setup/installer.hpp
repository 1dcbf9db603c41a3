// Which tool makes a package's venv and installs into it: pip (CPython's own `venv` +
// `pip`) or uv (`uv venv --seed` + `uv pip install`, several times faster, with one
// download and build cache shared by every venv of a run).
//
// This is the one place that maps an install command to what actually runs, so the rest
// of the set-up never needs to know which installer is in use.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace labeille::setup {

enum class InstallerKind { Pip, Uv };

std::string_view to_string(InstallerKind k);
std::optional<InstallerKind> parse_installer(std::string_view s);  // "pip" | "uv"

struct Installer {
  InstallerKind kind = InstallerKind::Pip;
  std::string uv;  // the uv executable (kind == Uv)
};

// Makes the venv `venv` for `python`. uv seeds pip into it (`--seed`), so suites and
// commands that call `pip` themselves still find one.
std::vector<std::string> venv_argv(const Installer& in, const std::string& python, const std::string& venv);

// Runs the shell install command `command` (in the source tree, the venv first on PATH).
// With uv, the command runs unchanged after shell functions that send `pip install ...`,
// `pip3 install ...`, `python -m pip install ...` and `python3 -m pip install ...` to
// `uv pip install` with the same arguments (as the shell parsed them: quoting, `&&` and
// variables behave as written); every other use of pip or python is the venv's own.
std::vector<std::string> install_argv(const Installer& in, const std::string& command);

// Installs requirements (e.g. --extra-deps) into the venv whose interpreter is `venv_python`.
std::vector<std::string> requirements_argv(const Installer& in, const std::string& venv_python,
                                           const std::vector<std::string>& requirements);

// Variables the installer's steps need on top of `base`: for uv, the executable the shell
// functions call, no interpreter downloads, and pip's index settings (PIP_INDEX_URL,
// PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS) carried over to uv's names unless those are set.
std::map<std::string, std::string> installer_env(const Installer& in, const std::map<std::string, std::string>& base);

}  // namespace labeille::setup
