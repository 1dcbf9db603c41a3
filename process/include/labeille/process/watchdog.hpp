// The watchdog's decisions, apart from any clock or process: the supervisor feeds it
// time points (seconds on a monotonic clock) and output events, and carries out the
// action it returns. Tests drive it with made-up times.
//
//   Running --(stall | elapsed >= timeout | interrupt)--> Sampling
//   A stall is no output AND no activity of the tree (CPU, I/O, a process starting or
//   ending: on_activity) for the whole stall threshold. A tree that is silent but busy
//   (pytest collecting a huge suite, a slow test repeated under stress) is left to run;
//   only the hard timeout ends it, and busy_silence() says so.
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
  double activity_every_s = 1.0;  // how often the supervisor samples the tree's activity
  double grace_s = 5;             // SIGTERM -> SIGKILL
  double interrupt_grace_s = 1;
};

enum class WatchdogAction { None, DumpStacksAndSample, Terminate, Kill };
enum class StopReason { None, Stall, Timeout, Interrupt };

class Watchdog {
 public:
  Watchdog(WatchdogConfig cfg, double start);

  void on_output(double now);
  // The tree used CPU or did I/O since the supervisor's previous sample.
  void on_activity(double now);
  void interrupt(double now);
  WatchdogAction tick(double now);

  StopReason reason() const { return reason_; }
  // Silence (seconds without output) when the watchdog acted, or at `now` otherwise.
  double silence(double now) const;
  double last_output() const { return last_output_; }
  double last_activity() const { return last_activity_; }
  // Silent for the stall threshold but still working: not a deadlock.
  bool busy_silence(double now) const;

 private:
  enum class Phase { Running, Sampling, Terminating, Killed };
  WatchdogConfig cfg_;
  double start_;
  double last_output_;
  double last_activity_;
  double phase_start_ = 0;
  double silence_at_stop_ = -1;
  Phase phase_ = Phase::Running;
  StopReason reason_ = StopReason::None;
  bool pending_interrupt_ = false;
};

}  // namespace labeille::process
