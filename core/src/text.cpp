#include "labeille/core/text.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <sstream>

#include <pugixml.hpp>

namespace labeille {

namespace {

// The length of the leading run of bytes that pass unchanged: ASCII other than NUL. Eight
// bytes at a time: most text we sanitize (records, pytest output) is all such bytes, and
// every string of every record read goes through here.
std::size_t plain_ascii_run(const unsigned char* s, std::size_t n) {
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL, kOnes = 0x0101010101010101ULL;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s + i, 8);
    const std::uint64_t zero_byte = (w - kOnes) & ~w & kHigh;
    if ((w & kHigh) | zero_byte) break;
  }
  while (i < n && s[i] != 0 && s[i] < 0x80) ++i;
  return i;
}

}  // namespace

std::string safe_text(std::string_view bytes) {
  std::string s = sanitize_utf8(bytes);
  auto unsafe = [&](std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\t' || c == '\n') return false;
    if (c == '\r') return i + 1 >= s.size() || s[i + 1] != '\n';
    if (c < 0x20 || c == 0x7F) return true;
    // C1: U+0080..U+009F are C2 80..C2 9F in UTF-8 (valid here: sanitize_utf8 ran).
    return c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F;
  };
  std::size_t i = 0;
  while (i < s.size() && !unsafe(i)) ++i;
  if (i == s.size()) return s;
  std::string out(s, 0, i);
  out.reserve(s.size() + 16);
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!unsafe(i)) {
      out += s[i];
    } else if (c == 0xC2) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else if (c == 0x7F) {
      out += "\xE2\x90\xA1";
    } else {
      out += "\xE2\x90";
      out += static_cast<char>(0x80 + c);
    }
  }
  return out;
}

std::string sanitize_utf8(std::string_view in) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  static constexpr std::string_view kNul = "\xE2\x90\x80";          // U+2400
  std::string out;
  out.reserve(in.size());
  const auto* s = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::size_t i = 0;
  while (i < n) {
    const std::size_t run = plain_ascii_run(s + i, n - i);
    out.append(in.data() + i, run);
    i += run;
    if (i == n) break;
    unsigned char c = s[i];
    if (c == 0) {
      out += kNul;
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned int cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      out += kReplacement;
      ++i;
      continue;
    }
    bool ok = i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) ok = false;
      else cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and values above U+10FFFF.
    if (ok) {
      if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
          (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        ok = false;
    }
    if (!ok) {
      out += kReplacement;
      ++i;  // resynchronise on the next byte
      continue;
    }
    out.append(in.data() + i, len);
    i += len;
  }
  return out;
}

TailBuffer::TailBuffer(std::size_t capacity) : buf_(capacity == 0 ? 1 : capacity) {}

void TailBuffer::append(std::string_view bytes) {
  total_ += bytes.size();
  const std::size_t cap = buf_.size();
  if (bytes.size() >= cap) {
    std::copy(bytes.end() - static_cast<std::ptrdiff_t>(cap), bytes.end(), buf_.begin());
    start_ = 0;
    size_ = cap;
    return;
  }
  for (char ch : bytes) {
    if (size_ < cap) {
      buf_[(start_ + size_) % cap] = ch;
      ++size_;
    } else {
      buf_[start_] = ch;
      start_ = (start_ + 1) % cap;
    }
  }
}

std::string TailBuffer::str() const {
  std::string out;
  out.reserve(size_);
  for (std::size_t k = 0; k < size_; ++k) out += buf_[(start_ + k) % buf_.size()];
  return out;
}

std::string trim(std::string_view s) {
  const auto* ws = " \t\r\n\f\v";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (pos < text.size()) lines.push_back(text.substr(pos));
      break;
    }
    auto line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    pos = nl + 1;
  }
  return lines;
}

std::string last_lines(std::string_view text, std::size_t n, std::string_view prefix) {
  auto lines = split_lines(text);
  std::size_t from = lines.size() > n ? lines.size() - n : 0;
  std::string out;
  for (std::size_t i = from; i < lines.size(); ++i) {
    out += prefix;
    out += lines[i];
    out += '\n';
  }
  return out;
}

std::vector<std::string> split_list(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto at = s.find(sep);
    auto item = s.substr(0, at);
    if (!item.empty()) out.emplace_back(item);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

std::vector<std::string> split_requirements(std::string_view s) {
  std::vector<std::string> out;
  std::string item;
  int depth = 0;
  auto flush = [&] {
    auto t = trim(item);
    if (!t.empty()) out.emplace_back(t);
    item.clear();
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '[' || c == '(') ++depth;
    if ((c == ']' || c == ')') && depth > 0) --depth;
    if (c == ',' && depth == 0) {
      auto next = s.find_first_not_of(" \t", i + 1);
      if (next == std::string_view::npos || s[next] == ',' || std::isalnum(static_cast<unsigned char>(s[next]))) {
        flush();
        continue;
      }
    }
    item += c;
  }
  flush();
  return out;
}

std::string last_line(std::string_view text) {
  auto lines = split_lines(text);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    auto t = trim(*it);
    if (!t.empty()) return t;
  }
  return {};
}

std::string first_line(std::string_view s) {
  auto nl = s.find('\n');
  return trim(s.substr(0, nl));
}

std::string xml_escape(std::string_view s) {
  // A document that is one text node prints as exactly that text, escaped by pugixml.
  pugi::xml_document doc;
  doc.append_child(pugi::node_pcdata).set_value(std::string(s).c_str());
  std::ostringstream os;
  doc.print(os, "", pugi::format_raw | pugi::format_no_declaration);
  return os.str();
}

}  // namespace labeille
