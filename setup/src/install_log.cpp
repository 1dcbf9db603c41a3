#include "labeille/setup/install_log.hpp"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/core/text.hpp"

namespace fs = std::filesystem;

namespace labeille::setup {

namespace {

bool starts(std::string_view s, std::string_view p) { return s.rfind(p, 0) == 0; }

// "python-sbom>=0.1.2" -> ("python-sbom", ">=0.1.2"); "cffi==1.17.1" -> ("cffi", "1.17.1");
// "pkg @ file:///x" -> ("pkg", ""); "attrs[tests]" -> ("attrs", "").
std::pair<std::string, std::string> split_spec(std::string_view spec) {
  static const std::regex re(R"(^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$)");
  std::string s(spec);
  std::smatch m;
  if (!std::regex_match(s, m, re)) return {trim(s), ""};
  std::string rest = trim(m[3].str());
  if (starts(rest, "@")) rest.clear();                     // a URL or a path: no version
  if (auto semi = rest.find(';'); semi != std::string::npos) rest = trim(rest.substr(0, semi));  // a marker
  if (starts(rest, "==") && rest.find_first_of(",<>!~*", 2) == std::string::npos) rest = rest.substr(2);
  return {m[1].str(), rest};
}

// Wrapper lines: they say that something failed, never why.
bool wrapper(const std::string& t) {
  static const std::regex re(
      R"(^(error: (command|Command) |error: subprocess-exited-with-error|error: metadata-generation-failed|)"
      R"(error: failed-wheel-build|error: could not compile|error: failed to run custom build command|)"
      R"(error: `cargo|error: aborting due to|error: Microsoft|error: legacy-install-failure|)"
      R"(💥 maturin failed|Error: command \[|ERROR: Failed building wheel|ERROR: Failed to build))");
  return std::regex_search(t, re);
}

bool boilerplate(const std::string& t) {
  static constexpr std::string_view kStarts[] = {"note:", "hint:", "help:", "\u2502", "\u2570", "\u00d7", "\u251c",
                                                 "[end of output]", "[stderr]", "[stdout]", "warning:", "WARNING:"};
  for (auto b : kStarts)
    if (starts(t, b)) return true;
  return false;
}

// "1.17.1" from "Downloading cffi-1.17.1.tar.gz (516 kB)" / "Using cached cffi-1.17.1.tar.gz"
// / "Downloading hypothesis-6.1-py3-none-any.whl".
void note_version(const std::string& t, std::vector<std::pair<std::string, std::string>>& seen) {
  static const std::regex re(R"(^(?:Downloading|Using cached|Obtaining|Processing)\s+(?:\S*/)?([A-Za-z0-9_.]+)-(\d[A-Za-z0-9.+!]*?)(?:\.tar\.gz|\.zip|\.tar\.bz2|-[^ ]*\.whl)\b)");
  std::smatch m;
  if (std::regex_search(t, m, re)) seen.emplace_back(normalize_name(m[1].str()), m[2].str());
}

}  // namespace


std::string cause_line(const std::vector<std::string>& lines) {
  static const std::regex compiler(R"(^\S+:\d+(:\d+)?: (fatal error|error): )");
  static const std::regex bare_error(R"(^error(\[E\d+\])?: )");
  std::string diag, rust, exception, last;
  bool in_traceback = false;
  for (const auto& raw : lines) {
    const std::string t = trim(raw);
    if (t.empty()) continue;
    if (t == "Traceback (most recent call last):") {
      in_traceback = true;
      continue;
    }
    // A traceback ends with its exception: "RuntimeError: CFFI does not support ...".
    if (in_traceback) {
      static const std::regex exc(R"(^[A-Za-z_][\w.]*(Error|Exception|Exit|Unavailable|Failed|Interrupt)(: .*)?$)");
      if (std::regex_match(t, exc)) {
        exception = t;
        in_traceback = false;
      }
      continue;
    }
    if (diag.empty() && std::regex_search(t, compiler)) diag = t;
    if (rust.empty() && std::regex_search(t, bare_error) && !wrapper(t)) rust = t;
    if (!boilerplate(t) && !wrapper(t)) last = t;
  }
  if (!diag.empty()) return diag;
  if (!rust.empty()) return starts(rust, "error: ") ? trim(rust.substr(7)) : rust;
  if (!exception.empty()) return exception;
  return last;
}

std::optional<LogCause> read_install_log(std::string_view text) {
  const auto lines = split_lines(text);
  LogCause c;
  std::vector<std::pair<std::string, std::string>> versions;  // (normalized name, version), in order
  std::string collecting;           // the last "Collecting X" / "Processing X"
  std::string build_deps_of;        // pip: installing the build dependencies of this one failed
  bool build_deps = false;          // ("" with build_deps: of the package itself)
  std::vector<std::string> quoted;  // the failed build's own output (pip's or uv's quote)
  std::vector<std::string> first_quote;
  bool in_quote = false, uv_quote = false;
  std::string resolution_line;
  std::string because;              // uv's resolver explanation
  // pip quotes the nested pip that installs a distribution's build requirements: the one
  // whose build failed in there is the cause, not the distribution that needed it.
  std::string nested_collecting, nested_failed;
  std::string backend_missing;      // pip: "BackendUnavailable: Cannot import 'mesonpy'"
  static const std::regex uv_failed(R"(^(?:×|├─▶|╰─▶|error:)?\s*Failed to (?:download and )?(build|download|prepare distributions|resolve)[^`]*`([^`]+)`)");
  static const std::regex pip_building(R"(^(?:Building wheel for|ERROR: Failed building wheel for|Failed to build)\s+([A-Za-z0-9._-]+)(.*)$)");
  static const std::regex pip_collect(R"(^(?:Collecting|Processing|Obtaining)\s+(\S+))");
  static const std::regex pip_nomatch(R"(^ERROR: No matching distribution found for (.+)$)");
  static const std::regex pip_nover(R"(^ERROR: Could not find a version that satisfies the requirement (\S+))");
  static const std::regex uv_help(R"(^help: `([^`]+)` \(v([^)]+)\) was included because `([^`]+)`)");
  static const std::regex uv_notfound(R"(([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the package registry)");
  static const std::regex uv_noversion(R"(there is no version of ([A-Za-z0-9][A-Za-z0-9._-]*)([^\s,]*))");
  for (const auto& raw : lines) {
    const std::string line(raw);
    const std::string t = trim(line);
    // A quote ends at pip's "[end of output]", at uv's "hint:"/"help:", or at the next "×".
    if (in_quote) {
      if (t == "[end of output]" || (uv_quote && (starts(t, "hint:") || starts(t, "help:") || starts(t, "\u00d7")))) {
        in_quote = false;
        if (first_quote.empty()) first_quote = quoted;
      } else {
        quoted.push_back(line);
        note_version(t, versions);
        std::smatch m;
        if (std::regex_search(t, m, pip_collect)) nested_collecting = split_spec(m[1].str()).first;
        if (std::regex_search(t, m, pip_building) && m[2].str().find("error") != std::string::npos)
          nested_failed = m[1].str();
        else if ((t.find("Getting requirements to build") != std::string::npos ||
                  t.find("Preparing metadata") != std::string::npos) &&
                 t.find("finished with status 'error'") != std::string::npos && !nested_collecting.empty())
          nested_failed = nested_collecting;
        // pip quotes a nested pip: its own "ERROR: No matching distribution" is the cause.
        if (std::regex_search(t, m, pip_nomatch)) {
          auto [name, ver] = split_spec(m[1].str());
          c.dependency = name, c.version = ver;
          c.failure = "has no matching distribution on the index";
          c.line = t.substr(7);
          c.build_requirement = build_deps;
          c.build_requirement_of = build_deps_of;
        }
        continue;
      }
    }
    if (t.find("lines of output]") != std::string::npos) {
      in_quote = true, uv_quote = false;
      quoted.clear();
      continue;
    }
    if (t == "[stderr]" || t == "[stdout]") {
      // uv prints [stdout] then [stderr]: keep both.
      in_quote = true, uv_quote = true;
      continue;
    }
    note_version(t, versions);
    std::smatch m;
    // A path or URL ("Processing ./pkg", "Processing ."): the package being installed itself.
    if (std::regex_search(t, m, pip_collect))
      collecting = std::string(".~/").find(m[1].str()[0]) != std::string::npos || starts(m[1].str(), "file:")
                       ? ""
                       : split_spec(m[1].str()).first;
    if (t.find("pip subprocess to install build dependencies did not run successfully") != std::string::npos ||
        t.find("Installing build dependencies: finished with status 'error'") != std::string::npos ||
        (starts(t, "Installing build dependencies") && t.ends_with("error")))
      build_deps = true, build_deps_of = collecting;
    // pip >= 25.3: "× installing build dependencies for cryptography did not run successfully."
    static const std::regex build_deps_for(R"(installing build dependencies for ([A-Za-z0-9][A-Za-z0-9._-]*) did not run)");
    if (std::regex_search(t, m, build_deps_for)) build_deps = true, build_deps_of = m[1].str();
    static const std::regex backend(R"(BackendUnavailable: Cannot import '([^']+)')");
    if (std::regex_search(t, m, backend)) backend_missing = m[1].str();
    if (std::regex_search(t, m, uv_failed)) {
      auto [name, ver] = split_spec(m[2].str());
      if (c.dependency.empty() || m[1].str() == "build") {
        c.dependency = name, c.version = ver;
        c.failure = m[1].str() == "download" ? "could not be downloaded" : "failed to build";
      }
      continue;
    }
    if (t.find("Failed to resolve requirements from `build-system.requires`") != std::string::npos ||
        t.find("Failed to install requirements from `build-system.requires`") != std::string::npos) {
      c.build_requirement = true;
      c.build_requirement_of = c.dependency;
      continue;
    }
    if (starts(t, "\u00d7 No solution found when resolving")) {
      if (c.failure.empty()) c.failure = "could not be resolved";
      continue;
    }
    if (std::regex_search(t, m, uv_notfound) || std::regex_search(t, m, uv_noversion)) {
      if (because.empty()) {
        because = t.find("Because") != std::string::npos ? t.substr(t.find("Because")) : t;
        // "╰─▶ Because there is no version of python-sbom>=0.1.2 and ..." names the missing one.
        if (c.build_requirement || c.dependency.empty() || c.failure == "could not be resolved") {
          static const std::regex required(R"(you require ([A-Za-z0-9][A-Za-z0-9._-]*[^\s,]*))");
          std::smatch r;
          auto [name, ver] = std::regex_search(t, r, required) && normalize_name(split_spec(r[1].str()).first) ==
                                                                        normalize_name(m[1].str())
                                 ? split_spec(r[1].str())
                                 : split_spec(m[1].str() + (m.size() > 2 ? m[2].str() : ""));
          if (c.build_requirement && c.build_requirement_of.empty()) c.build_requirement_of = c.dependency;
          c.dependency = name, c.version = ver;
          c.failure = "has no matching distribution on the index";
        }
      }
      continue;
    }
    if (std::regex_search(t, m, uv_help)) {
      if (normalize_name(m[1].str()) == normalize_name(c.dependency)) {
        c.role_hint = m[3].str();
        if (c.version.empty()) c.version = m[2].str();
      }
      continue;
    }
    if (std::regex_search(t, m, pip_nomatch)) {
      if (!c.dependency.empty() && c.failure == "has no matching distribution on the index") continue;
      auto [name, ver] = split_spec(m[1].str());
      c.dependency = name, c.version = ver;
      c.failure = "has no matching distribution on the index";
      c.line = t.substr(7);
      continue;
    }
    if (std::regex_search(t, m, pip_nover)) {
      if (resolution_line.empty()) resolution_line = t.substr(7);
      continue;
    }
    if (std::regex_search(t, m, pip_building)) {
      const std::string rest = m[2].str();
      // "Building wheel for x (pyproject.toml): started" is no failure.
      if (starts(t, "Building wheel for") && rest.find("error") == std::string::npos) continue;
      if (c.dependency.empty() || c.failure != "has no matching distribution on the index") {
        c.dependency = m[1].str();
        c.failure = "failed to build";
      }
      continue;
    }
    if (t.find("Preparing metadata") != std::string::npos && t.find("did not run successfully") != std::string::npos) {
      if (c.dependency.empty()) c.dependency = collecting, c.failure = "failed to build";
      continue;
    }
    if (t.find("Getting requirements to build") != std::string::npos && t.find("did not run successfully") != std::string::npos) {
      if (c.dependency.empty()) c.dependency = collecting, c.failure = "failed to build";
      continue;
    }
    if (starts(t, "ERROR: ResolutionImpossible") || starts(t, "ERROR: Cannot install")) {
      if (c.dependency.empty()) c.failure = "could not be resolved", c.line = t.substr(7);
      continue;
    }
  }
  if (in_quote && first_quote.empty()) first_quote = quoted;
  if (build_deps && !nested_failed.empty() && c.failure != "has no matching distribution on the index" &&
      normalize_name(nested_failed) != normalize_name(build_deps_of)) {
    c.dependency = nested_failed, c.version.clear();
    c.failure = "failed to build";
    c.build_requirement = true;
    c.build_requirement_of = build_deps_of;
  }
  // pip could not import the build backend: with --no-build-isolation it must already be
  // in the venv (install_cause says so when the command passes it).
  if (!backend_missing.empty() && c.line.empty() && (c.failure.empty() || c.failure == "failed")) {
    c.failure = "failed to build";
    c.line = fmt::format("its build backend cannot be imported (BackendUnavailable: Cannot import '{}')", backend_missing);
  }
  if (c.failure.empty() && first_quote.empty()) return std::nullopt;
  if (c.failure.empty()) c.failure = "failed";
  if (c.line.empty() && c.failure == "has no matching distribution on the index") c.line = because;
  if (c.line.empty()) c.line = cause_line(quoted.empty() ? first_quote : quoted);
  if (c.line.empty() && !resolution_line.empty()) c.line = resolution_line;
  if (c.line.empty() && !because.empty()) c.line = because;
  // The version pip downloaded, when its own lines did not say.
  if (c.version.empty() && !c.dependency.empty())
    for (auto it = versions.rbegin(); it != versions.rend(); ++it)
      if (it->first == normalize_name(c.dependency)) {
        c.version = it->second;
        break;
      }
  if (c.dependency.empty() && c.line.empty()) return std::nullopt;
  return c;
}

namespace {

bool test_like(const std::string& group) {
  static const std::regex re(R"(^(tests?|testing|dev|develop|development|check|ci|all|test-?\w*|\w*-?tests?)$)");
  return std::regex_match(normalize_name(group), re);
}

// The extra or dependency group through which `dep` is required, "" when directly,
// nullopt when not at all: PKG-INFO's Requires-Dist (an sdist), else pyproject.toml's
// [project] dependencies, optional-dependencies and [dependency-groups].
std::optional<std::string> required_through(const std::string& dep, const fs::path& src) {
  const std::string want = normalize_name(dep);
  std::error_code ec;
  if (fs::exists(src / "PKG-INFO", ec)) {
    static const std::regex req(R"(^Requires-Dist:\s*([A-Za-z0-9][A-Za-z0-9._-]*)[^;]*(?:;\s*(.*))?$)");
    static const std::regex extra(R"(extra\s*==\s*['"]([^'"]+)['"])");
    std::string text;
    try {
      text = read_file(src / "PKG-INFO");
    } catch (const Error&) {
    }
    std::optional<std::string> found;
    for (auto l : split_lines(text)) {
      std::string line = trim(std::string(l));
      if (line.empty()) break;  // the headers end at the first blank line
      std::smatch m;
      if (!std::regex_match(line, m, req) || normalize_name(m[1].str()) != want) continue;
      std::smatch e;
      const std::string marker = m[2].str();
      if (!std::regex_search(marker, e, extra)) return std::string();
      if (!found) found = e[1].str();
    }
    if (found) return found;
  }
  if (fs::exists(src / "pyproject.toml", ec)) {
    std::string text;
    try {
      text = read_file(src / "pyproject.toml");
    } catch (const Error&) {
      return std::nullopt;
    }
    // Enough TOML for requirement lists: the current table, the current key, quoted strings.
    static const std::regex table(R"(^\s*\[([^\]]+)\]\s*$)");
    static const std::regex key(R"(^\s*([A-Za-z0-9_."-]+)\s*=)");
    static const std::regex quoted(R"(["']([A-Za-z0-9][A-Za-z0-9._-]*)[^"']*["'])");
    std::string tbl, k;
    std::optional<std::string> found;
    for (auto l : split_lines(text)) {
      std::string line(l);
      if (auto hash = line.find('#'); hash != std::string::npos && line.find_first_of("\"'") > hash) line.resize(hash);
      std::smatch m;
      if (std::regex_match(line, m, table)) {
        tbl = trim(m[1].str()), k.clear();
        continue;
      }
      std::string rest = line;
      if (std::regex_search(line, m, key)) {
        k = m[1].str();
        k.erase(std::remove(k.begin(), k.end(), '"'), k.end());
        rest = m.suffix();
      }
      for (std::sregex_iterator q(rest.begin(), rest.end(), quoted), end; q != end; ++q) {
        if (normalize_name((*q)[1].str()) != want) continue;
        if (tbl == "project" && k == "dependencies") return std::string();
        if ((tbl == "project.optional-dependencies" || tbl == "dependency-groups") && !found) found = k;
      }
    }
    return found;
  }
  return std::nullopt;
}

}  // namespace

