#!/usr/bin/env bash
# scripts/demo.sh — set up everything and run the main job on its embedded default
# (README command 1): `labeille ft run` over the demo corpus.
#
# The corpus (tests/fixtures/packages, registered in tests/fixtures/registry) has one
# small package per outcome: compatible, compatible_gil_fallback (a C extension without
# Py_mod_gil), intermittent (a real race, and a deterministic twin), incompatible
# (free-threading specific, and pre-existing), crash, deadlock, install_failure,
# import_failure. Each runs 3 times with PYTHON_GIL=0 and 3 times with PYTHON_GIL=1, in
# parallel over the machine's cores, supervised by labeille-ft-runner; the summary is
# `labeille ft show` of the result directory.
#
#   bash scripts/demo.sh [extra `labeille ft run` options, e.g. -n 10]
#
# Work files go to ${LABEILLE_FT_DEMO_DIR:-./ft-work/demo}.
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(bash scripts/setup.sh | tail -n1)
cmake --preset release -DLABEILLE_FT_TEST_PYTHON="$py" >/dev/null
cmake --build --preset release --target labeille labeille-ft-runner labeille-ft-setup labeille_ft_hook \
  labeille_ft_probe_script >/dev/null
work=${LABEILLE_FT_DEMO_DIR:-$PWD/ft-work/demo}
exec build/release/app/labeille ft run --target-python "$py" \
  --registry-dir tests/fixtures/registry --work-dir "$work" --results-dir "$work/results" \
  -n 3 --compare-with-gil --stall-threshold 15 "$@"
