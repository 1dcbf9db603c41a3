// `labeille ft report --format html`: the page a maintainer sends a colleague. One
// self-contained file (inline CSS and SVG, no script, nothing fetched): totals by
// category with a bar chart, a heatmap of every run with GIL=0 and GIL=1 side by side
// (and the stress runs of each mode beside them), and per package an expandable section
// (<details>) with its evidence, the per-test stress evidence included.
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

// The heatmap's column blocks: plain GIL=0 runs, plain GIL=1 runs, then the stress runs
// of each mode (labeille ft run --stress), each block with its own header, one row per
// package. A block no package has runs in is left out (GIL=0 always shows).
struct Block {
  const char* title;  // the header
  const char* mode;   // in each cell's tooltip
  bool stress, gil1;
};
constexpr Block kBlocks[] = {{"PYTHON_GIL=0", "GIL=0", false, false},
                             {"PYTHON_GIL=1", "GIL=1", false, true},
                             {"stress, PYTHON_GIL=0", "stress GIL=0", true, false},
                             {"stress, PYTHON_GIL=1", "stress GIL=1", true, true}};
// Behind the stress blocks, so a stress cell is never read as a plain run (and the
// headless-browser test can see that the stress blocks were drawn).
constexpr const char* kStressShade = "#e3f2fd";

std::vector<const IterationResult*> block_runs(const PackageResult& p, const Block& b) {
  std::vector<const IterationResult*> v;
  if (b.stress && p.stress)
    for (const auto& it : b.gil1 ? p.stress->gil_enabled_iterations : p.stress->iterations) v.push_back(&it);
  if (!b.stress)
    for (const auto& it : b.gil1 ? p.gil_enabled_runs : p.iterations) v.push_back(&it);
  // Runs whose tests never ran (none counted) show where the measured runs of their mode
  // would be; their mode is "gil1", "stress.gil0", ... (the runner's --mode).
  for (const auto& it : p.unmeasured_runs) {
    const bool stress = it.mode.rfind("stress.", 0) == 0;
    const bool gil1 = it.mode.rfind(stress ? "stress.gil1" : "gil1", 0) == 0;
    if (stress == b.stress && gil1 == b.gil1) v.push_back(&it);
  }
  return v;
}

bool has_stress_runs(const RunResults& run) {
  return std::any_of(run.packages.begin(), run.packages.end(), [](const PackageResult& p) {
    return std::any_of(std::begin(kBlocks), std::end(kBlocks),
                       [&](const Block& b) { return b.stress && !block_runs(p, b).empty(); });
  });
}

// Package x run, one column block per kind of run (kBlocks).
std::string heatmap(const RunResults& run, const std::vector<const PackageResult*>& packages) {
  constexpr int kCell = 14, kLabel = 200, kTop = 34, kGap = 24;
  struct Shown {
    const Block* block;
    std::size_t cols;
    int x;
  };
  std::vector<Shown> shown;
  int x = kLabel;
  for (const auto& b : kBlocks) {
    std::size_t cols = &b == &kBlocks[0] ? 1 : 0;
    for (const auto& p : run.packages) cols = std::max(cols, block_runs(p, b).size());
    if (!cols) continue;
    shown.push_back({&b, cols, x});
    // Room for the block's title (bold 11px: about 7px a character) or its cells.
    const int title = static_cast<int>(std::string_view(b.title).size()) * 7 + 6;
    x += std::max(title, static_cast<int>(cols) * kCell) + kGap;
  }
  const int w = x - kGap + 10;
  const int rows_h = static_cast<int>(packages.size()) * kCell;
  const int h = kTop + rows_h + 10;
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"package x run "
      "outcomes, GIL=0 and GIL=1{}\">\n",
      w, h, has_stress_runs(run) ? ", plain and under stress" : "");
  for (const auto& b : shown) {
    s += fmt::format("<text x=\"{}\" y=\"12\" font-size=\"11\" font-weight=\"bold\">{}</text>", b.x, b.block->title);
    for (std::size_t c = 0; c < b.cols; ++c)
      s += fmt::format("<text x=\"{}\" y=\"28\" font-size=\"9\">{}</text>", b.x + static_cast<int>(c) * kCell + 2, c + 1);
    s += "\n";
    if (b.block->stress)
      s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>\n", b.x - 2, kTop - 2,
                       static_cast<int>(b.cols) * kCell + 2, rows_h + 2, kStressShade);
  }
  int row = 0;
  for (const auto* p : packages) {
    const int y = kTop + row++ * kCell;
    s += fmt::format("<text x=\"0\" y=\"{}\" font-size=\"11\">{}</text>\n", y + 11,
                     esc(p->package.size() > 30 ? p->package.substr(0, 27) + "..." : p->package));
    for (const auto& b : shown) {
      const auto runs = block_runs(*p, *b.block);
      // A stress cell's tooltip says how hard the run pushed: threads x repetitions.
      const std::string how =
          b.block->stress && p->stress && p->stress->threads > 0 ? fmt::format(" (threads {}, repeat {})", p->stress->threads, p->stress->repeat) : "";
      for (std::size_t col = 0; col < runs.size(); ++col) {
        const auto* it = runs[col];
        s += fmt::format(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{} {} run {}{}: {}{}</title></rect>\n",
            b.x + static_cast<int>(col) * kCell, y, kCell - 2, kCell - 2, outcome_color(it->status), esc(p->package),
            b.block->mode, col + 1, how, esc(it->status), it->first_error.empty() ? "" : " — " + esc(it->first_error));
      }
    }
  }
  return s + "</svg>\n";
}

