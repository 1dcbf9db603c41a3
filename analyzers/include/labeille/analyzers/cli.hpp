// The `labeille ft` analyzer commands: fold, show, flaky, compat, compare, report, export.
// Exit codes (docs/analyzers.md): 0 ok, 2 bad command line, 3 unreadable or invalid input
// (missing result dir, missing ft_meta.json, broken ft_results.jsonl), 70 cannot write.
#pragma once

namespace CLI {
class App;
}

namespace labeille::analyzers {

// Registers the commands under `ft` (the subcommand object of the `labeille` app).
void add_commands(CLI::App& ft);

}  // namespace labeille::analyzers
