# The scratch root of a test executable (scratch.hpp) is gone when its tests passed, and
# kept and named when one failed. TMPDIR points at an empty WORK directory, so whatever a
# run leaves in the temp dir is seen; REAL, a test executable of the project, proves
# the real tests use the scratch directories too (they once left one directory per test).
#   cmake -DSELFTEST=<scratch_selftest> -DREAL=<analyzers_test> -DWORK=<dir> -P check_scratch.cmake
foreach(v SELFTEST REAL WORK)
  if(NOT ${v})
    message(FATAL_ERROR "check_scratch.cmake: -D${v}= is missing")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(ENV{TMPDIR} "${WORK}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(rc "${rc}" PARENT_SCOPE)
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

function(expect_nothing_left what)
  file(GLOB left "${WORK}/*")
  if(left)
    list(JOIN left "\n  " left)
    message(FATAL_ERROR "${what} left in TMPDIR:\n  ${left}\nOutput:\n${out}${err}")
  endif()
endfunction()

# Passing tests: the root was made under TMPDIR, and is gone.
run("${SELFTEST}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SELFTEST}: exit ${rc}\nOutput:\n${out}${err}")
endif()
string(FIND "${out}" "scratch: ${WORK}/labeille-tests-scratch_selftest-" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the passing test made no scratch directory under TMPDIR=${WORK}\nOutput:\n${out}${err}")
endif()
expect_nothing_left("the passing scratch_selftest")

# Real tests that once left <tmp>/labeille-views-nometa and <tmp>/labeille-fold-Fold-...
set(filter "Views.MissingMetaIsOneClearError:Views.ReadOptionsKeepOnlyWhatTheViewShows:Fold.GilComparison")
run("${REAL}" "--gtest_filter=${filter}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "PASSED  \\] 3 tests")
  message(FATAL_ERROR "${REAL} --gtest_filter=${filter}: exit ${rc}, not 3 tests passed\nOutput:\n${out}${err}")
endif()
expect_nothing_left("${REAL} --gtest_filter=${filter}")

# A failing test: the root stays, with the test's evidence, and one line names it.
run("${SELFTEST}" --gtest_also_run_disabled_tests --gtest_filter=Scratch.DISABLED_FailsAndKeepsItsEvidence)
if(rc EQUAL 0)
  message(FATAL_ERROR "the failing test passed\nOutput:\n${out}${err}")
endif()
if(NOT err MATCHES "labeille tests: a test failed; its scratch directories are kept in ([^\n]+)")
  message(FATAL_ERROR "no line names the kept scratch root\nOutput:\n${out}${err}")
endif()
set(root "${CMAKE_MATCH_1}")
file(GLOB left "${WORK}/*")
string(FIND "${root}" "${WORK}/labeille-tests-scratch_selftest-" at)
if(NOT left STREQUAL root OR NOT at EQUAL 0)
  message(FATAL_ERROR "kept ${root}, but TMPDIR holds: ${left}")
endif()
if(NOT EXISTS "${root}/Scratch.DISABLED_FailsAndKeepsItsEvidence/evidence.txt")
  message(FATAL_ERROR "the kept root lacks the failing test's evidence.txt: ${root}")
endif()
file(REMOVE_RECURSE "${WORK}")
message(STATUS "nothing left after passing tests; ${root} kept and named after a failing one")
