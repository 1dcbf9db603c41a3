#include "labeille/core/json.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <rapidjson/error/en.h>

#include "labeille/core/error.hpp"
#include "labeille/core/text.hpp"

namespace rj = rapidjson;

namespace labeille::json {

namespace {

// Forwards the parser's events to a document and refuses nesting deeper than kMaxDepth.
// The recursive parser announces an object or array before it descends into it, so
// refusing there bounds its recursion (a line of 50 MB of '[' stops at level 65) in the
// same pass that builds the document: no pre-scan, no slower iterative parser.
struct DepthLimited {
  rj::Document& doc;
  bool& too_deep;
  int depth = 0;

  bool Null() { return doc.Null(); }
  bool Bool(bool b) { return doc.Bool(b); }
  bool Int(int i) { return doc.Int(i); }
  bool Uint(unsigned u) { return doc.Uint(u); }
  bool Int64(std::int64_t i) { return doc.Int64(i); }
  bool Uint64(std::uint64_t u) { return doc.Uint64(u); }
  bool Double(double d) { return doc.Double(d); }
  bool RawNumber(const char* s, rj::SizeType n, bool copy) { return doc.RawNumber(s, n, copy); }
  bool String(const char* s, rj::SizeType n, bool copy) { return doc.String(s, n, copy); }
  bool Key(const char* s, rj::SizeType n, bool copy) { return doc.Key(s, n, copy); }
  bool StartObject() { return deeper() && doc.StartObject(); }
  bool EndObject(rj::SizeType n) { --depth; return doc.EndObject(n); }
  bool StartArray() { return deeper() && doc.StartArray(); }
  bool EndArray(rj::SizeType n) { --depth; return doc.EndArray(n); }

