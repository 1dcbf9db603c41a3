# cmake -DPROBE=<ctest_output_probe> -DWORK=<dir> -P ctest_output_in_test_xml.cmake
# The CTest lines of core/ctest_output.hpp, through a real `ctest -T Test`: the Test.xml
# CTest writes must show the probe's text once escaped, in "Completion Status" (from
# <CTestDetails>, which CTest escapes itself) and in the measurement (which CTest copies
# as XML, so the helper escapes it).
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/src")
file(WRITE "${WORK}/src/CMakeLists.txt" "cmake_minimum_required(VERSION 3.25)
project(ctest_output NONE)
include(CTest)
add_test(NAME probe COMMAND [==[${PROBE}]==])
")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${WORK}/src" -B "${WORK}/build" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the probe project failed: ${err}")
endif()
execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" -T Test WORKING_DIRECTORY "${WORK}/build" RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(GLOB xml "${WORK}/build/Testing/*/Test.xml")
if(NOT xml)
  message(FATAL_ERROR "ctest -T Test wrote no Test.xml:\n${out}${err}")
endif()
file(READ "${xml}" text)
# Escaped once: & < > become entities, the quote stays, the line break is a space, the
# closing tag inside the details is defused.
set(want_details [=[<NamedMeasurement type="text/string" name="Completion Status">]=])
string(APPEND want_details "[ \t\r\n]*" [=[<Value>a &amp; &lt;b&gt; "q" line two \(/CTestDetails\) end</Value>]=])
set(want_measure [=[<NamedMeasurement type="text/string" name="probe">]=])
string(APPEND want_measure "[ \t\r\n]*" [=[<Value>a &amp; &lt;b&gt; "q" line two &lt;/CTestDetails&gt; end</Value>]=])
foreach(want IN ITEMS want_details want_measure)
  if(NOT text MATCHES "${${want}}")
    message(FATAL_ERROR "Test.xml lacks ${${want}}:\n${text}")
  endif()
endforeach()
message(STATUS "Test.xml shows the details and the measurement escaped once")
