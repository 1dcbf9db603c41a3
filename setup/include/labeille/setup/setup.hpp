// Package set-up and import probe: the `ft.<pkg>.setup` and `ft.<pkg>.probe` CTest
// tests run `labeille-ft-setup prepare|probe`, which write one setup or probe record.
//
// Every child process (git, pip, python) runs under LabeilleFT::process: own process
// group, timeout, nothing left behind, logs in the record's directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "labeille/core/record.hpp"
#include "labeille/setup/installer.hpp"

namespace labeille::setup {

struct PrepareOptions {
  std::filesystem::path record_dir, repos_dir, venvs_dir;
  std::string package;
  std::string python;                // target interpreter
  std::string git, ref;              // source: git URL (+ ref)
  int depth = 1;                     // clone depth (0 = full)
  std::string path;                  // or a local directory (copied)
  std::string sdist, version;        // or a PyPI sdist (name, default the package; pinned version)
  std::string source;                // "repo" | "sdist" | "auto" | "" (sdist when only --sdist is given)
  std::string install_command;       // default: python -m pip install . pytest
  std::string test_command;          // only to check that its test paths are in the sources
  Installer installer;               // pip, or uv (falls back to pip for this package when uv fails)
  std::vector<std::string> extra_deps;
  std::filesystem::path hook_dir;    // labeille_ft_hook.{py,pth}
  std::filesystem::path declared_script;  // labeille_ft_declared.py
  std::filesystem::path sdist_script;     // labeille_ft_sdist.py ("" = always pip download)
  bool stress = false;               // also the stress tools (kStressRequirement + plugin)
  std::filesystem::path stress_plugin;  // labeille_ft_stress.py
  double timeout_s = 1800;
};

struct ProbeOptions {
  std::filesystem::path record_dir, repos_dir, venvs_dir;
  std::string package, import_name;
  bool detect_extensions = true;
  double timeout_s = 300;
  std::filesystem::path probe_script;  // labeille_ft_probe.py
};

// What stress iterations run the suite through, pinned: the labeille_ft_stress plugin
// counts repetitions inside its wrapper and reads its list of thread-unsafe tests
// (docs/detection.md). Installed with --no-deps (it needs only pytest, which the
// package's install brings) into <venv>/labeille-ft-stress/, apart from site-packages,
// so plain iterations never load it.
inline constexpr const char* kStressRequirement = "pytest-run-parallel==0.10.0";

SetupRecord prepare(const PrepareOptions& o);

// The line of a failed set-up step's output that says why, for the record's one-line
// error: the build's own message that pip or uv quote, the exception ending a Python
// traceback, the last line mentioning an error (pip's boilerplate skipped), else the last
// non-empty line.
std::string telling_line(std::string_view text);

ProbeRecord probe(const ProbeOptions& o);

// The venv is rebuilt when this stamp (interpreter, installer, the install command run,
// extra deps) differs from the one stored in it.
std::string venv_stamp(const PrepareOptions& o, const std::string& install_command);

// "repo", "sdist" or "auto": o.source, or "sdist" when only --sdist names a source.
std::string effective_source(const PrepareOptions& o);

// How a scanned file writes comments: C, C++ and Rust (// and /* */), build files
// (#: CMake, setup.py, pyproject.toml, meson.build), or Keep for Cython, whose
// directives are comments.
enum class CommentStyle { CLike, Hash, Keep };
// The text with its comments blanked (newlines kept; string literals left alone, so
// "http://x" is not a comment): a commented-out declaration declares nothing.
std::string strip_comments(std::string_view text, CommentStyle style);
// Which files the scan reads, and their comment style; nullopt for any other file.
std::optional<CommentStyle> scanned_file_style(const std::filesystem::path& file);

// Free-threading declarations in extension sources and build files: Py_mod_gil slots
// (also multi-line initialisers), PyUnstable_Module_SetGIL, pybind11
// py::mod_gil_not_used(), PyO3 gil_used = false, nanobind FREE_THREADED, Cython
// freethreading_compatible. Comments are ignored. Returns the kinds found, in order.
std::vector<std::string> scan_declarations(std::string_view source_text, CommentStyle style = CommentStyle::CLike);
std::vector<std::string> scan_tree(const std::filesystem::path& dir);

}  // namespace labeille::setup
