#!/usr/bin/env bash
# scripts/test.sh — set up everything and run the whole test suite (README command 2).
#
#   bash scripts/test.sh [PRESET]      PRESET: dev (default), release, asan
#
# Provisions the Debian packages and the free-threaded CPython (scripts/setup.sh), then
# runs the CMake workflow preset: configure + build + ctest. Exit status is ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}
LABEILLE_FT_PYTHON=$(bash scripts/setup.sh | tail -n1)
export LABEILLE_FT_PYTHON
echo "labeille-test: free-threaded CPython: $LABEILLE_FT_PYTHON"
# A cache from an earlier configure keeps a stale interpreter path; the preset sets it.
exec cmake --workflow --preset "$preset" --fresh
