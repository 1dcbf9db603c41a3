# cmake -DSOURCE=<examples/ft-corpus> -DBUILD=<dir> -DPACKAGE_DIR=<LabeilleFT_DIR> -DPYTHON=<ft python>
#       -DLABEILLE=<labeille exe> -DCHECK=<check_corpus.py> -DINSTALLER=<uv|pip> [-DUV=<uv>] -P corpus_e2e.cmake
# A user project (examples/ft-corpus) configured with find_package(LabeilleFT), run with
# `ctest -L ft`; the fold's result must give every package its expected category, and
# every set-up record names the installer.
set(iterations 3)
file(REMOVE_RECURSE "${BUILD}")
execute_process(COMMAND ${CMAKE_COMMAND} -S "${SOURCE}" -B "${BUILD}" -DLabeilleFT_DIR=${PACKAGE_DIR}
                        -DLABEILLE_FT_TARGET_PYTHON=${PYTHON} -DLABEILLE_FT_ITERATIONS=${iterations}
                        -DLABEILLE_FT_STALL_THRESHOLD=15 -DLABEILLE_FT_TIMEOUT=300 "-DLABEILLE_FT_GIL_MODES=gil0;gil1"
                        -DLABEILLE_FT_INSTALLER=${INSTALLER} -DLABEILLE_FT_UV=${UV}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring ${SOURCE} failed")
endif()
# Failing tests are the point of the corpus: ctest's own exit status is not checked.
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir "${BUILD}" -L ft -j2 --output-junit ctest-junit.xml
                OUTPUT_FILE "${BUILD}/ctest.log" ERROR_FILE "${BUILD}/ctest.err")
set(results "${BUILD}/labeille-ft/results/ft_ctest")
if(NOT EXISTS "${results}/ft_results.jsonl")
  message(FATAL_ERROR "ctest -L ft left no results in ${results}")
endif()
execute_process(COMMAND "${LABEILLE}" ft show "${results}")
find_package(Python3 COMPONENTS Interpreter REQUIRED)
execute_process(COMMAND ${Python3_EXECUTABLE} "${CHECK}" "${results}" ${iterations} "${BUILD}/labeille-ft/records"
                        ${INSTALLER} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the corpus' categories differ from the expected ones (see above)")
endif()
