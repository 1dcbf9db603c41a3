#include "labeille/setup/cli.hpp"

#include <unistd.h>

#include <ostream>

#include <CLI/CLI.hpp>

#include "labeille/core/ctest_output.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/core/text.hpp"

namespace fs = std::filesystem;

namespace labeille::setup {

namespace {

// What the command line gives besides the options' own fields.
struct Raw {
  std::string extra, installer = "pip";
  std::vector<std::string> extra_one;
  bool no_detect = false;
};

void add_prepare_options(CLI::App& prep, PrepareOptions& po, Raw& raw) {
  prep.add_option("--record-dir", po.record_dir)->required();
  prep.add_option("--package", po.package)->required();
  prep.add_option("--python", po.python, "Target (free-threaded) interpreter")->required();
  prep.add_option("--repos-dir", po.repos_dir)->required();
  prep.add_option("--venvs-dir", po.venvs_dir)->required();
  prep.add_option("--git", po.git, "Git URL");
  prep.add_option("--ref", po.ref, "Branch or tag");
  prep.add_option("--depth", po.depth, "Clone depth (0: full)");
  prep.add_option("--path", po.path, "Local source directory (copied)");
  prep.add_option("--sdist", po.sdist, "Distribution whose sdist to use (default: the package)");
  prep.add_option("--version", po.version, "sdist version (pinned)");
  prep.add_option("--source", po.source, "repo: --git/--path; sdist: the package index; auto: repo, else sdist")
      ->check(CLI::IsMember({"repo", "sdist", "auto"}));
  prep.add_option("--install-command", po.install_command, "Default: python -m pip install . pytest");
  prep.add_option("--installer", raw.installer, "pip, or uv (pip install runs as uv pip install; pip when uv fails)")
      ->check(CLI::IsMember({"pip", "uv"}));
  prep.add_option("--uv", po.installer.uv, "The uv executable (with --installer uv)");
  prep.add_option("--test-command", po.test_command, "Checked for its test paths in the sources (not run)");
  prep.add_option("--extra-deps", raw.extra, "Extra requirements, comma-separated (commas inside one stay in it)");
  // One requirement each, as it was given (a specifier may hold ',' or ';'): what the
  // CMake module passes.
  prep.add_option("--extra-dep", raw.extra_one, "One extra requirement (repeatable)");
  prep.add_option("--hook-dir", po.hook_dir, "Directory of labeille_ft_hook.{py,pth}");
  prep.add_option("--timeout", po.timeout_s, "Seconds per step");
  prep.add_flag("--stress", po.stress, "Also install the stress tools (pytest-run-parallel, labeille_ft_stress plugin)");
}

void add_probe_options(CLI::App& prob, ProbeOptions& pr, Raw& raw) {
  prob.add_option("--record-dir", pr.record_dir)->required();
  prob.add_option("--package", pr.package)->required();
  prob.add_option("--repos-dir", pr.repos_dir)->required();
  prob.add_option("--venvs-dir", pr.venvs_dir)->required();
  prob.add_option("--import-name", pr.import_name);
  prob.add_flag("--no-detect-extensions", raw.no_detect);
  prob.add_option("--timeout", pr.timeout_s);
  prob.add_option("--probe-script", pr.probe_script);
}

// The checks CLI11 cannot make, and the defaults from share/ (installed or build tree
// alike: <prefix>/bin/labeille-ft-setup, <prefix>/share/labeille-ft/).
void finish_prepare(PrepareOptions& po, const Raw& raw, const fs::path& share) {
  if (po.hook_dir.empty()) po.hook_dir = share / "hook";
  po.stress_plugin = share / "labeille_ft_stress.py";
  if (po.declared_script.empty()) po.declared_script = share / "labeille_ft_declared.py";
  po.sdist_script = share / "labeille_ft_sdist.py";
  if (po.source == "repo" && po.git.empty() && po.path.empty())
    throw Error("--source repo needs --git URL or --path DIR", kExitToolUsage);
  po.extra_deps = split_requirements(raw.extra);
  po.extra_deps.insert(po.extra_deps.end(), raw.extra_one.begin(), raw.extra_one.end());
  po.installer.kind = *parse_installer(raw.installer);
  if (po.installer.kind == InstallerKind::Uv && access(po.installer.uv.c_str(), X_OK) != 0)
    throw Error("--installer uv needs --uv naming the uv executable, got \"" + po.installer.uv + "\"", kExitToolUsage);
}

void finish_probe(ProbeOptions& pr, const Raw& raw, const fs::path& share) {
  pr.detect_extensions = !raw.no_detect;
  if (pr.probe_script.empty()) pr.probe_script = share / "labeille_ft_probe.py";
}

}  // namespace

std::optional<Command> parse_command_line(int argc, char** argv) {
  CLI::App app{"labeille-ft-setup: prepare a package for free-threading tests, or probe its import"};
  app.require_subcommand(1);
  Command c;
  Raw raw;
  auto* prep = app.add_subcommand("prepare", "Sources + venv + install + startup hook -> setup record");
  add_prepare_options(*prep, c.prepare, raw);
  auto* prob = app.add_subcommand("probe", "Import probe with PYTHON_GIL unset -> probe record");
  add_probe_options(*prob, c.probe, raw);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      app.exit(e);
      return std::nullopt;
    }
    throw Error(e.what(), kExitToolUsage);
  }
  c.kind = *prep ? Command::Kind::Prepare : Command::Kind::Probe;
  const std::string& pkg = *prep ? c.prepare.package : c.probe.package;
  if (!is_package_name(pkg)) throw Error("--package \"" + pkg + "\": not a PEP 508 name", kExitToolUsage);
  const fs::path share = find_in_own_tree({"share/labeille-ft"});
  const bool needs_share = *prep ? c.prepare.hook_dir.empty() : c.probe.probe_script.empty();
  if (needs_share && share.empty())
    throw Error("cannot find share/labeille-ft/ next to this executable's tree (give --hook-dir / --probe-script)");
  if (*prep) finish_prepare(c.prepare, raw, share);
  else finish_probe(c.probe, raw, share);
  return c;
}

int run_command(const Command& c, std::ostream& out) {
  if (c.kind == Command::Kind::Prepare) {
    auto rec = prepare(c.prepare);
    out << "labeille-ft-setup: " << c.prepare.package << ": " << (rec.ok ? "installed" : "install failed: " + rec.error)
        << "\n" << ctest_details_line(rec.ok ? "installed " + rec.version : rec.error);
    return rec.ok ? 0 : 1;
  }
  auto rec = probe(c.probe);
  out << "labeille-ft-setup: " << c.probe.package << ": " << (rec.ok ? "imports" : "import failed: " + rec.error)
      << (rec.gil_reenabled_by.empty() ? "" : "; GIL re-enabled by " + rec.gil_reenabled_by) << "\n";
  return rec.ok ? 0 : 1;
}

}  // namespace labeille::setup
