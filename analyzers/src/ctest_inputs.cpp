#include "labeille/analyzers/ctest_inputs.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "labeille/core/error.hpp"
#include "labeille/core/text.hpp"

namespace fs = std::filesystem;

namespace labeille::analyzers {

namespace {

// Parsed by hand, not with std::regex: libstdc++'s regex recurses once per character and
// a hostile CTest file with a long test name overflowed the stack (found by tests/fuzz).
bool is_word(std::string_view s) {  // [A-Za-z0-9_-]+
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}
// A small whole number written in digits only ("007"), or nullopt.
std::optional<int> small_number(std::string_view s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoi(std::string(s));
}

}  // namespace

std::optional<TestName> parse_test_name(const std::string& name) { return test_names::parse(name); }

std::string canonical_test_name(const std::string& name) {
  // A name that starts with "ft." has the empty prefix (the shortest): no regex on the
  // path every record takes.
  if (name.rfind("ft.", 0) == 0) return name;
  auto tn = parse_test_name(name);
  return tn ? tn->canonical : name;
}

std::optional<std::pair<std::string, int>> attempt_dir_test(const std::string& pkg, const std::string& dir) {
  auto parts = split_list(dir, '.');
  if (parts.size() == 4 && parts[0] == "stress" && is_word(parts[1])) {  // stress.<mode>.iterNN.aNNN
    parts[1] = "stress." + parts[1];
    parts.erase(parts.begin());
  } else if (parts.size() == 3 && !is_word(parts[0])) {
    return std::nullopt;
  }
  if (parts.size() != 3 || parts[1].rfind("iter", 0) != 0 || parts[2].rfind("a", 0) != 0)
    return std::nullopt;
  auto iteration = small_number(std::string_view(parts[1]).substr(4));
  auto attempt = small_number(std::string_view(parts[2]).substr(1));
  if (!iteration || !attempt) return std::nullopt;
  return std::pair{fmt::format("ft.{}.{}.{}", pkg, parts[0], parts[1]), *attempt};
}

bool says_timeout(const CTestResult& c) { return c.reason.find("Timeout") != std::string::npos; }

std::vector<TestResult> parse_pytest_junit(std::string_view xml, std::string_view source) {
  pugi::xml_document doc;
  auto ok = doc.load_buffer(xml.data(), xml.size());
  if (!ok) throw Error(fmt::format("{}: not valid XML: {}", source, ok.description()));
  // Every <testcase>, at any depth (<testsuites> may nest <testsuite>s); a plain walk,
  // not XPath: fold reads one JUnit per attempt.
  std::vector<pugi::xml_node> cases;
  auto collect = [&](auto&& self, pugi::xml_node parent) -> void {
    for (auto n : parent.children()) {
      if (n.type() != pugi::node_element) continue;
      if (std::string_view(n.name()) == "testcase") cases.push_back(n);
      else self(self, n);
    }
  };
  collect(collect, doc);
  std::vector<TestResult> out;
  out.reserve(cases.size());
  for (auto n : cases) {
    TestResult t;
    std::string cls = n.attribute("classname").value();
    t.id = cls.empty() ? n.attribute("name").value() : cls + "::" + n.attribute("name").value();
    t.status = "passed";
    if (auto f = n.child("failure")) {
      t.status = "failed";
      t.message = first_line(f.attribute("message").value());
    } else if (auto e = n.child("error")) {
      t.status = "error";
      t.message = first_line(e.attribute("message").value());
    } else if (n.child("skipped")) {
      t.status = "skipped";
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<CTestResult> read_ctest_junit(const fs::path& file) {
  pugi::xml_document doc;
  auto ok = doc.load_file(file.c_str());
  if (!ok) throw Error(fmt::format("{}: not valid XML: {}", file.string(), ok.description()));
  std::vector<CTestResult> out;
  for (auto tc : doc.select_nodes("//testcase")) {
    auto n = tc.node();
    CTestResult r{n.attribute("name").value(), "passed", ""};
    if (auto t = n.attribute("time")) r.duration_s = t.as_double(-1);
    std::string status = n.attribute("status").value();
    if (auto f = n.child("failure")) {
      r.status = "failed";
      r.reason = f.attribute("message").value();
    } else if (auto s = n.child("skipped")) {
      r.status = status == "disabled" || status == "notrun" ? "notrun" : "skipped";
      r.reason = s.attribute("message").value();
    } else if (status == "notrun" || status == "disabled") {
      r.status = "notrun";
      r.reason = status == "disabled" ? "Disabled" : "Not Run";  // as Test.xml says it
    }
    // CTest 3.25 writes failure message="" and an empty system-out for a test it killed on
    // its TIMEOUT (tests/analyzers/data/ctest_run): only Test.xml names the timeout; from
    // the JUnit alone, lost_outcome weighs the run's time against the runner's timeout.
    if (r.status == "failed" && r.reason.empty()) r.reason = "Failed";
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<CTestResult> read_ctest_xml(const fs::path& file) {
  pugi::xml_document doc;
  auto ok = doc.load_file(file.c_str());
  if (!ok) throw Error(fmt::format("{}: not valid XML: {}", file.string(), ok.description()));
  std::vector<CTestResult> out;
  for (auto tn : doc.select_nodes("/Site/Testing/Test")) {
    auto n = tn.node();
    CTestResult r{n.child_value("Name"), n.attribute("Status").value(), ""};
    for (auto m : n.child("Results").children("NamedMeasurement")) {
      std::string name = m.attribute("name").value();
      if (name == "Execution Time") r.duration_s = std::strtod(m.child_value("Value"), nullptr);
      if (name == "Exit Code" || name == "Completion Status") {
        std::string v = m.child_value("Value");
        if (r.reason.empty() || v == "Timeout") r.reason = v;
      }
    }
    if (r.status == "notrun" && r.reason.empty()) r.reason = "Not Run";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace labeille::analyzers
