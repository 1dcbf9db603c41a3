# cmake -DMODE=build|install|subdir -DWORK=<dir> -DPYTHON=<ft python> -DPACKAGE_DIR=<labeille build dir>
#       -DLABEILLE_SOURCE=<labeille sources> -DREGISTRIES=<tests/fixtures/registries>
#       -DCHECK=<check_registry_tests.py> -P registry_project.cmake
# A throw-away user project that loads LabeilleFT one of three ways -- find_package() from
# the build tree, find_package() from an install tree (cmake --install to a temp prefix),
# add_subdirectory() of the sources -- adds packages and registries (good, hostile,
# malformed), and hands `ctest --show-only=json-v1` plus every message to
# check_registry_tests.py.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/src" "${WORK}/pkg")
set(load "find_package(LabeilleFT 0.1 REQUIRED)")
set(args -DLABEILLE_FT_TARGET_PYTHON=${PYTHON})
if(MODE STREQUAL "build")
  list(APPEND args -DLabeilleFT_DIR=${PACKAGE_DIR})
elseif(MODE STREQUAL "install")
  execute_process(COMMAND ${CMAKE_COMMAND} --install "${PACKAGE_DIR}" --prefix "${WORK}/prefix"
                  RESULT_VARIABLE rc OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cmake --install ${PACKAGE_DIR} failed")
  endif()
  list(APPEND args -DCMAKE_PREFIX_PATH=${WORK}/prefix)
elseif(MODE STREQUAL "subdir")
  set(load "add_subdirectory([[${LABEILLE_SOURCE}]] labeille-ft)\ninclude(LabeilleFT)")
else()
  message(FATAL_ERROR "MODE must be build, install or subdir")
endif()
file(WRITE "${WORK}/src/CMakeLists.txt" "cmake_minimum_required(VERSION 3.25)
project(user LANGUAGES NONE)
enable_testing()
${load}
labeille_ft_add_package(own PATH [[${WORK}/pkg]] ITERATIONS 1 TEST_COMMAND [[python -m pytest -k 'a;b']] NO_RESOURCE_LOCK)
labeille_ft_add_registry(DIR [[${REGISTRIES}/basic]] TOP 3 ITERATIONS 2)
labeille_ft_add_registry(DIR [[${REGISTRIES}/basic]] PACKAGES alpha unknown-count ITERATIONS 1 LABELS picked)
labeille_ft_add_registry(DIR [[${REGISTRIES}/hostile]] ITERATIONS 1)
labeille_ft_add_registry(DIR [[${REGISTRIES}/malformed]] ITERATIONS 1)
")
execute_process(COMMAND ${CMAKE_COMMAND} -S "${WORK}/src" -B "${WORK}/build" -G Ninja ${args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(WRITE "${WORK}/messages.txt" "${out}\n${err}\n")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the user project failed:\n${err}")
endif()
if(NOT EXISTS "${WORK}/build/LabeilleFT/tests.cmake")
  message(FATAL_ERROR "the test include file was not written")
endif()
if(MODE STREQUAL "subdir")
  # The registry is read when CTest reads the include file, by the built tool: build it.
  execute_process(COMMAND ${CMAKE_COMMAND} --build "${WORK}/build" --target labeille-ft-registry -j2
                  RESULT_VARIABLE rc OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "building labeille-ft-registry failed")
  endif()
endif()
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir "${WORK}/build" --show-only=json-v1
                RESULT_VARIABLE rc OUTPUT_FILE "${WORK}/tests.json" ERROR_VARIABLE err)
file(APPEND "${WORK}/messages.txt" "${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ctest --show-only failed:\n${err}")
endif()
find_package(Python3 COMPONENTS Interpreter REQUIRED)
execute_process(COMMAND ${Python3_EXECUTABLE} "${CHECK}" "${WORK}/tests.json" "${WORK}/messages.txt"
                        "${REGISTRIES}" "${MODE}" "${WORK}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the generated tests are wrong (see above)")
endif()
