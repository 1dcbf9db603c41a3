// labeille-ft-setup's command line, parsed in the library as the runner's is: its main is
// one call to parse_command_line() and one to run_command().
#pragma once

#include <iosfwd>
#include <optional>

#include "labeille/setup/setup.hpp"

namespace labeille::setup {

struct Command {
  enum class Kind { Prepare, Probe } kind = Kind::Prepare;
  PrepareOptions prepare;  // filled for Kind::Prepare
  ProbeOptions probe;      // filled for Kind::Probe
};

// `prepare ...` or `probe ...`: the options checked (a PEP 508 --package, --source repo
// with --git or --path, --installer uv with an executable --uv) and the helper files found
// beside this executable's tree (<prefix>/share/labeille-ft/) unless given. Throws
// labeille::Error(kExitToolUsage) for a bad command line, labeille::Error for a missing
// share/ directory; nullopt after printing --help.
std::optional<Command> parse_command_line(int argc, char** argv);

// Writes the record and prints the summary line (and, for prepare, CTest's details line);
// returns the exit status: 0 installed / imports, 1 failed.
int run_command(const Command& c, std::ostream& out);

}  // namespace labeille::setup
