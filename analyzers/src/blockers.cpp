#include "labeille/analyzers/blockers.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "labeille/core/error.hpp"
#include "labeille/core/names.hpp"
#include "labeille/core/text.hpp"

namespace labeille::analyzers {

namespace {

// PEP 503 names, as the set-up compares distribution names.
std::string normalized(std::string_view name) { return normalize_name(name); }

template <class T>
void add_once(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

std::string esc(std::string_view raw) { return xml_escape(sanitize_utf8(raw)); }

std::string joined(const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ", ")); }

}  // namespace

std::optional<CauseInfo> setup_cause(const PackageResult& p) { return p.cause; }

std::vector<Blocker> blockers(const RunResults& run) {
  std::map<std::string, Blocker> by_name;
  for (const auto& p : run.packages) {
    if (p.install_ok) continue;
    auto c = setup_cause(p);
    if (!c || !c->blocks || c->dependency.empty()) continue;
    auto& b = by_name[normalized(c->dependency)];
    if (b.dependency.empty()) {
      b.dependency = c->dependency;
      b.failure = c->failure;
      b.line = c->line;
    }
    if (c->version && !c->version->empty()) add_once(b.versions, *c->version);
    if (!c->requirement.empty() && b.requirement.empty()) b.requirement = c->requirement;
    add_once(b.packages, p.package);
    if (!c->role.empty()) add_once(b.roles, c->role);
  }
  std::vector<Blocker> out;
  for (auto& [k, b] : by_name) {
    std::sort(b.packages.begin(), b.packages.end());
    out.push_back(std::move(b));
  }
  std::stable_sort(out.begin(), out.end(), [](const Blocker& a, const Blocker& b) {
    return a.packages.size() != b.packages.size() ? a.packages.size() > b.packages.size()
                                                  : normalized(a.dependency) < normalized(b.dependency);
  });
  return out;
}

std::string blocker_cause(const Blocker& b) {
  std::string who = b.versions.empty() && !b.requirement.empty() ? b.requirement : b.dependency;
  if (!b.versions.empty()) who += " " + joined(b.versions);
  return fmt::format("{} {}{}", who, b.failure, b.line.empty() ? "" : ": " + b.line);
}

std::string render_blockers_text(const RunResults& run) {
  const auto list = blockers(run);
  if (list.empty()) return "";
  std::string o = "\nBlockers (dependencies that stop packages from installing, most packages first)\n";
  for (const auto& b : list)
    o += fmt::format("  {} blocks {} package{} ({}): {}\n    {}\n", b.dependency, b.packages.size(),
                     b.packages.size() == 1 ? "" : "s", b.roles.empty() ? "a dependency" : joined(b.roles),
                     joined(b.packages), blocker_cause(b));
  return o;
}

std::string render_blockers_html(const RunResults& run) {
  const auto list = blockers(run);
  if (list.empty()) return "";
  std::string o =
      "<h2>Blockers</h2>\n<p class=\"meta\">Dependencies that stop packages from installing, most packages "
      "first.</p>\n<table>\n<tr><th>Dependency</th><th>Packages blocked</th><th>Which</th><th>As</th><th>Cause</th></tr>\n";
  for (const auto& b : list)
    o += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\n", esc(b.dependency),
                     b.packages.size(), esc(joined(b.packages)), esc(joined(b.roles)), esc(blocker_cause(b)));
  return o + "</table>\n";
}

BlockerChanges compare_blockers(const RunResults& a, const RunResults& b) {
  const auto la = blockers(a), lb = blockers(b);
  auto line = [](const Blocker& x) {
    return fmt::format("{} blocks {} package{} ({}): {}", x.dependency, x.packages.size(),
                       x.packages.size() == 1 ? "" : "s", joined(x.packages), blocker_cause(x));
  };
  auto has = [](const std::vector<Blocker>& v, const std::string& dep) {
    return std::any_of(v.begin(), v.end(), [&](const Blocker& x) { return normalized(x.dependency) == normalized(dep); });
  };
  BlockerChanges c;
  for (const auto& x : lb)
    if (!has(la, x.dependency)) c.appeared.push_back(line(x));
  for (const auto& x : la)
    if (!has(lb, x.dependency)) c.disappeared.push_back(line(x));
  return c;
}

}  // namespace labeille::analyzers
