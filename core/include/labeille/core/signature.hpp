// Normalization that makes evidence comparable across iterations, venvs and machines:
// the same bug must give the same signature in every run, whatever the addresses, pids,
// thread ids and install paths were. Used by the runner (crash signatures) and the
// analyzers (stall signatures from captured thread stacks).
#pragma once

#include <string>
#include <string_view>

namespace labeille {

// Removes hex addresses, "pid=N"/"tid=N", "T3"-style thread ids and decimal runs of 5+
// digits.
std::string strip_volatile(std::string_view text);

// "  File "/x/site-packages/pkg/mod.py", line 12 in func" -> "pkg/mod.py:12 func".
// Paths are cut to what follows site-packages/ (or the last two components).
std::string normalize_python_frame(std::string_view line);

// From faulthandler dumps of all threads ("Thread 0x... (most recent call first):" /
// "Current thread 0x..." blocks): the most recent frame of every thread, normalized,
// sorted and de-duplicated, joined with " ; ". Two iterations stuck in the same lock
// cycle give the same signature. "" when the text holds no dump.
std::string stall_signature(std::string_view thread_stacks);

}  // namespace labeille
