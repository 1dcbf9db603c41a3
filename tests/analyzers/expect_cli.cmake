# cmake -DCMD=exe -DARGS=a|b -DEXPECT_CODE=n [-DEXPECT_ERR=text] [-DEXPECT_OUT=regex] -P expect_cli.cmake
# Runs a command and checks its exit code, that stderr contains EXPECT_ERR verbatim and
# that stdout matches EXPECT_OUT.
string(REPLACE "|" ";" ARGS "${ARGS}")
execute_process(COMMAND ${CMD} ${ARGS} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT code EQUAL EXPECT_CODE)
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_CODE}\nstdout: ${out}\nstderr: ${err}")
endif()
if(DEFINED EXPECT_ERR)
  string(FIND "${err}" "${EXPECT_ERR}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "stderr lacks \"${EXPECT_ERR}\":\n${err}")
  endif()
endif()
if(DEFINED EXPECT_OUT AND NOT out MATCHES "${EXPECT_OUT}")
  message(FATAL_ERROR "stdout does not match \"${EXPECT_OUT}\":\n${out}")
endif()
