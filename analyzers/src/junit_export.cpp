// `labeille ft export --format junit`: one JUnit testcase per package and GIL mode, so
// the test reporters of GitLab, Jenkins and GitHub show a run without our viewer. Every
// category but compatible is a <failure> whose message is the verdict and the evidence
// and whose text is the package's whole story (render_package).
#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "labeille/analyzers/evidence.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/core/text.hpp"

namespace labeille::analyzers {

namespace {

double total_duration(const std::vector<IterationResult>& runs) {
  double t = 0;
  for (const auto& r : runs) t += r.duration_s;
  return t;
}

struct Suite {
  pugi::xml_node node;
  int tests = 0, failures = 0, skipped = 0;
  double time = 0;
};

pugi::xml_node add_case(Suite& s, const std::string& mode, const PackageResult& p, double time) {
  auto tc = s.node.append_child("testcase");
  tc.append_attribute("classname") = ("labeille-ft." + mode).c_str();
  tc.append_attribute("name") = p.package.c_str();
  tc.append_attribute("time") = fmt::format("{:.3f}", time).c_str();
  ++s.tests;
  s.time += time;
  return tc;
}

// XML 1.0 has no place for control characters (test output has ANSI escapes): each
// becomes U+FFFD, after invalid UTF-8 did.
std::string xml_text(std::string_view s) {
  std::string o;
  for (char c : sanitize_utf8(s)) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') o += "\uFFFD";
    else o += c;
  }
  return o;
}

void fail(Suite& s, pugi::xml_node tc, const std::string& type, const std::string& message, const std::string& text) {
  auto f = tc.append_child("failure");
  // Attribute values are one line: reporters show the message as a title.
  f.append_attribute("message") = xml_text(message).c_str();
  f.append_attribute("type") = type.c_str();
  f.text().set(xml_text(text).c_str());
  ++s.failures;
}

std::string message(const PackageResult& p) {
  auto d = details(p);
  return fmt::format("{}: {}{}", p.category, p.verdict, d.empty() ? "" : "; " + d);
}

// Whether the package got past set-up and had a measured run: otherwise both modes say
// the same thing (what stopped it).
bool not_measured(const PackageResult& p) { return !p.install_ok || !p.import_ok || p.category == "unknown"; }

}  // namespace

std::string render_junit(const RunResults& run) {
  bool gil1 = run.meta.compare_with_gil;
  for (const auto& p : run.packages) gil1 = gil1 || p.gil_enabled_iterations > 0;

  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto root = doc.append_child("testsuites");
  root.append_attribute("name") = "labeille ft";
  Suite s0{root.append_child("testsuite")}, s1;
  s0.node.append_attribute("name") = "labeille-ft.gil0";
  if (gil1) {
    s1.node = root.append_child("testsuite");
    s1.node.append_attribute("name") = "labeille-ft.gil1";
  }
  for (const auto& p : run.packages) {
    const std::string story = render_package(run, p.package, Style{});
    auto tc = add_case(s0, "gil0", p, total_duration(p.iterations));
    if (p.category != "compatible") {
      fail(s0, tc, p.category, message(p), story);
    } else if (auto c = contradictions(p); !c.empty()) {
      // Passing, but not as declared ("compatible, no free-threaded wheel published").
      std::string text;
      for (const auto& line : c) text += "contradiction: " + line + "\n";
      tc.append_child("system-out").text().set(xml_text(text + "\n" + story).c_str());
    }
    if (!gil1) continue;
    auto tc1 = add_case(s1, "gil1", p, total_duration(p.gil_enabled_runs));
    if (not_measured(p)) {
      fail(s1, tc1, p.category, message(p), story);
    } else if (p.gil_enabled_iterations == 0) {
      tc1.append_child("skipped").append_attribute("message") =
          p.gil_comparison == "not_needed" ? kGilControlNotNeeded.data() : "no GIL=1 run";
      ++s1.skipped;
    } else if (p.gil_enabled_pass_count < p.gil_enabled_iterations) {
      std::string first;
      for (const auto& r : p.gil_enabled_runs)
        if (r.status != "pass" && !r.first_error.empty()) {
          first = "; " + r.first_error;
          break;
        }
      fail(s1, tc1, "gil1_failures",
           fmt::format("GIL=1: {}/{} passed{}", p.gil_enabled_pass_count, p.gil_enabled_iterations, first), story);
    }
  }
  int tests = 0, failures = 0, skipped = 0;
  double time = 0;
  for (Suite* s : {&s0, &s1}) {
    if (!s->node) continue;
    s->node.append_attribute("tests") = s->tests;
    s->node.append_attribute("failures") = s->failures;
    s->node.append_attribute("errors") = 0;
    s->node.append_attribute("skipped") = s->skipped;
    s->node.append_attribute("time") = fmt::format("{:.3f}", s->time).c_str();
    tests += s->tests;
    failures += s->failures;
    skipped += s->skipped;
    time += s->time;
  }
  root.append_attribute("tests") = tests;
  root.append_attribute("failures") = failures;
  root.append_attribute("errors") = 0;
  root.append_attribute("skipped") = skipped;
  root.append_attribute("time") = fmt::format("{:.3f}", time).c_str();
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace labeille::analyzers
