# Distributed under the terms of this project's license.
#[=======================================================================[.rst:
LabeilleFT
----------

Turn Python packages into CTest tests that tell whether each one survives
free-threaded CPython (PEP 703, ``PYTHON_GIL=0``). Every package's own test suite
runs many times, each run supervised by ``labeille-ft-runner`` (stall, crash and
ThreadSanitizer detection, no orphan processes); ``labeille ft fold`` turns the
attempt records into one category per package.

Load it with ``find_package(LabeilleFT)`` (the config package puts this module on
:variable:`CMAKE_MODULE_PATH` and includes it), or ``include(LabeilleFT)`` after
``add_subdirectory()`` of the labeille-ft sources.

Run-wide defaults
^^^^^^^^^^^^^^^^^

Every keyword of :command:`labeille_ft_add_package` takes its default from a
variable, so a driver (``labeille ft run``) or a dashboard script can set a whole
run with ``-D``:

``LABEILLE_FT_TARGET_PYTHON``
  The free-threaded interpreter (required). Checked: it must be built with
  ``--disable-gil`` (``Py_GIL_DISABLED=1``), else a ``FATAL_ERROR`` says how to get one.
``LABEILLE_FT_ITERATIONS`` (10), ``LABEILLE_FT_TIMEOUT`` (600 s),
``LABEILLE_FT_STALL_THRESHOLD`` (60 s), ``LABEILLE_FT_GIL_MODES`` (``gil0``; add
``gil1`` to compare with the GIL), ``LABEILLE_FT_STOP_ON_FIRST_PASS`` (OFF),
``LABEILLE_FT_TSAN`` (OFF), ``LABEILLE_FT_DETECT_EXTENSIONS`` (ON),
``LABEILLE_FT_EXTRA_DEPS`` (list), ``LABEILLE_FT_ENV`` (list of ``KEY=VALUE``),
``LABEILLE_FT_TEST_COMMAND_SUFFIX``, ``LABEILLE_FT_TEST_COMMAND_OVERRIDE``,
``LABEILLE_FT_PARALLEL_THREADS`` (0: off; else pytest-run-parallel's
``--parallel-threads``, installed as an extra dependency).
``LABEILLE_FT_WORK_DIR`` (``${CMAKE_BINARY_DIR}/labeille-ft``) and below it, unless
set: ``LABEILLE_FT_RECORDS_DIR`` (``records``), ``LABEILLE_FT_REPOS_DIR``
(``repos``), ``LABEILLE_FT_VENVS_DIR`` (``venvs``), ``LABEILLE_FT_RESULTS_DIR``
(``results``; the fold writes ``<results>/ft_ctest``).
``LABEILLE_FT_SHARD_COUNT`` (0: no shards) and ``LABEILLE_FT_SHARD_INDEX``: each
package gets the label ``ft.shard.<k>`` from a stable hash of its name; with
``LABEILLE_FT_ONLY_SHARD`` ON only the packages of shard ``LABEILLE_FT_SHARD_INDEX``
get tests.

Commands
^^^^^^^^

