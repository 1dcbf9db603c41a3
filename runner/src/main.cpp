// labeille-ft-runner: one supervised attempt. See attempt.hpp and docs/runner.md.
#include <csignal>
#include <exception>
#include <iostream>

#include "labeille/core/error.hpp"
#include "labeille/runner/attempt.hpp"
#include "labeille/process/supervisor.hpp"

int main(int argc, char** argv) {
  // SIGINT/SIGTERM/SIGHUP stay blocked except while supervise() listens for them: one
  // that arrives while the attempt dir is claimed waits (pending) and interrupts the run
  // as soon as supervision starts; one that arrives while the record is written cannot
  // kill the runner half-way and lose the record.
  labeille::process::block_interrupt_signals();
  // A reader of our stdout that goes away (`| head`, a dying CTest) must not kill the
  // runner by SIGPIPE mid-attempt: that would orphan the tree and lose the record. Writes
  // then fail with EPIPE, which is ignored. (The command gets SIGPIPE back at its default.)
  ::signal(SIGPIPE, SIG_IGN);
  try {
    auto opts = labeille::runner::parse_options(argc, argv);
    if (!opts) return 0;
    return labeille::runner::run_attempt(*opts, std::cout);
  } catch (const labeille::Error& e) {
    std::cerr << "labeille-ft-runner: error: " << e.what() << "\n";
    return e.exit_code() == labeille::kExitToolUsage ? labeille::kExitToolUsage : labeille::kExitRecordFailed;
  } catch (const std::exception& e) {
    // A library failure (std::filesystem, Asio) outside the paths that throw
    // labeille::Error: still one line and the documented "no record" status, never abort().
    std::cerr << "labeille-ft-runner: error: " << e.what() << "\n";
    return labeille::kExitRecordFailed;
  }
}
