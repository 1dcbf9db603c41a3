#include "labeille/setup/adapt.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace labeille::setup {

namespace {

// One word of a command: as written (quotes kept, so it can be put back unchanged) and
// its value once the quotes are taken off.
struct Word {
  std::string text, value;
};
using Words = std::vector<Word>;

Words split_words(std::string_view cmd) {
  Words out;
  Word w;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < cmd.size(); ++i) {
    char c = cmd[i];
    if (!quote && (c == ' ' || c == '\t' || c == '\n')) {
      if (in_word) out.push_back(std::move(w));
      w = {};
      in_word = false;
      continue;
    }
    in_word = true;
    w.text += c;
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < cmd.size()) {
        w.text += cmd[++i];
        w.value += cmd[i];
      } else {
        w.value += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '\\' && i + 1 < cmd.size()) {
      w.text += cmd[++i];
      w.value += cmd[i];
    } else {
      w.value += c;
    }
  }
  if (in_word) out.push_back(std::move(w));
  return out;
}

// The steps of a command: its words split at `&&`.
std::vector<Words> split_steps(std::string_view cmd) {
  std::vector<Words> steps(1);
  for (auto& w : split_words(cmd)) {
    if (w.text == "&&") {
      steps.emplace_back();
    } else {
      steps.back().push_back(std::move(w));
    }
  }
  std::erase_if(steps, [](const Words& s) { return s.empty(); });
  return steps;
}

std::string join_text(const Words& words, std::size_t from = 0) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) out += (out.empty() ? "" : " ") + words[i].text;
  return out;
}

bool is_python(std::string_view v) {
  auto base = v.substr(v.rfind('/') == std::string_view::npos ? 0 : v.rfind('/') + 1);
  return base == "python" || base.starts_with("python3");
}

// Index of the word after `install` when the step is a pip install (pip, pip3,
// python -m pip, uv pip), else 0.
std::size_t pip_install_args(const Words& s) {
  std::size_t i = 0;
  if (s.size() > 2 && is_python(s[0].value) && s[1].value == "-m") i = 2;
  else if (s.size() > 1 && s[0].value == "uv") i = 1;
  if (i + 1 < s.size() && (s[i].value == "pip" || s[i].value == "pip3") && s[i + 1].value == "install") return i + 2;
  return 0;
}

// "./python[test]" -> "./python"; "." -> ".".
std::string project_dir(std::string_view spec) { return std::string(spec.substr(0, spec.find('['))); }

bool is_dot(std::string_view dir) { return dir == "." || dir == "./"; }

// Does any pip step install the sdist's own project (`.` or `.[extras]`, editable or not)?
bool installs_dot(const std::vector<Words>& steps) {
  for (const auto& s : steps)
    if (auto from = pip_install_args(s))
      for (std::size_t i = from; i < s.size(); ++i)
        if (is_dot(project_dir(s[i].value))) return true;
  return false;
}

// The option's value when word i is `OPT VALUE` or `OPT=VALUE` for one of `names`.
std::optional<std::pair<std::string, std::size_t>> option_value(const Words& s, std::size_t i,
                                                                std::initializer_list<std::string_view> names) {
  for (auto n : names) {
    if (s[i].value == n && i + 1 < s.size()) return std::pair{s[i + 1].value, std::size_t{2}};
    if (n.starts_with("--") && s[i].value.starts_with(std::string(n) + "="))
      return std::pair{s[i].value.substr(n.size() + 1), std::size_t{1}};
  }
  return std::nullopt;
}

}  // namespace

namespace {

// The words from i to i + n, as written.
std::string written(const Words& s, std::size_t i, std::size_t n) {
  return join_text(Words(s.begin() + static_cast<std::ptrdiff_t>(i), s.begin() + static_cast<std::ptrdiff_t>(i + n)));
}

// `-e DIR` / `--editable DIR` at s[i] (n words) naming a project the sdist does not hold:
// dropped when `.` is installed anyway, else pointed at `.` (the sdist is that project).
// Returns false when DIR is there (the words are kept as they are).
bool adapt_editable(const Words& s, std::size_t i, std::size_t n, const std::string& dir, const fs::path& src,
                    bool dot_installed, Words& out, Adapted& a) {
  if (is_dot(dir) || fs::exists(src / dir)) return false;
  const std::string was = written(s, i, n);
  if (dot_installed) {
    a.notes.push_back(fmt::format("dropped `{}`: {} is not in the sdist (another project of the repository; "
                                  "the sdist's own is installed by `.`)",
                                  was, dir));
    return true;
  }
  Word last = s[i + n - 1];
  last.value.replace(last.value.find(dir), dir.size(), ".");
  if (auto pos = last.text.find(dir); pos != std::string::npos) {
    last.text.replace(pos, dir.size(), ".");
  } else {
    last.text = "'" + last.value + "'";  // written with escapes: say it plainly
  }
  if (n == 2) out.push_back(s[i]);
  out.push_back(last);
  a.notes.push_back(fmt::format("`{}` -> `{}`: {} is not in the sdist, which is that project itself", was,
                                join_text(Words(out.end() - static_cast<std::ptrdiff_t>(n), out.end())), dir));
  return true;
}

// `-r FILE` / `-c FILE` (and their long forms) at s[i] (n words) naming a file the sdist
// does not hold: dropped. Returns false when the file is there.
bool adapt_requirement_file(const Words& s, std::size_t i, std::size_t n, const std::string& file, const fs::path& src,
                            Adapted& a) {
  if (fs::exists(src / file)) return false;
  a.notes.push_back(fmt::format("dropped `{}`: {} is not in the sdist", written(s, i, n), file));
  return true;
}

// A pip install step (its arguments from `from`), each option adapted by its kind;
// nullopt when nothing is left to install (pip would refuse the step).
std::optional<Words> adapt_pip_install(const Words& s, std::size_t from, const fs::path& src, bool dot_installed,
                                       Adapted& a) {
  Words out(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(from));
  for (std::size_t i = from; i < s.size();) {
    if (auto e = option_value(s, i, {"-e", "--editable"})) {
      if (adapt_editable(s, i, e->second, project_dir(e->first), src, dot_installed, out, a)) {
        i += e->second;
        continue;
      }
    } else if (auto r = option_value(s, i, {"-r", "--requirement", "-c", "--constraint"})) {
      if (adapt_requirement_file(s, i, r->second, r->first, src, a)) {
        i += r->second;
        continue;
      }
    }
    out.push_back(s[i]);
    ++i;
  }
  if (std::none_of(out.begin() + static_cast<std::ptrdiff_t>(from), out.end(),
                   [](const Word& w) { return !w.value.starts_with("-"); })) {
    a.notes.push_back(fmt::format("dropped `{}`: nothing left to install", join_text(out)));
    return std::nullopt;
  }
  return out;
}

}  // namespace