std::string legend(bool stress) {
  std::string o = "<p class=\"legend\">";
  for (const char* s : {"pass", "fail", "timeout", "deadlock", "crash", "tests_not_run"})
    o += fmt::format("<span style=\"color:{}\">&#9632;</span> {} ", outcome_color(s), s == std::string("tests_not_run") ? "tests did not run" : s);
  if (stress)
    o += fmt::format("&middot; <span style=\"background:{}\">&nbsp;&nbsp;&nbsp;</span> stress runs: every test in N threads x K "
                     "repetitions in one process (pytest-run-parallel)",
                     kStressShade);
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
  // Stress runs never enter the plain counts; their rows say so by their mode.
  if (p.stress) {
    rows(p.stress->iterations, "stress.gil0", "");
    rows(p.stress->gil_enabled_iterations, "stress.gil1", "");
  }
  return o + "</table>\n";
}

// "37/80 repetitions in 2 of 3 runs" for one test in one GIL mode. The plugin counts a
// test's repetitions only in the runs where it failed at least once, so the denominator
// is those runs' repetitions (threads x repeat each).
std::string stress_counts(int calls, int failures, int runs_failed, std::size_t runs) {
  if (runs == 0) return "no stress run";
  if (runs_failed == 0 && failures == 0) return fmt::format("no failure in {} run(s)", runs);
  if (calls == 0) return fmt::format("failed in {} of {} run(s) (no repetition counts)", runs_failed, runs);
  return fmt::format("{}/{} repetitions in {} of {} run(s)", failures, calls, runs_failed, runs);
}

const char* stress_kind_text(const std::string& kind) {
  if (kind == "free_threading") return "free-threading only (fails without the GIL, never with it)";
  if (kind == "thread_unsafe") return "thread-unsafe test (fails with the GIL too)";
  if (kind == "fails_anyway") return "fails without stress too (with and without the GIL)";
  if (kind == "not_compared") return "not compared (no GIL=1 stress runs)";
  if (kind == "gil_only") return "fails only with the GIL (no failure without it)";
  if (kind == "not_needed") return kGilControlNotNeeded.data();
  return kind.c_str();
}