std::string dependency_role(const LogCause& c, const RoleInputs& in) {
  const std::string dep = normalize_name(c.dependency);
  if (c.build_requirement)
    return c.build_requirement_of.empty() || normalize_name(c.build_requirement_of) == normalize_name(in.package)
               ? "a build requirement"
               : "a build requirement of " + c.build_requirement_of;
  if (dep.empty() || dep == normalize_name(in.package)) return "";
  for (const auto& x : in.extra_deps)
    if (normalize_name(x.substr(0, x.find_first_of("<>=!~;[ "))) == dep) return "an extra dependency (--extra-deps)";
  // uv says who pulled it in: "attrs[tests]".
  if (!c.role_hint.empty()) {
    static const std::regex extra(R"(^([^\[]+)\[([^\]]+)\]$)");
    std::smatch m;
    if (std::regex_match(c.role_hint, m, extra) && normalize_name(m[1].str()) == normalize_name(in.package))
      return test_like(m[2].str()) ? "a test dependency" : "a dependency through the extra " + m[2].str();
    if (normalize_name(c.role_hint) == normalize_name(in.package)) return "a dependency";
  }
  if (auto through = required_through(c.dependency, in.source_dir)) {
    if (through->empty()) return "a dependency";
    return test_like(*through) ? "a test dependency" : "a dependency through the extra " + *through;
  }
  // Named on the install command's own line ("pip install . pytest cffi").
  static const std::regex word(R"([A-Za-z0-9][A-Za-z0-9._-]*)");
  for (std::sregex_iterator w(in.install_command.begin(), in.install_command.end(), word), end; w != end; ++w)
    if (normalize_name(w->str()) == dep) return "named by the install command";
  if (!c.role_hint.empty()) return "a dependency of " + c.role_hint;
  return "an indirect dependency";
}

