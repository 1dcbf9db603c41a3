#include "labeille/core/ctest_output.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "labeille/core/text.hpp"

namespace labeille {

namespace {

std::string one_line(std::string_view s) {
  std::string line(s);
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::replace(line.begin(), line.end(), '\r', ' ');
  return line;
}

}  // namespace

std::string ctest_details(std::string_view text) {
  std::string out = one_line(text);
  const std::string_view tag = "</CTestDetails>";
  for (auto at = out.find(tag); at != std::string::npos; at = out.find(tag, at))
    out.replace(at, tag.size(), "(/CTestDetails)");
  return out;
}

std::string ctest_details_line(std::string_view text) {
  return fmt::format("<CTestDetails>{}</CTestDetails>\n", ctest_details(text));
}

std::string ctest_measurement_line(std::string_view type, std::string_view name, std::string_view value) {
  return fmt::format("<CTestMeasurement type=\"{}\" name=\"{}\">{}</CTestMeasurement>\n", type, name,
                     xml_escape(one_line(value)));
}

}  // namespace labeille
