// The lines a test command prints for CTest, which copies them into Test.xml (and CDash
// shows them). How each must be written was settled against the Test.xml CTest really
// writes (test cmake.ctest_output_in_test_xml):
//
//  <CTestDetails>TEXT</CTestDetails>  CTest's "Completion Status". CTest takes TEXT
//      literally, from one line and up to the first closing tag, and escapes it itself when
//      it writes Test.xml: TEXT must NOT be XML-escaped (an escaped "&" would show as
//      "&amp;"). Line breaks become spaces; a closing tag inside TEXT is defused.
//  <CTestMeasurement type=T name=N>VALUE</CTestMeasurement>  CTest inserts VALUE into
//      Test.xml as XML: it MUST be escaped (a raw "&" or "<" cuts the value short). One
//      line too: CTest's regular expressions are greedy within a line.
#pragma once

#include <string>
#include <string_view>

namespace labeille {

// The whole "<CTestDetails>...</CTestDetails>" line, with its newline.
std::string ctest_details_line(std::string_view text);
// TEXT as it may stand between the <CTestDetails> tags.
std::string ctest_details(std::string_view text);
// The whole "<CTestMeasurement ...>...</CTestMeasurement>" line, with its newline.
std::string ctest_measurement_line(std::string_view type, std::string_view name, std::string_view value);

}  // namespace labeille
