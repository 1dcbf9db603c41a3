#include "labeille/core/json.hpp"

#include <algorithm>
#include <climits>

#include <fmt/format.h>
#include <rapidjson/error/en.h>

#include "labeille/core/error.hpp"
#include "labeille/core/text.hpp"

namespace rj = rapidjson;

namespace labeille::json {

namespace {

// The deepest nesting of arrays and objects in `text` (brackets inside strings do not
// count). Linear and allocation-free, so a 50 MB line of '[' costs nothing to refuse.
int max_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}') --depth;
  }
  return deepest;
}

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

std::string sanitized(std::string_view s) { return sanitize_utf8(s); }

rj::Document parse_object(std::string_view text, std::string_view source) {
  if (trim(text).empty()) throw Error(fmt::format("{}: empty, expected a JSON object", source));
  if (max_depth(text) > kMaxDepth)
    throw Error(fmt::format("{}: JSON nested deeper than {} levels", source, kMaxDepth));
  rj::Document d;
  // Iterative: the parser's own stack is on the heap, whatever the input.
  d.Parse<rj::kParseIterativeFlag>(text.data(), text.size());
  if (d.HasParseError())
    throw Error(fmt::format("{}: not valid JSON at byte {}: {}", source, d.GetErrorOffset(),
                            rj::GetParseError_En(d.GetParseError())));
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
  return sanitize_utf8(std::string_view(x->GetString(), x->GetStringLength()));
}

double Reader::num(std::string_view k, double dflt) const {
  auto* x = find(k);
  if (!x) return dflt;
  if (!x->IsNumber()) bad(k, "a number");
  return x->GetDouble();
}

std::int64_t Reader::integer(std::string_view k, std::int64_t dflt) const {
  auto* x = find(k);
  if (!x) return dflt;
  if (!x->IsInt64()) bad(k, "an integer");
  return x->GetInt64();
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
    out.push_back(sanitize_utf8(std::string_view(e.GetString(), e.GetStringLength())));
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
    out[sanitize_utf8(std::string_view(m.name.GetString(), m.name.GetStringLength()))] = m.value.GetInt();
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Reader::string_map(std::string_view k) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto* x = find(k);
  if (!x) return out;
  if (!x->IsObject()) bad(k, "an object of strings");
  for (const auto& m : x->GetObject()) {
    if (!m.value.IsString()) bad(k, "an object of strings");
    out.emplace_back(sanitize_utf8(std::string_view(m.name.GetString(), m.name.GetStringLength())),
                     sanitize_utf8(std::string_view(m.value.GetString(), m.value.GetStringLength())));
  }
  return out;
}

std::optional<Reader> Reader::object(std::string_view k) const {
  auto* x = find(k);
  if (!x) return std::nullopt;
  if (!x->IsObject()) bad(k, "an object");
  return Reader(*x, source_, path_ + std::string(k) + ".");
}

}  // namespace labeille::json
