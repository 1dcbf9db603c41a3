# cmake -DBODY=<cmake code> -DEXPECT=<text> -DPACKAGE_DIR=<LabeilleFT_DIR> -DWORK=<dir> [-DPYTHON=..]
#       -P expect_configure_error.cmake
# Configures a throw-away project whose CMakeLists.txt runs BODY after find_package and
# checks that configuring fails with EXPECT in the message.
cmake_minimum_required(VERSION 3.25)  # CMP0053: "@PYTHON@" is text, not a variable
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/src")
string(REPLACE "@PYTHON@" "${PYTHON}" BODY "${BODY}")
file(WRITE "${WORK}/src/CMakeLists.txt" "cmake_minimum_required(VERSION 3.25)\nproject(p NONE)\nenable_testing()\nfind_package(LabeilleFT REQUIRED)\n${BODY}\n")
execute_process(COMMAND ${CMAKE_COMMAND} -S "${WORK}/src" -B "${WORK}/build" -DLabeilleFT_DIR=${PACKAGE_DIR}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "configuring succeeded; expected an error with: ${EXPECT}")
endif()
string(REPLACE "\n" " " flat "${err}")
string(REGEX REPLACE " +" " " flat "${flat}")
string(FIND "${flat}" "${EXPECT}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the error lacks \"${EXPECT}\":\n${err}")
endif()
