#!/bin/sh
# make_test_venv.sh PYTHON VENV_DIR HOOK_DIR — a venv of the free-threaded CPython with
# pytest and the startup hook, for the runner's real-process tests (a CTest fixture).
# Idempotent: an existing venv made from the same interpreter is reused.
set -eu
py=$1 venv=$2 hook=$3
stamp="$venv/.labeille-test-venv"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$py" ] && [ -x "$venv/bin/python" ]; then
  echo "reusing $venv"
else
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check pytest
  echo "$py" > "$stamp"
fi
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp "$hook/labeille_ft_hook.py" "$hook/labeille_ft_hook.pth" "$site/"
# Byte-compile now: with PYTHONDONTWRITEBYTECODE set (common in CI images) every start
# would compile pytest from source, seconds of silence that look like a stall.
"$venv/bin/python" -m compileall -q "$site" >/dev/null || true
"$venv/bin/python" -c 'import labeille_ft_hook, pytest, sys; print("venv ok", sys.version)'
