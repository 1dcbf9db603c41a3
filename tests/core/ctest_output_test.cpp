#include "labeille/core/ctest_output.hpp"

#include <gtest/gtest.h>

namespace labeille {

// CTest reads <CTestDetails> from one line, up to the first closing tag, and escapes it
// itself (ctest_output_in_test_xml.cmake checks that on a real Test.xml).
TEST(CTestDetails, OneLineLiteralAndNoClosingTag) {
  EXPECT_EQ(ctest_details("pip failed:\nerror: <a & b>\r\n"), "pip failed: error: <a & b>  ");
  EXPECT_EQ(ctest_details("x</CTestDetails>y"), "x(/CTestDetails)y");
  EXPECT_EQ(ctest_details("</CTestDetails></CTestDetails>"), "(/CTestDetails)(/CTestDetails)");
  EXPECT_EQ(ctest_details_line("fail: exit 1"), "<CTestDetails>fail: exit 1</CTestDetails>\n");
}

// A measurement's value is XML to CTest: escaped, on one line.
TEST(CTestMeasurement, EscapedOnOneLine) {
  EXPECT_EQ(ctest_measurement_line("text/string", "crash_signature", "SIGSEGV | a<b>\nc & d"),
            "<CTestMeasurement type=\"text/string\" name=\"crash_signature\">SIGSEGV | a&lt;b&gt; c &amp; d"
            "</CTestMeasurement>\n");
}

}  // namespace labeille
