// The views of `labeille ft`: pure renderers from RunResults to text. Only the CLI
// touches stdout and files.
#pragma once

#include <string>

#include "labeille/analyzers/model.hpp"

namespace labeille::analyzers {

struct Style {
  bool color = false;  // ANSI colours (the CLI enables them only on a TTY without NO_COLOR)
};

enum class SortBy { Category, PassRate, Name };

std::string render_show(const RunResults& run, SortBy sort, int limit, const Style& style);
// One package's story: declared support, set-up, probe, every run with outcome,
// duration and first error, failing tests; throws Error when the package is not in the run.
std::string render_package(const RunResults& run, const std::string& package, const Style& style);
std::string render_flaky(const RunResults& run, const std::string& package, const Style& style);
std::string render_compat(const RunResults& run, bool extensions_only, const Style& style);
std::string render_compare(const RunResults& a, const RunResults& b, bool json);
std::string render_report(const RunResults& run, const std::string& format);  // markdown | text | html
std::string render_export(const RunResults& run, const std::string& format);  // csv | json | junit
// Self-contained HTML (html_report.cpp) and JUnit XML for CI test reporters (junit_export.cpp).
std::string render_html_report(const RunResults& run);
std::string render_junit(const RunResults& run);

// "9/10" — exact counts, never rounded through pass_rate.
std::string passed_of(const PackageResult& p);
// One line of evidence for the package (crash signature, stall kind, failing tests, ...).
std::string details(const PackageResult& p);

}  // namespace labeille::analyzers