  bool deeper() {
    too_deep = ++depth > kMaxDepth;
    return !too_deep;
  }
};

const char* kind_of(const rj::Value& v) {
  switch (v.GetType()) {
    case rj::kNullType: return "null";
    case rj::kFalseType:
    case rj::kTrueType: return "a boolean";
    case rj::kObjectType: return "an object";
    case rj::kArrayType: return "an array";
    case rj::kStringType: return "a string";
    case rj::kNumberType: return "a number";
  }
  return "a value";
}

}  // namespace

std::string sanitized(std::string_view s) { return safe_text(s); }

rj::Document parse_object(std::string_view text, std::string_view source) {
  if (trim(text).empty()) throw Error(fmt::format("{}: empty, expected a JSON object", source));
  rj::Document d;
  // RapidJSON reads a NUL byte as the end of the text, so what follows one would go
  // unread; a raw NUL is never valid JSON anyway.
  if (const void* nul = std::memchr(text.data(), '\0', text.size()))
    throw Error(fmt::format("{}: not valid JSON at byte {}: a NUL byte", source,
                            static_cast<const char*>(nul) - text.data()));
  // From a NUL-terminated copy: RapidJSON scans that faster than a length-bounded view.
  const std::string terminated(text);
  rj::Reader reader;
  bool too_deep = false;
  auto parse = [&](rj::Document& doc) {
    DepthLimited handler{doc, too_deep};
    rj::StringStream in(terminated.c_str());
    return !reader.Parse(in, handler).IsError();
  };
  d.Populate(parse);
  if (too_deep) throw Error(fmt::format("{}: JSON nested deeper than {} levels", source, kMaxDepth));
  if (reader.HasParseError())
    throw Error(fmt::format("{}: not valid JSON at byte {}: {}", source, reader.GetErrorOffset(),
                            rj::GetParseError_En(reader.GetParseErrorCode())));
  if (!d.IsObject()) throw Error(fmt::format("{}: expected a JSON object, got {}", source, kind_of(d)));
  return d;
}

std::string text(const rj::Value& v, bool pretty) {
  rj::StringBuffer sb;
  if (pretty) {
    PrettyWriter w(sb);
    v.Accept(w);
    return std::string(sb.GetString(), sb.GetSize()) + "\n";
  }
  LineWriter w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

std::string describe(const rj::Value& v) {
  constexpr std::size_t kMax = 40;
  std::string t = text(v);
  if (t.size() > kMax) t = t.substr(0, kMax) + "...";
  return sanitize_utf8(t);
}

Reader::Reader(const rj::Value& object, std::string_view source, std::string path)
    : v_(object), source_(source), path_(std::move(path)) {}

void Reader::bad(std::string_view field, std::string_view want) const {
  const rj::Value* got = nullptr;
  if (auto it = v_.FindMember(rj::Value(field.data(), static_cast<rj::SizeType>(field.size())));
      it != v_.MemberEnd())
    got = &it->value;
  throw Error(fmt::format("{}: {}{}: expected {}{}", source_, path_, field, want,
                          got ? ", got " + describe(*got) : std::string()));
}

const rj::Value* Reader::find(std::string_view k) const {
  auto it = v_.FindMember(rj::Value(k.data(), static_cast<rj::SizeType>(k.size())));
  if (it == v_.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

std::string Reader::str(std::string_view k, std::string_view dflt) const {
  auto* x = find(k);
  if (!x) return std::string(dflt);
  if (!x->IsString()) bad(k, "a string");
  return safe_text(std::string_view(x->GetString(), x->GetStringLength()));
}

double Reader::num(std::string_view k, double dflt) const {
  auto* x = find(k);
  if (!x) return dflt;
  if (!x->IsNumber() || !std::isfinite(x->GetDouble()) || std::fabs(x->GetDouble()) > kMaxMagnitude)
    bad(k, "a number from -1e15 to 1e15");
  return x->GetDouble();
}

std::int64_t Reader::integer(std::string_view k, std::int64_t dflt) const {
  auto* x = find(k);
  if (!x) return dflt;
  if (!x->IsInt64() || x->GetInt64() > kMaxExactInteger || x->GetInt64() < -kMaxExactInteger)
    bad(k, "an integer from -(2^53-1) to 2^53-1");
  return x->GetInt64();
}

int Reader::int32(std::string_view k, int dflt) const {
  auto* x = find(k);
  if (!x) return dflt;
  if (!x->IsInt()) bad(k, "an integer from -2147483648 to 2147483647");
  return x->GetInt();
}

int Reader::count(std::string_view k) const {
  auto* x = find(k);
  if (!x) return 0;
  if (!x->IsInt() || x->GetInt() < 0) bad(k, "a count (an integer >= 0)");
  return x->GetInt();
}

std::optional<int> Reader::opt_int(std::string_view k) const {
  auto* x = find(k);
  if (!x) return std::nullopt;
  if (!x->IsInt()) bad(k, "an integer or null");
  return x->GetInt();
}

bool Reader::boolean(std::string_view k, bool dflt) const {
  auto* x = find(k);
  if (!x) return dflt;
  if (!x->IsBool()) bad(k, "true or false");
  return x->GetBool();
}

std::optional<bool> Reader::opt_bool(std::string_view k) const {
  auto* x = find(k);
  if (!x) return std::nullopt;
  if (!x->IsBool()) bad(k, "true, false or null");
  return x->GetBool();
}

std::vector<std::string> Reader::strings(std::string_view k) const {
  std::vector<std::string> out;
  auto* x = find(k);
  if (!x) return out;
  if (!x->IsArray()) bad(k, "an array of strings");
  for (const auto& e : x->GetArray()) {
    if (!e.IsString()) bad(k, "an array of strings");
    out.push_back(safe_text(std::string_view(e.GetString(), e.GetStringLength())));
  }
  return out;
}

std::vector<std::vector<std::string>> Reader::string_lists(std::string_view k) const {
  std::vector<std::vector<std::string>> out;
  auto* x = find(k);
  if (!x) return out;
  if (!x->IsArray()) bad(k, "an array of arrays of strings");
  for (const auto& e : x->GetArray()) {
    if (!e.IsArray()) bad(k, "an array of arrays of strings");
    auto& list = out.emplace_back();
    for (const auto& f : e.GetArray()) {
      if (!f.IsString()) bad(k, "an array of arrays of strings");
      list.push_back(safe_text(std::string_view(f.GetString(), f.GetStringLength())));
    }
  }
  return out;
}

std::map<std::string, int> Reader::counts(std::string_view k) const {
  std::map<std::string, int> out;
  auto* x = find(k);
  if (!x) return out;
  if (!x->IsObject()) bad(k, "an object of counts");
  for (const auto& m : x->GetObject()) {
    if (!m.value.IsInt() || m.value.GetInt() < 0) bad(k, "an object of counts (integers >= 0)");
    out[safe_text(std::string_view(m.name.GetString(), m.name.GetStringLength()))] = m.value.GetInt();
  }
  return out;
}

template <class F>
void Reader::each_string_member(std::string_view k, F&& f) const {
  auto* x = find(k);
  if (!x) return;
  if (!x->IsObject()) bad(k, "an object of strings");
  for (const auto& m : x->GetObject()) {
    if (!m.value.IsString()) bad(k, "an object of strings");
    f(m.name, m.value);
  }
}

std::vector<std::pair<std::string, std::string>> Reader::string_map(std::string_view k) const {
  std::vector<std::pair<std::string, std::string>> out;
  each_string_member(k, [&](const rj::Value& name, const rj::Value& value) {
    out.emplace_back(safe_text(std::string_view(name.GetString(), name.GetStringLength())),
                     safe_text(std::string_view(value.GetString(), value.GetStringLength())));
  });
  return out;
}

void Reader::check_str(std::string_view k) const {
  if (auto* x = find(k); x && !x->IsString()) bad(k, "a string");
}

void Reader::check_string_map(std::string_view k) const {
  each_string_member(k, [](const rj::Value&, const rj::Value&) {});
}

std::optional<Reader> Reader::object(std::string_view k) const {
  auto* x = find(k);
  if (!x) return std::nullopt;
  if (!x->IsObject()) bad(k, "an object");
  return Reader(*x, source_, path_ + std::string(k) + ".");
}

}  // namespace labeille::json
