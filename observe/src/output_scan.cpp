#include "labeille/observe/output_scan.hpp"

#include <algorithm>
#include <regex>

#include "labeille/core/signature.hpp"
#include "labeille/core/text.hpp"

namespace labeille::observe {

namespace {
bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
}  // namespace

NativeFrame parse_native_frame(std::string_view line) {
  // "#0 func file:line (module+0xoff)", "#1 <null> <null> (libtsan.so.2+0x...)" or
  // "#2 func (module+0xoff)" (no debug information).
  static const std::regex frame(R"re(#\d+\s+(\S+)(?:\s+([^\s(]\S*))?(?:\s+\(([^)+]+)\+0x[0-9a-fA-F]+\))?)re");
  std::match_results<std::string_view::const_iterator> m;
  NativeFrame f;
  if (!std::regex_search(line.begin(), line.end(), m, frame)) {
    f.text = strip_volatile(line);
    return f;
  }
  std::string func = m[1].str();
  std::string where = m[2].matched ? m[2].str() : "";
  if (m[3].matched) {
    f.module = m[3].str();
    if (auto slash = f.module.rfind('/'); slash != std::string::npos) f.module.erase(0, slash + 1);
  }
  if (where == "<null>") where.clear();
  if (auto slash = where.rfind('/'); slash != std::string::npos) where.erase(0, slash + 1);
  f.where = where;
  f.text = where.empty() ? func : func + " " + where;
  return f;
}

std::string normalize_native_frame(std::string_view line) { return parse_native_frame(line).text; }

bool is_runtime_frame(const NativeFrame& f) {
  // The interpreter (a static build is one executable; a shared build has libpython), the
  // sanitizer runtime, the C and C++ runtimes, the loader.
  static const std::regex runtime(
      R"re(^(python[0-9.]*t?d?|libpython.*|libtsan.*|libc\.so.*|libc-.*|libm\.so.*|libpthread.*|ld-linux.*|libstdc\+\+.*|libgcc_s.*|libffi.*)$)re");
  if (f.module.empty()) return f.text.rfind("<null>", 0) == 0;
  return std::regex_match(f.module, runtime);
}

std::vector<std::string> trim_stack(const std::vector<NativeFrame>& frames, std::size_t max) {
  std::vector<std::string> out;
  auto first = std::find_if(frames.begin(), frames.end(), [](const NativeFrame& f) { return !is_runtime_frame(f); });
  if (first == frames.end()) {  // the interpreter's own race: its top frames
    for (std::size_t i = 0; i < frames.size() && out.size() < max; ++i) out.push_back(frames[i].text);
    return out;
  }
  for (auto it = first; it != frames.end() && !is_runtime_frame(*it) && out.size() < max; ++it)
    out.push_back(it->text);
  return out;
}

std::string tsan_kind(std::string_view type) {
  std::string t(type);
  if (t.rfind("data race", 0) == 0) return "data race";
  if (t.find("use-after-free") != std::string::npos) return "use after free";
  if (t.rfind("lock-order-inversion", 0) == 0) return "lock-order inversion";
  if (t == "thread leak") return "thread leak";
  if (t.rfind("signal-unsafe call", 0) == 0) return "signal-unsafe call";
  if (t.find("mutex") != std::string::npos) return "mutex misuse";  // destroy of a locked mutex, double lock, ...
  return t;
}

void merge_tsan_reports(std::vector<TsanReport>& into, const std::vector<TsanReport>& more, std::size_t max_distinct) {
  for (const auto& r : more) {
    auto same = std::find_if(into.begin(), into.end(), [&](const TsanReport& x) { return x.signature == r.signature; });
    if (same != into.end()) same->count += r.count;
    else if (into.size() < max_distinct) into.push_back(r);
  }
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

  if (parse_tsan_) on_tsan_line(t);
}

namespace {

// TSAN's own fatal lines: it gives up, whatever the program was doing, and exits with
// TSAN_OPTIONS' exitcode (0 under labeille), so only this line tells.
std::string tsan_fatal_line(std::string_view t) {
  if (t.find("ThreadSanitizer") == std::string_view::npos) return {};
  if (starts_with(t, "WARNING: ThreadSanitizer:") || starts_with(t, "SUMMARY: ThreadSanitizer:") ||
      starts_with(t, "ThreadSanitizer: reported"))
    return {};
  std::string_view rest = t;
  if (starts_with(rest, "==")) {  // "==1234==ERROR: ThreadSanitizer ..."
    auto close = rest.find("==", 2);
    if (close != std::string_view::npos) rest.remove_prefix(close + 2);
  }
  bool fatal = starts_with(rest, "FATAL:") || starts_with(rest, "ERROR:") ||
               rest.find("CHECK failed") != std::string_view::npos || rest.find("Dying") != std::string_view::npos ||
               rest.find("out of memory") != std::string_view::npos;
  return fatal ? strip_volatile(sanitize_utf8(trim(rest))) : std::string();
}

// A stack header inside a report: "Write of size 8 at 0x... by thread T1:", "Previous
// read ...", "Mutex M1 acquired here while holding mutex M0 in thread T1:" (access
// stacks) or "Thread T1 (tid=..., running) created by main thread at:", "Location is
// heap block ... allocated by ...:", "Mutex M0 (0x...) created at:" (context).
enum class Header { Access, Creation, Context };
Header classify_header(std::string_view t) {
  if (starts_with(t, "Thread T") && t.find("created by") != std::string_view::npos) return Header::Creation;
  if (starts_with(t, "Location is") || t.find("created at:") != std::string_view::npos ||
      starts_with(t, "As if synchronized"))
    return Header::Context;
  return Header::Access;
}

constexpr std::size_t kMaxRawFrames = 64;  // enough to reach the package below interceptors

}  // namespace

void OutputScanner::on_tsan_line(std::string_view t) {
  if (auto fatal = tsan_fatal_line(t); !fatal.empty() && tsan_fatal_.empty()) tsan_fatal_ = fatal;
  if (starts_with(t, "WARNING: ThreadSanitizer:")) {
    if (in_tsan_) end_tsan_report();
    in_tsan_ = true;
    std::string type(t.substr(std::string_view("WARNING: ThreadSanitizer:").size()));
    if (auto p = type.find(" (pid="); p != std::string::npos) type.resize(p);
    tsan_type_ = trim(type);
    access_stacks_.clear();
    creation_stacks_.clear();
    tsan_stack_ = nullptr;
    return;
  }
  if (!in_tsan_) return;
  if (starts_with(t, "SUMMARY: ThreadSanitizer:") || t == "==================") {
    end_tsan_report();
    return;
  }
  if (starts_with(t, "#")) {
    if (tsan_stack_ && tsan_stack_->size() < kMaxRawFrames) tsan_stack_->push_back(parse_native_frame(t));
    return;
  }
  // TSAN's history no longer had the earlier access: the stack is kept as this line.
  if (t == kTsanLostStack) {
    if (tsan_stack_ && tsan_stack_->empty()) tsan_stack_->push_back({std::string(t), "", ""});
    return;
  }
  tsan_stack_ = nullptr;  // a blank line or another header ends a stack
  if (t.empty() || t.back() != ':') return;
  switch (classify_header(t)) {
    case Header::Access: tsan_stack_ = &access_stacks_.emplace_back(); break;
    case Header::Creation: tsan_stack_ = &creation_stacks_.emplace_back(); break;
    case Header::Context: break;
  }
}

void OutputScanner::end_tsan_report() {
  in_tsan_ = false;
  tsan_stack_ = nullptr;
  ++tsan_count_;
  TsanReport r;
  r.type = tsan_type_;
  r.kind = tsan_kind(tsan_type_);
  // The two accesses (or lock acquisitions); a thread leak has only where it was created.
  for (auto* stacks : {&access_stacks_, &creation_stacks_}) {
    for (const auto& st : *stacks)
      if (!st.empty() && r.stacks.size() < 2) r.stacks.push_back(trim_stack(st, kMaxFrames));
    if (!r.stacks.empty()) break;
  }
  if (!r.stacks.empty() && r.stacks.front().front() != kTsanLostStack) {
    r.frames = r.stacks.front();
    // file:line of the top frame ("func file:line").
    const auto& top = r.frames.front();
    if (auto sp = top.find(' '); sp != std::string::npos) r.location = top.substr(sp + 1);
  }
  // The distinct top frames, sorted: the same race whichever thread TSAN saw first, and
  // whether or not it could still restore the earlier access's stack.
  std::vector<std::string> tops;
  for (const auto& st : r.stacks)
    if (!st.empty() && st.front() != kTsanLostStack) tops.push_back(st.front());
  std::sort(tops.begin(), tops.end());
  tops.erase(std::unique(tops.begin(), tops.end()), tops.end());
  r.signature = r.kind;
  for (const auto& f : tops) r.signature += " | " + f;
  access_stacks_.clear();
  creation_stacks_.clear();
  merge_tsan_reports(tsan_, {r}, kMaxDistinctTsan);
}

}  // namespace labeille::observe
