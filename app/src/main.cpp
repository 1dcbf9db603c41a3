// labeille: the `labeille ft ...` command line. The executable that joins the parts:
// each library adds its own commands (analyzers: fold and the views; driver: run, test).
#include <iostream>

#include <CLI/CLI.hpp>

#include "labeille/analyzers/cli.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/text.hpp"
#include "labeille/driver/run.hpp"
#include "labeille/driver/test_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"labeille: free-threaded CPython compatibility testing"};
  app.require_subcommand(1);
  app.set_version_flag("--version", LABEILLE_FT_VERSION);
  // For find_package(LabeilleFT) from wherever this labeille is installed (a wheel in a
  // venv, a `cmake --install` prefix, a build tree): LabeilleFT_DIR or CMAKE_PREFIX_PATH.
  app.add_flag_callback(
      "--cmake-dir",
      [] {
        const auto dir = labeille::own_cmake_package_dir();
        if (dir.empty())
          throw labeille::Error("cannot find LabeilleFTConfig.cmake next to this executable's tree",
                                labeille::kExitInternal);
        labeille::write_stdout(dir.string() + "\n");  // checked: a cut path is worse than none
        throw CLI::Success();
      },
      "Print the directory of the LabeilleFT CMake package (LabeilleFTConfig.cmake) and exit");
  auto* ft = app.add_subcommand("ft", "Free-threading runs and their results");
  ft->require_subcommand(1);
  labeille::analyzers::add_commands(*ft);
  labeille::driver::add_commands(*ft);
  labeille::driver::add_test_command(*ft);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command's own exit status (e.g. 130 after Ctrl-C)
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "labeille: error: " << labeille::safe_text(e.what()) << "\n";
    return labeille::kExitUsage;
  } catch (const labeille::Error& e) {
    std::cerr << "labeille: error: " << labeille::safe_text(e.what()) << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "labeille: error: " << labeille::safe_text(e.what()) << "\n";
    return labeille::kExitInternal;
  }
  return 0;
}