Adapted adapt_for_sdist(std::string_view install_command, const fs::path& src) {
  auto steps = split_steps(install_command);
  const bool dot_installed = installs_dot(steps);
  Adapted a;
  std::vector<Words> kept;
  for (auto& s : steps) {
    if (s[0].value == "git") {
      a.notes.push_back(fmt::format("dropped `{}`: a checkout step (an sdist has no .git; setuptools-scm reads the "
                                    "version from its PKG-INFO)",
                                    join_text(s)));
      continue;
    }
    const std::size_t from = pip_install_args(s);
    if (from == 0) {
      kept.push_back(std::move(s));
      continue;
    }
    if (auto out = adapt_pip_install(s, from, src, dot_installed, a)) kept.push_back(std::move(*out));
  }
  if (a.notes.empty()) {
    a.command = std::string(install_command);
    return a;
  }
  for (const auto& s : kept) a.command += (a.command.empty() ? "" : " && ") + join_text(s);
  if (a.command.empty()) {
    a.command = "python -m pip install . pytest";
    a.notes.push_back("nothing was left: the default `python -m pip install . pytest`");
  }
  return a;
}

namespace {

// pytest options whose value is the next word (so `-k "not slow"` is no path).
constexpr std::array<std::string_view, 28> kPytestValueOptions = {
    "-k", "-m", "-p", "-c", "-o", "-W", "-n", "-r", "--deselect", "--ignore", "--ignore-glob", "--rootdir",
    "--confcutdir", "--basetemp", "--durations", "--maxfail", "--tb", "--junitxml", "--junit-xml", "--timeout",
    "--log-level", "--import-mode", "--override-ini", "--capture", "--dist", "--numprocesses", "--reruns",
    "--parallel-threads"};

bool has_test_file(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (it->is_directory(ec) && (name == ".git" || name == ".venv" || name == "node_modules")) {
      it.disable_recursion_pending();
      continue;
    }
    if (name.ends_with(".py") && (name.starts_with("test_") || name.ends_with("_test.py"))) return true;
  }
  return false;
}

std::string list_paths(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace

TestsPresence check_tests(std::string_view test_command, const fs::path& src, std::string_view what) {
  for (const auto& s : split_steps(test_command)) {
    // Where the runner's own arguments start: after `pytest`/`py.test` or `-m pytest|unittest`.
    std::size_t args = 0;
    bool unittest = false;
    for (std::size_t i = 0; i < s.size() && args == 0; ++i) {
      const auto& v = s[i].value;
      if (v == "pytest" || v == "py.test" || v.ends_with("/pytest")) args = i + 1;
      if (v == "-m" && i + 1 < s.size() && (s[i + 1].value == "pytest" || s[i + 1].value == "unittest")) {
        unittest = s[i + 1].value == "unittest";
        args = i + 2;
      }
    }
    if (args == 0) continue;
    std::vector<std::string> named, missing;
    for (std::size_t i = args; i < s.size(); ++i) {
      const auto& v = s[i].value;
      if (v == "--pyargs") return {std::nullopt, "--pyargs: the tests are those of the installed package"};
      if (unittest) {
        if (v == "-s" || v == "--start-directory") {
          if (i + 1 < s.size()) named.push_back(s[++i].value);
        } else if (v == "-t" || v == "-p" || v == "--pattern" || v == "--top-level-directory") {
          ++i;
        } else if (i > args && s[args].value == "discover" && !v.starts_with("-") && named.empty()) {
          named.push_back(v);
        }
        continue;
      }
      if (v.starts_with("-")) {
        if (std::find(kPytestValueOptions.begin(), kPytestValueOptions.end(), v) != kPytestValueOptions.end()) ++i;
        continue;
      }
      std::string path = v.substr(0, v.find("::"));
      if (path.find('/') != std::string::npos || path.ends_with(".py") || fs::exists(src / path)) named.push_back(path);
    }
    for (const auto& p : named)
      if (!fs::exists(src / p)) missing.push_back(p);
    if (!missing.empty())
      return {false, fmt::format("{} (named by the test command) {} not in the {}", list_paths(missing),
                                 missing.size() == 1 ? "is" : "are", what)};
    if (!named.empty()) return {true, ""};
    if (has_test_file(src)) return {true, ""};
    return {false, fmt::format("the {} holds no test file (test_*.py, *_test.py)", what)};
  }
  return {std::nullopt, "the test command runs neither pytest nor unittest: not checked"};
}

}  // namespace labeille::setup
