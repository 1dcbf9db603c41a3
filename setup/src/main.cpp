// labeille-ft-setup: prepare a package (sources, venv, install, hook) or probe its
// import. Each run writes one record; exit 0 = ok, 1 = failed (install or import),
// 64 = bad command line, 70 = the record could not be written. See setup/cli.hpp.
#include <exception>
#include <iostream>

#include "labeille/core/error.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/setup/cli.hpp"

int main(int argc, char** argv) {
  try {
    auto command = labeille::setup::parse_command_line(argc, argv);
    if (!command) return 0;
    return labeille::setup::run_command(*command, std::cout);
  } catch (const labeille::Error& e) {
    std::cerr << "labeille-ft-setup: error: " << e.what() << "\n";
    return e.exit_code() == labeille::kExitToolUsage ? labeille::kExitToolUsage : labeille::kExitRecordFailed;
  }
}
