// Line scanner over a test process's output: finds what the classifier and the record
// need without keeping the output in memory (it may be gigabytes).
//
// It recognises
//  - CPython's "Fatal Python error: ..." line and the frames of faulthandler's
//    "Current thread ..." stack that follows it (the crash signature's input);
//  - ThreadSanitizer reports ("WARNING: ThreadSanitizer: <type> (pid=N)" ... "SUMMARY:"),
//    their type and the top frames of the first stack (when TSAN parsing is on);
//  - the last non-empty line.
// Chunks may split lines anywhere; lines longer than kMaxLine are cut (the rest ignored).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "labeille/core/record.hpp"

namespace labeille::runner {

class OutputScanner {
 public:
  static constexpr std::size_t kMaxLine = 8192;
  static constexpr std::size_t kMaxFrames = 5;
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
  // TSAN state
  bool in_tsan_ = false;
  bool tsan_first_stack_done_ = false;
  TsanReport current_;
  std::vector<TsanReport> tsan_;
  int tsan_count_ = 0;
};

// "    #0 worker /src/racy.c:8 (racy+0x1234)" -> "worker racy.c:8"
std::string normalize_native_frame(std::string_view line);

}  // namespace labeille::runner
