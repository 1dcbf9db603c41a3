#[=======================================================================[.rst:
ft_shard.cmake
--------------

Shard ``FT_SHARD_INDEX`` of ``FT_SHARD_COUNT`` of a registry run, as a CTest dashboard
(``ctest -S``). Every machine of a CI matrix runs one shard and submits to the same
CDash; the attempt records of all shards fold into one result with
``labeille ft fold -o merged shard-*/records`` (an attempt seen twice counts once).

::

  ctest -S ctest_scripts/ft_shard.cmake -DFT_SHARD_INDEX=2 -DFT_SHARD_COUNT=4 \
        -DFT_REGISTRY=... -DFT_TARGET_PYTHON=... -DFT_PACKAGE_DIR=... [ft_dashboard.cmake options]
  # e.g. stress iterations, and at most 40 iterations per mode, fewer once settled:
  #   -DFT_STRESS=ON [-DFT_STRESS_THREADS=2] [-DFT_STRESS_REPEAT=20] -DFT_ITERATIONS=40 -DFT_UNTIL_BOUND=0.1

A package goes to shard ``k = (first 28 bits of SHA-1 of its name) mod n`` together with
its set-up, probe, iterations and stress iterations (label ``ft.shard.<k>``): the same on
every machine and every night. The site and build name stay the same for a shard from run to run
(``<FT_SITE or labeille-ft>-shard<k>``, ``<FT_BUILD_NAME>-shard<k>of<n>``), because CDash
keys a test's history on them. Inputs may also come from ``LABEILLE_FT_<NAME>``.
#]=======================================================================]
cmake_minimum_required(VERSION 3.25)

foreach(_n IN ITEMS SHARD_INDEX SHARD_COUNT)
  if((NOT DEFINED FT_${_n} OR FT_${_n} STREQUAL "") AND DEFINED ENV{LABEILLE_FT_${_n}})
    set(FT_${_n} "$ENV{LABEILLE_FT_${_n}}")
  endif()
  if(NOT FT_${_n} MATCHES "^[0-9]+$")
    message(FATAL_ERROR "ctest_scripts: error: FT_${_n}: required, a non-negative integer (got \"${FT_${_n}}\")")
  endif()
endforeach()
if(NOT FT_SHARD_COUNT GREATER 0 OR NOT FT_SHARD_INDEX LESS FT_SHARD_COUNT)
  message(FATAL_ERROR "ctest_scripts: error: FT_SHARD_INDEX: ${FT_SHARD_INDEX} must be below FT_SHARD_COUNT ${FT_SHARD_COUNT} (> 0)")
endif()
if(NOT FT_SITE AND NOT DEFINED ENV{LABEILLE_FT_SITE})
  set(FT_SITE "labeille-ft-shard${FT_SHARD_INDEX}")
endif()
if(NOT FT_BUILD_NAME)
  set(FT_BUILD_NAME "$ENV{LABEILLE_FT_BUILD_NAME}")
  if(NOT FT_BUILD_NAME)
    set(FT_BUILD_NAME "labeille-ft")
  endif()
endif()
set(FT_BUILD_NAME "${FT_BUILD_NAME}-shard${FT_SHARD_INDEX}of${FT_SHARD_COUNT}")
if(NOT FT_LABELS)
  set(FT_LABELS "^ft\\.shard\\.${FT_SHARD_INDEX}$")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/ft_dashboard.cmake")
