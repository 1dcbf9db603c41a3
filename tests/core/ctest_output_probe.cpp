// Prints the CTest lines of core/ctest_output.hpp for a text with every character that
// matters (&, <, >, a quote, a line break, a closing tag), as a test command would:
// ctest_output_in_test_xml.cmake runs it under CTest and reads the Test.xml CTest writes.
#include <iostream>

#include "labeille/core/ctest_output.hpp"

int main() {
  const char* text = "a & <b> \"q\"\nline two </CTestDetails> end";
  std::cout << "some output\n"
            << labeille::ctest_measurement_line("text/string", "probe", text) << labeille::ctest_details_line(text);
  return 0;
}
