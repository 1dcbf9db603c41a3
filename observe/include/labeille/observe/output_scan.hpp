// Line scanner over a test process's output: finds what the classifier and the record
// need without keeping the output in memory (it may be gigabytes).
//
// It recognises
//  - CPython's "Fatal Python error: ..." line and the frames of faulthandler's
//    "Current thread ..." stack that follows it (the crash signature's input);
//  - ThreadSanitizer reports ("WARNING: ThreadSanitizer: <type> (pid=N)" ... "SUMMARY:"),
//    when TSAN parsing is on: the kind, the two access stacks (the one creation stack
//    of a thread leak) trimmed to the package's own frames, and the line TSAN writes
//    when it gives up itself ("FATAL: ThreadSanitizer ...", "... Dying.");
//  - the last non-empty line.
// Chunks may split lines anywhere; lines longer than kMaxLine are cut (the rest ignored).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "labeille/core/record.hpp"

namespace labeille::observe {

// A frame of a TSAN stack: "worker racy.c:8" and the module it is in ("racy").
struct NativeFrame {
  std::string text;    // normalize_native_frame()
  std::string where;   // "racy.c:8" ("" when unknown)
  std::string module;  // basename of the binary or shared object, "" when unknown
};

class OutputScanner {
 public:
  static constexpr std::size_t kMaxLine = 8192;
  static constexpr std::size_t kMaxFrames = 5;
  // Distinct TSAN reports kept per attempt (every one is still counted in tsan_count).
  static constexpr std::size_t kMaxDistinctTsan = 50;
  // The record keeps a one-line summary, not a whole minified blob: bytes of the last line kept.
  static constexpr std::size_t kMaxLastLine = 1024;

  explicit OutputScanner(bool parse_tsan) : parse_tsan_(parse_tsan) {}

  void feed(std::string_view chunk);
  void finish();  // flushes a last line without '\n'

  const std::string& fatal_error() const { return fatal_error_; }
  // Normalized frames of the current thread in the first faulthandler dump that follows a
  // fatal error (or, without a fatal error, the first "Current thread" dump).
  const std::vector<std::string>& crash_frames() const { return crash_frames_; }
  const std::vector<TsanReport>& tsan_reports() const { return tsan_; }  // deduplicated
  int tsan_count() const { return tsan_count_; }
  // TSAN's own fatal message (it aborted: out of memory, threads after fork, a CHECK),
  // volatile parts removed; "" if none.
  const std::string& tsan_fatal() const { return tsan_fatal_; }
  const std::string& last_line() const { return last_line_; }

 private:
  void on_line(std::string_view line);
  void end_tsan_report();

  bool parse_tsan_;
  std::string partial_;
  bool partial_overflow_ = false;
  std::string fatal_error_;
  std::vector<std::string> crash_frames_;
  enum class Stack { None, Current, Done } stack_ = Stack::None;
  std::string last_line_;
  // TSAN state: the report being read, its stacks by role.
  void on_tsan_line(std::string_view t);
  bool in_tsan_ = false;
  std::string tsan_type_;
  std::vector<std::vector<NativeFrame>> access_stacks_, creation_stacks_;
  std::vector<NativeFrame>* tsan_stack_ = nullptr;  // where "#N" frames go, if anywhere
  std::vector<TsanReport> tsan_;
  int tsan_count_ = 0;
  std::string tsan_fatal_;
};

// What TSAN prints instead of a stack its history lost (the earlier access of a race).
inline constexpr std::string_view kTsanLostStack = "[failed to restore the stack]";

// "    #0 worker /src/racy.c:8 (racy+0x1234)" -> "worker racy.c:8"
std::string normalize_native_frame(std::string_view line);

NativeFrame parse_native_frame(std::string_view line);

// Is the frame the interpreter's or a runtime's (python3.13t, libpython, libtsan, libc,
// the dynamic loader, libstdc++), rather than the package's own code?
bool is_runtime_frame(const NativeFrame& f);

// The stack as a maintainer reads it: from the first frame in the package's own code, the
// package frames that follow (at most max); a stack with no package frame keeps its top
// max frames (the race is in the interpreter itself).
std::vector<std::string> trim_stack(const std::vector<NativeFrame>& frames, std::size_t max);

// "data race", "use after free", "lock-order inversion", "thread leak", ... from TSAN's
// report type ("heap-use-after-free", "lock-order-inversion (potential deadlock)").
std::string tsan_kind(std::string_view type);

// Adds `more` to `into`: same signature -> counts added; new ones appended while fewer
// than `max_distinct` are kept (the attempt's total count says how many were seen).
void merge_tsan_reports(std::vector<TsanReport>& into, const std::vector<TsanReport>& more, std::size_t max_distinct);

}  // namespace labeille::observe
