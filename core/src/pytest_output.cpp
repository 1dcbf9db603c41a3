#include "labeille/core/pytest_output.hpp"

#include <regex>

#include <fmt/format.h>

#include "labeille/core/text.hpp"

namespace labeille {

namespace {

bool is_pytest_word(std::string_view w) {
  auto slash = w.rfind('/');
  if (slash != std::string_view::npos) w.remove_prefix(slash + 1);
  return w == "pytest" || w == "py.test";
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "tests/test_x.py" from "_____ ERROR collecting tests/test_x.py _____".
std::string collecting_path(std::string_view line) {
  static const std::regex re(R"(^_+ ERROR collecting (.+?) _+$)");
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_match(line.begin(), line.end(), m, re)) return m[1].str();
  return {};
}

// The exception line of one "E   ..." block: the last line that names an exception
// ("ModuleNotFoundError: ..."), else the last E line.
std::string exception_line(const std::vector<std::string_view>& e_lines) {
  static const std::regex exc(R"(^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b.*)");
  std::string last;
  for (auto it = e_lines.rbegin(); it != e_lines.rend(); ++it) {
    std::string t = trim(it->substr(1));
    if (t.empty()) continue;
    if (last.empty()) last = t;
    if (std::regex_match(t, exc)) return t;
  }
  return last;
}

// Collection errors: the first complete "ERROR collecting" section of the tail.
std::string collection_error(const std::vector<std::string_view>& lines) {
  std::string path;
  std::vector<std::string_view> e_lines;
  int sections = 0;
  std::string first;
  auto close = [&] {
    if (path.empty() || !first.empty()) return;
    std::string exc = exception_line(e_lines);
    first = exc.empty() ? path : path + ": " + exc;
  };
  for (auto line : lines) {
    if (auto p = collecting_path(line); !p.empty()) {
      close();
      ++sections;
      path = std::move(p);
      e_lines.clear();
      continue;
    }
    if (path.empty()) continue;
    if (starts_with(line, "E ") || line == "E") e_lines.push_back(line);
    else if (starts_with(line, "====") || starts_with(line, "----") || starts_with(line, "____")) close();
  }
  close();
  // "Interrupted: 3 errors during collection" counts them all, also those cut from the tail.
  static const std::regex count(R"(Interrupted: (\d+) errors? during collection)");
  for (auto line : lines) {
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(line.begin(), line.end(), m, count)) sections = std::max(sections, std::stoi(m[1].str()));
  }
  if (!first.empty() && sections > 1)
    first += fmt::format(" (+{} more collection error{})", sections - 1, sections > 2 ? "s" : "");
  return first;
}

// A conftest.py that does not import (the usual missing test dependency) stops pytest
// before collection, on stderr (exit 4):
//   ImportError while loading conftest '/src/pkg/tests/conftest.py'.
//   tests/conftest.py:3: in <module>
//   E   ModuleNotFoundError: No module named 'hypothesis'
std::string conftest_error(const std::vector<std::string_view>& lines) {
  static const std::regex head(R"(^ImportError while loading conftest '(.+)'\.?$)");
  static const std::regex where(R"(^(\S+):\d+: in )");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_match(lines[i].begin(), lines[i].end(), m, head)) continue;
    std::string path = m[1].str();
    std::vector<std::string_view> e_lines;
    bool relative = false;
    for (std::size_t j = i + 1; j < lines.size(); ++j) {
      if (starts_with(lines[j], "E ") || lines[j] == "E") {
        e_lines.push_back(lines[j]);
        continue;
      }
      if (!e_lines.empty()) break;
      std::match_results<std::string_view::const_iterator> w;
      if (!relative && std::regex_search(lines[j].begin(), lines[j].end(), w, where) &&
          w[1].str().find("conftest.py") != std::string::npos) {
        path = w[1].str();  // the path relative to the rootdir, as pytest prints it
        relative = true;
      }
    }
    std::string exc = exception_line(e_lines);
    return exc.empty() ? "conftest " + path + " does not import" : path + ": " + exc;
  }
  return {};
}

}  // namespace

bool is_pytest_command(const std::vector<std::string>& argv) {
  if (argv.size() == 3 && argv[0] == "/bin/sh" && argv[1] == "-c") {
    static const std::regex word(R"((^|[\s;&|('"/])(py\.test|pytest)([\s;&|)'"]|$))");
    static const std::regex module(R"(-m\s+pytest\b)");
    return std::regex_search(argv[2], word) || std::regex_search(argv[2], module);
  }
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (is_pytest_word(argv[i])) return true;
    if (argv[i] == "-m" && i + 1 < argv.size() && argv[i + 1] == "pytest") return true;
  }
  return false;
}

bool pytest_suite_did_not_run(int exit_code) { return exit_code >= 2 && exit_code <= 5; }

std::string_view pytest_exit_meaning(int exit_code) {
  switch (exit_code) {
    case 2: return "collection errors or interrupted";
    case 3: return "internal error";
    case 4: return "usage error";
    case 5: return "no tests collected";
    default: return "";
  }
}

