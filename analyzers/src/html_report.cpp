// `labeille ft report --format html`: the page a maintainer sends a colleague. One
// self-contained file (inline CSS and SVG, no script, nothing fetched): totals by
// category with a bar chart, a heatmap of every run with GIL=0 and GIL=1 side by side,
// and per package an expandable section (<details>) with its evidence.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "labeille/analyzers/evidence.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/outcome.hpp"
#include "labeille/core/text.hpp"

namespace labeille::analyzers {

namespace {

// Text between tags (no attribute value takes test output): valid UTF-8, then escaped.
std::string esc(std::string_view raw) { return xml_escape(sanitize_utf8(raw)); }

const char* outcome_color(const std::string& status) {
  if (status == "pass") return "#2e7d32";
  if (status == "crash") return "#b71c1c";
  if (status == "deadlock") return "#6a1b9a";
  if (status == "timeout") return "#ef6c00";
  if (status == "tests_not_run") return "#9e9e9e";
  return "#f9a825";  // fail / error
}

const char* category_color(const std::string& c) {
  static const std::map<std::string, const char*> colors = {
      {"crash", "#b71c1c"},        {"deadlock", "#6a1b9a"},       {"intermittent", "#f9a825"},
      {"incompatible", "#e65100"}, {"tsan_warnings", "#ad1457"},  {"compatible_gil_fallback", "#7cb342"},
      {"compatible", "#2e7d32"},   {"install_failure", "#546e7a"}, {"import_failure", "#8d6e63"}};
  auto it = colors.find(c);
  return it == colors.end() ? "#9e9e9e" : it->second;
}

int category_rank(const std::string& c) {
  auto cat = category_from_string(c);
  return cat ? rank(*cat) : 100;
}

std::vector<const PackageResult*> by_category(const RunResults& run) {
  std::vector<const PackageResult*> v;
  for (const auto& p : run.packages) v.push_back(&p);
  std::stable_sort(v.begin(), v.end(), [](const PackageResult* a, const PackageResult* b) {
    if (category_rank(a->category) != category_rank(b->category)) return category_rank(a->category) < category_rank(b->category);
    return a->package < b->package;
  });
  return v;
}

// Category counts as a table and a horizontal bar chart.
std::string totals(const RunResults& run) {
  std::map<std::string, int> counts;
  for (const auto& p : run.packages) ++counts[p.category];
  std::vector<std::pair<std::string, int>> rows;
#define LABEILLE_X(id, name, rank, desc) \
  if (counts.count(name)) rows.emplace_back(name, counts[name]);
  LABEILLE_FT_CATEGORIES(LABEILLE_X)
#undef LABEILLE_X
  for (const auto& [c, n] : counts)
    if (!category_from_string(c)) rows.emplace_back(c, n);
  int most = 1;
  for (const auto& r : rows) most = std::max(most, r.second);
  constexpr int kBar = 18, kLabel = 190, kWidth = 260;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"packages per "
      "category\">\n",
      kLabel + kWidth + 50, static_cast<int>(rows.size()) * kBar + 4);
  std::string table = "<table class=\"totals\"><tr><th>Category</th><th>Packages</th></tr>\n";
  int y = 0;
  for (const auto& [c, n] : rows) {
    const int w = std::max(2, n * kWidth / most);
    svg += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect x=\"{}\" y=\"{}\" width=\"{}\" "
        "height=\"{}\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>\n",
        kLabel - 6, y + 13, esc(c), kLabel, y + 2, w, kBar - 4, category_color(c), kLabel + w + 4, y + 13, n);
    auto cat = category_from_string(c);
    table += fmt::format("<tr title=\"{}\"><td><span class=\"badge\" style=\"background:{}\">{}</span></td><td class=\"n\">{}</td></tr>\n",
                         cat ? esc(describe(*cat)) : "", category_color(c), esc(c), n);
    y += kBar;
  }
  return "<div class=\"row\">" + table + "</table>\n" + svg + "</svg></div>\n";
}

