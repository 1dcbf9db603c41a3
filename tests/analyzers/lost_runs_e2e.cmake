# cmake -DWORK=dir -DRUNNER=exe -DLABEILLE=exe -P lost_runs_e2e.cmake
#
# Runs that leave no record, for real: a user project whose CTest kills runners, then
# `labeille ft fold` with CTest's JUnit alone (which never says "timeout"). The runner's
# started.json must let fold tell
#   ft.slow   CTest's TIMEOUT 4 killing the runner while it waits out the grace period of
#             its own 1 s timeout (the command ignores SIGTERM)        -> timeout
#   ft.killed the command SIGKILLing the runner at once, long before its 60 s timeout
#                                                                      -> fail
#   ft.fine   a plain pass, with its record                            -> pass
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/src")
set(common --record-dir "${WORK}/records" --mode gil0 --iteration 1 --stall-threshold 0 --quiet)
string(JOIN " " common_args ${common})
file(WRITE "${WORK}/src/CMakeLists.txt" "
cmake_minimum_required(VERSION 3.25)
project(lost_runs NONE)
enable_testing()
add_test(NAME ft.slow.gil0.iter01 COMMAND [[${RUNNER}]] ${common_args} --package slow --timeout 1 --grace 30
         --shell [[trap '' TERM; sleep 30]])
set_tests_properties(ft.slow.gil0.iter01 PROPERTIES TIMEOUT 4)
add_test(NAME ft.killed.gil0.iter01 COMMAND [[${RUNNER}]] ${common_args} --package killed --timeout 60
         --shell [[kill -KILL $PPID; sleep 5]])
add_test(NAME ft.fine.gil0.iter01 COMMAND [[${RUNNER}]] ${common_args} --package fine --timeout 60 --shell true)
")
execute_process(COMMAND ${CMAKE_COMMAND} -S "${WORK}/src" -B "${WORK}/build" RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed: ${rc}")
endif()
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir "${WORK}/build" -j3 --output-junit junit.xml
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0 OR NOT EXISTS "${WORK}/build/junit.xml")
  message(FATAL_ERROR "ctest should fail two tests and write its JUnit (exit ${rc}):\n${out}")
endif()
foreach(pkg slow killed)
  if(EXISTS "${WORK}/records/${pkg}/gil0.iter01.a001/record.json")
    message(FATAL_ERROR "${pkg}: the runner wrote a record, so it was not killed:\n${out}")
  endif()
endforeach()

execute_process(COMMAND "${LABEILLE}" ft fold -o "${WORK}/results" --ctest-junit "${WORK}/build/junit.xml"
                        "${WORK}/records"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fold failed (${rc}): ${err}")
endif()
file(STRINGS "${WORK}/results/ft_results.jsonl" lines)
set(seen "")
foreach(line IN LISTS lines)
  string(JSON pkg GET "${line}" package)
  string(JSON status GET "${line}" iterations 0 status)
  string(JSON why GET "${line}" iterations 0 last_output_line)
  string(JSON id GET "${line}" iterations 0 attempt_id)
  list(APPEND seen ${pkg})
  if(pkg STREQUAL "slow")
    set(want_status timeout)
    set(want_why "^no record: CTest killed the runner after [0-9.]+ s, past its own timeout of 1 s$")
  elseif(pkg STREQUAL "killed")
    set(want_status fail)
    set(want_why "^no record: the runner was killed after [0-9.]+ s, before its own timeout of 60 s$")
  else()
    set(want_status pass)
    set(want_why "")
  endif()
  if(NOT status STREQUAL want_status OR NOT why MATCHES "${want_why}")
    message(FATAL_ERROR "${pkg}: status \"${status}\", last_output_line \"${why}\"; expected ${want_status} "
                        "matching \"${want_why}\"\n${line}")
  endif()
  if(NOT id MATCHES ":gil0\\.iter01\\.a001$")
    message(FATAL_ERROR "${pkg}: attempt_id \"${id}\" is not the runner's (from started.json)")
  endif()
endforeach()
list(SORT seen)
if(NOT seen STREQUAL "fine;killed;slow")
  message(FATAL_ERROR "packages folded: ${seen}")
endif()
message(STATUS "lost runs told apart from CTest's JUnit alone: slow=timeout killed=fail fine=pass")
