#include <gtest/gtest.h>

#include "labeille/setup/setup.hpp"

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

}  // namespace labeille::setup
