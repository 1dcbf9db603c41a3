#!/usr/bin/env bash
# scripts/demo.sh — set up everything and run the main job on its embedded default
# (README command 1).
#
# Today the main job is the supervising runner on the demo commands below, each run
# with the free-threaded CPython: a passing suite, a segfault, a lock-order deadlock, a
# silent busy loop. The summary shows what labeille-ft-runner made of each attempt.
# Records go to ${LABEILLE_FT_DEMO_DIR:-./ft-work/demo}.
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(bash scripts/setup.sh | tail -n1)
cmake --preset release -DLABEILLE_FT_TEST_PYTHON="$py" >/dev/null
cmake --build --preset release --target labeille-ft-runner labeille_ft_hook labeille >/dev/null
runner=build/release/runner/labeille-ft-runner
work=${LABEILLE_FT_DEMO_DIR:-$PWD/ft-work/demo}
rm -rf "$work/records"
mkdir -p "$work"

# A venv of the free-threaded CPython with the startup hook (for the stack dumps).
if [ ! -x "$work/venv/bin/python" ]; then "$py" -m venv "$work/venv"; fi
site=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp build/release/share/labeille-ft/hook/labeille_ft_hook.* "$site/"

demo() {  # demo NAME COMMAND
  "$runner" --record-dir "$work/records" --package "$1" --venv "$work/venv" \
    --stall-threshold 3 --timeout 60 --quiet --shell "$2" >/dev/null || true
  python3 - "$work/records/$1" <<'PY'
import glob, json, sys
rec = json.load(open(sorted(glob.glob(sys.argv[1] + "/*/record.json"))[-1]))
print(f"  {rec['package']:<12} {rec['outcome']:<9} {rec['duration_s']:6.2f} s  {rec['detail']}")
PY
}

echo "labeille ft demo: one supervised attempt per demo command ($py)"
demo passing   "python -c 'import sys; print(\"GIL enabled:\", sys._is_gil_enabled())'"
demo segfault  "python -c 'import ctypes; ctypes.string_at(0)'"
demo deadlock  "python tests/fixtures/runner/lock_order_deadlock.py"
demo busyloop  "python tests/fixtures/runner/busy_silent.py"
echo "records: $work/records (see docs/records.md)"
echo
build/release/analyzers/labeille ft fold -o "$work/results" "$work/records"
build/release/analyzers/labeille ft show "$work/results"