std::optional<CauseInfo> install_cause(std::string_view step, std::string_view output, const RoleInputs& in) {
  auto c = read_install_log(output);
  if (!c) return std::nullopt;
  CauseInfo out;
  out.step = std::string(step);
  out.dependency = c->dependency.empty() ? in.package : c->dependency;
  // A specifier ("python-sbom>=0.1.2") is what was asked, not a version that was tried.
  if (!c->version.empty() && std::string_view("<>=!~").find(c->version[0]) != std::string_view::npos)
    out.requirement = c->dependency + c->version;
  else if (!c->version.empty())
    out.version = c->version;
  out.role = dependency_role(*c, in);
  out.failure = c->failure;
  out.line = c->line;
  if (c->line.starts_with("its build backend cannot be imported") &&
      in.install_command.find("--no-build-isolation") != std::string::npos)
    out.line += "; the install command passes --no-build-isolation, so the venv must hold the build backend and "
                "the build requirements before it runs (the registry's install command does not install them)";
  out.blocks = normalize_name(out.dependency) != normalize_name(in.package) || c->build_requirement;
  return out;
}

std::optional<CauseInfo> clone_cause(std::string_view output, const std::string& package) {
  std::string fatal;
  for (auto l : split_lines(output)) {
    std::string t = trim(std::string(l));
    if (starts(t, "fatal: ") || starts(t, "error: ")) {
      if (fatal.empty() || starts(t, "fatal: ")) fatal = t;
    }
  }
  if (fatal.empty()) return std::nullopt;
  CauseInfo c;
  c.step = "source";
  c.dependency = package;
  c.failure = "could not be cloned";
  c.line = fatal;
  return c;
}

}  // namespace labeille::setup
