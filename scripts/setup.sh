#!/usr/bin/env bash
# scripts/setup.sh — make this machine ready to build and run labeille ft.
#
# Idempotent and non-interactive. It:
#   1. installs the system packages the build and the tests need (only the missing
#      ones), with the names of this distribution (/etc/os-release, below);
#   2. installs uv, the fast installer labeille ft prefers for package venvs, from PyPI
#      into a tools venv of its own, ~/.cache/labeille-ft/tools (made with the system
#      python3, pinned to UV_VERSION; never into the interpreter under test);
#   3. provisions a free-threaded CPython (PEP 703) and prints its path on the last
#      line of stdout (everything else goes to stderr).
#
# Which interpreter, first match wins:
#   --target-python PATH | $LABEILLE_FT_PYTHON | python3.13t/python3.14t on PATH
#   (with --python X.Y: only pythonX.Yt, and an interpreter of another version is
#   refused or, from $LABEILLE_FT_PYTHON, ignored) | the cached build
#   ~/.cache/labeille-ft/cpython-X.Y-ft/ | a fresh build of CPython X.Y --disable-gil,
#   from --source-tarball or from Debian's pythonX.Y source package of a suite that has
#   it (3.13: trixie; 3.14: forky, then sid; later: sid; or --debian-suite), fetched
#   with apt through a private sources list that reuses this machine's mirror URI (the
#   system's apt config is never edited). The build is installed into a staging
#   directory and moved into the cache only when complete: a failed or missing version
#   leaves no half-built cache.
# The chosen interpreter must report Py_GIL_DISABLED=1 and sys._is_gil_enabled()
# False, or the script refuses it (exit 3).
#
# System packages by distribution (--print-packages shows the list):
#   every one:      cmake ninja-build g++ pkg-config git ccache libfmt-dev rapidjson-dev
#                   libpugixml-dev libcli11-dev libyaml-cpp-dev libgtest-dev libgmock-dev
#                   libbenchmark-dev libxml2-utils build-essential libffi-dev zlib1g-dev
#                   libssl-dev libbz2-dev liblzma-dev libsqlite3-dev uuid-dev xz-utils
#                   ca-certificates libtsan2 python3-venv
#   Debian 12:      libboost1.81-dev libboost-filesystem1.81-dev chromium
#                   (Debian 12's default Boost, 1.74, predates Process v2)
#   Debian 13, testing, sid:
#                   libboost-dev libboost-filesystem-dev chromium   (Boost 1.83)
#   Ubuntu 24.04 and later:
#                   libboost-dev libboost-filesystem-dev            (Boost 1.83; Ubuntu's
#                   chromium is a snap, so the html screenshot test skips itself)
#   Older releases (Debian 11, Ubuntu 22.04: Boost < 1.81) and other distributions are
#   refused (exit 4); install the equivalents yourself (any Boost >= 1.81 with Process
#   v2) and pass --no-apt.
#
# --tsan also provisions CPython 3.13 built --disable-gil --with-thread-sanitizer,
# cached as ~/.cache/labeille-ft/cpython-3.13-tsan/bin/python3.13t (once: ~8 minutes of
# CPU, about 5 minutes on an idle 2-core machine, an hour on a heavily shared one), and installs CPython's own ThreadSanitizer suppression
# files from the same source tarball (Tools/tsan/suppressions*.txt) beside it, in
# <prefix>/share/labeille-ft/tsan/, where `labeille ft run --tsan` and the CMake module
# find them. A cached build that lacks them gets them without a rebuild.
#
# Options:
#   --python X.Y           the CPython version (default 3.13; free-threading needs >= 3.13)
#   --target-python PATH   use this interpreter (checked, never built)
#   --tsan                 also build the --with-thread-sanitizer variant (see above)
#   --print-tsan           with --tsan: print the TSAN interpreter's path last instead
#   --source-tarball PATH  build from this CPython source tarball instead of Debian's
#   --debian-suite SUITE   take the pythonX.Y source package from this Debian suite
#   --download-only        fetch the CPython source into the cache, print its path, stop
#   --no-apt               skip the system package step
#   --no-uv                do not install uv (labeille ft then installs with pip)
#   --no-python            only the system packages (e.g. a machine that only folds results)
#   --print-packages       print this distribution's package list, one a line, and exit
#   --os-release FILE      read the distribution from FILE, not /etc/os-release
#
# Exit codes: 0 ok, 2 bad usage, 3 interpreter refused, 4 system packages or uv could
#             not be installed (or unsupported distribution), 5 CPython source or build failed.
set -euo pipefail