// The stress evidence of one package: its runs and verdict, every test that failed
// under stress with its repetitions failed in each GIL mode and first message, and the
// tests pytest-run-parallel ran single-threaded as thread-unsafe.
std::string stress_section(const StressResult& s) {
  // No settings when no stress run got as far as pytest's end (every one crashed or stalled).
  std::string o = s.threads > 0 ? fmt::format("<h4>Under stress: every test in {} thread(s) x {} repetition(s) in one "
                                              "process</h4>\n<dl>\n",
                                              s.threads, s.repeat)
                                : std::string("<h4>Under stress</h4>\n<dl>\n");
  auto passed = [](const std::vector<IterationResult>& its, int pass) {
    return fmt::format("{}/{} passed", pass, its.size());
  };
  item(o, "Stress runs",
       "GIL=0: " + passed(s.iterations, s.pass_count) +
           (s.gil_enabled_iterations.empty() ? "" : "; GIL=1: " + passed(s.gil_enabled_iterations, s.gil_enabled_pass_count)));
  item(o, "Stress verdict", s.verdict);
  item(o, "Compared with the GIL",
       s.comparison == "not_compared" ? std::string("not compared (no GIL=1 stress runs)")
       : s.comparison == "not_needed" ? std::string(kGilControlNotNeeded)
                                      : s.comparison + (s.fisher_p ? fmt::format(" (Fisher p={:.3g})", *s.fisher_p) : ""));
  item(o, "Stress evidence", s.evidence, s.finding ? "warn" : "");
  o += "</dl>\n";
  if (!s.tests.empty()) {
    o += fmt::format("<h4>Tests failing under stress ({})</h4>\n<table class=\"stress\"><tr><th>test</th><th>judged</th>"
                     "<th>GIL=0</th><th>GIL=1</th><th>first failure</th></tr>\n",
                     s.tests.size());
    for (const auto& t : s.tests)
      // The class is one of ours, never the file's text (attribute values take no input).
      o += fmt::format("<tr{}><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n",
                       t.kind == "free_threading" ? " class=\"finding\"" : "", esc(t.id), esc(stress_kind_text(t.kind)),
                       stress_counts(t.calls, t.failures, t.runs_failed, s.iterations.size()),
                       stress_counts(t.gil_enabled_calls, t.gil_enabled_failures, t.gil_enabled_runs_failed,
                                     s.gil_enabled_iterations.size()),
                       esc(t.message));
    o += "</table>\n";
  }
  if (!s.single_threaded.empty()) {
    o += fmt::format("<h4>Run single-threaded as thread-unsafe by pytest-run-parallel ({})</h4><ul>\n",
                     s.single_threaded.size());
    for (const auto& [id, why] : s.single_threaded)
      o += "<li><code>" + esc(id) + "</code>" + (why.empty() ? "" : ": " + esc(why)) + "</li>\n";
    o += "</ul>\n";
  }
  return o;
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
  item(o, "Tested", untested_wheel(p));
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
  if (p.stress) o += stress_section(*p.stress);
  if (!p.iterations.empty() || !p.gil_enabled_runs.empty() || !p.unmeasured_runs.empty() || p.stress) o += runs_table(p);
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
    "ul,pre,table.runs,table.stress{margin-left:1.5em;font-size:12px}pre{background:#f7f7f7;padding:4px;white-space:pre-wrap}"
    "tr.finding td:nth-child(2){color:#b71c1c}"
    "code{font-size:12px}.legend{font-size:13px}";

}  // namespace

std::string render_html_report(const RunResults& run) {
  auto packages = by_category(run);
  int runs = 0, stress_runs = 0;
  for (const auto& p : run.packages) {
    runs += static_cast<int>(p.iterations.size() + p.gil_enabled_runs.size() + p.unmeasured_runs.size());
    if (p.stress) stress_runs += static_cast<int>(p.stress->iterations.size() + p.stress->gil_enabled_iterations.size());
  }
  std::string o = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Free-threading compatibility report</title>\n<style>{}</style></head><body>\n"
      "<h1>Free-threading compatibility report</h1>\n",
      kStyle);
  const std::string& python = run.meta.python_version;
  o += fmt::format("<p class=\"meta\">Run <code>{}</code>{} &middot; {} packages &middot; {} runs{}{}</p>\n",
                   esc(run.meta.run_id), run.meta.timestamp.empty() ? "" : " of " + esc(run.meta.timestamp),
                   run.packages.size(), runs,
                   stress_runs ? fmt::format(" + {} stress runs", stress_runs) : "",
                   python.empty() ? "" : " &middot; Python " + esc(python));
  o += "<h2>Totals</h2>\n" + totals(run);
  o += "<h2>Every run</h2>\n" + heatmap(run, packages) + legend(has_stress_runs(run));
  o += "<h2>Packages</h2>\n<p class=\"meta\">Click a package for its evidence.</p>\n";
  for (const auto* p : packages) o += package_section(*p);
  return o + "</body></html>\n";
}

}  // namespace labeille::analyzers
