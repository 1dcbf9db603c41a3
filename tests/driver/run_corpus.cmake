# cmake -DLABEILLE=<exe> -DPYTHON=<ft python> -DREGISTRY=<dir> -DWORK=<dir> -DCHECK=<check_corpus.py>
#       -DINSTALLER=<uv|pip> -P run_corpus.cmake
# The fixture corpus through `labeille ft run --installer INSTALLER`: the categories must
# be the ones the user CMake project gets (the same check_corpus.py expectations), and
# every set-up record names the installer.
set(iterations 3)
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND "${LABEILLE}" ft run --target-python "${PYTHON}" --registry-dir "${REGISTRY}"
                        -n ${iterations} --compare-with-gil --stall-threshold 15 --timeout 300 -j 2
                        --installer ${INSTALLER} --work-dir "${WORK}/work" --results-dir "${WORK}/results"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "labeille ft run exited ${rc}")
endif()
file(GLOB runs "${WORK}/results/ft_*")
list(LENGTH runs n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one run directory, got: ${runs}")
endif()
foreach(f ft_meta.json ft_results.jsonl ft_summary.json)
  if(NOT EXISTS "${runs}/${f}")
    message(FATAL_ERROR "${f} missing in ${runs}")
  endif()
endforeach()
file(GLOB_RECURSE test_xml "${runs}/ctest/build/Testing/*/Test.xml")
if(NOT test_xml)
  message(FATAL_ERROR "ctest -T Test left no Test.xml")
endif()
find_package(Python3 COMPONENTS Interpreter REQUIRED)
execute_process(COMMAND ${Python3_EXECUTABLE} "${CHECK}" "${runs}" ${iterations} "${runs}/records" ${INSTALLER}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the corpus' categories through labeille ft run differ from the expected ones")
endif()