CACHE="${LABEILLE_FT_CACHE:-$HOME/.cache/labeille-ft}"
UV_VERSION=0.13.8
target_python="${LABEILLE_FT_PYTHON:-}"
target_from_env=1
[ -n "$target_python" ] || target_from_env=0
python_version=""
want_tsan=0
print_tsan=0
do_apt=1
do_uv=1
do_python=1
download_only=0
print_packages=0
os_release=/etc/os-release
source_tarball=""
debian_suite=""

log() { printf 'labeille-setup: %s\n' "$*" >&2; }
die() { local code=$1; shift; printf 'labeille-setup: error: %s\n' "$*" >&2; exit "$code"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --python) [ $# -ge 2 ] || die 2 "--python needs a version (e.g. 3.14)"; python_version=$2; shift 2 ;;
    --target-python) [ $# -ge 2 ] || die 2 "--target-python needs a path"; target_python=$2; target_from_env=0; shift 2 ;;
    --tsan) want_tsan=1; shift ;;
    --print-tsan) print_tsan=1; shift ;;
    --no-apt) do_apt=0; shift ;;
    --no-uv) do_uv=0; shift ;;
    --no-python) do_python=0; shift ;;
    --download-only) download_only=1; shift ;;
    --print-packages) print_packages=1; shift ;;
    --os-release) [ $# -ge 2 ] || die 2 "--os-release needs a file"; os_release=$2; shift 2 ;;
    --source-tarball) [ $# -ge 2 ] || die 2 "--source-tarball needs a path"; source_tarball=$2; shift 2 ;;
    --debian-suite) [ $# -ge 2 ] || die 2 "--debian-suite needs a suite name"; debian_suite=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 0 ;;
    *) die 2 "unknown option: $1 (see --help)" ;;
  esac
done
if [ -n "$python_version" ]; then
  [[ "$python_version" =~ ^3\.(1[3-9]|[2-9][0-9])$ ]] \
    || die 2 "--python $python_version: give X.Y, 3.13 or newer (free-threading came with CPython 3.13)"
fi
version=${python_version:-3.13}

# --- 1. system packages ----------------------------------------------------------
COMMON_PACKAGES=(
  # build of the project (Boost: by distribution, below)
  cmake ninja-build g++ pkg-config git ccache
  libfmt-dev rapidjson-dev libpugixml-dev libcli11-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # tests: schema validation (xmllint)
  libxml2-utils
  # CPython build (ctypes needs libffi; pip needs ssl and zlib)
  build-essential libffi-dev zlib1g-dev libssl-dev libbz2-dev liblzma-dev
  libsqlite3-dev uuid-dev xz-utils ca-certificates
  libtsan2      # runtime of gcc -fsanitize=thread (the runner tests' racy C fixture)
  python3-venv  # the tools venv that holds uv
)

