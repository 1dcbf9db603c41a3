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
``LABEILLE_FT_ITERATIONS`` (10), ``LABEILLE_FT_TIMEOUT`` (600 s, per test run),
``LABEILLE_FT_SETUP_TIMEOUT`` (1800 s, per set-up step: clone, download, install, extra
dependencies; also the import probe's limit),
``LABEILLE_FT_STALL_THRESHOLD`` (60 s), ``LABEILLE_FT_GIL_MODES`` (``gil0``; add
``gil1`` to compare with the GIL), ``LABEILLE_FT_STOP_ON_FIRST_PASS`` (OFF),
``LABEILLE_FT_TSAN`` (OFF), ``LABEILLE_FT_TSAN_SUPPRESSIONS`` (list of files),
``LABEILLE_FT_TSAN_SLOWDOWN`` (10), ``LABEILLE_FT_DETECT_EXTENSIONS`` (ON),
``LABEILLE_FT_EXTRA_DEPS`` (list), ``LABEILLE_FT_ENV`` (list of ``KEY=VALUE``),
``LABEILLE_FT_TEST_COMMAND_SUFFIX``, ``LABEILLE_FT_TEST_COMMAND_OVERRIDE``,
``LABEILLE_FT_SOURCE`` (``repo``; see ``SOURCE``),
``LABEILLE_FT_PARALLEL_THREADS`` (0: off; else pytest-run-parallel's
``--parallel-threads``, installed as an extra dependency).
``LABEILLE_FT_STRESS`` (OFF), ``LABEILLE_FT_STRESS_THREADS`` (2),
``LABEILLE_FT_STRESS_REPEAT`` (20) and ``LABEILLE_FT_STRESS_BUDGET`` (0: off): stress
iterations, see ``STRESS``.
``LABEILLE_FT_UNTIL_BOUND`` (0: off; else R in (0, 1): ``ITERATIONS`` becomes the
maximum and a mode's iterations are skipped once its verdict is settled, see
``UNTIL_BOUND``).
``LABEILLE_FT_SERIAL_ITERATIONS`` (OFF; see ``SERIAL_ITERATIONS``),
``LABEILLE_FT_GIL_CONTROL`` (``always``; see ``GIL_CONTROL``),
``LABEILLE_FT_DURATIONS_FILE`` (``<work>/durations.tsv``: the durations the previous
run recorded, which become the tests' ``COST``).
``LABEILLE_FT_INSTALLER`` (``uv`` when ``LABEILLE_FT_UV`` is found, else ``pip``): what
makes the venvs and installs into them. With ``uv``, ``uv venv --seed`` makes the venv
(pip stays in it) and the install command's ``pip install ...`` and
``python -m pip install ...`` run as ``uv pip install`` with the same arguments; a
package uv cannot install is installed again with pip (its setup record says so).
``LABEILLE_FT_UV``: the uv executable (found on ``PATH`` or in
``~/.cache/labeille-ft/tools/bin``, where ``scripts/setup.sh`` installs it).
``LABEILLE_FT_WORK_DIR`` (``${CMAKE_BINARY_DIR}/labeille-ft``) and below it, unless
set: ``LABEILLE_FT_RECORDS_DIR`` (``records``), ``LABEILLE_FT_REPOS_DIR``
(``repos``), ``LABEILLE_FT_VENVS_DIR`` (``venvs``), ``LABEILLE_FT_RESULTS_DIR``
(``results``).
``LABEILLE_FT_RUN_ID`` (``ft_ctest``): the fold writes ``<results>/<run id>``;
``LABEILLE_FT_FOLD`` (ON): OFF leaves out the ``ft.fold`` test (``labeille ft run``
folds the run itself, once);
``LABEILLE_FT_INSTALL_FROM`` (``source``) and ``LABEILLE_FT_CLI_ARGS`` (list) only go
into ``ft_meta.json`` (``labeille ft run`` records its own command line there).
``LABEILLE_FT_SHARD_COUNT`` (0: no shards) and ``LABEILLE_FT_SHARD_INDEX``: each
package gets the label ``ft.shard.<k>`` from a stable hash of its name; with
``LABEILLE_FT_ONLY_SHARD`` ON only the packages of shard ``LABEILLE_FT_SHARD_INDEX``
get tests.

Commands
^^^^^^^^

.. command:: labeille_ft_add_package

  ::

    labeille_ft_add_package(<name>
        {GIT <url> [REF <ref>] [CLONE_DEPTH <n>] | PATH <dir> | SDIST}
        [SOURCE repo|sdist|auto] [VERSION <v>]
        [IMPORT_NAME <module>]
        [INSTALL_COMMAND <shell command>]      # default: python -m pip install . pytest
        [TEST_COMMAND <shell command>]         # default: python -m pytest
        [TEST_COMMAND_SUFFIX <text>] [TEST_COMMAND_OVERRIDE <shell command>]
        [USES_XDIST]                           # adds -p no:xdist
        [ITERATIONS <n>] [GIL_MODES gil0 [gil1]]
        [STALL_THRESHOLD <s>] [TIMEOUT <s>] [SETUP_TIMEOUT <s>]
        [EXTRA_DEPS <req>...] [ENV <KEY=VALUE>...]
        [TSAN [TSAN_SUPPRESSIONS <file>...]] [STOP_ON_FIRST_PASS] [UNTIL_BOUND <R>] [DETECT_EXTENSIONS <ON|OFF>]
        [STRESS] [STRESS_THREADS <n>] [STRESS_REPEAT <k>] [STRESS_BUDGET <seconds>]
        [SERIAL_ITERATIONS] [GIL_CONTROL always|auto]
        [PARALLEL_THREADS <n>] [LABELS <label>...] [NO_RESOURCE_LOCK]
        [TARGET_PYTHON <python>]
        [TEST_PREFIX <prefix>] [TEST_LIST <var>]
        [PROPERTIES <name> <value>...])

  Adds, for package ``<name>`` (a PEP 508 name; anything else is refused):

  ``ft.<name>.setup``
    Sources, venv, install, startup hook (``labeille-ft-setup prepare``);
    a ``FIXTURES_SETUP``: when it fails every test below is *Not Run* and the
    package ends as ``install_failure``.
  ``ft.<name>.probe``
    Import with ``PYTHON_GIL`` unset; records which extension re-enabled the GIL.
  ``ft.<name>.<mode>.iter<NN>``
    One supervised run of the test command per iteration and GIL mode,
    ``SKIP_RETURN_CODE`` 77 (stop-on-first-pass, ``UNTIL_BOUND``), ``TIMEOUT`` above
    the runner's own. With ``UNTIL_BOUND R`` an iteration is skipped once the earlier
    ones of its mode settled the verdict: all passed and the 95% upper bound of the
    failure rate is <= R (R 0.1: after 29 passes), passes and failures both seen, or all
    failed and the 95% lower bound is > 1 - R.

  ``ft.<name>.stress.<mode>.iter<NN>`` (``STRESS``)
    The same iterations again (same count, modes, skip rules), each running the suite
    through pytest-run-parallel: every test in ``STRESS_THREADS`` threads, repeated
    ``STRESS_REPEAT`` times in one process. Label ``ft.stress`` instead of the mode's;
    the set-up then also installs pytest-run-parallel into ``<venv>/labeille-ft-stress``.
    ``STRESS_BUDGET <seconds>`` (default 0: off) bounds what a slow suite costs: each
    stress run starts after the ``gil0`` runs (``DEPENDS``) and repeats every test
    ``floor(seconds / (their mean duration x STRESS_THREADS))`` times, at least 2 and at
    most ``STRESS_REPEAT``; the record's ``stress.repeat`` says how many. A 9.5 s suite
    under the default 20 repetitions costs 6 minutes per stress run; with a budget of
    120 s it repeats 6 times.

  ``TSAN`` needs an interpreter built ``--with-thread-sanitizer`` (else a
  ``FATAL_ERROR``). Every test command then gets ``TSAN_OPTIONS`` (reports into the
  attempt directory, exit status kept: see ``labeille-ft-runner --tsan``), with
  CPython's own suppression file found beside the interpreter
  (``<prefix>/share/labeille-ft/tsan/suppressions_free_threading.txt``, which
  ``scripts/setup.sh --tsan`` installs) and ``TSAN_SUPPRESSIONS`` merged into one file;
  the set-up and the probe get the same suppressions with ``exitcode=0``, so
  CPython's known races never fail an install. A TSAN interpreter is slow: unless
  ``TIMEOUT``/``SETUP_TIMEOUT``/``STALL_THRESHOLD`` (or their variables) are set, their defaults are
  multiplied by ``LABEILLE_FT_TSAN_SLOWDOWN``.

  ``SOURCE`` (default ``LABEILLE_FT_SOURCE``, ``repo``) says where a ``GIT`` package's
  sources come from: ``repo`` clones it; ``sdist`` takes its source distribution from the
  package index through pip (the user's pip configuration and mirrors apply), unpacked,
  with the install command adapted to it (``git`` steps dropped, missing ``-e DIR`` and
  ``-r FILE`` arguments fixed; the setup record lists every change); ``auto`` clones and
  falls back to the sdist when the clone fails (the record says why). ``VERSION`` pins the
  sdist's version (``SDIST`` packages and ``SOURCE sdist|auto``). ``PATH`` packages always
  use their directory.

  All carry the labels ``ft``, ``ft.pkg.<name>``, the mode's ``ft.gil0``/``ft.gil1``,
  ``ft.shard.<k>`` when sharded, and ``LABELS``. The set-up and the probe hold the
  package's ``RESOURCE_LOCK``; the iterations run side by side, each in its own copy of
  the checkout (reflinks where the file system has them, else a copy), sharing the
  venv. ``SERIAL_ITERATIONS`` (a suite that cannot run beside itself), ``TSAN``,
  ``STOP_ON_FIRST_PASS`` and ``UNTIL_BOUND`` keep them one after another in the checkout
  under the lock. ``NO_RESOURCE_LOCK`` (or ``LABEILLE_FT_RESOURCE_LOCK`` OFF): no lock, no
  copies.
  ``GIL_CONTROL auto`` (default ``always``): a ``gil1`` iteration (and ``stress.gil1``)
  ``DEPENDS`` on the package's ``gil0`` (``stress.gil0``) tests and runs only when one of
  them did not pass; otherwise it exits 77 with "GIL=1 not run: every GIL=0 run passed".
  Every test has a ``COST``: the previous run's mean duration for its package and mode
  (``LABEILLE_FT_DURATIONS_FILE``), else ``TIMEOUT``; the set-up's is the package's
  whole expected work, so the longest packages start first. The first call also adds
  ``ft.fold`` (``FIXTURES_CLEANUP`` of every package), so a plain ``ctest -L ft``
  ends with ``ft_meta.json``, ``ft_results.jsonl`` and ``ft_summary.json`` on disk.

  ``TEST_PREFIX <prefix>`` (default ``LABEILLE_FT_TEST_PREFIX``, empty) goes in front
  of every test name of the package (``<prefix>ft.<name>.setup``, ...); letters, digits,
  ``.``, ``_``, ``-``. The fold still knows the tests by their ``ft.`` part.
  ``TEST_LIST <var>`` sets ``<var>`` to the names of the tests generated for the package.
  The tests themselves are added when CTest reads the module's include file (see
  `How it works` in docs/cmake.md), so give their properties with ``PROPERTIES``, not a
  ``set_tests_properties()`` of your own.
  ``PROPERTIES <name> <value>...`` are set on every test of the package after the
  module's own (like :command:`gtest_discover_tests`): ``ENVIRONMENT``, ``PROCESSORS``,
  ``COST``, ``DISABLED``...; a property the module sets (``LABELS``, ``TIMEOUT``) is
  replaced, so add labels with ``LABELS`` instead.

  Example:

  .. code-block:: cmake

    find_package(LabeilleFT REQUIRED)
    set(LABEILLE_FT_TARGET_PYTHON "$ENV{HOME}/cpython-ft/bin/python3.13t")
    labeille_ft_add_package(urllib3 GIT https://github.com/urllib3/urllib3 REF 2.2.3
                            ITERATIONS 20 EXTRA_DEPS trustme)
    # ctest -L ft, then: labeille ft show labeille-ft/results/ft_ctest

.. command:: labeille_ft_add_registry

  ::

    labeille_ft_add_registry(DIR <registry dir> [TOP <n>] [PACKAGES <name>...]
        [<any labeille_ft_add_package keyword>...])

  Adds the packages of a labeille registry (``schema.yaml``, ``index.yaml``,
  ``packages/<name>.yaml``), as :command:`labeille_ft_add_package` would, with the
  registry's ``repo``, ``install_command``, ``test_command``, ``import_name``,
  ``timeout``, ``clone_depth`` and ``uses_xdist``. Packages skipped by ``skip`` (index or
  package file) or by ``skip_versions`` for the target's ``X.Y`` are left out with a
  status message. ``TOP n`` keeps the n most downloaded (``download_count`` descending,
  nulls last, then name) runnable packages; ``PACKAGES`` only the named ones. A malformed
  package file is reported (a warning with file and line) and left out; the others still
  run. Names outside PEP 508's grammar (``../evil``) are refused. Other keywords are
  passed to every package (e.g. ``ITERATIONS 3 LABELS nightly``).

  Example:

  .. code-block:: cmake

    labeille_ft_add_registry(DIR "$ENV{HOME}/.local/share/labeille/registry" TOP 50
                             ITERATIONS 5 GIL_MODES gil0 gil1 LABELS top50)

  Extension of ours: ``repo`` may be a local path (absolute, or relative to the registry
  directory) or a ``file://`` URL; a git work tree there is cloned, a plain directory is
  used in place.

  The registry is parsed by the C++ tool ``labeille-ft-registry``. When the tool
  already exists (``find_package(LabeilleFT)``: an imported target) it runs at configure
  time. After ``add_subdirectory()`` of labeille-ft it is not built yet at configure
  time, so (like :command:`gtest_discover_tests`) the module only writes the test include
  file, and the tool runs when CTest reads it (``ctest``, ``ctest -N``), once the build
  made it. The same rule holds in both modes: a registry the tool cannot use (no
  readable ``index.yaml``, tool missing) is an error where it is read (the configure
  stops, or ``ctest`` stops before running anything); a malformed package file is a
  warning naming file and line, and the other packages still get their tests.
  ``TEST_LIST`` is refused here (it names one package's tests).

.. command:: labeille_ft_check_python

  ::

    labeille_ft_check_python(<python> [<version_var>])

  Stops the configure with a ``FATAL_ERROR`` saying how to get a free-threaded
  interpreter unless ``<python>`` exists and is a free-threaded build with the GIL off at
  start-up (``LabeilleFTPython.py``, the check `labeille ft run` applies too);
  ``<version_var>`` receives its ``X.Y``. The answer is cached per interpreter path.
  Both commands call it on ``LABEILLE_FT_TARGET_PYTHON``; call it yourself to fail early.

Sharding
^^^^^^^^

``LABEILLE_FT_SHARD_COUNT`` n > 0 gives each package (its setup, probe and iterations
together) the label ``ft.shard.<k>``, k = (first 28 bits of SHA-1 of the name) mod n, the
same on every machine. ``ctest -L '^ft\.shard\.2$'`` then runs one shard; with
``LABEILLE_FT_ONLY_SHARD`` ON only the packages of shard ``LABEILLE_FT_SHARD_INDEX`` get
tests at all.
#]=======================================================================]

include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.25)
  message(FATAL_ERROR "LabeilleFT needs CMake 3.25 or newer (this is ${CMAKE_VERSION})")
endif()
# Our policies stay ours, like CMake's own modules: the including project's settings are
# untouched after include(), and the commands defined below record 3.25's settings.
cmake_policy(PUSH)
cmake_policy(VERSION 3.25)

# How tests get made. labeille_ft_add_package() never calls add_test(): it renders CTest
# code (add_test(<name> <command>...) / set_tests_properties(), every value
# bracket-quoted) and either appends it to <build>/LabeilleFT/packages.cmake (configure
# time) or, when CTest itself reads our include file (_LABEILLE_FT_CTEST_MODE, see
# _labeille_ft_finish), evaluates it at once. <build>/LabeilleFT/tests.cmake, registered
# in TEST_INCLUDE_FILES and always written, includes the tool paths (file(GENERATE)),
# packages.cmake, the registries to read at test time, and ft.fold. One code path thus
# serves a find_package() project and an add_subdirectory() one whose tools are not built
# at configure time.
set(_LABEILLE_FT_MODULE_FILE "${CMAKE_CURRENT_LIST_FILE}")
set(_LABEILLE_FT_PYTHON_CHECK "${CMAKE_CURRENT_LIST_DIR}/LabeilleFTPython.py")
set(_LABEILLE_FT_RUN_VARS ITERATIONS TIMEOUT STALL_THRESHOLD GIL_MODES STOP_ON_FIRST_PASS UNTIL_BOUND TSAN
    TSAN_SUPPRESSIONS TSAN_SLOWDOWN STRESS STRESS_THREADS STRESS_REPEAT STRESS_BUDGET
    DETECT_EXTENSIONS PARALLEL_THREADS SHARD_COUNT SHARD_INDEX ONLY_SHARD WORK_DIR RECORDS_DIR
    REPOS_DIR VENVS_DIR RESULTS_DIR RUN_ID TARGET_PYTHON EXTRA_DEPS ENV TEST_COMMAND_SUFFIX
    TEST_COMMAND_OVERRIDE PYTHON_VERSION RESOURCE_LOCK TEST_PREFIX FOLD SETUP_TIMEOUT INSTALLER UV SOURCE
    SERIAL_ITERATIONS GIL_CONTROL DURATIONS_FILE)

# <out> = <text> as a CMake bracket argument no content can close early.
function(_labeille_ft_quote out text)
  set(_eq "=")
  string(LENGTH "${text}" _len)
  while(TRUE)
    string(FIND "${text}]${_eq}]" "]${_eq}]" _pos)
    if(_pos EQUAL _len)
      break()
    endif()
    string(APPEND _eq "=")
  endwhile()
  set(_lead "")
  if(text MATCHES "^\n")  # CMake drops a newline right after the opening bracket
    set(_lead "\n")
  endif()
  set(${out} "[${_eq}[${_lead}${text}]${_eq}]" PARENT_SCOPE)
endfunction()

# <out> = one item of a list variable (LABEILLE_FT_ENV, _EXTRA_DEPS, _TSAN_SUPPRESSIONS,
# _CLI_ARGS; the ENV, EXTRA_DEPS and TSAN_SUPPRESSIONS keywords) decoded. A CMake list
# cannot carry every string (';' splits an item, an unbalanced '[' glues items together),
# so an item may carry these five bytes percent-encoded: %3B ';', %5B '[', %5D ']',
# %5C '\', %25 '%'. `labeille ft run` encodes every item so (core/cmake_value.hpp).
function(_labeille_ft_item_decode out item)
  if(item MATCHES "%")
    string(REPLACE "%3B" ";" item "${item}")
    string(REPLACE "%5B" "[" item "${item}")
    string(REPLACE "%5D" "]" item "${item}")
    string(REPLACE "%5C" "\\" item "${item}")
    string(REPLACE "%25" "%" item "${item}")
  endif()
  set(${out} "${item}" PARENT_SCOPE)
endfunction()

# labeille_ft_add_package's keywords (labeille_ft_add_registry passes them through).
set(_LABEILLE_FT_OPTIONS SDIST TSAN STOP_ON_FIRST_PASS USES_XDIST NO_RESOURCE_LOCK STRESS SERIAL_ITERATIONS)
set(_LABEILLE_FT_ONE GIT REF CLONE_DEPTH PATH VERSION SOURCE IMPORT_NAME INSTALL_COMMAND TEST_COMMAND
    TEST_COMMAND_SUFFIX TEST_COMMAND_OVERRIDE ITERATIONS STALL_THRESHOLD TIMEOUT SETUP_TIMEOUT
    DETECT_EXTENSIONS PARALLEL_THREADS UNTIL_BOUND STRESS_THREADS STRESS_REPEAT STRESS_BUDGET TARGET_PYTHON
    TEST_PREFIX TEST_LIST GIL_CONTROL)
set(_LABEILLE_FT_MULTI GIL_MODES EXTRA_DEPS ENV LABELS PROPERTIES TSAN_SUPPRESSIONS)

# Appends one bracket-quoted argument to the code in <var>. One value per call, so a value
# holding ';' (a shell command) stays one argument.
function(_labeille_ft_arg var value)
  _labeille_ft_quote(_q "${value}")
  set(${var} "${${var}} ${_q}" PARENT_SCOPE)
endfunction()

function(_labeille_ft_default var value)
  if(NOT DEFINED ${var})
    set(${var} "${value}" PARENT_SCOPE)
  endif()
endfunction()

# Run-wide defaults into the caller's scope.
# The module owns these defaults (`labeille ft run` passes only what its user gave): a
# ThreadSanitizer interpreter is slow, so under LABEILLE_FT_TSAN the defaults of TIMEOUT,
# SETUP_TIMEOUT and STALL_THRESHOLD are multiplied by LABEILLE_FT_TSAN_SLOWDOWN; a value
# someone set is kept. _LABEILLE_FT_DEFAULTED_<K> remembers a default was taken, so a
# package with its own TSAN keyword scales it too (_labeille_ft_validate_package).
macro(_labeille_ft_defaults)
  _labeille_ft_default(LABEILLE_FT_ITERATIONS 10)
  _labeille_ft_default(LABEILLE_FT_TSAN OFF)
  _labeille_ft_default(LABEILLE_FT_TSAN_SLOWDOWN 10)
  foreach(_lft_kv IN ITEMS TIMEOUT:600 SETUP_TIMEOUT:1800 STALL_THRESHOLD:60)
    string(REPLACE ":" ";" _lft_kv "${_lft_kv}")
    list(GET _lft_kv 0 _lft_k)
    list(GET _lft_kv 1 _lft_v)
    if(NOT DEFINED LABEILLE_FT_${_lft_k})
      set(_LABEILLE_FT_DEFAULTED_${_lft_k} TRUE)
      if(LABEILLE_FT_TSAN AND LABEILLE_FT_TSAN_SLOWDOWN MATCHES "^[1-9][0-9]*$")
        math(EXPR _lft_v "${_lft_v} * ${LABEILLE_FT_TSAN_SLOWDOWN}")
      endif()
      set(LABEILLE_FT_${_lft_k} "${_lft_v}")
    endif()
  endforeach()
  _labeille_ft_default(LABEILLE_FT_GIL_MODES gil0)
  _labeille_ft_default(LABEILLE_FT_STOP_ON_FIRST_PASS OFF)
  _labeille_ft_default(LABEILLE_FT_DETECT_EXTENSIONS ON)
  _labeille_ft_default(LABEILLE_FT_PARALLEL_THREADS 0)
  _labeille_ft_default(LABEILLE_FT_UNTIL_BOUND 0)
  # Stress defaults (docs/detection.md has the measurement): repetition in a warm process
  # finds what fresh processes miss; a second thread adds overlap between repetitions.
  _labeille_ft_default(LABEILLE_FT_STRESS OFF)
  _labeille_ft_default(LABEILLE_FT_STRESS_THREADS 2)
  _labeille_ft_default(LABEILLE_FT_STRESS_REPEAT 20)
  _labeille_ft_default(LABEILLE_FT_STRESS_BUDGET 0)
  _labeille_ft_default(LABEILLE_FT_SHARD_COUNT 0)
  _labeille_ft_default(LABEILLE_FT_SHARD_INDEX 0)
  _labeille_ft_default(LABEILLE_FT_ONLY_SHARD OFF)
  _labeille_ft_default(LABEILLE_FT_RUN_ID ft_ctest)
  _labeille_ft_default(LABEILLE_FT_FOLD ON)
  _labeille_ft_default(LABEILLE_FT_SETUP_TIMEOUT 1800)
  _labeille_ft_default(LABEILLE_FT_SOURCE repo)
  _labeille_ft_default(LABEILLE_FT_SERIAL_ITERATIONS OFF)
  _labeille_ft_default(LABEILLE_FT_GIL_CONTROL always)
  _labeille_ft_default(LABEILLE_FT_WORK_DIR "${CMAKE_BINARY_DIR}/labeille-ft")
  foreach(_lft_d IN ITEMS RECORDS REPOS VENVS RESULTS)
    string(TOLOWER "${_lft_d}" _lft_sub)
    _labeille_ft_default(LABEILLE_FT_${_lft_d}_DIR "${LABEILLE_FT_WORK_DIR}/${_lft_sub}")
  endforeach()
  _labeille_ft_default(LABEILLE_FT_DURATIONS_FILE "${LABEILLE_FT_WORK_DIR}/durations.tsv")
  _labeille_ft_installer()
endmacro()

# The installer of every venv: uv when it is found (scripts/setup.sh installs a pinned
# uv into its tools venv), else pip. Resolved at configure time; CTest reads the snapshot.
macro(_labeille_ft_installer)
  if(NOT LABEILLE_FT_UV AND NOT _LABEILLE_FT_CTEST_MODE)
    set(_lft_tools "$ENV{HOME}/.cache/labeille-ft/tools/bin")
    if(DEFINED ENV{LABEILLE_FT_CACHE})
      set(_lft_tools "$ENV{LABEILLE_FT_CACHE}/tools/bin" ${_lft_tools})
    endif()
    find_program(LABEILLE_FT_UV uv HINTS ${_lft_tools} DOC "uv, the installer labeille ft prefers")
  endif()
  if("${LABEILLE_FT_INSTALLER}" STREQUAL "")
    set(LABEILLE_FT_INSTALLER pip)
    if(LABEILLE_FT_UV)
      set(LABEILLE_FT_INSTALLER uv)
    endif()
  elseif(NOT LABEILLE_FT_INSTALLER MATCHES "^(uv|pip)$")
    message(FATAL_ERROR "LabeilleFT: LABEILLE_FT_INSTALLER takes uv or pip, got \"${LABEILLE_FT_INSTALLER}\"")
  elseif(LABEILLE_FT_INSTALLER STREQUAL "uv" AND NOT LABEILLE_FT_UV)
    message(FATAL_ERROR "LabeilleFT: LABEILLE_FT_INSTALLER is uv, but no uv was found: run "
                        "scripts/setup.sh (it installs one), set LABEILLE_FT_UV to a uv executable, "
                        "or choose pip.")
  endif()
endmacro()

#[[ labeille_ft_check_python(<python> [<version_var>]) — FATAL_ERROR unless <python> is a
    free-threaded build with the GIL off at start-up; <version_var> receives its X.Y.
    Cached per interpreter path. The rule is LabeilleFTPython.py's, the same file
    `labeille ft run` applies. ]]