std::string pytest_not_run_reason(int exit_code, std::string_view stdout_tail, std::string_view stderr_tail) {
  auto out = split_lines(stdout_tail);
  auto err = split_lines(stderr_tail);
  if (exit_code == 2)
    if (auto c = collection_error(out); !c.empty()) return c;
  for (const auto* lines : {&err, &out})
    if (auto c = conftest_error(*lines); !c.empty()) return c;
  if (exit_code == 3) {
    // The traceback ends with the exception: the last INTERNALERROR> line that says something.
    for (const auto* lines : {&err, &out})
      for (auto it = lines->rbegin(); it != lines->rend(); ++it)
        if (starts_with(*it, "INTERNALERROR>") && !trim(it->substr(14)).empty()) return trim(*it);
  }
  if (exit_code == 5) return "no tests collected";
  // Usage errors ("ERROR: file or directory not found: tests/", "pytest: error: unrecognized
  // arguments: ...") and pytest.exit()/KeyboardInterrupt ("!!! Interrupted: ... !!!", "!!! _pytest.outcomes.Exit: ... !!!").
  for (const auto* lines : {&err, &out})
    for (auto line : *lines) {
      std::string t = trim(line);
      if (starts_with(t, "ERROR: ") || t.find(": error: ") != std::string::npos) return t;
    }
  static const std::regex bang(R"(^!+ (.+?) !+$)");
  for (auto line : out) {
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_match(line.begin(), line.end(), m, bang)) return m[1].str();
  }
  std::string last = last_line(stderr_tail);
  return last.empty() ? last_line(stdout_tail) : last;
}

namespace {
constexpr std::string_view kNotRun = "tests did not run: ";
constexpr std::string_view kMissing = "pytest is not installed: ";
}  // namespace

std::string tests_not_run_detail(int exit_code, std::string_view why) {
  const auto meaning = pytest_exit_meaning(exit_code);
  std::string d = meaning.empty() ? fmt::format("{}pytest exit {}", kNotRun, exit_code)
                                  : fmt::format("{}pytest exit {} ({})", kNotRun, exit_code, meaning);
  if (!why.empty()) d += fmt::format(": {}", why);
  return d;
}

std::string pytest_missing_detail(std::string_view line) { return fmt::format("{}{}{}", kNotRun, kMissing, line); }

std::string tests_not_run_first_error(std::string_view detail, int exit_code) {
  if (starts_with(detail, fmt::format("{}{}", kNotRun, kMissing))) return std::string(detail.substr(kNotRun.size()));
  const std::string head = tests_not_run_detail(exit_code, "") + ": ";
  return starts_with(detail, head) ? std::string(detail.substr(head.size())) : std::string();
}

std::string pytest_missing_line(int exit_code, std::string_view stdout_tail, std::string_view stderr_tail) {
  if (exit_code != 1 && exit_code != 127) return "";
  for (auto tail : {stderr_tail, stdout_tail})
    for (auto line : split_lines(tail)) {
      const std::string t = trim(line);
      const bool no_module = exit_code == 1 && t.ends_with(": No module named pytest");
      const bool not_found = exit_code == 127 && (t.ends_with("pytest: not found") || t.ends_with("pytest: command not found"));
      if (no_module) return "No module named pytest";  // the rest is the venv's path
      if (not_found) return t;
    }
  return "";
}

std::string pytest_startup_error(int exit_code, std::string_view stdout_tail, std::string_view stderr_tail) {
  if (exit_code != 1) return "";
  static const std::regex summary(R"(\b\d+ (passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b)");
  for (auto line : split_lines(stdout_tail))
    if (std::regex_search(line.begin(), line.end(), summary)) return "";
  const auto lines = split_lines(stderr_tail);
  std::size_t start = lines.size();
  for (std::size_t i = lines.size(); i-- > 0;)
    if (lines[i] == "Traceback (most recent call last):") {
      start = i;
      break;
    }
  if (start == lines.size()) return "";
  // The frames are indented; the exception is the first line after them that is not, and
  // its message runs to the end (pluggy's spans three lines).
  bool pytests_own = false;
  std::size_t i = start + 1;
  for (; i < lines.size() && (lines[i].empty() || lines[i].front() == ' '); ++i)
    if (lines[i].find("/_pytest/") != std::string_view::npos || lines[i].find("/pluggy/") != std::string_view::npos)
      pytests_own = true;
  if (!pytests_own || i == lines.size()) return "";
  std::string exc;
  for (; i < lines.size(); ++i) {
    const std::string t = trim(lines[i]);
    if (!t.empty()) exc += (exc.empty() ? "" : " ") + t;
  }
  constexpr std::size_t kMax = 400;
  if (exc.size() > kMax) exc = exc.substr(0, kMax) + "...";
  return "pytest could not start: " + exc;
}

}  // namespace labeille
