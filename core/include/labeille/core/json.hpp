// The one set of JSON helpers of labeille ft: every JSON text we read (records, started
// markers, ft_results.jsonl lines, ft_meta.json, --meta, the set-up helpers' answers, the
// startup hook's files, the stress plugin's lines) goes through json::parse_object and
// json::Reader, every JSON text we write (records, ft_results.jsonl, ft_meta.json,
// ft_summary.json, `ft compare --format json`) through json::Out. One strictness for all:
//
// - text that is not JSON, is nested absurdly deep, or is not an object is an Error
//   naming the source (file, or file:line);
// - a missing key or a null takes the field's default (the Python labeille tool leaves
//   keys out and writes nulls);
// - a key that is there with the wrong type is an Error
//   "<source>: <field>: expected <type>, got <value>" (never a silent default: a
//   retyped count would become a wrong number in every view);
// - one range policy for every number read or written: a number is finite and within
//   ±kMaxMagnitude (1e15: seconds, bytes and counts far beyond any real run); an integer
//   is also within ±2^53 (exact in every JSON reader, Python's and JavaScript's too); a
//   field kept as an int (iteration, attempt, signal, counts) is read with int32() or
//   count(), which refuse what an int cannot hold instead of wrapping it; json::Out writes
//   a number outside the policy as null, never as broken JSON;
// - every string read or written is valid UTF-8 without control characters but tab and
//   newlines (safe_text, core/text.hpp), so bytes a test process printed never reach a
//   terminal, a report or a JSON file raw.
//
// Readers of files another process may have cut short (the hook's files, the stress
// plugin's lines, a meta value looked up for display) are lenient by catching the Error:
// the whole object is skipped, never half read.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace labeille::json {

// Deeper than this is refused while parsing: nothing we write nests more than a few
// levels, and a recursive walk of a hostile document must not overflow the stack.
inline constexpr int kMaxDepth = 64;

// The range policy above.
inline constexpr double kMaxMagnitude = 1e15;
inline constexpr std::int64_t kMaxExactInteger = (std::int64_t{1} << 53) - 1;

// Parses `text` into a document that must be a JSON object; throws
// labeille::Error "<source>: ..." (exit 3) naming what is wrong.
rapidjson::Document parse_object(std::string_view text, std::string_view source);

// A value shown in an error: its JSON text, shortened to ~40 characters.
std::string describe(const rapidjson::Value& v);

// The JSON text of `v` (one line, or indented), with a trailing newline when pretty.
std::string text(const rapidjson::Value& v, bool pretty = false);

// Strict field access into one JSON object. `path` prefixes field names in errors
// ("config." for fields of the config object, "iterations[3]." for an array element).
class Reader {
 public:
  Reader(const rapidjson::Value& object, std::string_view source, std::string path = "");

  [[noreturn]] void bad(std::string_view field, std::string_view want) const;
  // The member, or nullptr when it is absent or null.
  const rapidjson::Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  std::string str(std::string_view key, std::string_view dflt = "") const;  // sanitized
  double num(std::string_view key, double dflt = 0) const;  // finite, within ±kMaxMagnitude
  std::int64_t integer(std::string_view key, std::int64_t dflt = 0) const;  // within ±kMaxExactInteger
  int int32(std::string_view key, int dflt = 0) const;  // an integer an int holds
  // A count: an integer from 0 to INT_MAX.
  int count(std::string_view key) const;
  std::optional<int> opt_int(std::string_view key) const;
  std::optional<std::string> opt_str(std::string_view key) const {  // nullopt when absent or null
    return has(key) ? std::optional<std::string>(str(key)) : std::nullopt;
  }
  bool boolean(std::string_view key, bool dflt = false) const;
  std::optional<bool> opt_bool(std::string_view key) const;
  std::vector<std::string> strings(std::string_view key) const;
  // An array of arrays of strings (a TSAN report's stacks).
  std::vector<std::vector<std::string>> string_lists(std::string_view key) const;
  // An object of counts ({"test id": 3}); names sanitized.
  std::map<std::string, int> counts(std::string_view key) const;
  // An object of strings ({"test id": "failed"}), in file order; names and values sanitized.
  std::vector<std::pair<std::string, std::string>> string_map(std::string_view key) const;
  // The type checks of str() and string_map() without copying anything: for fields a view
  // does not keep (a broken line is broken whatever the view), at no cost to the fast ones.
  void check_str(std::string_view key) const;
  void check_string_map(std::string_view key) const;
  // The nested object (nullopt when absent or null).
  std::optional<Reader> object(std::string_view key) const;
  // Calls f(Reader) for each element of an array of objects.
  template <class F>
  void each(std::string_view key, F&& f) const {
    const auto* x = find(key);
    if (!x) return;
    if (!x->IsArray()) bad(key, "an array");
    int i = 0;
    for (const auto& e : x->GetArray()) {
      std::string at = std::string(key) + "[" + std::to_string(i++) + "]";
      if (!e.IsObject()) bad(at, "an object");
      f(Reader(e, source_, path_ + at + "."));
    }
  }

  const rapidjson::Value& value() const { return v_; }
  std::string_view source() const { return source_; }

 private:
  // Calls f(name, value) for each member of the object of strings at `key`, after its
  // type checks: string_map() and check_string_map() are this one loop.
  template <class F>
  void each_string_member(std::string_view key, F&& f) const;

  const rapidjson::Value& v_;
  std::string_view source_;
  std::string path_;
};

// A RapidJSON writer whose strings are always sanitized.
template <class W>
class Out {
 public:
  explicit Out(W& w) : w_(w) {}
  Out& key(std::string_view k) {
    w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    return *this;
  }
  void str(std::string_view s);
  void str_or_null(std::string_view s) { s.empty() ? null() : str(s); }
  void num(double d) {
    if (std::isfinite(d) && std::fabs(d) <= kMaxMagnitude) w_.Double(d);
    else w_.Null();
  }
  void integer(std::int64_t i) {
    if (i >= -kMaxExactInteger && i <= kMaxExactInteger) w_.Int64(i);
    else w_.Null();
  }
  void boolean(bool b) { w_.Bool(b); }
  void null() { w_.Null(); }
  void opt_bool(const std::optional<bool>& b) { b ? boolean(*b) : null(); }
  void opt_str(const std::optional<std::string>& s) { s ? str(*s) : null(); }
  void strings(const std::vector<std::string>& v) {
    w_.StartArray();
    for (const auto& s : v) str(s);
    w_.EndArray();
  }
  void counts(const std::map<std::string, int>& m) {
    w_.StartObject();
    for (const auto& [k, v] : m) key(k).integer(v);
    w_.EndObject();
  }
  W& raw() { return w_; }

 private:
  W& w_;
};

std::string sanitized(std::string_view s);

template <class W>
void Out<W>::str(std::string_view s) {
  std::string clean = sanitized(s);
  w_.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

using LineWriter = rapidjson::Writer<rapidjson::StringBuffer>;
using PrettyWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

}  // namespace labeille::json