function(labeille_ft_check_python python)
  string(MAKE_C_IDENTIFIER "${python}" _id)
  if(NOT DEFINED CACHE{_LABEILLE_FT_PY_${_id}})
    if(NOT EXISTS "${python}")
      message(FATAL_ERROR "LabeilleFT: the target interpreter does not exist:\n"
                          "  Path: ${python}\n"
                          "Set LABEILLE_FT_TARGET_PYTHON (or TARGET_PYTHON) to a free-threaded "
                          "CPython; scripts/setup.sh builds one (CPython 3.13 --disable-gil).")
    endif()
    execute_process(
      # TSAN_OPTIONS: a ThreadSanitizer build would report CPython's own shutdown races and exit 66.
      COMMAND "${CMAKE_COMMAND}" -E env --unset=PYTHON_GIL "TSAN_OPTIONS=exitcode=0 report_bugs=0"
              "${python}" "${_LABEILLE_FT_PYTHON_CHECK}"
      RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(_ft OFF)
    set(_why "${_out}${_err}")
    if(_rc EQUAL 0)
      string(JSON _ft ERROR_VARIABLE _jerr GET "${_out}" free_threaded)
      string(JSON _xy ERROR_VARIABLE _jerr2 GET "${_out}" version_xy)
      string(JSON _built ERROR_VARIABLE _jerr3 GET "${_out}" py_gil_disabled)
      string(JSON _at_start ERROR_VARIABLE _jerr4 GET "${_out}" gil_enabled_at_start)
      if(_jerr OR _jerr2 OR _jerr3 OR _jerr4)
        set(_ft OFF)
      else()
        set(_why "Python ${_xy}, Py_GIL_DISABLED: ${_built}, GIL enabled at start-up: ${_at_start}")
      endif()
    endif()
    if(NOT _ft)
      message(FATAL_ERROR "LabeilleFT: the target interpreter is not a free-threaded build with the GIL "
                          "off by default:\n"
                          "  Path: ${python}\n"
                          "  ${_why}\n"
                          "labeille ft needs CPython built with ./configure --disable-gil "
                          "(Py_GIL_DISABLED=1, e.g. python3.13t) whose sys._is_gil_enabled() is False "
                          "at start-up; scripts/setup.sh builds one.")
    endif()
    set(_LABEILLE_FT_PY_${_id} "${_xy}" CACHE INTERNAL "")
    set(_LABEILLE_FT_PYPROFILE_${_id} "${_out}" CACHE INTERNAL "")
  endif()
  if(ARGC GREATER 1)
    set(${ARGV1} "${_LABEILLE_FT_PY_${_id}}" PARENT_SCOPE)
  endif()
endfunction()

#[[ _labeille_ft_tsan_setup(<python> <name> <user files> <out var>) — TSAN for package
    <name>: FATAL_ERROR unless <python> is a --with-thread-sanitizer build (checked once
    per interpreter, not when CTest itself reads the tests); merges CPython's own
    suppression file, found beside the interpreter, and the user's files into
    <work>/tsan/<name>.supp; <out var> receives its path. ]]