distribution_packages() {  # prints the package list for the os-release file $1
  local id version_id
  [ -r "$1" ] || die 4 "cannot read $1 (which distribution is this?)"
  # shellcheck disable=SC1090  # os-release is shell assignments by definition
  read -r id version_id < <(. "$1"; echo "${ID:-unknown} ${VERSION_ID:-rolling}")
  local extra
  case "$id:$version_id" in
    debian:12) extra="libboost1.81-dev libboost-filesystem1.81-dev chromium" ;;
    debian:rolling) extra="libboost-dev libboost-filesystem-dev chromium" ;;  # testing, sid
    debian:*)
      [ "${version_id%%.*}" -ge 13 ] 2>/dev/null \
        || die 4 "Debian $version_id has no Boost >= 1.81 with Process v2 (Debian 12 or newer does); install one yourself and pass --no-apt"
      extra="libboost-dev libboost-filesystem-dev chromium" ;;
    ubuntu:*)
      [ "${version_id%%.*}" -ge 24 ] 2>/dev/null \
        || die 4 "Ubuntu $version_id ships Boost older than 1.81 (Process v2 needs >= 1.81: Ubuntu 24.04 or newer); install one yourself and pass --no-apt"
      extra="libboost-dev libboost-filesystem-dev" ;;
    *) die 4 "unsupported distribution '$id' $version_id (Debian 12+ and Ubuntu 24.04+ are known): install the equivalents of 'scripts/setup.sh --print-packages --os-release <a Debian 12 os-release>' and pass --no-apt" ;;
  esac
  # shellcheck disable=SC2086  # extra is a list of names
  printf '%s\n' "${COMMON_PACKAGES[@]}" $extra
}

if [ "$print_packages" = 1 ]; then
  distribution_packages "$os_release"
  exit 0
fi

apt_missing() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

if [ "$do_apt" = 1 ]; then
  mapfile -t PACKAGES < <(distribution_packages "$os_release")
  [ "${#PACKAGES[@]}" -gt 0 ] || exit 4  # distribution_packages has said why
  mapfile -t missing < <(apt_missing)
  if [ "${#missing[@]}" -gt 0 ] && [ -n "${missing[0]}" ]; then
    log "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die 4 "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
      || die 4 "apt-get install failed for: ${missing[*]}"
  else
    log "system packages: all present"
  fi
fi

[ "$do_python" = 1 ] || exit 0

# --- 2. uv -------------------------------------------------------------------------
install_uv() {  # the pinned uv in $CACHE/tools/bin/uv, for the project's own use
  local tools="$CACHE/tools" sys_py
  if [ -x "$tools/bin/uv" ] && [[ "$("$tools/bin/uv" --version 2>/dev/null)" == "uv $UV_VERSION"* ]]; then
    log "uv $UV_VERSION: $tools/bin/uv"
    return 0
  fi
  sys_py=/usr/bin/python3
  [ -x "$sys_py" ] || sys_py=$(command -v python3) || die 4 "no system python3 to make the tools venv for uv"
  log "installing uv $UV_VERSION from PyPI into $tools"
  rm -rf "$tools"
  mkdir -p "$CACHE"
  "$sys_py" -m venv "$tools" >&2 || die 4 "$sys_py -m venv $tools failed (Debian/Ubuntu: python3-venv)"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" >&2 \
    || { rm -rf "$tools"; die 4 "pip install uv==$UV_VERSION failed"; }
}
[ "$do_uv" = 0 ] || [ "$download_only" = 1 ] || install_uv

# --- 3. free-threaded CPython ----------------------------------------------------
# The interpreter check is the project's one rule (cmake/modules/LabeilleFTPython.py, also
# applied by the CMake module and `labeille ft run`): built with --disable-gil and the GIL
# off at start-up; with --python X.Y, also of that version.
CHECK_SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/cmake/modules/LabeilleFTPython.py"
check_python() {  # prints a reason and fails when $1 is not a free-threaded build (of X.Y $2, if given)
  local py=$1 want=${2:-} out rc=0
  [ -x "$py" ] || { echo "not an executable file: $py"; return 1; }
  # TSAN_OPTIONS: a TSAN build would report CPython's own shutdown races and exit 66.
  out=$(env -u PYTHON_GIL TSAN_OPTIONS="exitcode=0 report_bugs=0" "$py" "$CHECK_SCRIPT" 2>&1) || { echo "could not run $py: $out"; return 1; }
  out=$(printf '%s' "$out" | TSAN_OPTIONS="exitcode=0 report_bugs=0" "$py" -c 'import json, sys
d = json.load(sys.stdin)
if sys.argv[1] and d["version_xy"] != sys.argv[1]:
    print("CPython %s, not the --python %s asked for" % (d["version_xy"], sys.argv[1]))
    sys.exit(2)
print("Py_GIL_DISABLED=%d, GIL enabled at start-up: %s" % (d["py_gil_disabled"], d["gil_enabled_at_start"]))
sys.exit(0 if d["free_threaded"] else 1)' "$want" 2>&1) || rc=$?
  [ "$rc" = 0 ] && return 0
  if [ "$rc" = 2 ]; then echo "$py is $out"; return 1; fi
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

debian_suites() {  # the Debian suites that carry python$1 (--debian-suite overrides)
  if [ -n "$debian_suite" ]; then echo "$debian_suite"; return; fi
  case "$1" in
    3.13) echo trixie ;;
    3.14) echo "forky sid" ;;
    *) echo sid ;;
  esac
}

