#include <algorithm>
#include <regex>
#include <set>

#include "labeille/core/error.hpp"
#include "labeille/core/fs.hpp"
#include "labeille/setup/setup.hpp"

namespace fs = std::filesystem;

namespace labeille::setup {

std::string strip_comments(std::string_view s, CommentStyle style) {
  if (style == CommentStyle::Keep) return std::string(s);
  std::string out;
  out.reserve(s.size());
  enum class St { Code, Str, Line, Block } st = St::Code;
  char quote = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char next = i + 1 < s.size() ? s[i + 1] : '\0';
    switch (st) {
      case St::Code:
        if (style == CommentStyle::CLike && c == '/' && (next == '/' || next == '*')) {
          st = next == '/' ? St::Line : St::Block;
          ++i;
          out += ' ';
          continue;
        }
        if (style == CommentStyle::Hash && c == '#') {
          st = St::Line;
          continue;
        }
        // C's '"' would open a string here; strings end at the line's end, so the harm
        // stays on one line.
        if (c == '"' || (c == '\'' && style == CommentStyle::Hash)) {
          st = St::Str;
          quote = c;
        }
        out += c;
        break;
      case St::Str:
        out += c;
        if (c == '\\' && next != '\0') {
          out += next;
          ++i;
        } else if (c == quote || c == '\n') {
          st = St::Code;
        }
        break;
      case St::Line:
        if (c == '\n') {
          out += '\n';
          st = St::Code;
        }
        break;
      case St::Block:
        if (c == '*' && next == '/') {
          ++i;
          st = St::Code;
          out += ' ';
        } else if (c == '\n') {
          out += '\n';  // keep line structure for multi-line matches
        }
        break;
    }
  }
  return out;
}

std::vector<std::string> scan_declarations(std::string_view text, CommentStyle style) {
  // [\s\S] spans lines: a slot initialiser is often split, e.g.
  //   {Py_mod_gil,
  //    Py_MOD_GIL_NOT_USED},
  static const std::vector<std::pair<std::string, std::regex>> kinds = {
      {"Py_mod_gil", std::regex(R"(\{\s*Py_mod_gil\s*,\s*Py_MOD_GIL_NOT_USED\s*\})")},
      {"PyUnstable_Module_SetGIL", std::regex(R"(PyUnstable_Module_SetGIL\s*\([^,]*,\s*Py_MOD_GIL_NOT_USED\s*\))")},
      {"pybind11", std::regex(R"(py(bind11)?::mod_gil_not_used\s*\(\s*\))")},
      {"pyo3", std::regex(R"(gil_used\s*=\s*false)")},
      {"nanobind", std::regex(R"(\bFREE_THREADED\b)")},
      // A directive comment in a .pyx, or compiler_directives={"freethreading_compatible": True}.
      {"cython", std::regex(R"(freethreading_compatible['"]?\s*[=:]\s*True)")},
  };
  const std::string s = strip_comments(text, style);
  std::vector<std::string> found;
  for (const auto& [name, re] : kinds)
    if (std::regex_search(s, re)) found.push_back(name);
  return found;
}

std::optional<CommentStyle> scanned_file_style(const fs::path& file) {
  static const std::set<std::string> c_like = {".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".rs"};
  const auto name = file.filename().string();
  const auto ext = file.extension().string();
  if (c_like.count(ext)) return CommentStyle::CLike;
  // Cython directives are comments ("# cython: freethreading_compatible=True"): keep them.
  if (ext == ".pyx" || ext == ".pxd") return CommentStyle::Keep;
  // Build files: nanobind_add_module(... FREE_THREADED), Cython's compiler_directives.
  if (name == "CMakeLists.txt" || ext == ".cmake" || name == "setup.py" || name == "pyproject.toml" ||
      name == "meson.build")
    return CommentStyle::Hash;
  return std::nullopt;
}

std::vector<std::string> scan_tree(const fs::path& dir) {
  std::set<std::string> found;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const auto& p = it->path();
    auto name = p.filename().string();
    if (it->is_directory() && (name == ".git" || name == "build" || name == ".venv")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    auto style = scanned_file_style(p);
    if (!style) continue;
    std::error_code size_ec;
    const auto size = it->file_size(size_ec);
    if (size_ec || size > (4u << 20)) continue;  // generated amalgamations are not declarations
    try {
      for (auto& k : scan_declarations(read_file(p), *style)) found.insert(k);
    } catch (const Error&) {
      // A file that vanished or cannot be read declares nothing.
    }
  }
  return {found.begin(), found.end()};
}

}  // namespace labeille::setup
