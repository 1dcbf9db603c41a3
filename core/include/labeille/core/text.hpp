// Text helpers for bytes that come from test processes: they may be anything.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace labeille {

// Returns valid UTF-8: every invalid or truncated sequence becomes U+FFFD and NUL bytes
// become U+2400 (SYMBOL FOR NULL), so a record built from test output is always valid
// JSON text and stays readable by tools that choke on \u0000.
std::string sanitize_utf8(std::string_view bytes);

// The one sanitizer for bytes a test (or a hostile file) produced on their way to a
// terminal, a report, a CSV cell or a JSON file: sanitize_utf8, and then every control
// character but tab, newline and the CR of a CRLF becomes visible: C0 controls as their
// Control Pictures (ESC -> U+241B "␛", a lone CR -> U+240D), DEL as U+2421, the C1
// controls (U+0080..U+009F, which some terminals obey like ESC sequences) as U+FFFD. No
// terminal title, screen clear or cursor move survives. json::Out and json::Reader apply
// it to every string, so every view gets it.
std::string safe_text(std::string_view bytes);

// Keeps the last `capacity` bytes written to it (a ring buffer), for stream tails.
class TailBuffer {
 public:
  explicit TailBuffer(std::size_t capacity = 64 * 1024);
  void append(std::string_view bytes);
  // The kept bytes, oldest first; the first partial UTF-8 sequence is dropped by
  // sanitize_utf8's caller if needed.
  std::string str() const;
  std::size_t total_bytes() const { return total_; }
  std::size_t capacity() const { return buf_.size(); }

 private:
  std::vector<char> buf_;
  std::size_t start_ = 0;  // index of the oldest byte when full
  std::size_t size_ = 0;
  std::size_t total_ = 0;
};

// Last non-empty line of `text` (without trailing whitespace).
std::string last_line(std::string_view text);

// The first line, trimmed.
std::string first_line(std::string_view s);

// Splits on '\n', dropping a trailing '\r' of each line.
std::vector<std::string_view> split_lines(std::string_view text);

std::string trim(std::string_view s);

// The last `n` lines of `text`, each followed by '\n' and preceded by `prefix`.
std::string last_lines(std::string_view text, std::size_t n, std::string_view prefix = "");

// "a,b,,c" -> {"a", "b", "c"}: the non-empty items of a `sep`-separated list.
std::vector<std::string> split_list(std::string_view s, char sep = ',');

// A comma-separated list of requirements (`--extra-deps`), where a comma may also be
// part of one: "trustme,numpy>=1.26,<3,requests[socks,security]" -> {"trustme",
// "numpy>=1.26,<3", "requests[socks,security]"}. A comma starts a new requirement only
// outside brackets and parentheses and when a name follows it (a letter or digit, as
// PEP 508 names start); ",<3" or ",!=1.5" continue a version specifier. Items trimmed,
// empty ones dropped.
std::vector<std::string> split_requirements(std::string_view s);

// `s` as XML/HTML character data (text between tags, not an attribute value): &, < and >
// escaped, and control characters other than tab and newlines (pugixml's escaping).
std::string xml_escape(std::string_view s);

}  // namespace labeille
