// labeille-ft-registry: registry + selection -> CMake include file of
// labeille_ft_add_package() calls. Always writes --output (possibly with no package), so
// the including CMake/CTest code never finds it missing.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/registry/registry.hpp"

int main(int argc, char** argv) {
  using namespace labeille;
  CLI::App app{"Render a labeille registry as labeille_ft_add_package() calls"};
  std::string dir, output;
  registry::Selection sel;
  std::size_t top = 0;
  app.add_option("--dir", dir, "Registry directory (index.yaml, packages/)")->required();
  app.add_option("--output", output, "CMake file to write")->required();
  app.add_option("--top", top, "Keep the n most downloaded packages (0: all)");
  std::vector<std::string> packages;
  app.add_option("--package", packages, "Only these packages (repeatable; name==version pins the sdist)");
  app.add_option("--python-version", sel.python_version, "Target X.Y, for skip_versions");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 64;
  }
  if (top > 0) sel.top = top;
  registry::add_packages(sel, packages);
  try {
    const registry::Registry reg = registry::load(dir);
    const registry::Chosen chosen = registry::choose(reg, sel);
    for (const auto* list : {&reg.problems, &chosen.problems})
      for (const auto& p : *list) fmt::print(stderr, "labeille: warning: {} (skipped)\n", p.to_string());
    labeille::atomic_write_file(output, registry::render_cmake(reg, chosen));
  } catch (const Error& e) {
    fmt::print(stderr, "labeille: error: {}\n", e.what());
    return e.exit_code();
  }
  return 0;
}