function(_labeille_ft_tsan_setup python name user_files out)
  string(MAKE_C_IDENTIFIER "${python}" _id)
  if(NOT _LABEILLE_FT_CTEST_MODE)
    # The one interpreter check (LabeilleFTPython.py) also says whether it is a TSAN build;
    # a profile cached before that field existed is made again.
    labeille_ft_check_python("${python}")
    string(JSON _tsan ERROR_VARIABLE _jerr GET "${_LABEILLE_FT_PYPROFILE_${_id}}" tsan_build)
    if(_jerr)
      unset(_LABEILLE_FT_PY_${_id} CACHE)
      labeille_ft_check_python("${python}")
      string(JSON _tsan ERROR_VARIABLE _jerr GET "${_LABEILLE_FT_PYPROFILE_${_id}}" tsan_build)
    endif()
    if(_jerr OR NOT _tsan)
      message(FATAL_ERROR "LabeilleFT: TSAN needs a ThreadSanitizer build of CPython:\n"
                          "  Path: ${python}\n"
                          "  was not configured --with-thread-sanitizer (sysconfig CONFIG_ARGS)\n"
                          "scripts/setup.sh --tsan builds one (CPython 3.13 --disable-gil --with-thread-sanitizer).")
    endif()
  endif()
  file(REAL_PATH "${python}" _real)
  get_filename_component(_prefix "${_real}" DIRECTORY)
  get_filename_component(_prefix "${_prefix}" DIRECTORY)
  set(_files "")
  set(_cpython "${_prefix}/share/labeille-ft/tsan/suppressions_free_threading.txt")
  if(EXISTS "${_cpython}")
    list(APPEND _files "${_cpython}")
  elseif(NOT _LABEILLE_FT_CTEST_MODE)
    message(WARNING "LabeilleFT: no CPython TSAN suppressions at ${_cpython}: CPython's own known races "
                    "will be reported as the packages'. scripts/setup.sh --tsan installs them; or pass "
                    "Tools/tsan/suppressions_free_threading.txt of your CPython sources with TSAN_SUPPRESSIONS.")
  endif()
  set(_text "# Generated by LabeilleFT.cmake for ${name}: CPython's suppressions, then the user's.\n")
  foreach(_f IN LISTS _files user_files)
    _labeille_ft_item_decode(_f "${_f}")
    get_filename_component(_f "${_f}" ABSOLUTE)
    if(NOT EXISTS "${_f}")
      message(FATAL_ERROR "labeille_ft_add_package(${name}): TSAN_SUPPRESSIONS: no such file: ${_f}")
    endif()
    file(READ "${_f}" _body)
    string(APPEND _text "\n# ---- ${_f}\n${_body}\n")
  endforeach()
  set(_merged "${LABEILLE_FT_WORK_DIR}/tsan/${name}.supp")
  file(WRITE "${_merged}" "${_text}")
  set(${out} "${_merged}" PARENT_SCOPE)
