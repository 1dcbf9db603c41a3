# The module's set-up limit, its ft_meta seed and LABEILLE_FT_FOLD, through a real
# configure and `ctest --show-only=json-v1`:
# - the set-up and probe get SETUP_TIMEOUT (default 1800 s per step), never the test run's
#   TIMEOUT: TIMEOUT 1 must not cut an install short;
# - the seed of ft_meta.json is valid JSON whatever the values hold (a \r, a control
#   character, quotes), and its python_profile is the interpreter check's own answer;
# - LABEILLE_FT_FOLD OFF leaves ft.fold out.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/src" "${WORK}/pkg")
string(ASCII 1 _ctl)
file(WRITE "${WORK}/src/CMakeLists.txt" "cmake_minimum_required(VERSION 3.25)
project(p NONE)
enable_testing()
find_package(LabeilleFT REQUIRED)
set(LABEILLE_FT_TEST_COMMAND_SUFFIX \"-k 'a\\rb${_ctl}\\\"c\\\"\\\\\\\\d'\")
labeille_ft_add_package(alpha PATH [[${WORK}/pkg]] ITERATIONS 1 TIMEOUT 1)
labeille_ft_add_package(beta PATH [[${WORK}/pkg]] ITERATIONS 1 SETUP_TIMEOUT 50)
")

function(configure build)
  execute_process(COMMAND ${CMAKE_COMMAND} -S "${WORK}/src" -B "${build}" -DLabeilleFT_DIR=${PACKAGE_DIR}
                          -DLABEILLE_FT_TARGET_PYTHON=${PYTHON} ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "configure failed: ${err}")
  endif()
  execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir "${build}" --show-only=json-v1 OUTPUT_VARIABLE json)
  set(json "${json}" PARENT_SCOPE)
endfunction()

# The value after "--timeout" in a test's command, and its TIMEOUT property.
function(limits json name out_arg out_prop)
  string(JSON n LENGTH "${json}" tests)
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON tname GET "${json}" tests ${i} name)
    if(tname STREQUAL name)
      string(JSON argc LENGTH "${json}" tests ${i} command)
      math(EXPR argl "${argc} - 2")
      foreach(a RANGE ${argl})
        string(JSON arg GET "${json}" tests ${i} command ${a})
        if(arg STREQUAL "--timeout")
          math(EXPR b "${a} + 1")
          string(JSON v GET "${json}" tests ${i} command ${b})
          set(${out_arg} "${v}" PARENT_SCOPE)
        endif()
      endforeach()
      string(JSON np LENGTH "${json}" tests ${i} properties)
      math(EXPR np "${np} - 1")
      foreach(j RANGE ${np})
        string(JSON pname GET "${json}" tests ${i} properties ${j} name)
        if(pname STREQUAL "TIMEOUT")
          string(JSON v GET "${json}" tests ${i} properties ${j} value)
          set(${out_prop} "${v}" PARENT_SCOPE)
        endif()
      endforeach()
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "no test ${name}")
endfunction()

configure("${WORK}/build")
foreach(check IN ITEMS "ft.alpha.setup;1800;5460" "ft.alpha.probe;1800;1860" "ft.alpha.gil0.iter01;1;61"
                       "ft.beta.setup;50;210" "ft.beta.probe;50;110")
  list(GET check 0 t)
  list(GET check 1 want_arg)
  list(GET check 2 want_prop)
  set(arg "")
  set(prop "")
  limits("${json}" ${t} arg prop)
  if(NOT arg STREQUAL want_arg OR NOT prop EQUAL want_prop)
    message(FATAL_ERROR "${t}: --timeout ${arg} (expected ${want_arg}), TIMEOUT ${prop} (expected ${want_prop})")
  endif()
endforeach()
if(NOT json MATCHES "\"ft\\.fold\"")
  message(FATAL_ERROR "ft.fold missing by default")
endif()

# The seed, read by a strict JSON parser.
file(READ "${WORK}/build/LabeilleFT/ft_meta_seed.json" seed)
execute_process(COMMAND "${PYTHON}" -c "import json, sys
m = json.load(open(sys.argv[1]))
s = m['config']['test_command_suffix']
assert all(chr(c) in s for c in (13, 1, 34, 92)), repr(s)
assert m['config']['setup_timeout'] == 1800, m['config']
assert m['python_profile']['free_threaded'] is True, m['python_profile']
assert m['python_profile']['path'], m['python_profile']
" "${WORK}/build/LabeilleFT/ft_meta_seed.json" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ft_meta_seed.json:\n${seed}\n${err}")
endif()

configure("${WORK}/build-nofold" -DLABEILLE_FT_FOLD=OFF)
if(json MATCHES "\"ft\\.fold\"")
  message(FATAL_ERROR "LABEILLE_FT_FOLD=OFF still adds ft.fold")
endif()