fetch_debian_source() {  # downloads python$version's orig tarball into the cache; prints its path
  local apt_dir="$CACHE/apt" uri cached suite tried="" dl
  cached=$(ls -1 "$apt_dir"/src/python"$version"_*.orig.tar.xz 2>/dev/null | sort | tail -n1 || true)
  if [ -n "$cached" ]; then echo "$cached"; return 0; fi
  uri=$(mirror_uri)
  for suite in $(debian_suites "$version"); do
    tried="$tried $suite"
    # A private sources list and private state per suite: the system's apt config stays untouched.
    local state="$apt_dir/$suite"
    mkdir -p "$state/lists/partial" "$state/archives/partial" "$apt_dir/src"
    printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
      "$uri" "$suite" > "$state/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
                -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state"
                -o "APT::Get::Only-Source=true" -o "APT::Sandbox::User=root")
    log "fetching Debian $suite python$version source from $uri"
    if ! apt-get "${opts[@]}" update -qq >&2; then
      log "apt-get update of Debian $suite's sources failed"; continue
    fi
    # Downloaded beside the cache and moved in whole: an interrupted download is never a cached source.
    dl=$(mktemp -d "$apt_dir/download.XXXXXX")
    if (cd "$dl" && apt-get "${opts[@]}" source --download-only -qq "python$version" >&2) \
       && ls "$dl"/python"$version"_*.orig.tar.xz >/dev/null 2>&1; then
      mv "$dl"/* "$apt_dir/src/"
      rm -rf "$dl"
      ls -1 "$apt_dir"/src/python"$version"_*.orig.tar.xz | sort | tail -n1
      return 0
    fi
    rm -rf "$dl"
    log "Debian $suite: no python$version source to download"
  done
  die 5 "no CPython $version source: Debian's python$version source package could not be fetched from$tried on $uri (not in the suite, or its files are not served there). Give a CPython $version source tarball with --source-tarball, or another suite with --debian-suite."
}

source_tarball_path() {  # the tarball to build (checked), fetched from Debian unless given
  if [ -n "$source_tarball" ]; then
    [ -f "$source_tarball" ] || die 5 "--source-tarball $source_tarball: no such file"
    echo "$source_tarball"
  else
    fetch_debian_source
  fi
}

build_cpython() {  # $1 = prefix, $2 = extra configure flags
  local prefix=$1 extra=$2 tarball work got
  tarball=$(source_tarball_path)
  work=$(mktemp -d "$CACHE/build.XXXXXX")
  log "building CPython from $(basename "$tarball") into $prefix ($extra) — a few minutes"
  mkdir -p "$work/src"
  tar -xf "$tarball" -C "$work/src" --strip-components=1 || die 5 "cannot unpack $tarball (logs in $work)"
  got=$(sed -n 's/^#define PY_VERSION[[:space:]]*"\([0-9]*\.[0-9]*\).*"/\1/p' "$work/src/Include/patchlevel.h" 2>/dev/null || true)
  [ "$got" = "$version" ] || { rm -rf "$work"; die 5 "$tarball holds CPython '${got:-?}', not $version: pass --python ${got:-X.Y} or another tarball"; }
  (
    cd "$work/src"
    # A TSAN build runs itself during the build and install (ensurepip, compileall): its
    # reports of CPython's own races must not fail them with TSAN's exit status 66.
    export TSAN_OPTIONS="exitcode=0 report_bugs=0"
    ./configure --prefix="$prefix" --disable-gil $extra --with-ensurepip=install \
      --disable-test-modules >"$work/configure.log" 2>&1 \
      || { tail -n 30 "$work/configure.log" >&2; exit 1; }
    make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -n 40 "$work/make.log" >&2; exit 1; }
    # Staged, then moved into the cache whole: a failed install leaves no half-built cache.
    make install DESTDIR="$work/stage" >"$work/install.log" 2>&1 || { tail -n 40 "$work/install.log" >&2; exit 1; }
  ) || die 5 "CPython build failed (logs in $work)"
  [ -d "$work/stage$prefix" ] || die 5 "CPython's make install put nothing under $prefix (logs in $work)"
  rm -rf "$prefix"
  mkdir -p "$(dirname "$prefix")"
  mv "$work/stage$prefix" "$prefix"
  rm -rf "$work"
}

is_tsan_build() {  # $1 = interpreter; true when it was configured --with-thread-sanitizer
  TSAN_OPTIONS="exitcode=0 report_bugs=0" "$1" -c 'import sys, sysconfig
sys.exit("--with-thread-sanitizer" not in (sysconfig.get_config_var("CONFIG_ARGS") or ""))' 2>/dev/null
}

# CPython's own known races (reported at start-up and shutdown of every process, pip's
# too) are suppressed with the files CPython ships for its own TSAN CI; they come from
# the tarball the interpreter was built from.
install_tsan_suppressions() {  # $1 = prefix of the TSAN build
  local dir="$1/share/labeille-ft/tsan" tarball
  if [ -f "$dir/suppressions_free_threading.txt" ] && [ -f "$dir/suppressions.txt" ]; then return 0; fi
  tarball=$(source_tarball_path)
  mkdir -p "$dir"
  tar -xf "$tarball" -C "$dir" --strip-components=3 --wildcards '*/Tools/tsan/suppressions*.txt' \
    || die 5 "no Tools/tsan/suppressions*.txt in $tarball"
  [ -f "$dir/suppressions_free_threading.txt" ] \
    || die 5 "$tarball has no Tools/tsan/suppressions_free_threading.txt (CPython >= 3.13 ships it)"
  log "installed CPython's TSAN suppressions into $dir"
}