endfunction()

# Run-wide checks shared by both commands; sets LABEILLE_FT_PYTHON_VERSION (X.Y).
macro(_labeille_ft_check_run fn)
  if(NOT LABEILLE_FT_TARGET_PYTHON)
    message(FATAL_ERROR "${fn}(): no target interpreter: set LABEILLE_FT_TARGET_PYTHON "
                        "(a free-threaded CPython, e.g. python3.13t; scripts/setup.sh builds one)")
  endif()
  if(NOT _LABEILLE_FT_CTEST_MODE)
    labeille_ft_check_python("${LABEILLE_FT_TARGET_PYTHON}" LABEILLE_FT_PYTHON_VERSION)
  endif()
endmacro()

# The durations the previous run of this work directory recorded
# (LABEILLE_FT_DURATIONS_FILE, written by `labeille ft fold --durations`: one
# "<package>\t<setup|mode>\t<seconds>" per line), read once per configure or CTest run.
function(_labeille_ft_costs)
  get_property(_read GLOBAL PROPERTY _LFT_COSTS_READ)
  if(_read)
    return()
  endif()
  set_property(GLOBAL PROPERTY _LFT_COSTS_READ TRUE)
  if(NOT EXISTS "${LABEILLE_FT_DURATIONS_FILE}")
    return()
  endif()
  file(STRINGS "${LABEILLE_FT_DURATIONS_FILE}" _lines REGEX "^[A-Za-z0-9._-]+\t[a-z0-9.]+\t[0-9]+(\\.[0-9]*)?$")
  foreach(_line IN LISTS _lines)
    string(REPLACE "\t" ";" _f "${_line}")
    list(GET _f 0 _pkg)
    list(GET _f 1 _key)
    list(GET _f 2 _s)
    set_property(GLOBAL PROPERTY "_LFT_COST|${_pkg}|${_key}" "${_s}")
  endforeach()
endfunction()

# <out> = CTest COST of one test of <package>'s <key> (setup, gil0, stress.gil1...): the
# seconds the previous run recorded, rounded up, else <fallback> (the package's timeout:
# the registry's own guess at how long its suite may run). CTest starts costlier tests
# first, so long packages do not end the run alone.
function(_labeille_ft_cost out package key fallback)
  get_property(_s GLOBAL PROPERTY "_LFT_COST|${package}|${key}")
  if("${_s}" STREQUAL "")
    set(${out} "${fallback}" PARENT_SCOPE)
    return()
  endif()
  string(REGEX REPLACE "\\..*" "" _whole "${_s}")
  math(EXPR _whole "${_whole} + 1")
  set(${out} "${_whole}" PARENT_SCOPE)
endfunction()

function(_labeille_ft_emit code)
  if(_LABEILLE_FT_CTEST_MODE)
    cmake_language(EVAL CODE "${code}")
  else()
    _labeille_ft_begin()
    file(APPEND "${CMAKE_BINARY_DIR}/LabeilleFT/packages.cmake" "${code}")
  endif()
endfunction()

