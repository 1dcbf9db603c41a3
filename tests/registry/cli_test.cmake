# cmake -DTOOL=<labeille-ft-registry> -DREGISTRIES=<dir> -DWORK=<dir> -P cli_test.cmake
# The tool's contract: the output is always written (even with nothing to run), problems
# go to stderr as warnings, a missing index is exit 3 with "labeille: error: <path>",
# a bad command line exit 64.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
function(run expect_rc)
  execute_process(COMMAND "${TOOL}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "${ARGN}: exit ${rc}, expected ${expect_rc}\n${err}")
  endif()
  set(err "${err}" PARENT_SCOPE)
endfunction()

run(0 --dir "${REGISTRIES}/malformed" --output "${WORK}/none.cmake" --package nope)
if(NOT EXISTS "${WORK}/none.cmake")
  message(FATAL_ERROR "no output written when nothing is selected")
endif()
file(READ "${WORK}/none.cmake" code)
if(code MATCHES "labeille_ft_add_package" OR NOT code MATCHES "\"nope\" is not in the registry")
  message(FATAL_ERROR "unexpected output:\n${code}")
endif()
if(NOT err MATCHES "labeille: warning: [^\n]*broken.yaml:4: ")
  message(FATAL_ERROR "the malformed file is not reported with file:line on stderr:\n${err}")
endif()

run(3 --dir "${WORK}/no-registry" --output "${WORK}/x.cmake")
if(NOT err MATCHES "^labeille: error: [^\n]*no-registry/index.yaml: registry index not found")
  message(FATAL_ERROR "missing index: ${err}")
endif()
if(EXISTS "${WORK}/x.cmake")
  message(FATAL_ERROR "output written although the registry is unreadable")
endif()

run(64 --dir "${REGISTRIES}/basic" --output "${WORK}/y.cmake" --top many)

# The output is a valid CMake file whose calls carry the registry's values.
run(0 --dir "${REGISTRIES}/basic" --output "${WORK}/basic.cmake" --top 2 --python-version 3.13)
file(READ "${WORK}/basic.cmake" code)
string(REGEX MATCHALL "labeille_ft_add_package\\(\\[=\\[[a-z-]+" calls "${code}")
if(NOT calls STREQUAL "labeille_ft_add_package([=[big;labeille_ft_add_package([=[mid")
  message(FATAL_ERROR "TOP 2 for 3.13: ${calls}")
endif()