.. command:: labeille_ft_add_package

  ::

    labeille_ft_add_package(<name>
        {GIT <url> [REF <ref>] [CLONE_DEPTH <n>] | PATH <dir> | SDIST [VERSION <v>]}
        [IMPORT_NAME <module>]
        [INSTALL_COMMAND <shell command>]      # default: python -m pip install . pytest
        [TEST_COMMAND <shell command>]         # default: python -m pytest
        [TEST_COMMAND_SUFFIX <text>] [TEST_COMMAND_OVERRIDE <shell command>]
        [USES_XDIST]                           # adds -p no:xdist
        [ITERATIONS <n>] [GIL_MODES gil0 [gil1]]
        [STALL_THRESHOLD <s>] [TIMEOUT <s>]
        [EXTRA_DEPS <req>...] [ENV <KEY=VALUE>...]
        [TSAN] [STOP_ON_FIRST_PASS] [DETECT_EXTENSIONS <ON|OFF>]
        [PARALLEL_THREADS <n>] [LABELS <label>...]
        [TARGET_PYTHON <python>])

  Adds, for package ``<name>`` (a PEP 508 name; anything else is refused):

  ``ft.<name>.setup``
    Sources, venv, install, startup hook (``labeille-ft-setup prepare``);
    a ``FIXTURES_SETUP``: when it fails every test below is *Not Run* and the
    package ends as ``install_failure``.
  ``ft.<name>.probe``
    Import with ``PYTHON_GIL`` unset; records which extension re-enabled the GIL.
  ``ft.<name>.<mode>.iter<NN>``
    One supervised run of the test command per iteration and GIL mode,
    ``SKIP_RETURN_CODE`` 77 (stop-on-first-pass), ``TIMEOUT`` above the runner's own.

  All carry the labels ``ft``, ``ft.pkg.<name>``, the mode's ``ft.gil0``/``ft.gil1``,
  ``ft.shard.<k>`` when sharded, and ``LABELS``; tests of one package share a
  ``RESOURCE_LOCK`` (they share a checkout and a venv). The first call also adds
  ``ft.fold`` (``FIXTURES_CLEANUP`` of every package), so a plain ``ctest -L ft``
  ends with ``ft_meta.json``, ``ft_results.jsonl`` and ``ft_summary.json`` on disk.

  Example:

  .. code-block:: cmake

    find_package(LabeilleFT REQUIRED)
    set(LABEILLE_FT_TARGET_PYTHON "$ENV{HOME}/cpython-ft/bin/python3.13t")
    labeille_ft_add_package(urllib3 GIT https://github.com/urllib3/urllib3 REF 2.2.3
                            ITERATIONS 20 EXTRA_DEPS trustme)
    # ctest -L ft, then: labeille ft show labeille-ft/results/ft_ctest
#]=======================================================================]

include_guard(GLOBAL)
cmake_minimum_required(VERSION 3.25)

function(_labeille_ft_default var value)
  if(NOT DEFINED ${var})
    set(${var} "${value}" PARENT_SCOPE)
  endif()
endfunction()

# The executables: imported targets (find_package) or our own (add_subdirectory).
function(_labeille_ft_tool out target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "LabeilleFT: target ${target} is missing; load the module through "
                        "find_package(LabeilleFT) or add_subdirectory() of labeille-ft first.")
  endif()
  set(${out} "$<TARGET_FILE:${target}>" PARENT_SCOPE)
endfunction()

#[[ labeille_ft_check_python(<python>) — FATAL_ERROR unless <python> is a free-threaded
    build. The answer is cached per interpreter path. ]]
function(labeille_ft_check_python python)
  string(MAKE_C_IDENTIFIER "${python}" _id)
  if(DEFINED CACHE{_LABEILLE_FT_PY_OK_${_id}})
    return()
  endif()
  if(NOT EXISTS "${python}")
    message(FATAL_ERROR "LabeilleFT: the target interpreter does not exist:\n"
                        "  Path: ${python}\n"
                        "Set LABEILLE_FT_TARGET_PYTHON (or TARGET_PYTHON) to a free-threaded "
                        "CPython; scripts/setup.sh builds one (CPython 3.13 --disable-gil).")
  endif()
  execute_process(
    COMMAND "${python}" -c "import sys, sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED'), sys.version.split()[0])"
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _rc EQUAL 0 OR NOT _out MATCHES "^1 ")
    message(FATAL_ERROR "LabeilleFT: the target interpreter is not a free-threaded build:\n"
                        "  Path: ${python}\n"
                        "  Result: ${_out}${_err}\n"
                        "labeille ft needs CPython built with ./configure --disable-gil "
                        "(Py_GIL_DISABLED=1, e.g. python3.13t); scripts/setup.sh builds one.")
  endif()
  set(_LABEILLE_FT_PY_OK_${_id} TRUE CACHE INTERNAL "")
endfunction()

