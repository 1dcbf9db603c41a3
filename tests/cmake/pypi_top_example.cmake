# cmake -DSOURCE=<examples/pypi-top> -DBUILD=<dir> -DPACKAGE_DIR=<labeille build> -DPYTHON=<ft python>
#       -DREGISTRY=<registry> -P pypi_top_example.cmake
# The pypi-top example configures (nothing is run): TOP keeps the most downloaded, every
# GIT package's set-up takes its sdist, with one iteration, and carries its test command.
file(REMOVE_RECURSE "${BUILD}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE}" -B "${BUILD}" "-DLabeilleFT_DIR=${PACKAGE_DIR}"
                        "-DLABEILLE_FT_TARGET_PYTHON=${PYTHON}" "-DREGISTRY=${REGISTRY}" -DTOP=2
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring examples/pypi-top failed:\n${out}${err}")
endif()
execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${BUILD}" -N OUTPUT_VARIABLE tests)
foreach(want "ft.six.setup" "ft.six.gil0.iter01" "ft.markupsafe.probe" "Total Tests: 7")
  string(FIND "${tests}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected ${want} in:\n${tests}")
  endif()
endforeach()
file(READ "${BUILD}/LabeilleFT/packages.cmake" code)
foreach(want "[=[six]=] [=[--python]=]" "[=[--git]=] [=[https://github.com/benjaminp/six]=] [=[--source]=] [=[sdist]=]"
             "[=[--test-command]=] [=[python -m pytest test_six.py -p no:xdist]=]")
  string(FIND "${code}" "${want}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected ${want} in ${BUILD}/LabeilleFT/packages.cmake")
  endif()
endforeach()
string(FIND "${tests}" "ft.packaging" at)
if(NOT at EQUAL -1)
  message(FATAL_ERROR "TOP 2 kept a third package:\n${tests}")
endif()
