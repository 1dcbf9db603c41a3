#include "labeille/core/signature.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include "labeille/core/text.hpp"

namespace labeille {

namespace {

std::string short_path(std::string_view path) {
  std::string p(path);
  if (auto sp = p.rfind("site-packages/"); sp != std::string::npos) return p.substr(sp + 14);
  // Keep the last two components: enough to tell tests/test_x.py from src/x.py.
  auto last = p.rfind('/');
  if (last == std::string::npos || last == 0) return p;
  auto prev = p.rfind('/', last - 1);
  return prev == std::string::npos ? p : p.substr(prev + 1);
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

std::string strip_volatile(std::string_view text) {
  static const std::regex hex("0x[0-9a-fA-F]+");
  static const std::regex pid("\\b(pid|tid)=\\d+");
  static const std::regex thread("\\bT\\d+\\b");
  static const std::regex longnum("\\b\\d{5,}\\b");
  std::string s(text);
  s = std::regex_replace(s, hex, "0x?");
  s = std::regex_replace(s, pid, "$1=?");
  s = std::regex_replace(s, thread, "T?");
  s = std::regex_replace(s, longnum, "?");
  return trim(s);
}

std::string normalize_python_frame(std::string_view line) {
  static const std::regex frame(R"re(File "([^"]+)", line (\d+) in (.+))re");
  std::match_results<std::string_view::const_iterator> m;
  if (!std::regex_search(line.begin(), line.end(), m, frame)) return strip_volatile(line);
  return short_path(std::string_view(&*m[1].first, static_cast<std::size_t>(m[1].length()))) +
         ":" + m[2].str() + " " + trim(m[3].str());
}

std::string stall_signature(std::string_view stacks) {
  std::set<std::string> tops;
  bool want_top = false;
  for (auto line : split_lines(stacks)) {
    std::string t = trim(line);
    if (starts_with(t, "Thread ") || starts_with(t, "Current thread ")) {
      want_top = true;  // the next frame line is this thread's most recent call
    } else if (want_top && starts_with(t, "File \"")) {
      tops.insert(normalize_python_frame(t));
      want_top = false;
    }
  }
  std::string out;
  for (const auto& f : tops) out += (out.empty() ? "" : " ; ") + f;
  return out;
}

}  // namespace labeille
