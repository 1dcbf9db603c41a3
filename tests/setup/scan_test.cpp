#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "labeille/setup/setup.hpp"
#include "support/scratch.hpp"

namespace labeille::setup {

TEST(ScanDeclarations, EveryKnownSpelling) {
  EXPECT_EQ(scan_declarations("static PyModuleDef_Slot slots[] = {{Py_mod_gil, Py_MOD_GIL_NOT_USED}, {0, NULL}};"),
            std::vector<std::string>{"Py_mod_gil"});
  // A multi-line slot initialiser.
  EXPECT_EQ(scan_declarations("static PyModuleDef_Slot s[] = {\n  {\n    Py_mod_gil,\n    Py_MOD_GIL_NOT_USED\n  },\n};"),
            std::vector<std::string>{"Py_mod_gil"});
  EXPECT_EQ(scan_declarations("#ifdef Py_GIL_DISABLED\n  PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED);\n#endif"),
            std::vector<std::string>{"PyUnstable_Module_SetGIL"});
  EXPECT_EQ(scan_declarations("PYBIND11_MODULE(ext, m, py::mod_gil_not_used()) {}"), std::vector<std::string>{"pybind11"});
  EXPECT_EQ(scan_declarations("#[pymodule(gil_used = false)]\nfn ext(m: &Bound<'_, PyModule>) {}"),
            std::vector<std::string>{"pyo3"});
  EXPECT_EQ(scan_declarations("nanobind_add_module(ext FREE_THREADED ext.cpp)"), std::vector<std::string>{"nanobind"});
  EXPECT_EQ(scan_declarations("# cython: freethreading_compatible=True\n"), std::vector<std::string>{"cython"});
}

TEST(ScanDeclarations, LookalikesAreNotDeclarations) {
  EXPECT_TRUE(scan_declarations("{Py_mod_gil, Py_MOD_GIL_USED}").empty());  // the opposite
  EXPECT_TRUE(scan_declarations("#[pymodule(gil_used = true)]").empty());
  EXPECT_TRUE(scan_declarations("# cython: freethreading_compatible=False").empty());
  EXPECT_TRUE(scan_declarations("static PyModuleDef_Slot slots[] = {{Py_mod_exec, exec}, {0, NULL}};").empty());
}

TEST(ScanDeclarations, CommentedOutDeclarationsDeclareNothing) {
  EXPECT_TRUE(scan_declarations("// {Py_mod_gil, Py_MOD_GIL_NOT_USED},\n{Py_mod_exec, exec},").empty());
  EXPECT_TRUE(scan_declarations("/* TODO:\n  PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED);\n*/").empty());
  EXPECT_TRUE(scan_declarations("// #[pymodule(gil_used = false)]\n#[pymodule]").empty());
  EXPECT_TRUE(scan_declarations("# nanobind_add_module(ext FREE_THREADED ext.cpp)\n", CommentStyle::Hash).empty());
  // "//" inside a string is not a comment; the declaration after it counts.
  EXPECT_EQ(scan_declarations("const char* url = \"http://x/*\"; {Py_mod_gil, Py_MOD_GIL_NOT_USED}"),
            std::vector<std::string>{"Py_mod_gil"});
  // Cython directives ARE comments.
  EXPECT_EQ(scan_declarations("# cython: freethreading_compatible = True\n", CommentStyle::Keep),
            std::vector<std::string>{"cython"});
  // In setup.py, a '#' inside a string is not a comment either.
  EXPECT_EQ(scan_declarations("url = 'https://x/#frag'\ncompiler_directives={\"freethreading_compatible\": True}\n",
                              CommentStyle::Hash),
            std::vector<std::string>{"cython"});
}

TEST(ScanDeclarations, StripCommentsKeepsLinesAndStrings) {
  EXPECT_EQ(strip_comments("a /* b\nc */ d // e\nf", CommentStyle::CLike), "a  \n  d  \nf");
  EXPECT_EQ(strip_comments("x = '#' # y\nz", CommentStyle::Hash), "x = '#' \nz");
  EXPECT_EQ(strip_comments("# cython: x\n", CommentStyle::Keep), "# cython: x\n");
}

TEST(ScanTree, ReadsSourcesAndBuildFilesButNotComments) {
  const auto d = test_support::scratch_dir();
  std::filesystem::create_directories(d / "src");
  std::filesystem::create_directories(d / "build");
  auto write = [&](const std::filesystem::path& p, const std::string& text) { std::ofstream(d / p) << text; };
  write("CMakeLists.txt", "nanobind_add_module(_ext FREE_THREADED src/ext.cpp)\n");
  write("src/ext.cpp", "// PYBIND11_MODULE(ext, m, py::mod_gil_not_used()) {}\nNB_MODULE(_ext, m) {}\n");
  write("src/old.c", "/* {Py_mod_gil, Py_MOD_GIL_NOT_USED} */\n");
  write("build/gen.c", "{Py_mod_gil, Py_MOD_GIL_NOT_USED}\n");  // build output is not the package's
  write("README.md", "py::mod_gil_not_used()\n");                  // nor is prose
  EXPECT_EQ(scan_tree(d), std::vector<std::string>{"nanobind"});
  EXPECT_EQ(scanned_file_style(d / "setup.py"), CommentStyle::Hash);
  EXPECT_EQ(scanned_file_style(d / "mod.pyx"), CommentStyle::Keep);
  EXPECT_EQ(scanned_file_style(d / "README.md"), std::nullopt);
}

}  // namespace labeille::setup