// Package x run, GIL=0 runs then GIL=1 runs, each block with its own header.
std::string heatmap(const RunResults& run, const std::vector<const PackageResult*>& packages) {
  constexpr int kCell = 14, kLabel = 200, kTop = 34, kGap = 24;
  // Runs whose tests never ran (none counted) show where the measured runs of their mode would be.
  auto gil1_mode = [](const IterationResult& it) { return it.mode.rfind("gil1", 0) == 0; };
  auto block = [&](const PackageResult& p, bool gil1) {
    std::vector<const IterationResult*> v;
    for (const auto& it : gil1 ? p.gil_enabled_runs : p.iterations) v.push_back(&it);
    for (const auto& it : p.unmeasured_runs)
      if (gil1_mode(it) == gil1) v.push_back(&it);
    return v;
  };
  std::size_t c0 = 1, c1 = 0;
  for (const auto& p : run.packages) {
    c0 = std::max(c0, block(p, false).size());
    c1 = std::max(c1, block(p, true).size());
  }
  constexpr int kTitle = 90;  // room for the block's title
  auto width = [&](std::size_t cols) { return std::max(kTitle, static_cast<int>(cols) * kCell); };
  const int x1 = kLabel + width(c0) + kGap;  // where the GIL=1 block starts
  const int w = c1 ? x1 + width(c1) + 10 : kLabel + width(c0) + 10;
  const int h = kTop + static_cast<int>(packages.size()) * kCell + 10;
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"package x run "
      "outcomes, GIL=0 and GIL=1\">\n",
      w, h);
  auto header = [&](int x, std::size_t cols, const char* title) {
    s += fmt::format("<text x=\"{}\" y=\"12\" font-size=\"11\" font-weight=\"bold\">{}</text>", x, title);
    for (std::size_t c = 0; c < cols; ++c)
      s += fmt::format("<text x=\"{}\" y=\"28\" font-size=\"9\">{}</text>", x + static_cast<int>(c) * kCell + 2, c + 1);
    s += "\n";
  };
  header(kLabel, c0, "PYTHON_GIL=0");
  if (c1) header(x1, c1, "PYTHON_GIL=1");
  int row = 0;
  for (const auto* p : packages) {
    const int y = kTop + row++ * kCell;
    s += fmt::format("<text x=\"0\" y=\"{}\" font-size=\"11\">{}</text>\n", y + 11,
                     esc(p->package.size() > 30 ? p->package.substr(0, 27) + "..." : p->package));
    auto cells = [&](const std::vector<const IterationResult*>& runs, int x0, const char* mode) {
      for (std::size_t col = 0; col < runs.size(); ++col) {
        const auto* it = runs[col];
        s += fmt::format(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} {} run {}: {}{}</title></rect>\n",
            x0 + static_cast<int>(col) * kCell, y, kCell - 2, kCell - 2, outcome_color(it->status), esc(p->package), mode,
            col + 1, esc(it->status), it->first_error.empty() ? "" : " — " + esc(it->first_error));
      }
    };
    cells(block(*p, false), kLabel, "GIL=0");
    cells(block(*p, true), x1, "GIL=1");
  }
  return s + "</svg>\n";
}

std::string legend() {
  std::string o = "<p class=\"legend\">";
  for (const char* s : {"pass", "fail", "timeout", "deadlock", "crash", "tests_not_run"})
    o += fmt::format("<span style=\"color:{}\">&#9632;</span> {} ", outcome_color(s), s == std::string("tests_not_run") ? "tests did not run" : s);
  return o + "</p>\n";
}

void item(std::string& o, const char* label, const std::string& value, const char* cls = "") {
  if (!value.empty()) o += fmt::format("<dt>{}</dt><dd class=\"{}\">{}</dd>\n", label, cls, esc(value));
}

std::string runs_table(const PackageResult& p) {
  std::string o = "<table class=\"runs\"><tr><th>mode</th><th>iter</th><th>attempt</th><th>outcome</th><th>duration</th>"
                  "<th>first error</th></tr>\n";
  auto rows = [&](const std::vector<IterationResult>& runs, const char* mode, const char* note) {
    for (const auto& it : runs)
      o += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"o\"><span style=\"color:{}\">&#9632;</span> {}{}</td>"
                       "<td class=\"n\">{:.2f} s</td><td><code>{}</code></td></tr>\n",
                       esc(it.mode.empty() ? mode : it.mode), it.iteration ? it.iteration : it.index, it.attempt,
                       outcome_color(it.status), esc(it.status), note, it.duration_s, esc(it.first_error));
  };
  rows(p.iterations, "gil0", "");
  rows(p.gil_enabled_runs, "gil1", "");
  rows(p.unmeasured_runs, "", " (not counted)");
  return o + "</table>\n";
}

