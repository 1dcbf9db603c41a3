#!/usr/bin/env bash
# scripts/setup.sh — make this machine ready to build and run labeille ft.
#
# Idempotent and non-interactive. It:
#   1. installs the Debian packages the build and the tests need (only the missing ones);
#   2. provisions a free-threaded CPython (PEP 703) and prints its path on the last
#      line of stdout (everything else goes to stderr).
#
# Which interpreter, first match wins:
#   --target-python PATH | $LABEILLE_FT_PYTHON | python3.13t/python3.14t on PATH |
#   the cached build under ~/.cache/labeille-ft/ | a fresh build of CPython 3.13
#   --disable-gil from Debian's python3.13 source package (suite trixie), fetched
#   with apt through a private sources list that reuses this machine's mirror URI.
# The chosen interpreter must report Py_GIL_DISABLED=1 and sys._is_gil_enabled()
# False, or the script refuses it (exit 3).
#
# Options:
#   --target-python PATH   use this interpreter (checked, never built)
#   --tsan                 also build the --with-thread-sanitizer variant
#   --no-apt               skip the Debian package step
#   --no-python            only the Debian packages (e.g. a machine that only folds results)
#   --source-tarball PATH  build from this CPython source tarball instead of Debian's
#
# Exit codes: 0 ok, 2 bad usage, 3 interpreter refused, 4 package install failed,
#             5 CPython build failed.
set -euo pipefail

CACHE="${LABEILLE_FT_CACHE:-$HOME/.cache/labeille-ft}"
target_python="${LABEILLE_FT_PYTHON:-}"
want_tsan=0
do_apt=1
do_python=1
source_tarball=""

log() { printf 'labeille-setup: %s\n' "$*" >&2; }
die() { local code=$1; shift; printf 'labeille-setup: error: %s\n' "$*" >&2; exit "$code"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --target-python) [ $# -ge 2 ] || die 2 "--target-python needs a path"; target_python=$2; shift 2 ;;
    --tsan) want_tsan=1; shift ;;
    --no-apt) do_apt=0; shift ;;
    --no-python) do_python=0; shift ;;
    --source-tarball) [ $# -ge 2 ] || die 2 "--source-tarball needs a path"; source_tarball=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 0 ;;
    *) die 2 "unknown option: $1 (see --help)" ;;
  esac
done

# --- 1. Debian packages ----------------------------------------------------------
DEB_PACKAGES=(
  # build of the project
  cmake ninja-build g++ pkg-config git ccache
  libboost1.81-dev libboost-filesystem1.81-dev
  libfmt-dev rapidjson-dev libpugixml-dev libcli11-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # tests: schema validation (xmllint), the html report's screenshot (chromium)
  libxml2-utils chromium
  # CPython build (ctypes needs libffi; pip needs ssl and zlib)
  build-essential libffi-dev zlib1g-dev libssl-dev libbz2-dev liblzma-dev
  libsqlite3-dev uuid-dev xz-utils ca-certificates
  libtsan2  # runtime of gcc -fsanitize=thread (the runner tests' racy C fixture)
)

apt_missing() {
  local p missing=()
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  printf '%s\n' "${missing[@]}"
}

if [ "$do_apt" = 1 ]; then
  mapfile -t missing < <(apt_missing)
  if [ "${#missing[@]}" -gt 0 ] && [ -n "${missing[0]}" ]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die 4 "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
      || die 4 "apt-get install failed for: ${missing[*]}"
  else
    log "Debian packages: all present"
  fi
fi

