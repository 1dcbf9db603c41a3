#include "labeille/process/watchdog.hpp"

namespace labeille::process {

Watchdog::Watchdog(WatchdogConfig cfg, double start)
    : cfg_(cfg), start_(start), last_output_(start), last_activity_(start) {}

void Watchdog::on_output(double now) {
  // Output during Sampling is the stack dump we asked for, not a recovery.
  if (phase_ == Phase::Running) last_output_ = now;
}

void Watchdog::on_activity(double now) {
  if (phase_ == Phase::Running) last_activity_ = now;
}

bool Watchdog::busy_silence(double now) const {
  const double at = silence_at_stop_ >= 0 ? last_output_ + silence_at_stop_ : now;
  return cfg_.stall_threshold_s > 0 && at - last_output_ >= cfg_.stall_threshold_s &&
         at - last_activity_ < cfg_.stall_threshold_s;
}

void Watchdog::interrupt(double now) {
  if (phase_ == Phase::Killed) return;
  reason_ = StopReason::Interrupt;
  if (silence_at_stop_ < 0) silence_at_stop_ = now - last_output_;
  pending_interrupt_ = true;
}

double Watchdog::silence(double now) const {
  return silence_at_stop_ >= 0 ? silence_at_stop_ : now - last_output_;
}

WatchdogAction Watchdog::tick(double now) {
  if (pending_interrupt_) {
    pending_interrupt_ = false;
    if (phase_ == Phase::Running || phase_ == Phase::Sampling) {
      phase_ = Phase::Terminating;
      phase_start_ = now;
      cfg_.grace_s = cfg_.interrupt_grace_s;
      return WatchdogAction::Terminate;
    }
    if (phase_ == Phase::Terminating && cfg_.grace_s > cfg_.interrupt_grace_s)
      cfg_.grace_s = cfg_.interrupt_grace_s;
  }
  switch (phase_) {
    case Phase::Running: {
      bool timeout = cfg_.timeout_s > 0 && now - start_ >= cfg_.timeout_s;
      bool stall = cfg_.stall_threshold_s > 0 && now - last_output_ >= cfg_.stall_threshold_s &&
                   now - last_activity_ >= cfg_.stall_threshold_s;
      if (!timeout && !stall) return WatchdogAction::None;
      // A stall wins over a timeout reached at the same tick: silence is the stronger
      // evidence of what went wrong.
      reason_ = stall ? StopReason::Stall : StopReason::Timeout;
      silence_at_stop_ = now - last_output_;
      phase_ = Phase::Sampling;
      phase_start_ = now;
      return WatchdogAction::DumpStacksAndSample;
    }
    case Phase::Sampling:
      if (now - phase_start_ < cfg_.sample_s) return WatchdogAction::None;
      phase_ = Phase::Terminating;
      phase_start_ = now;
      return WatchdogAction::Terminate;
    case Phase::Terminating:
      if (now - phase_start_ < cfg_.grace_s) return WatchdogAction::None;
      phase_ = Phase::Killed;
      return WatchdogAction::Kill;
    case Phase::Killed:
      return WatchdogAction::None;
  }
  return WatchdogAction::None;
}

}  // namespace labeille::process
