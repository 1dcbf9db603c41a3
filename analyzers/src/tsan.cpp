#include "labeille/analyzers/tsan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "labeille/core/text.hpp"

namespace labeille::analyzers {

namespace {

std::vector<const PackageResult*> with_races(const RunResults& run) {
  std::vector<const PackageResult*> out;
  for (const auto& p : run.packages)
    if (!p.tsan_races.empty()) out.push_back(&p);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->package < b->package; });
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// "data race in bump_n _counter.c:8": the kind and the top frame of the first stack.
std::string headline(const TsanRace& r) {
  std::string top = r.stacks.empty() || r.stacks.front().empty() ? r.location : r.stacks.front().front();
  return top.empty() ? r.kind : fmt::format("{} in {}", r.kind, top);
}

std::string runs_text(const TsanRace& r, const PackageResult& p) {
  return fmt::format("{}/{} runs, {} report(s)", r.runs, measured_runs(p), r.reports);
}

const char* stack_label(std::size_t i) { return i == 0 ? "stack 1" : "stack 2"; }

std::string md_code(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '`' ? '\'' : c == '|' ? '/' : c;
  return "`" + o + "`";
}

// Stacks TSAN printed as "[failed to restore the stack]" (its history had lost them).
int lost_stacks(const std::vector<std::vector<std::string>>& stacks) {
  int n = 0;
  for (const auto& st : stacks) n += !st.empty() && st.front().rfind("[failed", 0) == 0;
  return n;
}

}  // namespace

void add_tsan_run(std::vector<TsanRace>& races, const std::vector<TsanReport>& run) {
  std::vector<std::string> seen;  // a signature counts once per run
  for (const auto& r : run) {
    auto it = std::find_if(races.begin(), races.end(), [&](const TsanRace& x) { return x.signature == r.signature; });
    if (it == races.end()) {
      races.push_back({r.signature, r.kind.empty() ? r.type : r.kind, r.location, r.stacks, 0, 0});
      if (races.back().stacks.empty() && !r.frames.empty()) races.back().stacks = {r.frames};  // an older record
      it = races.end() - 1;
    }
    // Keep the stacks of a report where TSAN could restore both accesses, if any run had one.
    if (lost_stacks(it->stacks) > lost_stacks(r.stacks) && !r.stacks.empty()) {
      it->stacks = r.stacks;
      it->location = r.location;
    }
    it->reports += r.count;
    if (std::find(seen.begin(), seen.end(), r.signature) == seen.end()) {
      ++it->runs;
      seen.push_back(r.signature);
    }
  }
}

void sort_tsan_races(std::vector<TsanRace>& races) {
  std::stable_sort(races.begin(), races.end(), [](const TsanRace& a, const TsanRace& b) {
    return a.runs != b.runs ? a.runs > b.runs : a.signature < b.signature;
  });
}

int measured_runs(const PackageResult& p) { return p.iterations_completed + p.gil_enabled_iterations; }

std::string tsan_summary(const PackageResult& p) {
  if (p.tsan_races.empty()) {
    // Results of the Python tool (or of an older fold) carry the types only.
    return p.tsan_warning_types.empty() ? "" : "TSAN: " + join(p.tsan_warning_types, ", ");
  }
  const auto& top = p.tsan_races.front();
  std::string more = p.tsan_races.size() > 1 ? fmt::format(", +{} more", p.tsan_races.size() - 1) : "";
  return fmt::format("TSAN: {} distinct race(s): {} ({}/{} runs){}", p.tsan_races.size(), headline(top), top.runs,
                     measured_runs(p), more);
}

std::string render_tsan_races_text(const RunResults& run) {
  auto packages = with_races(run);
  if (packages.empty()) return "";
  std::string o = "\nThreadSanitizer races (distinct, by the top frames in the package's own code)\n";
  for (const auto* p : packages) {
    o += fmt::format("  {}: {} distinct race(s)\n", p->package, p->tsan_races.size());
    for (const auto& r : p->tsan_races) {
      o += fmt::format("    {} at {} ({})\n", headline(r), r.location.empty() ? "?" : r.location, runs_text(r, *p));
      for (std::size_t i = 0; i < r.stacks.size(); ++i)
        o += fmt::format("      {}: {}\n", stack_label(i), join(r.stacks[i], " < "));
    }
  }
  return o;
}

std::string render_tsan_races_markdown(const RunResults& run) {
  auto packages = with_races(run);
  if (packages.empty()) return "";
  std::string o =
      "\n## ThreadSanitizer races\n\nDistinct races per package, by the top frames in the package's own code.\n\n"
      "| Package | Kind | Location | Runs | Stack 1 | Stack 2 |\n|---|---|---|---:|---|---|\n";
  for (const auto* p : packages)
    for (const auto& r : p->tsan_races)
      o += fmt::format("| {} | {} | {} | {}/{} | {} | {} |\n", p->package, r.kind, md_code(r.location), r.runs,
                       measured_runs(*p), r.stacks.empty() ? "" : md_code(join(r.stacks[0], " < ")),
                       r.stacks.size() < 2 ? "" : md_code(join(r.stacks[1], " < ")));
  return o;
}

std::string render_tsan_races_html(const RunResults& run) {
  auto packages = with_races(run);
  if (packages.empty()) return "";
  std::string o =
      "<h2>ThreadSanitizer races</h2>\n<p>Distinct races per package, by the top frames in the package's own "
      "code.</p>\n<table><tr><th>Package</th><th>Kind</th><th>Location</th><th>Runs</th><th>Stack 1</th>"
      "<th>Stack 2</th></tr>\n";
  auto stack = [](const TsanRace& r, std::size_t i) {
    if (i >= r.stacks.size()) return std::string();
    std::vector<std::string> frames;
    for (const auto& f : r.stacks[i]) frames.push_back(xml_escape(f));
    return "<code>" + join(frames, "<br>") + "</code>";
  };
  for (const auto* p : packages)
    for (const auto& r : p->tsan_races)
      o += fmt::format("<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}/{}</td><td>{}</td><td>{}</td></tr>\n",
                       xml_escape(p->package), xml_escape(r.kind), xml_escape(r.location), r.runs,
                       measured_runs(*p), stack(r, 0), stack(r, 1));
  return o + "</table>\n";
}

}  // namespace labeille::analyzers