// One package: a summary line, and its evidence when expanded.
std::string package_section(const PackageResult& p) {
  std::string o = fmt::format(
      "<details class=\"pkg\"><summary><span class=\"badge\" style=\"background:{}\">{}</span> <b>{}</b> "
      "<span class=\"k\">{} passed</span> <span class=\"why\">{}</span></summary>\n<dl>\n",
      category_color(p.category), esc(p.category), esc(p.package), passed_of(p), esc(details(p)));
  item(o, "Verdict", p.verdict);
  for (const auto& c : contradictions(p)) item(o, "Contradiction", c, "warn");
  item(o, "Declared", declared_text(p));
  if (!p.install_ok) item(o, "Set-up error", p.install_error, "warn");
  item(o, "Source", source_text(p));
  if (p.install_ok && p.install_duration_s > 0)
    item(o, "Set-up", fmt::format("installed in {:.1f} s{}{}", p.install_duration_s,
                                  p.install_from.empty() ? "" : " from " + p.install_from,
                                  p.sdist_version.empty() ? "" : " " + p.sdist_version));
  item(o, "Import probe", probe_text(p), p.import_ok ? "" : "warn");
  if (p.extension_compat && !p.extension_compat->gil_reenabled_by.empty())
    item(o, "GIL re-enabled by", p.extension_compat->gil_reenabled_by, "warn");
  item(o, "Tests did not run", p.tests_not_run, "warn");
  o += "</dl>\n";
  if (auto tests = failing_test_lines(p, 50); !tests.empty()) {
    o += "<h4>Failing tests (first JUnit message)</h4><ul>\n";
    for (const auto& t : tests) o += "<li><code>" + esc(t) + "</code></li>\n";
    o += "</ul>\n";
  }
  if (!p.failure_signatures.empty()) {
    o += "<h4>Crash signatures and deadlock stacks</h4>\n";
    for (const auto& s : p.failure_signatures) o += "<pre>" + esc(s) + "</pre>\n";
  }
  if (!p.iterations.empty() || !p.gil_enabled_runs.empty() || !p.unmeasured_runs.empty()) o += runs_table(p);
  return o + "</details>\n";
}

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#212121;max-width:1200px}"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.4em}"
    "h4{margin:.5em 0 .2em 1.5em;font-size:13px;color:#555;font-weight:600}"
    ".meta{color:#555}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;font-size:13px;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}td.n,td.o{text-align:right;white-space:nowrap}td.o{text-align:left}"
    ".row{display:flex;gap:2em;align-items:flex-start;flex-wrap:wrap}"
    ".badge{color:#fff;border-radius:3px;padding:0 5px;font-size:12px;white-space:nowrap}"
    "details.pkg{border-bottom:1px solid #eee;padding:3px 0}summary{cursor:pointer;font-size:14px}"
    "summary .k{color:#555;margin:0 .5em}summary .why{color:#555;font-size:12px}"
    "dl{display:grid;grid-template-columns:11em 1fr;gap:2px 1em;margin:.5em 0 .5em 1.5em;font-size:13px}"
    "dt{color:#555}dd{margin:0;white-space:pre-wrap}dd.warn{color:#b71c1c}"
    "ul,pre,table.runs{margin-left:1.5em;font-size:12px}pre{background:#f7f7f7;padding:4px;white-space:pre-wrap}"
    "code{font-size:12px}.legend{font-size:13px}";

}  // namespace

std::string render_html_report(const RunResults& run) {
  auto packages = by_category(run);
  auto m = [&](const char* k) { return meta_string(run.meta_json, k); };
  int runs = 0;
  for (const auto& p : run.packages)
    runs += static_cast<int>(p.iterations.size() + p.gil_enabled_runs.size() + p.unmeasured_runs.size());
  std::string o = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Free-threading compatibility report</title>\n<style>{}</style></head><body>\n"
      "<h1>Free-threading compatibility report</h1>\n",
      kStyle);
  std::string python = m("python_profile.version");
  o += fmt::format("<p class=\"meta\">Run <code>{}</code>{} &middot; {} packages &middot; {} runs{}</p>\n", esc(m("run_id")),
                   m("timestamp").empty() ? "" : " of " + esc(m("timestamp")), run.packages.size(), runs,
                   python.empty() ? "" : " &middot; Python " + esc(python));
  o += "<h2>Totals</h2>\n" + totals(run);
  o += "<h2>Every run</h2>\n" + heatmap(run, packages) + legend();
  o += "<h2>Packages</h2>\n<p class=\"meta\">Click a package for its evidence.</p>\n";
  for (const auto* p : packages) o += package_section(*p);
  return o + "</body></html>\n";
}

}  // namespace labeille::analyzers
