#[=======================================================================[.rst:
ft_dashboard.cmake
------------------

A CTest dashboard script (``ctest -S``): configure a project that runs a labeille
registry through the LabeilleFT module, build it, run the ``ft`` tests and submit
everything to CDash.

::

  ctest -S ctest_scripts/ft_dashboard.cmake \
        -DFT_REGISTRY=<registry dir> -DFT_TARGET_PYTHON=<free-threaded python> \
        -DFT_PACKAGE_DIR=<dir of LabeilleFTConfig.cmake> \
        [-DFT_MODEL=Experimental|Nightly|Continuous] [-DFT_SITE=<site>] [-DFT_BUILD_NAME=<name>]
        [-DFT_SUBMIT_URL=https://cdash.example.org/submit.php?project=labeille-ft]
        [-DFT_BINARY_DIR=<dir>] [-DFT_ITERATIONS=10] [-DFT_TOP=<n>] [-DFT_PACKAGES=a;b]
        [-DFT_LABELS=<ctest -L regex>] [-DFT_PARALLEL=<n>] [-DFT_STALL_THRESHOLD=60]
        [-DFT_TIMEOUT=600] [-DFT_COMPARE_WITH_GIL=ON] [-DFT_FRESH=ON]
        [-DFT_STRESS=ON] [-DFT_STRESS_THREADS=2] [-DFT_STRESS_REPEAT=20] [-DFT_UNTIL_BOUND=<R>]
        [-DFT_NIGHTLY_START_TIME="00:00:00 UTC"]

``FT_STRESS``, ``FT_STRESS_THREADS``, ``FT_STRESS_REPEAT`` and ``FT_UNTIL_BOUND`` are the
module's ``STRESS``, ``STRESS_THREADS``, ``STRESS_REPEAT`` and ``UNTIL_BOUND`` for every
package (``labeille ft run --stress``, ``--stress-threads``, ``--stress-repeat``,
``--until-bound``; docs/detection.md): stress iterations ``ft.<pkg>.stress.<mode>.iterNN``
(label ``ft.stress``, also run by the default ``FT_LABELS`` and by a shard's label), and
``FT_ITERATIONS`` as a maximum that a mode stops short of (the rest *Skipped*) once its
verdict is settled within the failure-rate bound R (0 < R < 1; 0, the default, is off).

Every ``FT_<NAME>`` may also come from the environment as ``LABEILLE_FT_<NAME>``
(``-D`` wins). Inputs are checked before anything runs; a bad one stops the script
with ``ctest_scripts: error: FT_<NAME>: ...`` and a non-zero exit.

JUnit is always written (``<binary dir>/ft-junit.xml``); ``Testing/<tag>/Test.xml`` keeps
the runner's measurements (outcome, duration, GIL mode, crash signature) and labels.
After the tests, the records are folded once more with CTest's JUnit and Test.xml into
``<binary dir>/labeille-ft/results/ft_ctest``. Failing packages are results, not script
failures: the script fails (exit code non-zero) only when an input is bad, the project
does not configure, or the submission fails.
#]=======================================================================]
cmake_minimum_required(VERSION 3.25)

function(_ft_input name default)
  if(DEFINED FT_${name} AND NOT "${FT_${name}}" STREQUAL "")
    return()
  elseif(DEFINED ENV{LABEILLE_FT_${name}} AND NOT "$ENV{LABEILLE_FT_${name}}" STREQUAL "")
    set(FT_${name} "$ENV{LABEILLE_FT_${name}}" PARENT_SCOPE)
  else()
    set(FT_${name} "${default}" PARENT_SCOPE)
  endif()
endfunction()

function(_ft_fail name message)
  message(FATAL_ERROR "ctest_scripts: error: FT_${name}: ${message}")
endfunction()

cmake_host_system_information(RESULT _host QUERY HOSTNAME)
cmake_host_system_information(RESULT _cpus QUERY NUMBER_OF_LOGICAL_CORES)
_ft_input(MODEL Experimental)
_ft_input(SITE "${_host}")
_ft_input(BUILD_NAME "labeille-ft")
_ft_input(SUBMIT_URL "")
_ft_input(REGISTRY "")
_ft_input(TARGET_PYTHON "")
_ft_input(PACKAGE_DIR "")
_ft_input(BINARY_DIR "${CMAKE_CURRENT_BINARY_DIR}/ft-dashboard")
_ft_input(ITERATIONS 10)
_ft_input(TOP 0)
_ft_input(PACKAGES "")
_ft_input(LABELS "^ft$")
_ft_input(PARALLEL ${_cpus})
_ft_input(STALL_THRESHOLD 60)
_ft_input(TIMEOUT 600)
_ft_input(COMPARE_WITH_GIL OFF)
_ft_input(FRESH ON)
_ft_input(STRESS OFF)
_ft_input(STRESS_THREADS 2)
_ft_input(STRESS_REPEAT 20)
_ft_input(UNTIL_BOUND 0)
_ft_input(SHARD_COUNT 0)
_ft_input(SHARD_INDEX 0)
_ft_input(NIGHTLY_START_TIME "00:00:00 UTC")

# Check every input before anything runs.
if(NOT FT_MODEL MATCHES "^(Experimental|Nightly|Continuous)$")
  _ft_fail(MODEL "\"${FT_MODEL}\" is not Experimental, Nightly or Continuous")
endif()
if(NOT FT_REGISTRY)
  _ft_fail(REGISTRY "required: a labeille registry directory (index.yaml, packages/)")
endif()
get_filename_component(FT_REGISTRY "${FT_REGISTRY}" ABSOLUTE)
if(NOT EXISTS "${FT_REGISTRY}/index.yaml")
  _ft_fail(REGISTRY "${FT_REGISTRY} has no index.yaml")
endif()
if(NOT FT_TARGET_PYTHON OR NOT EXISTS "${FT_TARGET_PYTHON}")
  _ft_fail(TARGET_PYTHON "\"${FT_TARGET_PYTHON}\" is not an existing interpreter (scripts/setup.sh prints one)")
endif()
get_filename_component(FT_PACKAGE_DIR "${FT_PACKAGE_DIR}" ABSOLUTE)
if(NOT EXISTS "${FT_PACKAGE_DIR}/LabeilleFTConfig.cmake")
  _ft_fail(PACKAGE_DIR "\"${FT_PACKAGE_DIR}\" holds no LabeilleFTConfig.cmake (a labeille-ft build or <prefix>/lib/cmake/LabeilleFT)")
endif()
foreach(_n IN ITEMS ITERATIONS TOP PARALLEL STALL_THRESHOLD TIMEOUT SHARD_COUNT SHARD_INDEX)
  if(NOT FT_${_n} MATCHES "^[0-9]+$")
    _ft_fail(${_n} "\"${FT_${_n}}\" is not a non-negative integer")
  endif()
endforeach()
# The module would refuse these too, but only once the project configures: say it here,
# naming the script's input, before anything runs (same rules as LabeilleFT.cmake).
foreach(_n IN ITEMS STRESS_THREADS STRESS_REPEAT)
  if(NOT FT_${_n} MATCHES "^[1-9][0-9]*$")
    _ft_fail(${_n} "\"${FT_${_n}}\" is not a positive integer")
  endif()
endforeach()
if(NOT FT_UNTIL_BOUND MATCHES "^(0|0?\\.[0-9]+)$")
  _ft_fail(UNTIL_BOUND "\"${FT_UNTIL_BOUND}\" is not a failure-rate bound R with 0 < R < 1 (or 0: off)")
endif()
if(FT_SHARD_COUNT GREATER 0 AND NOT FT_SHARD_INDEX LESS FT_SHARD_COUNT)
  _ft_fail(SHARD_INDEX "${FT_SHARD_INDEX} is not below FT_SHARD_COUNT ${FT_SHARD_COUNT}")
endif()

set(CTEST_SOURCE_DIRECTORY "${CMAKE_CURRENT_LIST_DIR}/project")
get_filename_component(CTEST_BINARY_DIRECTORY "${FT_BINARY_DIR}" ABSOLUTE)
set(CTEST_SITE "${FT_SITE}")
# A Nightly dashboard's day starts here (CTest refuses Nightly without it).
set(CTEST_NIGHTLY_START_TIME "${FT_NIGHTLY_START_TIME}")
set(CTEST_BUILD_NAME "${FT_BUILD_NAME}")
find_program(_ninja ninja)
if(_ninja)
  set(CTEST_CMAKE_GENERATOR Ninja)
else()
  set(CTEST_CMAKE_GENERATOR "Unix Makefiles")
endif()
if(FT_SUBMIT_URL)
  set(CTEST_SUBMIT_URL "${FT_SUBMIT_URL}")
endif()
if(FT_FRESH)
  file(REMOVE_RECURSE "${CTEST_BINARY_DIRECTORY}")
endif()
file(MAKE_DIRECTORY "${CTEST_BINARY_DIRECTORY}")

# List values cross ctest_configure(OPTIONS) as one argument each: escape their ';'.
set(_modes gil0)
if(FT_COMPARE_WITH_GIL)
  set(_modes "gil0\\;gil1")
endif()
string(REPLACE ";" "\\;" _packages "${FT_PACKAGES}")
set(_only_shard OFF)
if(FT_SHARD_COUNT GREATER 0)
  set(_only_shard ON)
endif()
# Booleans as the module's ON/OFF, whatever spelling CMake's if() accepted (1, yes, true).
set(_stress OFF)
if(FT_STRESS)
  set(_stress ON)
endif()
set(_options
  "-DLabeilleFT_DIR=${FT_PACKAGE_DIR}"
  "-DLABEILLE_FT_TARGET_PYTHON=${FT_TARGET_PYTHON}"
  "-DLABEILLE_FT_REGISTRY=${FT_REGISTRY}"
  "-DLABEILLE_FT_TOP=${FT_TOP}"
  "-DLABEILLE_FT_PACKAGES=${_packages}"
  "-DLABEILLE_FT_ITERATIONS=${FT_ITERATIONS}"
  "-DLABEILLE_FT_STALL_THRESHOLD=${FT_STALL_THRESHOLD}"
  "-DLABEILLE_FT_TIMEOUT=${FT_TIMEOUT}"
  "-DLABEILLE_FT_GIL_MODES=${_modes}"
  "-DLABEILLE_FT_STRESS=${_stress}"
  "-DLABEILLE_FT_STRESS_THREADS=${FT_STRESS_THREADS}"
  "-DLABEILLE_FT_STRESS_REPEAT=${FT_STRESS_REPEAT}"
  "-DLABEILLE_FT_UNTIL_BOUND=${FT_UNTIL_BOUND}"
  "-DLABEILLE_FT_SHARD_COUNT=${FT_SHARD_COUNT}"
  "-DLABEILLE_FT_SHARD_INDEX=${FT_SHARD_INDEX}"
  "-DLABEILLE_FT_ONLY_SHARD=${_only_shard}")

ctest_start(${FT_MODEL})
ctest_configure(OPTIONS "${_options}" RETURN_VALUE _configured)
if(NOT _configured EQUAL 0)
  if(FT_SUBMIT_URL)
    ctest_submit(PARTS Start Configure Done)
  endif()
  message(FATAL_ERROR "ctest_scripts: error: configuring ${CTEST_SOURCE_DIRECTORY} failed (see Configure.xml / LastConfigure log)")
endif()
ctest_build(RETURN_VALUE _built)
# A shard may hold no package at all (few packages, many shards): that is a result, not
# an error, but ctest_test() would fail on "No tests were found".
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir "${CTEST_BINARY_DIRECTORY}" -N -L "${FT_LABELS}"
                OUTPUT_VARIABLE _listing)
string(REGEX MATCH "Total Tests: ([0-9]+)" _m "${_listing}")
if("${CMAKE_MATCH_1}" STREQUAL "0")
  message(STATUS "ft_dashboard: no test matches ${FT_LABELS} (an empty shard); nothing to run")
else()
  ctest_test(INCLUDE_LABEL "${FT_LABELS}" PARALLEL_LEVEL ${FT_PARALLEL}
             OUTPUT_JUNIT "${CTEST_BINARY_DIRECTORY}/ft-junit.xml" RETURN_VALUE _tested)
endif()

# Fold once more, now that CTest's own JUnit and Test.xml exist.
find_program(_labeille NAMES labeille
             HINTS "${FT_PACKAGE_DIR}/app" "${FT_PACKAGE_DIR}/../../../bin" NO_DEFAULT_PATH)
file(GLOB _test_xml "${CTEST_BINARY_DIRECTORY}/Testing/*/Test.xml")
if(_labeille AND EXISTS "${CTEST_BINARY_DIRECTORY}/labeille-ft/records")
  set(_xml_args)
  foreach(_x IN LISTS _test_xml)
    list(APPEND _xml_args --ctest-xml "${_x}")
  endforeach()
  set(_junit_args)
  if(EXISTS "${CTEST_BINARY_DIRECTORY}/ft-junit.xml")
    set(_junit_args --ctest-junit "${CTEST_BINARY_DIRECTORY}/ft-junit.xml")
  endif()
  execute_process(COMMAND "${_labeille}" ft fold --output "${CTEST_BINARY_DIRECTORY}/labeille-ft/results/ft_ctest"
                          ${_junit_args} ${_xml_args}
                          "${CTEST_BINARY_DIRECTORY}/labeille-ft/records")
endif()

if(FT_SUBMIT_URL)
  ctest_submit(RETURN_VALUE _submitted BUILD_ID _build_id)
  if(NOT _submitted EQUAL 0)
    message(FATAL_ERROR "ctest_scripts: error: submitting to ${FT_SUBMIT_URL} failed")
  endif()
  message(STATUS "ft_dashboard: submitted ${CTEST_SITE} / ${CTEST_BUILD_NAME} to ${FT_SUBMIT_URL}")
endif()
message(STATUS "ft_dashboard: results in ${CTEST_BINARY_DIRECTORY}/labeille-ft/results/ft_ctest")