# --- 2. free-threaded CPython ----------------------------------------------------
# The interpreter check is the project's one rule (cmake/modules/LabeilleFTPython.py, also
# applied by the CMake module and `labeille ft run`): built with --disable-gil and the GIL
# off at start-up.
CHECK_SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/cmake/modules/LabeilleFTPython.py"
check_python() {  # prints a reason and fails when $1 is not a free-threaded build
  local py=$1 out
  [ -x "$py" ] || { echo "not an executable file: $py"; return 1; }
  out=$(env -u PYTHON_GIL "$py" "$CHECK_SCRIPT" 2>&1) || { echo "could not run $py: $out"; return 1; }
  out=$(printf '%s' "$out" | "$py" -c 'import json, sys
d = json.load(sys.stdin)
print("Py_GIL_DISABLED=%d, GIL enabled at start-up: %s" % (d["py_gil_disabled"], d["gil_enabled_at_start"]))
sys.exit(0 if d["free_threaded"] else 1)' 2>&1) && return 0
  echo "$py is not a free-threaded build with the GIL off by default ($out). Build one with ./configure --disable-gil, or let this script build it by not naming an interpreter."
  return 1
}

mirror_uri() {  # the Debian mirror this machine's apt already uses
  local uri
  uri=$(grep -rhoE '^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?https?://[^[:space:]]+/debian/?([[:space:]]|$)' \
          /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -oE 'https?://[^[:space:]]+' | grep -v security | head -n1)
  echo "${uri:-http://deb.debian.org/debian}"
}

fetch_debian_source() {  # downloads python3.13's orig tarball; prints its path
  local apt_dir="$CACHE/apt" uri cached
  cached=$(ls -1 "$apt_dir"/src/python3.13_*.orig.tar.xz 2>/dev/null | sort | tail -n1 || true)
  if [ -n "$cached" ]; then echo "$cached"; return 0; fi
  uri=$(mirror_uri)
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/src"
  # A private sources list and private state: the system's apt config stays untouched.
  printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s trixie main\n' \
    "$uri" > "$apt_dir/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir"
              -o "APT::Get::Only-Source=true" -o "APT::Sandbox::User=root")
  log "fetching Debian trixie python3.13 source from $uri"
  apt-get "${opts[@]}" update -qq >&2 || die 5 "apt-get update with the private trixie deb-src list failed"
  (cd "$apt_dir/src" && apt-get "${opts[@]}" source --download-only -qq python3.13 >&2) \
    || die 5 "apt-get source python3.13 failed"
  ls -1 "$apt_dir"/src/python3.13_*.orig.tar.xz | sort | tail -n1
}

build_cpython() {  # $1 = prefix, $2 = extra configure flags
  local prefix=$1 extra=$2 tarball=$source_tarball work
  [ -n "$tarball" ] || tarball=$(fetch_debian_source)
  [ -f "$tarball" ] || die 5 "no CPython source tarball at $tarball"
  work=$(mktemp -d "$CACHE/build.XXXXXX")
  log "building CPython from $(basename "$tarball") into $prefix ($extra) — a few minutes"
  tar -xf "$tarball" -C "$work" --strip-components=1
  (
    cd "$work"
    ./configure --prefix="$prefix" --disable-gil $extra --with-ensurepip=install \
      --disable-test-modules >"$work/configure.log" 2>&1 \
      || { tail -n 30 "$work/configure.log" >&2; exit 1; }
    make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -n 40 "$work/make.log" >&2; exit 1; }
    make install >"$work/install.log" 2>&1 || { tail -n 40 "$work/install.log" >&2; exit 1; }
  ) || { rm -rf "$prefix"; die 5 "CPython build failed (logs in $work)"; }
  rm -rf "$work"
}

provision() {  # $1 = variant name, $2 = configure flags; prints the interpreter path
  local prefix="$CACHE/cpython-3.13-$1" py
  py="$prefix/bin/python3.13t"
  if [ -x "$py" ] && check_python "$py" >/dev/null; then
    log "using cached $py"
  else
    mkdir -p "$CACHE"
    build_cpython "$prefix" "$2"
  fi
  echo "$py"
}

[ "$do_python" = 1 ] || exit 0

if [ -z "$target_python" ]; then
  for cand in python3.14t python3.13t; do
    if command -v "$cand" >/dev/null 2>&1 && check_python "$(command -v "$cand")" >/dev/null; then
      target_python=$(command -v "$cand"); log "found $target_python on PATH"; break
    fi
  done
fi
[ -n "$target_python" ] || target_python=$(provision ft "")

reason=$(check_python "$target_python") || die 3 "$reason"
if [ "$want_tsan" = 1 ]; then
  tsan_python=$(provision tsan "--with-thread-sanitizer")
  log "TSAN build: $tsan_python"
fi
log "free-threaded CPython: $target_python"
echo "$target_python"
