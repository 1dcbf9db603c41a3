// The watchdog's decisions, apart from any clock or process: the supervisor feeds it
// time points (seconds on a monotonic clock) and output events, and carries out the
// action it returns. Tests drive it with made-up times.
//
//   Running --(silence >= stall threshold | elapsed >= timeout | interrupt)--> Sampling
//   Sampling: stacks requested (SIGUSR1 to hooked Pythons), tree CPU sampled;
//             after sample_s --> Terminating (SIGTERM to the tree)
//   Terminating: after grace_s --> Killed (SIGKILL to the tree)
// An interrupt skips Sampling (the user wants out now) and uses a short grace.
#pragma once

namespace labeille::process {

struct WatchdogConfig {
  double stall_threshold_s = 60;  // 0 disables stall detection
  double timeout_s = 600;         // 0 disables the hard timeout
  double sample_s = 0.5;          // CPU sample / stack dump window
  double grace_s = 5;             // SIGTERM -> SIGKILL
  double interrupt_grace_s = 1;
};

enum class WatchdogAction { None, DumpStacksAndSample, Terminate, Kill };
enum class StopReason { None, Stall, Timeout, Interrupt };

class Watchdog {
 public:
  Watchdog(WatchdogConfig cfg, double start);

  void on_output(double now);
  void interrupt(double now);
  WatchdogAction tick(double now);

  StopReason reason() const { return reason_; }
  // Silence (seconds without output) when the watchdog acted, or at `now` otherwise.
  double silence(double now) const;
  double last_output() const { return last_output_; }

 private:
  enum class Phase { Running, Sampling, Terminating, Killed };
  WatchdogConfig cfg_;
  double start_;
  double last_output_;
  double phase_start_ = 0;
  double silence_at_stop_ = -1;
  Phase phase_ = Phase::Running;
  StopReason reason_ = StopReason::None;
  bool pending_interrupt_ = false;
};

}  // namespace labeille::process
