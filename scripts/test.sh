#!/usr/bin/env bash
# scripts/test.sh — set up everything and run the whole test suite (README command 2).
#
#   bash scripts/test.sh [PRESET]      PRESET: dev (default), release, asan
#
# Provisions the Debian packages, the free-threaded CPython and its ThreadSanitizer
# build (scripts/setup.sh --tsan: built once, then cached), then runs the CMake workflow
# preset: configure + build + ctest. Exit status is ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}
LABEILLE_FT_PYTHON=$(bash scripts/setup.sh --tsan | tail -n1)
# The same call again only prints the cached TSAN build's path.
LABEILLE_FT_TSAN_PYTHON=$(bash scripts/setup.sh --no-apt --tsan --print-tsan | tail -n1)
export LABEILLE_FT_PYTHON LABEILLE_FT_TSAN_PYTHON
echo "labeille-test: free-threaded CPython: $LABEILLE_FT_PYTHON"
echo "labeille-test: ThreadSanitizer CPython: $LABEILLE_FT_TSAN_PYTHON"
# A cache from an earlier configure keeps a stale interpreter path; the preset sets it.
exec cmake --workflow --preset "$preset" --fresh
