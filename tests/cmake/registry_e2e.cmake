# cmake -DWORK=<dir> -DPACKAGE_DIR=<LabeilleFT_DIR> -DPYTHON=<ft python> -DREGISTRY=<dir>
#       -P registry_e2e.cmake
# A user project runs a two-package registry (one compatible, one failing without the
# GIL; a third skipped for 3.13) with a plain `ctest -L ft`; ft.fold must leave
# ft_results.jsonl with the right category per package.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(WRITE "${WORK}/src/CMakeLists.txt" "cmake_minimum_required(VERSION 3.25)
project(p NONE)
enable_testing()
find_package(LabeilleFT REQUIRED)
labeille_ft_add_registry(DIR [[${REGISTRY}]])
")
execute_process(COMMAND ${CMAKE_COMMAND} -S "${WORK}/src" -B "${WORK}/build" -DLabeilleFT_DIR=${PACKAGE_DIR}
                        -DLABEILLE_FT_TARGET_PYTHON=${PYTHON} -DLABEILLE_FT_ITERATIONS=2
                        -DLABEILLE_FT_STALL_THRESHOLD=30 -DLABEILLE_FT_RUN_ID=ft_e2e
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed")
endif()
# One package is meant to fail: ctest's exit status is not the point.
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir "${WORK}/build" -L ft -j2
                OUTPUT_VARIABLE out ERROR_VARIABLE out)
set(results "${WORK}/build/labeille-ft/results/ft_e2e/ft_results.jsonl")
if(NOT EXISTS "${results}")
  message(FATAL_ERROR "ctest -L ft left no ${results}:\n${out}")
endif()
file(STRINGS "${results}" rows)
set(got "")
foreach(row IN LISTS rows)
  string(JSON pkg GET "${row}" package)
  string(JSON cat GET "${row}" category)
  list(APPEND got "${pkg}=${cat}")
endforeach()
list(SORT got)
set(want "ft-compatible=compatible;ft-only-incompatible=incompatible")
if(NOT got STREQUAL want)
  message(FATAL_ERROR "categories: ${got}\nexpected: ${want}\n${out}")
endif()
file(READ "${WORK}/build/labeille-ft/results/ft_e2e/ft_meta.json" meta)
string(JSON iterations GET "${meta}" config iterations)
if(NOT iterations EQUAL 2)
  message(FATAL_ERROR "ft_meta.json lost the run's config: ${meta}")
endif()
message(STATUS "${got}")