function(_labeille_ft_defaults)
  _labeille_ft_default(LABEILLE_FT_ITERATIONS 10)
  _labeille_ft_default(LABEILLE_FT_TIMEOUT 600)
  _labeille_ft_default(LABEILLE_FT_STALL_THRESHOLD 60)
  _labeille_ft_default(LABEILLE_FT_GIL_MODES gil0)
  _labeille_ft_default(LABEILLE_FT_STOP_ON_FIRST_PASS OFF)
  _labeille_ft_default(LABEILLE_FT_TSAN OFF)
  _labeille_ft_default(LABEILLE_FT_DETECT_EXTENSIONS ON)
  _labeille_ft_default(LABEILLE_FT_PARALLEL_THREADS 0)
  _labeille_ft_default(LABEILLE_FT_SHARD_COUNT 0)
  _labeille_ft_default(LABEILLE_FT_SHARD_INDEX 0)
  _labeille_ft_default(LABEILLE_FT_ONLY_SHARD OFF)
  _labeille_ft_default(LABEILLE_FT_WORK_DIR "${CMAKE_BINARY_DIR}/labeille-ft")
  foreach(_v IN ITEMS LABEILLE_FT_ITERATIONS LABEILLE_FT_TIMEOUT LABEILLE_FT_STALL_THRESHOLD
                      LABEILLE_FT_GIL_MODES LABEILLE_FT_STOP_ON_FIRST_PASS LABEILLE_FT_TSAN
                      LABEILLE_FT_DETECT_EXTENSIONS LABEILLE_FT_PARALLEL_THREADS LABEILLE_FT_SHARD_COUNT
                      LABEILLE_FT_SHARD_INDEX LABEILLE_FT_ONLY_SHARD LABEILLE_FT_WORK_DIR)
    set(${_v} "${${_v}}" PARENT_SCOPE)
  endforeach()
  foreach(_d IN ITEMS RECORDS REPOS VENVS RESULTS)
    string(TOLOWER "${_d}" _sub)
    if(NOT DEFINED LABEILLE_FT_${_d}_DIR)
      set(LABEILLE_FT_${_d}_DIR "${LABEILLE_FT_WORK_DIR}/${_sub}" PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

function(_labeille_ft_require_integer fn keyword value)
  if(NOT value MATCHES "^[0-9]+(\\.[0-9]+)?$")
    message(FATAL_ERROR "${fn}(): ${keyword} must be a non-negative number, got \"${value}\"")
  endif()
endfunction()

function(labeille_ft_add_package name)
  set(_fn labeille_ft_add_package)
  set(_options SDIST TSAN STOP_ON_FIRST_PASS USES_XDIST)
  set(_one GIT REF CLONE_DEPTH PATH VERSION IMPORT_NAME INSTALL_COMMAND TEST_COMMAND
           TEST_COMMAND_SUFFIX TEST_COMMAND_OVERRIDE ITERATIONS STALL_THRESHOLD TIMEOUT
           DETECT_EXTENSIONS PARALLEL_THREADS TARGET_PYTHON)
  set(_multi GIL_MODES EXTRA_DEPS ENV LABELS)
  cmake_parse_arguments(PARSE_ARGV 1 arg "${_options}" "${_one}" "${_multi}")
  if(arg_UNPARSED_ARGUMENTS)
    list(GET arg_UNPARSED_ARGUMENTS 0 _bad)
    message(FATAL_ERROR "${_fn}(${name}): unknown keyword \"${_bad}\"")
  endif()
  if(arg_KEYWORDS_MISSING_VALUES)
    list(GET arg_KEYWORDS_MISSING_VALUES 0 _bad)
    message(FATAL_ERROR "${_fn}(${name}): keyword ${_bad} needs a value")
  endif()
  # PEP 508 names only: they become paths and test names (no ../evil).
  if(NOT name MATCHES "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$" OR name MATCHES "\\.\\.")
    message(FATAL_ERROR "${_fn}(): \"${name}\" is not a valid package name (PEP 508: letters, "
                        "digits, '.', '_', '-'; starting and ending with a letter or digit)")
  endif()
  set(_sources 0)
  foreach(_s IN ITEMS GIT PATH)
    if(DEFINED arg_${_s})
      math(EXPR _sources "${_sources} + 1")
    endif()
  endforeach()
  if(arg_SDIST)
    math(EXPR _sources "${_sources} + 1")
  endif()
  if(NOT _sources EQUAL 1)
    message(FATAL_ERROR "${_fn}(${name}): give exactly one source: GIT <url>, PATH <dir> or SDIST")
  endif()

  _labeille_ft_defaults()
  foreach(_k IN ITEMS ITERATIONS STALL_THRESHOLD TIMEOUT GIL_MODES DETECT_EXTENSIONS PARALLEL_THREADS TARGET_PYTHON)
    if(NOT DEFINED arg_${_k})
      set(arg_${_k} "${LABEILLE_FT_${_k}}")
    endif()
  endforeach()
  foreach(_k IN ITEMS TSAN STOP_ON_FIRST_PASS)
    if(LABEILLE_FT_${_k})
      set(arg_${_k} TRUE)
    endif()
  endforeach()
  foreach(_k IN ITEMS TEST_COMMAND_SUFFIX TEST_COMMAND_OVERRIDE)
    if(NOT DEFINED arg_${_k} AND DEFINED LABEILLE_FT_${_k})
      set(arg_${_k} "${LABEILLE_FT_${_k}}")
    endif()
  endforeach()
  list(APPEND arg_EXTRA_DEPS ${LABEILLE_FT_EXTRA_DEPS})
  set(arg_ENV ${LABEILLE_FT_ENV} ${arg_ENV})
  _labeille_ft_require_integer(${_fn} ITERATIONS "${arg_ITERATIONS}")
  _labeille_ft_require_integer(${_fn} STALL_THRESHOLD "${arg_STALL_THRESHOLD}")
  _labeille_ft_require_integer(${_fn} TIMEOUT "${arg_TIMEOUT}")
  foreach(_m IN LISTS arg_GIL_MODES)
    if(NOT _m MATCHES "^gil[01]$")
      message(FATAL_ERROR "${_fn}(${name}): GIL_MODES takes gil0 and/or gil1, got \"${_m}\"")
    endif()
  endforeach()
  foreach(_e IN LISTS arg_ENV)
    if(NOT _e MATCHES "^[A-Za-z_][A-Za-z0-9_]*=")
      message(FATAL_ERROR "${_fn}(${name}): ENV takes KEY=VALUE items, got \"${_e}\"")
    endif()
  endforeach()
  if(NOT arg_TARGET_PYTHON)
    message(FATAL_ERROR "${_fn}(${name}): no target interpreter: set LABEILLE_FT_TARGET_PYTHON "
                        "or give TARGET_PYTHON (a free-threaded CPython, e.g. python3.13t)")
  endif()
  labeille_ft_check_python("${arg_TARGET_PYTHON}")

  # Shards: a stable hash of the name, so a package stays in its shard across runs.
  set(_shard_label "")
  if(LABEILLE_FT_SHARD_COUNT GREATER 0)
    string(SHA1 _h "${name}")
    string(SUBSTRING "${_h}" 0 7 _h)
    math(EXPR _shard "0x${_h} % ${LABEILLE_FT_SHARD_COUNT}")
    if(LABEILLE_FT_ONLY_SHARD AND NOT _shard EQUAL LABEILLE_FT_SHARD_INDEX)
      return()
    endif()
    set(_shard_label "ft.shard.${_shard}")
  endif()

  _labeille_ft_tool(_runner LabeilleFT::runner)
  _labeille_ft_tool(_setup LabeilleFT::setup)
  set(_repos "${LABEILLE_FT_REPOS_DIR}")
  set(_venvs "${LABEILLE_FT_VENVS_DIR}")
  set(_records "${LABEILLE_FT_RECORDS_DIR}")
  set(_labels ft "ft.pkg.${name}" ${_shard_label} ${arg_LABELS})
  set(_fixture "ft.${name}")

  # Set-up.
  set(_prepare "${_setup}" prepare --record-dir "${_records}" --package "${name}"
               --python "${arg_TARGET_PYTHON}" --repos-dir "${_repos}" --venvs-dir "${_venvs}"
               --timeout "${arg_TIMEOUT}")
  if(DEFINED arg_GIT)
    list(APPEND _prepare --git "${arg_GIT}")
    if(DEFINED arg_REF)
      list(APPEND _prepare --ref "${arg_REF}")
    endif()
    if(DEFINED arg_CLONE_DEPTH)
      list(APPEND _prepare --depth "${arg_CLONE_DEPTH}")
    endif()
  elseif(DEFINED arg_PATH)
    get_filename_component(_path "${arg_PATH}" ABSOLUTE)
    list(APPEND _prepare --path "${_path}")
  else()
    list(APPEND _prepare --sdist "${name}")
    if(DEFINED arg_VERSION)
      list(APPEND _prepare --version "${arg_VERSION}")
    endif()
  endif()
  if(DEFINED arg_INSTALL_COMMAND)
    list(APPEND _prepare --install-command "${arg_INSTALL_COMMAND}")
  endif()
  if(arg_PARALLEL_THREADS GREATER 0)
    list(APPEND arg_EXTRA_DEPS pytest-run-parallel)
  endif()
  if(arg_EXTRA_DEPS)
    list(JOIN arg_EXTRA_DEPS "," _deps)
    list(APPEND _prepare --extra-deps "${_deps}")
  endif()
  # Set-up steps (git, pip) get their own generous limit on top of the per-step timeout.
  math(EXPR _setup_timeout "${arg_TIMEOUT} * 3 + 60")
  add_test(NAME ft.${name}.setup COMMAND ${_prepare})
  set_tests_properties(ft.${name}.setup PROPERTIES
    FIXTURES_SETUP "${_fixture}" LABELS "${_labels}" RESOURCE_LOCK "${_fixture}" TIMEOUT ${_setup_timeout})

  # Import probe.
  set(_probe "${_setup}" probe --record-dir "${_records}" --package "${name}"
             --repos-dir "${_repos}" --venvs-dir "${_venvs}")
  if(DEFINED arg_IMPORT_NAME)
    list(APPEND _probe --import-name "${arg_IMPORT_NAME}")
  endif()
  if(NOT arg_DETECT_EXTENSIONS)
    list(APPEND _probe --no-detect-extensions)
  endif()
  add_test(NAME ft.${name}.probe COMMAND ${_probe})
  set_tests_properties(ft.${name}.probe PROPERTIES
    FIXTURES_REQUIRED "${_fixture}" LABELS "${_labels}" RESOURCE_LOCK "${_fixture}" TIMEOUT 600)

  # The test command.
  if(DEFINED arg_TEST_COMMAND_OVERRIDE AND NOT arg_TEST_COMMAND_OVERRIDE STREQUAL "")
    set(_cmd "${arg_TEST_COMMAND_OVERRIDE}")
  else()
    if(DEFINED arg_TEST_COMMAND)
      set(_cmd "${arg_TEST_COMMAND}")
    else()
      set(_cmd "python -m pytest")
    endif()
    if(arg_USES_XDIST)
      string(APPEND _cmd " -p no:xdist")
    endif()
    if(arg_PARALLEL_THREADS GREATER 0)
      string(APPEND _cmd " --parallel-threads ${arg_PARALLEL_THREADS}")
    endif()
    if(DEFINED arg_TEST_COMMAND_SUFFIX AND NOT arg_TEST_COMMAND_SUFFIX STREQUAL "")
      string(APPEND _cmd " ${arg_TEST_COMMAND_SUFFIX}")
    endif()
  endif()

  # Iterations. CTest 3.25 kills a test at TIMEOUT without a grace signal, so its limit
  # sits above the runner's own (timeout + stack dump + SIGTERM grace + margin).
  math(EXPR _ctest_timeout "${arg_TIMEOUT} + 60")
  set(_width 2)
  string(LENGTH "${arg_ITERATIONS}" _len)
  if(_len GREATER 2)
    set(_width ${_len})
  endif()
  foreach(_mode IN LISTS arg_GIL_MODES)
    foreach(_i RANGE 1 ${arg_ITERATIONS})
      if(_i EQUAL 0)
        continue()
      endif()
      string(LENGTH "${_i}" _l)
      set(_nn "${_i}")
      while(_l LESS _width)
        set(_nn "0${_nn}")
        math(EXPR _l "${_l} + 1")
      endwhile()
      set(_test "ft.${name}.${_mode}.iter${_nn}")
      set(_run "${_runner}" --record-dir "${_records}" --package "${name}" --mode ${_mode}
               --iteration ${_i} --test-name "${_test}" --venv "${_venvs}/${name}"
               --cwd "${_repos}/${name}" --stall-threshold "${arg_STALL_THRESHOLD}"
               --timeout "${arg_TIMEOUT}")
      if(arg_TSAN)
        list(APPEND _run --tsan)
      endif()
      if(arg_STOP_ON_FIRST_PASS)
        list(APPEND _run --skip-if-passed)
      endif()
      foreach(_e IN LISTS arg_ENV)
        list(APPEND _run --env "${_e}")
      endforeach()
      list(APPEND _run --shell "${_cmd}")
      add_test(NAME ${_test} COMMAND ${_run})
      set_tests_properties(${_test} PROPERTIES
        FIXTURES_REQUIRED "${_fixture}" LABELS "${_labels};ft.${_mode}" RESOURCE_LOCK "${_fixture}"
        TIMEOUT ${_ctest_timeout} SKIP_RETURN_CODE 77)
    endforeach()
  endforeach()

  # One ft.fold per project, added once every package is known.
  set_property(GLOBAL APPEND PROPERTY LABEILLE_FT_FIXTURES "${_fixture}")
  set_property(GLOBAL APPEND PROPERTY LABEILLE_FT_SHARD_LABELS "${_shard_label}")
  get_property(_deferred GLOBAL PROPERTY LABEILLE_FT_FOLD_DEFERRED)
  if(NOT _deferred)
    set_property(GLOBAL PROPERTY LABEILLE_FT_FOLD_DEFERRED TRUE)
    set_property(GLOBAL PROPERTY LABEILLE_FT_FOLD_ARGS
      "${LABEILLE_FT_RECORDS_DIR}" "${LABEILLE_FT_RESULTS_DIR}" "${arg_TARGET_PYTHON}"
      "${arg_ITERATIONS}" "${arg_TIMEOUT}" "${arg_STALL_THRESHOLD}" "${arg_GIL_MODES}"
      "${arg_STOP_ON_FIRST_PASS}" "${arg_DETECT_EXTENSIONS}" "${arg_TSAN}")
    cmake_language(DEFER DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" CALL _labeille_ft_add_fold)
  endif()
endfunction()

# ft.fold: FIXTURES_CLEANUP of every package, so any `ctest -L ft` (or -R of one
# package) ends with the records folded into <results>/ft_ctest.
function(_labeille_ft_add_fold)
  get_property(_fixtures GLOBAL PROPERTY LABEILLE_FT_FIXTURES)
  get_property(_shards GLOBAL PROPERTY LABEILLE_FT_SHARD_LABELS)
  get_property(_a GLOBAL PROPERTY LABEILLE_FT_FOLD_ARGS)
  list(GET _a 0 _records)
  list(GET _a 1 _results)
  list(GET _a 2 _python)
  list(GET _a 3 _iterations)
  list(GET _a 4 _timeout)
  list(GET _a 5 _stall)
  list(SUBLIST _a 6 -1 _rest)
  _labeille_ft_tool(_labeille LabeilleFT::labeille)
  execute_process(COMMAND "${_python}" -c "import platform, sys, sysconfig; print(platform.python_version(), sysconfig.get_config_var('Py_GIL_DISABLED') == 1, hasattr(sys, 'gettotalrefcount'))"
                  OUTPUT_VARIABLE _pv OUTPUT_STRIP_TRAILING_WHITESPACE)
  separate_arguments(_pv)
  list(GET _pv 0 _version)
  set(_compare false)
  if("gil1" IN_LIST _rest)
    set(_compare true)
  endif()
  # ft_meta.json's keys (the fold fills the counters). Field names follow labeille's.
  set(_meta "{}")
  string(TIMESTAMP _now "%Y-%m-%dT%H:%M:%SZ" UTC)
  string(JSON _meta SET "${_meta}" run_id "\"ft_ctest\"")
  string(JSON _meta SET "${_meta}" timestamp "\"${_now}\"")
  string(JSON _meta SET "${_meta}" python_profile "{}")
  string(JSON _meta SET "${_meta}" python_profile path "\"${_python}\"")
  string(JSON _meta SET "${_meta}" python_profile version "\"${_version}\"")
  string(JSON _meta SET "${_meta}" python_profile implementation "\"CPython\"")
  string(JSON _meta SET "${_meta}" python_profile gil_disabled "true")
  string(JSON _meta SET "${_meta}" config "{}")
  string(JSON _meta SET "${_meta}" config target_python "\"${_python}\"")
  string(JSON _meta SET "${_meta}" config iterations "${_iterations}")
  string(JSON _meta SET "${_meta}" config timeout "${_timeout}")
  string(JSON _meta SET "${_meta}" config stall_threshold "${_stall}")
  string(JSON _meta SET "${_meta}" config compare_with_gil "${_compare}")
  string(JSON _meta SET "${_meta}" config install_from "\"cmake\"")
  set(_meta_file "${CMAKE_BINARY_DIR}/labeille-ft/ft_meta_seed.json")
  file(WRITE "${_meta_file}" "${_meta}\n")
  list(REMOVE_ITEM _shards "")
  add_test(NAME ft.fold COMMAND "${_labeille}" ft fold --output "${_results}/ft_ctest"
                                --meta "${_meta_file}" "${_records}")
  set_tests_properties(ft.fold PROPERTIES FIXTURES_CLEANUP "${_fixtures}" LABELS "ft;${_shards}" TIMEOUT 600)
endfunction()
