#include "labeille/analyzers/cli.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "labeille/analyzers/fold.hpp"
#include "labeille/analyzers/results_io.hpp"
#include "labeille/analyzers/views.hpp"
#include "labeille/core/cli_checks.hpp"
#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/text.hpp"

namespace fs = std::filesystem;

namespace labeille::analyzers {

namespace {

Style terminal_style() { return Style{::isatty(1) == 1 && std::getenv("NO_COLOR") == nullptr}; }

void emit(const std::string& text, const std::string& out_file) {
  if (out_file.empty() || out_file == "-") {
    write_stdout(text);
    return;
  }
  write_output_file(out_file, text);
  std::cerr << "labeille: wrote " << out_file << "\n";
}

// `ft fold RECORD_DIR...`: records (+ CTest's files) -> a result directory.
void add_fold(CLI::App& ft) {
  auto* cmd = ft.add_subcommand("fold", "Fold attempt records (+ CTest and pytest JUnit) into a result directory");
  auto out = std::make_shared<std::string>();
  auto meta = std::make_shared<std::string>();
  auto junit = std::make_shared<std::vector<std::string>>();
  auto xml = std::make_shared<std::vector<std::string>>();
  auto dirs = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--output,-o", *out, "Result directory to write (ft_meta.json, ft_results.jsonl, ft_summary.json)")
      ->required();
  cmd->add_option("--meta", *meta, "JSON object whose keys go into ft_meta.json (run_id, config, ...)");
  cmd->add_option("--ctest-junit", *junit, "ctest --output-junit file (repeatable)");
  cmd->add_option("--ctest-xml", *xml, "Testing/<tag>/Test.xml file (repeatable)");
  auto durations = std::make_shared<std::string>();
  cmd->add_option("--durations", *durations,
                  "Also write the run's durations per package and mode here (the module's CTest COST for the next run)");
  cmd->add_option("record_dirs", *dirs, "Record directories (several = shards)")->required();
  cmd->callback([=] {
    FoldInputs in;
    for (const auto& d : *dirs) in.record_dirs.emplace_back(d);
    // The output never goes inside an input: its files would become records of the next
    // fold (and a package directory named like a result file would be overwritten).
    const fs::path out_dir = fs::weakly_canonical(fs::absolute(*out));
    for (const auto& d : in.record_dirs) {
      const fs::path rel = out_dir.lexically_relative(fs::weakly_canonical(fs::absolute(d)));
      if (!rel.empty() && *rel.begin() != "..")
        throw Error(fmt::format("--output {}: inside the record directory {}; write the results elsewhere", *out,
                                d.string()),
                    kExitUsage);
    }
    // A CTest file that is not there (ctest did not get to write it) is skipped like a
    // corrupt record: said on stderr, never silently.
    FoldReport report;
    auto add_existing = [&](const std::vector<std::string>& names, std::vector<fs::path>& to) {
      for (const auto& f : names) {
        if (fs::exists(f)) to.emplace_back(f);
        else report.problems.push_back(f + ": no such file");
      }
    };
    add_existing(*junit, in.ctest_junit);
    add_existing(*xml, in.ctest_xml);
    // Keys already in the run's ft_meta.json (written at the start of a run) are kept;
    // --meta adds or replaces keys. Both are checked before anything is written: a
    // corrupt ft_meta.json is said, never silently replaced.
    std::string base;
    fs::path existing = fs::path(*out) / "ft_meta.json";
    if (fs::exists(existing)) {
      try {
        base = read_meta(existing);
      } catch (const Error& e) {
        throw Error(fmt::format("{} (fold keeps the run's ft_meta.json: repair or remove it)", e.what()),
                    e.exit_code());
      }
    }
    if (!meta->empty()) base = merge_meta(base, read_file(*meta), *meta);
    // Package by package: a large run never sits in memory whole.
    const std::size_t packages = fold_to_dir(in, report, *out, base);
    for (const auto& p : report.problems) std::cerr << "labeille: warning: skipped " << safe_text(p) << "\n";
    if (!durations->empty()) write_output_file(*durations, durations_tsv(read_run(*out, ReadOptions::summary())));
    std::cerr << fmt::format("labeille: folded {} record(s) ({} duplicate, {} not counted, {} known only from CTest) "
                             "into {} package(s): {}\n",
                             report.records, report.duplicates, report.uncounted, report.lost, packages, *out);
  });
}

// `ft show RUN [PACKAGE]`: the summary, or one package's story.
void add_show(CLI::App& ft) {
  auto* cmd = ft.add_subcommand("show", "Summary of a result directory");
  auto dir = std::make_shared<std::string>();
  auto sort = std::make_shared<std::string>("category");
  auto limit = std::make_shared<int>(0);
  auto pkg = std::make_shared<std::string>();
  cmd->add_option("result_dir", *dir, "Result directory")->required();
  cmd->add_option("package,--package", *pkg, "One package's whole story: set-up, probe, every run, failing tests");
  cmd->add_option("--sort", *sort, "category, pass_rate or name")
      ->check(CLI::IsMember({"category", "pass_rate", "name"}))
      ->capture_default_str();
  cmd->add_option("--limit", *limit, "Show at most N packages (0: all)")
      ->check(cli::whole_number(0, cli::kMaxCount, "a whole number of packages", "; 0 shows all"));
  cmd->callback([=] {
    SortBy by = *sort == "name" ? SortBy::Name : *sort == "pass_rate" ? SortBy::PassRate : SortBy::Category;
    // Names are read through safe_text (a control character shows as its picture): the
    // one asked for is compared in the same form.
    *pkg = safe_text(*pkg);
    if (!pkg->empty()) {
      auto keep = ReadOptions::summary();
      keep.per_test = true;
      keep.failing_tests_only = true;
      keep.per_test_for = [pkg](const std::string& name, const std::string&) { return name == *pkg; };
      write_stdout(render_package(read_run(*dir, keep), *pkg, terminal_style()));
      return;
    }
    write_stdout(render_show(read_run(*dir, ReadOptions::summary()), by, *limit, terminal_style()));
  });
}

// `ft flaky RUN`: the intermittent packages' tests.
void add_flaky(CLI::App& ft) {
  auto* cmd = ft.add_subcommand("flaky", "Intermittent packages: which tests fail, when, and how consistently");
  auto dir = std::make_shared<std::string>();
  auto pkg = std::make_shared<std::string>();
  cmd->add_option("result_dir", *dir, "Result directory")->required();
  cmd->add_option("--package", *pkg, "Deep dive into one package");
  cmd->callback([=] {
    *pkg = safe_text(*pkg);  // compared as the names are read (show does the same)
    // Per-test results only for the packages shown: the intermittent ones, or --package.
    auto keep = ReadOptions::without_tails();
    keep.failing_tests_only = true;
    keep.per_test_for = [pkg](const std::string& name, const std::string& category) {
      return pkg->empty() ? category == "intermittent" : name == *pkg;
    };
    write_stdout(render_flaky(read_run(*dir, keep), *pkg, terminal_style()));
  });
}

// `ft compat RUN`: extension modules and the GIL.
void add_compat(CLI::App& ft) {
  auto* cmd = ft.add_subcommand("compat", "Extension modules, Py_mod_gil declarations, GIL fallback");
  auto dir = std::make_shared<std::string>();
  auto only = std::make_shared<bool>(false);
  cmd->add_option("result_dir", *dir, "Result directory")->required();
  cmd->add_flag("--extensions-only", *only, "Only packages with C extensions");
  cmd->callback([=] { write_stdout(render_compat(read_run(*dir, ReadOptions::summary()), *only, terminal_style())); });
}

// `ft compare RUN_A RUN_B`: what changed between two runs.
void add_compare(CLI::App& ft) {
  auto* cmd = ft.add_subcommand("compare", "Compare two runs (e.g. two CPython releases)");
  auto a = std::make_shared<std::string>();
  auto b = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("text");
  cmd->add_option("run_a", *a, "Older result directory")->required();
  cmd->add_option("run_b", *b, "Newer result directory")->required();
  cmd->add_option("--format", *format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->callback([=] {
    write_stdout(render_compare(read_run(*a, ReadOptions::summary()), read_run(*b, ReadOptions::summary()), *format == "json"));
  });
}

// `ft report RUN`: the whole run for sharing.
void add_report(CLI::App& ft) {
  auto* cmd = ft.add_subcommand("report", "Full report for sharing (markdown fits a CI step summary)");
  auto dir = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("markdown");
  auto out = std::make_shared<std::string>();
  cmd->add_option("result_dir", *dir, "Result directory")->required();
  cmd->add_option("--format", *format, "markdown, text or html")
      ->check(CLI::IsMember({"markdown", "text", "html"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", *out, "Write to FILE (a regular file, replaced atomically; - is stdout)");
  cmd->callback([=] { emit(render_report(read_run(*dir, ReadOptions::summary()), *format), *out); });
}

// `ft export RUN`: per-package results for other tools.
void add_export(CLI::App& ft) {
  auto* cmd = ft.add_subcommand("export", "Export per-package results");
  auto dir = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("csv");
  auto out = std::make_shared<std::string>();
  cmd->add_option("result_dir", *dir, "Result directory")->required();
  cmd->add_option("--format", *format, "csv, json or junit (one testcase per package and GIL mode)")
      ->check(CLI::IsMember({"csv", "json", "junit"}))
      ->capture_default_str();
  cmd->add_option("-o,--output", *out, "Write to FILE (a regular file, replaced atomically; - is stdout)");
  cmd->callback([=] { emit(render_export(read_run(*dir, ReadOptions::everything()), *format), *out); });
}

}  // namespace

void add_commands(CLI::App& ft) {
  add_fold(ft);
  add_show(ft);
  add_flaky(ft);
  add_compat(ft);
  add_compare(ft);
  add_report(ft);
  add_export(ft);
}

}  // namespace labeille::analyzers
