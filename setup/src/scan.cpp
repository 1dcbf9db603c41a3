#include <algorithm>
#include <regex>
#include <set>

#include "labeille/core/fs.hpp"
#include "labeille/setup/setup.hpp"

namespace fs = std::filesystem;

namespace labeille::setup {

std::vector<std::string> scan_declarations(std::string_view text) {
  // [\s\S] spans lines: a slot initialiser is often split, e.g.
  //   {Py_mod_gil,
  //    Py_MOD_GIL_NOT_USED},
  static const std::vector<std::pair<std::string, std::regex>> kinds = {
      {"Py_mod_gil", std::regex(R"(\{\s*Py_mod_gil\s*,\s*Py_MOD_GIL_NOT_USED\s*\})")},
      {"PyUnstable_Module_SetGIL", std::regex(R"(PyUnstable_Module_SetGIL\s*\([^,]*,\s*Py_MOD_GIL_NOT_USED\s*\))")},
      {"pybind11", std::regex(R"(py(bind11)?::mod_gil_not_used\s*\(\s*\))")},
      {"pyo3", std::regex(R"(gil_used\s*=\s*false)")},
      {"nanobind", std::regex(R"(\bFREE_THREADED\b)")},
      {"cython", std::regex(R"(freethreading_compatible\s*[=:]\s*True)")},
  };
  std::string s(text);
  std::vector<std::string> found;
  for (const auto& [name, re] : kinds)
    if (std::regex_search(s, re)) found.push_back(name);
  return found;
}

std::vector<std::string> scan_tree(const fs::path& dir) {
  static const std::set<std::string> exts = {".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".pyx", ".pxd", ".rs"};
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
    if (!it->is_regular_file() || !exts.count(p.extension().string())) continue;
    if (it->file_size() > (4u << 20)) continue;  // generated amalgamations are not declarations
    try {
      for (auto& k : scan_declarations(read_file(p))) found.insert(k);
    } catch (...) {
    }
  }
  return {found.begin(), found.end()};
}

}  // namespace labeille::setup
