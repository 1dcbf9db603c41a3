#include "labeille/runner/output_scan.hpp"

#include <regex>

#include "labeille/core/signature.hpp"
#include "labeille/core/text.hpp"

namespace labeille::runner {

namespace {
bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
}  // namespace

std::string normalize_native_frame(std::string_view line) {
  // "#0 func file:line (module+0xoff)" or "#1 <null> <null> (libtsan.so.2+0x...)"
  static const std::regex frame(R"re(#\d+\s+(\S+)\s+(\S+))re");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(line.begin(), line.end(), m, frame)) return strip_volatile(line);
  std::string func = m[1].str();
  std::string where = m[2].str();
  if (where == "<null>" || where.front() == '(') return func;
  auto slash = where.rfind('/');
  if (slash != std::string::npos) where = where.substr(slash + 1);
  return func + " " + where;
}

void OutputScanner::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    auto nl = chunk.find('\n');
    auto piece = chunk.substr(0, nl);
    if (!partial_overflow_) {
      std::size_t room = kMaxLine - std::min(kMaxLine, partial_.size());
      partial_.append(piece.substr(0, room));
      if (piece.size() > room) partial_overflow_ = true;
    }
    if (nl == std::string_view::npos) return;
    on_line(partial_);
    partial_.clear();
    partial_overflow_ = false;
    chunk.remove_prefix(nl + 1);
  }
}

void OutputScanner::finish() {
  if (!partial_.empty()) on_line(partial_);
  partial_.clear();
  if (in_tsan_) end_tsan_report();
}

void OutputScanner::on_line(std::string_view raw) {
  std::string_view line = raw;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string t = trim(line);
  if (!t.empty()) last_line_ = sanitize_utf8(std::string_view(t).substr(0, kMaxLastLine));

  if (starts_with(t, "Fatal Python error:") && fatal_error_.empty()) {
    fatal_error_ = strip_volatile(sanitize_utf8(t));
    // A fatal error restarts frame capture: the dump after it is the crash's.
    crash_frames_.clear();
    stack_ = Stack::None;
  }
  if (stack_ == Stack::None && starts_with(t, "Current thread ")) {
    stack_ = Stack::Current;
  } else if (stack_ == Stack::Current) {
    if (starts_with(t, "File \"")) {
      if (crash_frames_.size() < kMaxFrames) crash_frames_.push_back(normalize_python_frame(t));
    } else if (!starts_with(t, "<")) {  // "<no Python frame>" belongs to the stack
      stack_ = Stack::Done;             // a blank line or the next thread ends it
    }
  }

  if (!parse_tsan_) return;
  if (starts_with(t, "WARNING: ThreadSanitizer:")) {
    if (in_tsan_) end_tsan_report();
    in_tsan_ = true;
    tsan_first_stack_done_ = false;
    current_ = TsanReport{};
    std::string type = t.substr(std::string_view("WARNING: ThreadSanitizer:").size());
    if (auto p = type.find(" (pid="); p != std::string::npos) type.resize(p);
    current_.type = trim(type);
    return;
  }
  if (!in_tsan_) return;
  if (starts_with(t, "SUMMARY: ThreadSanitizer:") || t == "==================") {
    end_tsan_report();
    return;
  }
  if (starts_with(t, "#")) {
    if (!tsan_first_stack_done_ && current_.frames.size() < kMaxFrames)
      current_.frames.push_back(normalize_native_frame(t));
  } else if (!current_.frames.empty()) {
    tsan_first_stack_done_ = true;  // the first stack ended
  }
}

void OutputScanner::end_tsan_report() {
  in_tsan_ = false;
  ++tsan_count_;
  std::string sig = current_.type;
  for (const auto& f : current_.frames) sig += " | " + f;
  current_.signature = sig;
  for (auto& r : tsan_) {
    if (r.signature == sig) {
      ++r.count;
      return;
    }
  }
  tsan_.push_back(current_);
}

}  // namespace labeille::runner
