// labeille-ft-setup: prepare a package (sources, venv, install, hook) or probe its
// import. Each run writes one record; exit 0 = ok, 1 = failed (install or import),
// 64 = bad command line, 70 = the record could not be written.
#include <unistd.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/core/text.hpp"
#include "labeille/setup/setup.hpp"

namespace fs = std::filesystem;
using namespace labeille;

int main(int argc, char** argv) {
  CLI::App app{"labeille-ft-setup: prepare a package for free-threading tests, or probe its import"};
  app.require_subcommand(1);
  setup::PrepareOptions po;
  setup::ProbeOptions pr;
  std::string extra;
  auto* prep = app.add_subcommand("prepare", "Sources + venv + install + startup hook -> setup record");
  prep->add_option("--record-dir", po.record_dir)->required();
  prep->add_option("--package", po.package)->required();
  prep->add_option("--python", po.python, "Target (free-threaded) interpreter")->required();
  prep->add_option("--repos-dir", po.repos_dir)->required();
  prep->add_option("--venvs-dir", po.venvs_dir)->required();
  prep->add_option("--git", po.git, "Git URL");
  prep->add_option("--ref", po.ref, "Branch or tag");
  prep->add_option("--depth", po.depth, "Clone depth (0: full)");
  prep->add_option("--path", po.path, "Local source directory (copied)");
  prep->add_option("--sdist", po.sdist, "Distribution whose sdist to use (default: the package)");
  prep->add_option("--version", po.version, "sdist version (pinned)");
  prep->add_option("--source", po.source, "repo: --git/--path; sdist: the package index; auto: repo, else sdist")
      ->check(CLI::IsMember({"repo", "sdist", "auto"}));
  prep->add_option("--install-command", po.install_command, "Default: python -m pip install . pytest");
  std::string installer = "pip";
  prep->add_option("--installer", installer, "pip, or uv (pip install runs as uv pip install; pip when uv fails)")
      ->check(CLI::IsMember({"pip", "uv"}));
  prep->add_option("--uv", po.installer.uv, "The uv executable (with --installer uv)");
  prep->add_option("--test-command", po.test_command, "Checked for its test paths in the sources (not run)");
  prep->add_option("--extra-deps", extra, "Comma-separated extra requirements");
  // One requirement each, as it was given (a specifier may hold ',' or ';'): what the
  // CMake module passes.
  std::vector<std::string> extra_one;
  prep->add_option("--extra-dep", extra_one, "One extra requirement (repeatable)");
  prep->add_option("--hook-dir", po.hook_dir, "Directory of labeille_ft_hook.{py,pth}");
  prep->add_option("--timeout", po.timeout_s, "Seconds per step");
  prep->add_flag("--stress", po.stress, "Also install the stress tools (pytest-run-parallel, labeille_ft_stress plugin)");
  auto* prob = app.add_subcommand("probe", "Import probe with PYTHON_GIL unset -> probe record");
  prob->add_option("--record-dir", pr.record_dir)->required();
  prob->add_option("--package", pr.package)->required();
  prob->add_option("--repos-dir", pr.repos_dir)->required();
  prob->add_option("--venvs-dir", pr.venvs_dir)->required();
  prob->add_option("--import-name", pr.import_name);
  bool no_detect = false;
  prob->add_flag("--no-detect-extensions", no_detect);
  prob->add_option("--timeout", pr.timeout_s);
  prob->add_option("--probe-script", pr.probe_script);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "labeille-ft-setup: error: " << e.what() << "\n";
    return kUsageExitCode;
  }
  // Installed or build tree alike: <prefix>/bin/labeille-ft-setup, <prefix>/share/labeille-ft/.
  const fs::path share = find_in_own_tree({"share/labeille-ft"});
  try {
    const std::string& pkg = *prep ? po.package : pr.package;
    if (!is_package_name(pkg)) {
      std::cerr << "labeille-ft-setup: error: --package \"" << pkg << "\": not a PEP 508 name\n";
      return kUsageExitCode;
    }
    const bool needs_share = *prep ? po.hook_dir.empty() : pr.probe_script.empty();
    if (needs_share && share.empty())
      throw Error("cannot find share/labeille-ft/ next to this executable's tree (give --hook-dir / --probe-script)");
    if (*prep) {
      if (po.hook_dir.empty()) po.hook_dir = share / "hook";
      po.stress_plugin = share / "labeille_ft_stress.py";
      if (po.declared_script.empty()) po.declared_script = share / "labeille_ft_declared.py";
      if (po.source == "repo" && po.git.empty() && po.path.empty()) {
        std::cerr << "labeille-ft-setup: error: --source repo needs --git URL or --path DIR\n";
        return kUsageExitCode;
      }
      po.extra_deps = split_list(extra);
      po.extra_deps.insert(po.extra_deps.end(), extra_one.begin(), extra_one.end());
      po.installer.kind = *setup::parse_installer(installer);
      if (po.installer.kind == setup::InstallerKind::Uv && access(po.installer.uv.c_str(), X_OK) != 0) {
        std::cerr << "labeille-ft-setup: error: --installer uv needs --uv naming the uv executable, got \""
                  << po.installer.uv << "\"\n";
        return kUsageExitCode;
      }
      auto rec = setup::prepare(po);
      std::cout << "labeille-ft-setup: " << po.package << ": " << (rec.ok ? "installed" : "install failed: " + rec.error)
                << "\n<CTestDetails>" << setup::ctest_details(rec.ok ? "installed " + rec.version : rec.error)
                << "</CTestDetails>\n";
      return rec.ok ? 0 : 1;
    }
    pr.detect_extensions = !no_detect;
    if (pr.probe_script.empty()) pr.probe_script = share / "labeille_ft_probe.py";
    auto rec = setup::probe(pr);
    std::cout << "labeille-ft-setup: " << pr.package << ": " << (rec.ok ? "imports" : "import failed: " + rec.error)
              << (rec.gil_reenabled_by.empty() ? "" : "; GIL re-enabled by " + rec.gil_reenabled_by) << "\n";
    return rec.ok ? 0 : 1;
  } catch (const Error& e) {
    std::cerr << "labeille-ft-setup: error: " << e.what() << "\n";
    return kRecordExitCode;
  }
}