provision() {  # $1 = variant name, $2 = configure flags; prints the interpreter path
  local prefix="$CACHE/cpython-$version-$1" py
  py="$prefix/bin/python${version}t"
  if [ -x "$py" ] && check_python "$py" "$version" >/dev/null && { [ "$1" != tsan ] || is_tsan_build "$py"; }; then
    log "using cached $py"
  else
    mkdir -p "$CACHE"
    local t0=$SECONDS
    build_cpython "$prefix" "$2"
    log "built $py in $((SECONDS - t0)) s"
  fi
  [ "$1" != tsan ] || install_tsan_suppressions "$prefix"
  echo "$py"
}

if [ "$download_only" = 1 ]; then
  mkdir -p "$CACHE"
  source_tarball_path
  exit 0
fi

# --python X.Y: an interpreter of another version from the environment is not this run's.
if [ -n "$python_version" ] && [ -n "$target_python" ]; then
  if ! reason=$(check_python "$target_python" "$python_version"); then
    [ "$target_from_env" = 1 ] || die 3 "$reason"
    log "ignoring \$LABEILLE_FT_PYTHON: $reason"
    target_python=""
  fi
fi
if [ -z "$target_python" ]; then
  candidates="python3.14t python3.13t"
  [ -z "$python_version" ] || candidates="python${python_version}t"
  for cand in $candidates; do
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
if [ "$print_tsan" = 1 ]; then
  [ "$want_tsan" = 1 ] || die 2 "--print-tsan needs --tsan"
  echo "$tsan_python"
else
  echo "$target_python"
fi