# First call of a configure: fresh generated files, tool paths, the include file, the
# snapshot of the run for ft.fold.
function(_labeille_ft_begin)
  get_property(_begun GLOBAL PROPERTY _LABEILLE_FT_BEGUN)
  if(_begun)
    return()
  endif()
  set_property(GLOBAL PROPERTY _LABEILLE_FT_BEGUN TRUE)
  foreach(_t IN ITEMS runner setup labeille registry)
    if(NOT TARGET LabeilleFT::${_t})
      message(FATAL_ERROR "LabeilleFT: target LabeilleFT::${_t} is missing; load the module "
                          "through find_package(LabeilleFT) or add_subdirectory() of labeille-ft.")
    endif()
  endforeach()
  # The runner's skip status, from the outcome table (core/outcome.hpp) through its target.
  # It goes into the tools file below, not into the generated code, because a registry's
  # tests are also rendered at CTest time (SUBDIRECTORY mode), where no target exists.
  get_target_property(_skip_code LabeilleFT::runner LABEILLE_FT_SKIP_RETURN_CODE)
  if(NOT _skip_code MATCHES "^[0-9]+$")
    message(FATAL_ERROR "LabeilleFT: target LabeilleFT::runner has no LABEILLE_FT_SKIP_RETURN_CODE "
                        "(got \"${_skip_code}\"); its config package is from another version of labeille-ft.")
  endif()
  set(_dir "${CMAKE_BINARY_DIR}/LabeilleFT")
  file(WRITE "${_dir}/packages.cmake" "# Generated by LabeilleFT.cmake at configure time; do not edit.\n")
  # One tools file per configuration (multi-config generators); CTest picks the one of
  # `ctest -C <config>`.
  get_property(_multi GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  set(_tools "${_dir}/tools.cmake")
  if(_multi)
    set(_tools "${_dir}/tools-$<CONFIG>.cmake")
  endif()
  file(GENERATE OUTPUT "${_tools}" CONTENT
"set(_LFT_RUNNER [==[$<TARGET_FILE:LabeilleFT::runner>]==])
set(_LFT_SETUP [==[$<TARGET_FILE:LabeilleFT::setup>]==])
set(_LFT_LABEILLE [==[$<TARGET_FILE:LabeilleFT::labeille>]==])
set(_LFT_REGISTRY [==[$<TARGET_FILE:LabeilleFT::registry>]==])
set(_LFT_SKIP_CODE ${_skip_code})
")
  _labeille_ft_defaults()
  set(_snapshot "")
  foreach(_v IN LISTS _LABEILLE_FT_RUN_VARS)
    if(DEFINED LABEILLE_FT_${_v})
      _labeille_ft_quote(_q "${LABEILLE_FT_${_v}}")
      string(APPEND _snapshot "  set(LABEILLE_FT_${_v} ${_q})\n")
    endif()
  endforeach()
  foreach(_k IN ITEMS TIMEOUT SETUP_TIMEOUT STALL_THRESHOLD)  # which of those were defaults
    if(_LABEILLE_FT_DEFAULTED_${_k})
      string(APPEND _snapshot "  set(_LABEILLE_FT_DEFAULTED_${_k} TRUE)\n")
    endif()
  endforeach()
  set_property(GLOBAL PROPERTY _LABEILLE_FT_SNAPSHOT "${_snapshot}")
  _labeille_ft_write_meta("${_dir}/ft_meta_seed.json")
  set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" APPEND PROPERTY TEST_INCLUDE_FILES "${_dir}/tests.cmake")
  cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _labeille_ft_finish)
endfunction()

# The --meta object of `labeille ft fold` (it keeps these keys and fills the counters).
function(_labeille_ft_write_meta file)
  _labeille_ft_defaults()
  _labeille_ft_check_run(labeille_ft)
  string(TIMESTAMP _now "%Y-%m-%dT%H:%M:%SZ" UTC)
  set(_m "{}")
  _labeille_ft_json_str(_m "${_m}" "${LABEILLE_FT_RUN_ID}" run_id)
  _labeille_ft_json_str(_m "${_m}" "${_now}" timestamp)
  # The interpreter check's own answer, as `labeille ft run` records it.
  string(MAKE_C_IDENTIFIER "${LABEILLE_FT_TARGET_PYTHON}" _id)
  set(_profile "${_LABEILLE_FT_PYPROFILE_${_id}}")
  if(NOT _profile)
    set(_profile "{}")
  endif()
  string(JSON _m SET "${_m}" python_profile "${_profile}")
  string(JSON _m SET "${_m}" config "{}")
  _labeille_ft_json_str(_m "${_m}" "${LABEILLE_FT_TARGET_PYTHON}" config target_python)
  string(JSON _m SET "${_m}" config iterations "${LABEILLE_FT_ITERATIONS}")
  string(JSON _m SET "${_m}" config timeout "${LABEILLE_FT_TIMEOUT}")
  string(JSON _m SET "${_m}" config stall_threshold "${LABEILLE_FT_STALL_THRESHOLD}")
  string(JSON _m SET "${_m}" config setup_timeout "${LABEILLE_FT_SETUP_TIMEOUT}")
  string(JSON _m SET "${_m}" config parallel_threads "${LABEILLE_FT_PARALLEL_THREADS}")
  string(JSON _m SET "${_m}" config until_bound "${LABEILLE_FT_UNTIL_BOUND}")
  string(JSON _m SET "${_m}" config stress_threads "${LABEILLE_FT_STRESS_THREADS}")
  string(JSON _m SET "${_m}" config stress_repeat "${LABEILLE_FT_STRESS_REPEAT}")
  string(JSON _m SET "${_m}" config stress_budget "${LABEILLE_FT_STRESS_BUDGET}")
  set(_gil1 false)
  if("gil1" IN_LIST LABEILLE_FT_GIL_MODES)
    set(_gil1 true)
  endif()
  string(JSON _m SET "${_m}" config compare_with_gil ${_gil1})
  if(_gil1)
    _labeille_ft_json_str(_m "${_m}" "${LABEILLE_FT_GIL_CONTROL}" config gil_control)
  endif()
  foreach(_pair IN ITEMS tsan_build:TSAN stop_on_first_pass:STOP_ON_FIRST_PASS detect_extensions:DETECT_EXTENSIONS
                         stress:STRESS serial_iterations:SERIAL_ITERATIONS)
    string(REPLACE ":" ";" _pair "${_pair}")
    list(GET _pair 0 _key)
    list(GET _pair 1 _var)
    set(_b false)
    if(LABEILLE_FT_${_var})
      set(_b true)
    endif()
    string(JSON _m SET "${_m}" config ${_key} ${_b})
  endforeach()
  string(JSON _m SET "${_m}" config extra_deps "[]")
  set(_i 0)
  foreach(_d IN LISTS LABEILLE_FT_EXTRA_DEPS)
    _labeille_ft_item_decode(_d "${_d}")
    _labeille_ft_json_str(_m "${_m}" "${_d}" config extra_deps ${_i})
    math(EXPR _i "${_i} + 1")
  endforeach()
  foreach(_lst IN ITEMS env:ENV tsan_suppressions:TSAN_SUPPRESSIONS)
    string(REPLACE ":" ";" _lst "${_lst}")
    list(GET _lst 0 _key)
    list(GET _lst 1 _var)
    string(JSON _m SET "${_m}" config ${_key} "[]")
    set(_i 0)
    foreach(_d IN LISTS LABEILLE_FT_${_var})
      _labeille_ft_item_decode(_d "${_d}")
      _labeille_ft_json_str(_m "${_m}" "${_d}" config ${_key} ${_i})
      math(EXPR _i "${_i} + 1")
    endforeach()
  endforeach()
  _labeille_ft_json_str(_m "${_m}" "${LABEILLE_FT_TEST_COMMAND_SUFFIX}" config test_command_suffix)
  _labeille_ft_json_str(_m "${_m}" "${LABEILLE_FT_TEST_COMMAND_OVERRIDE}" config test_command_override)
  if(NOT DEFINED LABEILLE_FT_INSTALL_FROM)
    set(LABEILLE_FT_INSTALL_FROM source)
  endif()
  _labeille_ft_json_str(_m "${_m}" "${LABEILLE_FT_INSTALL_FROM}" config install_from)
  _labeille_ft_json_str(_m "${_m}" "${LABEILLE_FT_INSTALLER}" config installer)
  _labeille_ft_json_str(_m "${_m}" "${LABEILLE_FT_SOURCE}" config source)
  string(JSON _m SET "${_m}" cli_args "[]")
  set(_i 0)
  foreach(_a IN LISTS LABEILLE_FT_CLI_ARGS)
    _labeille_ft_item_decode(_a "${_a}")
    _labeille_ft_json_str(_m "${_m}" "${_a}" cli_args ${_i})
    math(EXPR _i "${_i} + 1")
  endforeach()
  file(WRITE "${file}" "${_m}\n")
endfunction()

# string(JSON SET) takes JSON text; this sets a JSON string. CMake's JSON writer escapes
# member names (quotes, backslashes, every control character), so the value goes in as
# the name of a one-member object and comes back out as a JSON string literal. The value
# is a named parameter, never part of ARGN: ARGN is a list, and a value holding ';'
# would be split into more path elements.
function(_labeille_ft_json_str out json _value)
  string(JSON _obj SET "{}" "${_value}" 0)
  if(NOT _obj MATCHES "^{[ \n]*(\".*\") : 0[ \n]*}$")
    message(FATAL_ERROR "LabeilleFT: cannot encode \"${_value}\" as JSON")
  endif()
  string(JSON _r SET "${json}" ${ARGN} "${CMAKE_MATCH_1}")
  set(${out} "${_r}" PARENT_SCOPE)
endfunction()

# Deferred to the end of the top directory: the include file CTest reads.
function(_labeille_ft_finish)
  set(_dir "${CMAKE_BINARY_DIR}/LabeilleFT")
  get_property(_snapshot GLOBAL PROPERTY _LABEILLE_FT_SNAPSHOT)
  get_property(_stanzas GLOBAL PROPERTY _LABEILLE_FT_STANZAS)
  _labeille_ft_quote(_module "${_LABEILLE_FT_MODULE_FILE}")
  _labeille_ft_quote(_tools "${_dir}/tools.cmake")
  _labeille_ft_quote(_packages "${_dir}/packages.cmake")
  _labeille_ft_quote(_meta "${_dir}/ft_meta_seed.json")
  file(WRITE "${_dir}/tests.cmake"
"# Generated by LabeilleFT.cmake; read by CTest (TEST_INCLUDE_FILES). Do not edit.
set(_LABEILLE_FT_CTEST_MODE TRUE)
if(EXISTS ${_tools})
  include(${_tools})
elseif(EXISTS \"${_dir}/tools-\${CTEST_CONFIGURATION_TYPE}.cmake\")
  include(\"${_dir}/tools-\${CTEST_CONFIGURATION_TYPE}.cmake\")
else()
  message(WARNING \"LabeilleFT: run ctest -C <config> (one of the tools-*.cmake in ${_dir})\")
endif()
include(${_module})
set_property(GLOBAL PROPERTY _LFT_FIXTURES \"\")
set_property(GLOBAL PROPERTY _LFT_SHARDS \"\")
include(${_packages})
${_stanzas}
# ft.fold: FIXTURES_CLEANUP of every package, so any ctest -L ft ends with results on disk
# (unless LABEILLE_FT_FOLD is OFF: `labeille ft run` folds the run itself, once).
get_property(_lft_fixtures GLOBAL PROPERTY _LFT_FIXTURES)
get_property(_lft_shards GLOBAL PROPERTY _LFT_SHARDS)
block()
${_snapshot}  if(_lft_fixtures AND LABEILLE_FT_FOLD)
    add_test(ft.fold \"\${_LFT_LABEILLE}\" ft fold --output \"\${LABEILLE_FT_RESULTS_DIR}/\${LABEILLE_FT_RUN_ID}\"
             --meta ${_meta} --durations \"\${LABEILLE_FT_DURATIONS_FILE}\" \"\${LABEILLE_FT_RECORDS_DIR}\")
    set_tests_properties(ft.fold PROPERTIES FIXTURES_CLEANUP \"\${_lft_fixtures}\"
                         LABELS \"ft;\${_lft_shards}\" TIMEOUT 600)
  endif()
endblock()
")
endfunction()

# labeille_ft_add_package reads as its steps: parse, validate (with the run-wide
# defaults), check the interpreter, then render the set-up, the probe, the iterations
# and the caller's PROPERTIES into one block of CTest code. Each step is a macro so it
# works on the function's own arg_* variables; a new keyword is added to the keyword
# lists above, given a default and checked in _labeille_ft_validate_package, and used
# in the render step it belongs to.
function(labeille_ft_add_package name)
  set(_fn labeille_ft_add_package)
  cmake_parse_arguments(PARSE_ARGV 1 arg "${_LABEILLE_FT_OPTIONS}" "${_LABEILLE_FT_ONE}" "${_LABEILLE_FT_MULTI}")
  _labeille_ft_validate_package()
  _labeille_ft_check_run(${_fn})
  # Set-up and probe run the TSAN interpreter too (pip, the import): CPython's known
  # races suppressed and, whatever is left, never an exit status that fails an install.
  set(_tsan_env "")
  if(arg_TSAN)
    _labeille_ft_tsan_setup("${LABEILLE_FT_TARGET_PYTHON}" "${name}" "${arg_TSAN_SUPPRESSIONS}" _tsan_supp)
    _labeille_ft_quote(_q "TSAN_OPTIONS=halt_on_error=0 exitcode=0 suppressions='${_tsan_supp}'")
    set(_tsan_env " ENVIRONMENT ${_q}")
  endif()

  # Shards: a stable hash of the name, so a package stays in its shard on every machine.
  set(_shard_label "")
  if(LABEILLE_FT_SHARD_COUNT GREATER 0)
    string(SHA1 _h "${name}")
    string(SUBSTRING "${_h}" 0 7 _h)
    math(EXPR _shard "0x${_h} % ${LABEILLE_FT_SHARD_COUNT}")
    if(LABEILLE_FT_ONLY_SHARD AND NOT _shard EQUAL LABEILLE_FT_SHARD_INDEX)
      if(arg_TEST_LIST)
        set(${arg_TEST_LIST} "" PARENT_SCOPE)
      endif()
      return()
    endif()
    set(_shard_label "ft.shard.${_shard}")
  endif()

  set(_records "${LABEILLE_FT_RECORDS_DIR}")
  set(_repos "${LABEILLE_FT_REPOS_DIR}")
  set(_venvs "${LABEILLE_FT_VENVS_DIR}")
  set(_fixture "ft.${name}")
  set(_prefix "${arg_TEST_PREFIX}ft.${name}")  # every test name of the package starts so
  # The iterations share the package's venv. Side by side (the default) each runs in its
  # own copy of the checkout (runner/tree_copy.hpp: what tests write into their tree stays
  # theirs) and holds no lock; serialized (SERIAL_ITERATIONS, TSAN for its memory and
  # timing, STOP_ON_FIRST_PASS and UNTIL_BOUND whose skips read the earlier runs' records)
  # they run in the checkout itself under the package's RESOURCE_LOCK, as the set-up and
  # the probe always do. NO_RESOURCE_LOCK (or LABEILLE_FT_RESOURCE_LOCK OFF): no lock and
  # no copy, `ctest -j` overlaps them in the one checkout.
  set(_lock " RESOURCE_LOCK [=[${_fixture}]=]")
  set(_iter_lock "${_lock}")
  set(_copies "")
  if(arg_NO_RESOURCE_LOCK OR (DEFINED LABEILLE_FT_RESOURCE_LOCK AND NOT LABEILLE_FT_RESOURCE_LOCK))
    set(_lock "")
    set(_iter_lock "")
  elseif(NOT (arg_SERIAL_ITERATIONS OR arg_TSAN OR arg_STOP_ON_FIRST_PASS OR NOT arg_UNTIL_BOUND MATCHES "^0?\\.?0*$"))
    set(_iter_lock "")
    # A name no package can have (PEP 508 names start with a letter or digit).
    set(_copies "${_repos}/.copies/${name}")
  endif()
  _labeille_ft_costs()
  list(JOIN arg_LABELS ";" _user_labels)
  set(_labels "ft;ft.pkg.${name}")
  if(_shard_label)
    string(APPEND _labels ";${_shard_label}")
  endif()
  if(_user_labels)
    string(APPEND _labels ";${_user_labels}")
  endif()
  set(_code "# ${name}\nset_property(GLOBAL APPEND PROPERTY _LFT_FIXTURES [=[${_fixture}]=])\n")
  if(_shard_label)
    string(APPEND _code "set_property(GLOBAL APPEND PROPERTY _LFT_SHARDS [=[${_shard_label}]=])\n")
  endif()
  set(_tests "")  # every generated test name, bracket-quoted

  _labeille_ft_test_command()
  # The set-up's COST is the whole package's expected work: set-ups are started first
  # (everything depends on them), the longest package's first.
  set(_package_cost 0)
  set(_cost_modes ${arg_GIL_MODES})
  if(arg_STRESS)
    foreach(_m IN LISTS arg_GIL_MODES)
      list(APPEND _cost_modes "stress.${_m}")
    endforeach()
  endif()
  foreach(_m IN LISTS _cost_modes)
    _labeille_ft_cost(_c "${name}" "${_m}" "${arg_TIMEOUT}")
    math(EXPR _package_cost "${_package_cost} + ${_c} * ${arg_ITERATIONS}")
  endforeach()
  _labeille_ft_cost(_c "${name}" setup 0)
  math(EXPR _package_cost "${_package_cost} + ${_c}")
  _labeille_ft_render_setup()
  _labeille_ft_render_probe()
  _labeille_ft_render_iterations()
  _labeille_ft_render_properties()
  _labeille_ft_emit("${_code}")
  if(arg_TEST_LIST)
    string(REGEX REPLACE "\\[=\\[([^]]*)\\]=\\]" "\\1" _names "${_tests}")
    string(STRIP "${_names}" _names)
    string(REPLACE " " ";" _names "${_names}")
    set(${arg_TEST_LIST} "${_names}" PARENT_SCOPE)
  endif()
endfunction()

# arg_* after the run-wide defaults, checked: a bad value stops the configure, naming
# the package, the keyword and the value.
macro(_labeille_ft_validate_package)
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
                        "digits, '.', '_', '-'; starting and ending with a letter or digit; no '..')")
  endif()
  string(LENGTH "${name}" _len)
  if(_len GREATER 200)  # core/names.hpp kMaxPackageName: the name becomes a path component
    message(FATAL_ERROR "${_fn}(): package name \"${name}\" is longer than 200 characters (${_len})")
  endif()
  # VERSION pins an sdist: refused where it would be ignored (a PATH, a GIT package under
  # SOURCE repo), never dropped silently.
  if(DEFINED arg_VERSION AND NOT arg_SDIST)
    set(_src "${arg_SOURCE}")
    if(NOT DEFINED arg_SOURCE)
      set(_src "${LABEILLE_FT_SOURCE}")
    endif()
    if(arg_PATH OR "${_src}" STREQUAL "repo" OR "${_src}" STREQUAL "")
      message(FATAL_ERROR "${_fn}(${name}): VERSION \"${arg_VERSION}\" pins the sdist, but the sources come from "
                          "PATH or from GIT with SOURCE repo; give SDIST or SOURCE sdist|auto")
    endif()
  endif()
  if(DEFINED arg_VERSION AND NOT arg_VERSION MATCHES "^[A-Za-z0-9.!+_*-]+$")
    message(FATAL_ERROR "${_fn}(${name}): VERSION \"${arg_VERSION}\" is not a version (PEP 440 characters only)")
  endif()
  set(_sources 0)
  foreach(_s IN ITEMS GIT PATH SDIST)
    if(arg_${_s})
      math(EXPR _sources "${_sources} + 1")
    endif()
  endforeach()
  if(NOT _sources EQUAL 1)
    message(FATAL_ERROR "${_fn}(${name}): give exactly one source: GIT <url>, PATH <dir> or SDIST")
  endif()

  # Built-in defaults of these scale under TSAN; values someone set do not. Under
  # LABEILLE_FT_TSAN the run-wide defaults are already scaled (_labeille_ft_defaults); a
  # package's own TSAN keyword scales what it took from the defaults here.
  _labeille_ft_defaults()
  set(_tsan_scaled "")
  if(NOT LABEILLE_FT_TSAN)
    foreach(_k IN ITEMS TIMEOUT SETUP_TIMEOUT STALL_THRESHOLD)
      if(_LABEILLE_FT_DEFAULTED_${_k} AND NOT DEFINED arg_${_k})
        list(APPEND _tsan_scaled ${_k})
      endif()
    endforeach()
  endif()
  if(DEFINED arg_TARGET_PYTHON)
    set(LABEILLE_FT_TARGET_PYTHON "${arg_TARGET_PYTHON}")
  endif()
  foreach(_k IN ITEMS ITERATIONS STALL_THRESHOLD TIMEOUT SETUP_TIMEOUT GIL_MODES DETECT_EXTENSIONS
                      PARALLEL_THREADS UNTIL_BOUND STRESS_THREADS STRESS_REPEAT STRESS_BUDGET TEST_COMMAND_SUFFIX
                      TEST_COMMAND_OVERRIDE TEST_PREFIX GIL_CONTROL)
    if(NOT DEFINED arg_${_k} AND DEFINED LABEILLE_FT_${_k})
      set(arg_${_k} "${LABEILLE_FT_${_k}}")
    endif()
  endforeach()
  foreach(_k IN ITEMS TSAN STOP_ON_FIRST_PASS STRESS SERIAL_ITERATIONS)
    if(LABEILLE_FT_${_k})
      set(arg_${_k} TRUE)
    endif()
  endforeach()
  set(arg_EXTRA_DEPS ${LABEILLE_FT_EXTRA_DEPS} ${arg_EXTRA_DEPS})
  set(arg_ENV ${LABEILLE_FT_ENV} ${arg_ENV})
  set(arg_TSAN_SUPPRESSIONS ${LABEILLE_FT_TSAN_SUPPRESSIONS} ${arg_TSAN_SUPPRESSIONS})
  if(arg_TSAN_SUPPRESSIONS AND NOT arg_TSAN)
    message(FATAL_ERROR "${_fn}(${name}): TSAN_SUPPRESSIONS needs TSAN")
  endif()
  if(NOT LABEILLE_FT_TSAN_SLOWDOWN MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "${_fn}(${name}): LABEILLE_FT_TSAN_SLOWDOWN must be a positive integer, got \"${LABEILLE_FT_TSAN_SLOWDOWN}\"")
  endif()
  foreach(_k IN ITEMS ITERATIONS TIMEOUT SETUP_TIMEOUT PARALLEL_THREADS)
    if(NOT arg_${_k} MATCHES "^[0-9]+$")
      message(FATAL_ERROR "${_fn}(${name}): ${_k} must be a non-negative integer, got \"${arg_${_k}}\"")
    endif()
  endforeach()
  foreach(_k IN ITEMS STRESS_THREADS STRESS_REPEAT)
    if(NOT arg_${_k} MATCHES "^[1-9][0-9]*$")
      message(FATAL_ERROR "${_fn}(${name}): ${_k} must be a positive integer, got \"${arg_${_k}}\"")
    endif()
  endforeach()
  # A bound R in (0, 1), or 0 for off ("0.1", ".05", "0").
  if(NOT arg_UNTIL_BOUND MATCHES "^(0|0?\\.[0-9]+)$")
    message(FATAL_ERROR "${_fn}(${name}): UNTIL_BOUND must be a failure-rate bound R with 0 < R < 1 "
                        "(or 0: off), got \"${arg_UNTIL_BOUND}\"")
  endif()
  # The runner takes fractions of a second here (`labeille ft run --stall-threshold 12.5`).
  foreach(_k IN ITEMS STALL_THRESHOLD STRESS_BUDGET)
    if(NOT arg_${_k} MATCHES "^[0-9]+(\\.[0-9]+)?$")
      message(FATAL_ERROR "${_fn}(${name}): ${_k} must be a non-negative number, got \"${arg_${_k}}\"")
    endif()
  endforeach()
  if(arg_TSAN)
    foreach(_k IN LISTS _tsan_scaled)
      math(EXPR arg_${_k} "${arg_${_k}} * ${LABEILLE_FT_TSAN_SLOWDOWN}")
    endforeach()
  endif()
  if(DEFINED arg_CLONE_DEPTH AND NOT arg_CLONE_DEPTH MATCHES "^[0-9]+$")
    message(FATAL_ERROR "${_fn}(${name}): CLONE_DEPTH must be a non-negative integer, got \"${arg_CLONE_DEPTH}\"")
  endif()
  foreach(_m IN LISTS arg_GIL_MODES)
    if(NOT _m MATCHES "^gil[01]$")
      message(FATAL_ERROR "${_fn}(${name}): GIL_MODES takes gil0 and/or gil1, got \"${_m}\"")
    endif()
  endforeach()
  foreach(_e IN LISTS arg_ENV)
    _labeille_ft_item_decode(_e "${_e}")
    if(NOT _e MATCHES "^[A-Za-z_][A-Za-z0-9_]*=")
      message(FATAL_ERROR "${_fn}(${name}): ENV takes KEY=VALUE items, got \"${_e}\"")
    endif()
  endforeach()
  foreach(_l IN LISTS arg_LABELS)
    if(NOT _l MATCHES "^[A-Za-z0-9._-]+$")
      message(FATAL_ERROR "${_fn}(${name}): LABELS: \"${_l}\" may only use [A-Za-z0-9._-]")
    endif()
  endforeach()
  if(NOT DEFINED arg_SOURCE)
    set(arg_SOURCE "${LABEILLE_FT_SOURCE}")
  endif()
  if(NOT arg_GIL_CONTROL MATCHES "^(always|auto)$")
    message(FATAL_ERROR "${_fn}(${name}): GIL_CONTROL takes always or auto, got \"${arg_GIL_CONTROL}\"")
  endif()
  if(NOT arg_SOURCE MATCHES "^(repo|sdist|auto)$")
    message(FATAL_ERROR "${_fn}(${name}): SOURCE takes repo, sdist or auto, got \"${arg_SOURCE}\"")
  endif()
  # The prefix goes in front of test names, which CTest's regular expressions and
  # [=[ ]=] quoting both take as they are.
  if(NOT "${arg_TEST_PREFIX}" MATCHES "^[A-Za-z0-9._-]*$")
    message(FATAL_ERROR "${_fn}(${name}): TEST_PREFIX \"${arg_TEST_PREFIX}\" may only use [A-Za-z0-9._-]")
  endif()
  list(LENGTH arg_PROPERTIES _n)
  math(EXPR _odd "${_n} % 2")
  if(_odd)
    message(FATAL_ERROR "${_fn}(${name}): PROPERTIES takes <name> <value> pairs, got ${_n} items")
  endif()
endmacro()

# _test_cmd: the override, or the command + -p no:xdist + pytest-run-parallel + suffix.
# The set-up gets it too (to check that its test paths are in the sources).
macro(_labeille_ft_test_command)
  if(NOT "${arg_TEST_COMMAND_OVERRIDE}" STREQUAL "")
    set(_test_cmd "${arg_TEST_COMMAND_OVERRIDE}")
  else()
    set(_test_cmd "python -m pytest")
    if(DEFINED arg_TEST_COMMAND)
      set(_test_cmd "${arg_TEST_COMMAND}")
    endif()
    if(arg_USES_XDIST)
      string(APPEND _test_cmd " -p no:xdist")
    endif()
    if(arg_PARALLEL_THREADS GREATER 0)
      string(APPEND _test_cmd " --parallel-threads=${arg_PARALLEL_THREADS}")
    endif()
    if(NOT "${arg_TEST_COMMAND_SUFFIX}" STREQUAL "")
      string(APPEND _test_cmd " ${arg_TEST_COMMAND_SUFFIX}")
    endif()
  endif()
endmacro()

# ft.<name>.setup: sources, venv, install, startup hook.
macro(_labeille_ft_render_setup)
  set(_cmd "")
  foreach(_a IN ITEMS prepare --record-dir "${_records}" --package "${name}"
                      --python "${LABEILLE_FT_TARGET_PYTHON}" --repos-dir "${_repos}" --venvs-dir "${_venvs}"
                      --timeout "${arg_SETUP_TIMEOUT}")
    _labeille_ft_arg(_cmd "${_a}")
  endforeach()
  if(arg_GIT)
    _labeille_ft_arg(_cmd --git)
    _labeille_ft_arg(_cmd "${arg_GIT}")
    if(DEFINED arg_REF)
      _labeille_ft_arg(_cmd --ref)
      _labeille_ft_arg(_cmd "${arg_REF}")
    endif()
    if(DEFINED arg_CLONE_DEPTH)
      _labeille_ft_arg(_cmd --depth)
      _labeille_ft_arg(_cmd "${arg_CLONE_DEPTH}")
    endif()
    _labeille_ft_arg(_cmd --source)
    _labeille_ft_arg(_cmd "${arg_SOURCE}")
    if(DEFINED arg_VERSION AND NOT arg_SOURCE STREQUAL "repo")
      _labeille_ft_arg(_cmd --version)
      _labeille_ft_arg(_cmd "${arg_VERSION}")
    endif()
  elseif(arg_PATH)
    get_filename_component(_path "${arg_PATH}" ABSOLUTE)
    _labeille_ft_arg(_cmd --path)
    _labeille_ft_arg(_cmd "${_path}")
  else()
    _labeille_ft_arg(_cmd --sdist)
    _labeille_ft_arg(_cmd "${name}")
    if(DEFINED arg_VERSION)
      _labeille_ft_arg(_cmd --version)
      _labeille_ft_arg(_cmd "${arg_VERSION}")
    endif()
  endif()
  if(DEFINED arg_INSTALL_COMMAND)
    _labeille_ft_arg(_cmd --install-command)
    _labeille_ft_arg(_cmd "${arg_INSTALL_COMMAND}")
  endif()
  _labeille_ft_arg(_cmd --installer)
  _labeille_ft_arg(_cmd "${LABEILLE_FT_INSTALLER}")
  if(LABEILLE_FT_INSTALLER STREQUAL "uv")
    _labeille_ft_arg(_cmd --uv)
    _labeille_ft_arg(_cmd "${LABEILLE_FT_UV}")
  endif()
  _labeille_ft_arg(_cmd --test-command)  # only checked: are its test paths in the sources?
  _labeille_ft_arg(_cmd "${_test_cmd}")
  if(arg_PARALLEL_THREADS GREATER 0)
    list(APPEND arg_EXTRA_DEPS pytest-run-parallel)
  endif()
  foreach(_d IN LISTS arg_EXTRA_DEPS)  # one argument each: a specifier may hold ',' or ';'
    _labeille_ft_item_decode(_d "${_d}")
    _labeille_ft_arg(_cmd --extra-dep)
    _labeille_ft_arg(_cmd "${_d}")
  endforeach()
  if(arg_STRESS)
    _labeille_ft_arg(_cmd --stress)
  endif()
  # The set-up has its own limit per step (SETUP_TIMEOUT), never the test run's TIMEOUT: a
  # short test timeout must not turn a slow build into an install_failure. CTest's limit
  # covers the steps (fetch, install, extra deps) plus a margin.
  math(EXPR _setup_timeout "${arg_SETUP_TIMEOUT} * 3 + 60")
  string(APPEND _code
    "add_test([=[${_prefix}.setup]=] \"\${_LFT_SETUP}\"${_cmd})\n"
    "set_tests_properties([=[${_prefix}.setup]=] PROPERTIES FIXTURES_SETUP [=[${_fixture}]=] "
    "LABELS [=[${_labels}]=]${_lock} TIMEOUT ${_setup_timeout} COST ${_package_cost}${_tsan_env})\n")
  string(APPEND _tests " [=[${_prefix}.setup]=]")
endmacro()

# ft.<name>.probe: the import with PYTHON_GIL unset (the setup tool's own choice).
macro(_labeille_ft_render_probe)
  set(_cmd "")
  foreach(_a IN ITEMS probe --record-dir "${_records}" --package "${name}"
                      --repos-dir "${_repos}" --venvs-dir "${_venvs}" --timeout "${arg_SETUP_TIMEOUT}")
    _labeille_ft_arg(_cmd "${_a}")
  endforeach()
  if(DEFINED arg_IMPORT_NAME)
    _labeille_ft_arg(_cmd --import-name)
    _labeille_ft_arg(_cmd "${arg_IMPORT_NAME}")
  endif()
  if(NOT arg_DETECT_EXTENSIONS)
    _labeille_ft_arg(_cmd --no-detect-extensions)
  endif()
  math(EXPR _probe_timeout "${arg_SETUP_TIMEOUT} + 60")
  string(APPEND _code
    "add_test([=[${_prefix}.probe]=] \"\${_LFT_SETUP}\"${_cmd})\n"
    "set_tests_properties([=[${_prefix}.probe]=] PROPERTIES FIXTURES_REQUIRED [=[${_fixture}]=] "
    "LABELS [=[${_labels}]=]${_lock} TIMEOUT ${_probe_timeout}${_tsan_env})\n")
  string(APPEND _tests " [=[${_prefix}.probe]=]")
endmacro()

# ft.<name>.<mode>.iter<NN>: one supervised run of the test command each.
macro(_labeille_ft_render_iterations)
  # CTest 3.25 kills at TIMEOUT without a grace signal, so its limit sits above the
  # runner's own: timeout + stack dump + SIGTERM grace + margin.
  math(EXPR _ctest_timeout "${arg_TIMEOUT} + 60")
  string(LENGTH "${arg_ITERATIONS}" _width)
  if(_width LESS 2)
    set(_width 2)
  endif()
  # What every iteration shares is quoted once (a registry run makes tens of thousands).
  set(_head "")
  foreach(_a IN ITEMS --record-dir "${_records}" --package "${name}")
    _labeille_ft_arg(_head "${_a}")
  endforeach()
  set(_tail "")
  foreach(_a IN ITEMS --cwd "${_repos}/${name}" --venv "${_venvs}/${name}"
                      --stall-threshold "${arg_STALL_THRESHOLD}" --timeout "${arg_TIMEOUT}")
    _labeille_ft_arg(_tail "${_a}")
  endforeach()
  if(arg_TSAN)
    _labeille_ft_arg(_tail --tsan)
    _labeille_ft_arg(_tail --tsan-suppressions)
    _labeille_ft_arg(_tail "${_tsan_supp}")
  endif()
  if(arg_STOP_ON_FIRST_PASS)
    _labeille_ft_arg(_tail --skip-if-passed)
  endif()
  if(NOT arg_UNTIL_BOUND MATCHES "^0?\\.?0*$")
    _labeille_ft_arg(_tail --until-bound)
    _labeille_ft_arg(_tail "${arg_UNTIL_BOUND}")
  endif()
  foreach(_e IN LISTS arg_ENV)
    _labeille_ft_item_decode(_e "${_e}")
    _labeille_ft_arg(_tail --env)
    _labeille_ft_arg(_tail "${_e}")
  endforeach()
  if(_copies)
    _labeille_ft_arg(_tail --copy-cwd-in)
    _labeille_ft_arg(_tail "${_copies}")
  endif()
  _labeille_ft_arg(_tail --shell)
  _labeille_ft_arg(_tail "${_test_cmd}")
  # Plain iterations per GIL mode, then (STRESS) the stress iterations of each mode:
  # the same command, the runner adds pytest-run-parallel (runner/stress.hpp).
  set(_variants "")
  foreach(_mode IN LISTS arg_GIL_MODES)
    list(APPEND _variants "${_mode}|${_mode}|ft.${_mode}|")
  endforeach()
  if(arg_STRESS)
    set(_stress_args "")
    foreach(_a IN ITEMS --stress-threads "${arg_STRESS_THREADS}" --stress-repeat "${arg_STRESS_REPEAT}")
      _labeille_ft_arg(_stress_args "${_a}")
    endforeach()
    if(NOT arg_STRESS_BUDGET MATCHES "^0*(\\.0*)?$")
      _labeille_ft_arg(_stress_args --stress-budget)
      _labeille_ft_arg(_stress_args "${arg_STRESS_BUDGET}")
    endif()
    foreach(_mode IN LISTS arg_GIL_MODES)
      list(APPEND _variants "stress.${_mode}|${_mode}|ft.stress|${_stress_args}")
    endforeach()
  endif()
  foreach(_variant IN LISTS _variants)
    # mode (test name and record), GIL mode, label, extra runner arguments
    string(REPLACE "|" ";" _variant "${_variant}")
    list(GET _variant 0 _mode)
    list(GET _variant 1 _gil_mode)
    list(GET _variant 2 _mode_label)
    list(GET _variant 3 _extra)
    string(SUBSTRING "${_gil_mode}" 3 1 _gil)
    if(arg_ITERATIONS EQUAL 0)  # set-up and probe only
      break()
    endif()
    # GIL_CONTROL auto: a GIL=1 control runs only when a GIL=0 run of the same kind did not
    # pass. It decides at start from the records (exit 77 otherwise), so CTest must start
    # it after those runs: DEPENDS orders without requiring them to pass (a fixture would
    # turn a failed GIL=0 run into a control Not Run, the opposite of what is wanted).
    set(_control "")
    set(_controlled "${_mode}")
    string(REPLACE "gil1" "gil0" _controlled "${_mode}")
    if(arg_GIL_CONTROL STREQUAL "auto" AND _gil STREQUAL "1" AND DEFINED _names_${_controlled})
      _labeille_ft_arg(_control --control-for)
      _labeille_ft_arg(_control "${_controlled}")
    endif()
    _labeille_ft_cost(_cost "${name}" "${_mode}" "${arg_TIMEOUT}")
    set(_names "")
    foreach(_i RANGE 1 ${arg_ITERATIONS})
      string(LENGTH "${_i}" _l)
      set(_nn "${_i}")
      while(_l LESS _width)
        string(PREPEND _nn "0")
        math(EXPR _l "${_l} + 1")
      endwhile()
      # Prefix, name, mode and number are [A-Za-z0-9._-] (checked): safe in [=[ ]=].
      set(_test "${_prefix}.${_mode}.iter${_nn}")
      string(APPEND _code
        "add_test([=[${_test}]=] \"\${_LFT_RUNNER}\"${_head} [=[--mode]=] [=[${_mode}]=] [=[--gil]=] [=[${_gil}]=] "
        "[=[--iteration]=] [=[${_i}]=] [=[--test-name]=] [=[${_test}]=]${_extra}${_control}${_tail})\n")
      string(APPEND _names " [=[${_test}]=]")
    endforeach()
    # One set_tests_properties() per mode: CTest scans every test per call, so one call
    # per test made `ctest -N` quadratic (60k tests: minutes).
    set(_depends "")
    set(_after "")
    if(_control)
      string(APPEND _after " ${_names_${_controlled}}")
    endif()
    # STRESS_BUDGET: a stress run scales its repetitions from the gil0 runs' durations, so
    # it starts after them.
    if(_mode MATCHES "^stress\\." AND NOT arg_STRESS_BUDGET MATCHES "^0*(\\.0*)?$" AND DEFINED _names_gil0)
      string(APPEND _after " ${_names_gil0}")
    endif()
    if(_after)
      string(REGEX REPLACE "\\]=\\] \\[=\\[" ";" _d "${_after}")
      string(STRIP "${_d}" _d)
      set(_depends " DEPENDS ${_d}")
    endif()
    # The runner's skip status: the tools file sets it (see _labeille_ft_begin).
    string(APPEND _code
      "set_tests_properties(${_names} PROPERTIES FIXTURES_REQUIRED [=[${_fixture}]=] "
      "LABELS [=[${_labels};${_mode_label}]=]${_iter_lock}${_depends} "
      "TIMEOUT ${_ctest_timeout} SKIP_RETURN_CODE \${_LFT_SKIP_CODE} COST ${_cost})\n")
    set(_names_${_mode} "${_names}")
    string(APPEND _tests "${_names}")
  endforeach()
endmacro()

# PROPERTIES <name> <value>...: set on every test of the package after the module's own,
# so a value given here replaces the module's (LABELS, TIMEOUT) — add labels with LABELS.
macro(_labeille_ft_render_properties)
  if(arg_PROPERTIES)
    set(_props "")
    foreach(_p IN LISTS arg_PROPERTIES)
      _labeille_ft_arg(_props "${_p}")
    endforeach()
    string(APPEND _code "set_tests_properties(${_tests} PROPERTIES${_props})\n")
  endif()
endmacro()

function(labeille_ft_add_registry)
  set(_fn labeille_ft_add_registry)
  # By hand rather than cmake_parse_arguments: PACKAGES ends at any keyword of
  # labeille_ft_add_package too, and those (with their values) pass through.
  set(_pass_kw ${_LABEILLE_FT_OPTIONS} ${_LABEILLE_FT_ONE} ${_LABEILLE_FT_MULTI})
  set(arg_PACKAGES "")
  set(arg_UNPARSED_ARGUMENTS "")
  set(_state "")
  foreach(_a IN LISTS ARGN)
    if(_a MATCHES "^(DIR|TOP|PACKAGES)$")
      set(_state "${_a}")
    elseif(_a IN_LIST _pass_kw)
      set(_state pass)
      list(APPEND arg_UNPARSED_ARGUMENTS "${_a}")
    elseif(_state MATCHES "^(DIR|TOP)$")
      set(arg_${_state} "${_a}")
      set(_state "")
    elseif(_state STREQUAL "PACKAGES")
      list(APPEND arg_PACKAGES "${_a}")
    elseif(_state STREQUAL "pass")
      list(APPEND arg_UNPARSED_ARGUMENTS "${_a}")
    else()
      message(FATAL_ERROR "${_fn}(): unexpected argument \"${_a}\"")
    endif()
  endforeach()
  if(_state MATCHES "^(DIR|TOP)$")
    message(FATAL_ERROR "${_fn}(): keyword ${_state} needs a value")
  endif()
  if(NOT arg_DIR)
    message(FATAL_ERROR "${_fn}(): DIR <registry dir> is required")
  endif()
  if("TEST_LIST" IN_LIST arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "${_fn}(): TEST_LIST names one package's tests; give it to labeille_ft_add_package")
  endif()
  if(DEFINED arg_TOP AND NOT arg_TOP MATCHES "^[0-9]+$")
    message(FATAL_ERROR "${_fn}(): TOP must be a non-negative integer, got \"${arg_TOP}\"")
  endif()
  get_filename_component(_dir "${arg_DIR}" ABSOLUTE)
  if(NOT EXISTS "${_dir}/index.yaml")
    message(FATAL_ERROR "${_fn}(): ${_dir}/index.yaml not found: DIR must be a labeille registry "
                        "(schema.yaml, index.yaml, packages/<name>.yaml)")
  endif()
  _labeille_ft_defaults()
  _labeille_ft_check_run(${_fn})
  _labeille_ft_begin()
  get_property(_n GLOBAL PROPERTY _LABEILLE_FT_REGISTRY_COUNT)
  if(NOT _n)
    set(_n 0)
  endif()
  math(EXPR _n "${_n} + 1")
  set_property(GLOBAL PROPERTY _LABEILLE_FT_REGISTRY_COUNT ${_n})
  set(_out "${CMAKE_BINARY_DIR}/LabeilleFT/registry-${_n}.cmake")
  set(_args --dir "${_dir}" --output "${_out}" --python-version "${LABEILLE_FT_PYTHON_VERSION}")
  if(arg_TOP)
    list(APPEND _args --top ${arg_TOP})
  endif()
  foreach(_p IN LISTS arg_PACKAGES)
    list(APPEND _args --package "${_p}")
  endforeach()

  get_target_property(_imported LabeilleFT::registry IMPORTED)
  if(_imported)
    # find_package(): the tool exists, read the registry now; edits re-run the configure.
    get_target_property(_tool LabeilleFT::registry LOCATION)
    execute_process(COMMAND "${_tool}" ${_args} RESULT_VARIABLE _rc ERROR_VARIABLE _err)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "${_fn}(): labeille-ft-registry failed (exit ${_rc}):\n${_err}")
    endif()
    file(GLOB _files CONFIGURE_DEPENDS "${_dir}/index.yaml" "${_dir}/packages/*.yaml")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_files})
    set(LABEILLE_FT_REGISTRY_EXTRA_ARGS "${arg_UNPARSED_ARGUMENTS}")
    include("${_out}")
  else()
    # add_subdirectory(): the tool is built later; CTest runs it when it reads tests.cmake.
    get_property(_snapshot GLOBAL PROPERTY _LABEILLE_FT_SNAPSHOT)
    set(_stanza "block()\n${_snapshot}")
    foreach(_v IN LISTS _LABEILLE_FT_RUN_VARS)  # this call's values win over the first call's
      if(DEFINED LABEILLE_FT_${_v})
        _labeille_ft_quote(_q "${LABEILLE_FT_${_v}}")
        string(APPEND _stanza "  set(LABEILLE_FT_${_v} ${_q})\n")
      endif()
    endforeach()
    _labeille_ft_quote(_q "${arg_UNPARSED_ARGUMENTS}")
    string(APPEND _stanza "  set(LABEILLE_FT_REGISTRY_EXTRA_ARGS ${_q})\n")
    set(_argv "")
    foreach(_a IN LISTS _args)
      _labeille_ft_arg(_argv "${_a}")
    endforeach()
    _labeille_ft_quote(_qout "${_out}")
    string(APPEND _stanza
      "  execute_process(COMMAND \"\${_LFT_REGISTRY}\"${_argv} RESULT_VARIABLE _rc ERROR_VARIABLE _err)\n"
      "  if(NOT _rc EQUAL 0)  # one rule in both modes: an unreadable registry is an error\n"
      "    message(FATAL_ERROR \"labeille_ft_add_registry(): labeille-ft-registry failed (exit \${_rc}; \"\n"
      "                        \"built yet? run cmake --build first):\\n\${_err}\")\n"
      "  endif()\n"
      "  include(${_qout})  # its warnings (malformed package files) are in the file it wrote\n"
      "endblock()\n")
    set_property(GLOBAL APPEND_STRING PROPERTY _LABEILLE_FT_STANZAS "${_stanza}")
  endif()
endfunction()

cmake_policy(POP)
