"""scripts/setup.sh for real, without building a CPython: package lists by distribution,
--python checks, a missing version (up to the download), and the staged build with a
stand-in CPython source tarball (a failed build leaves no cache; a good one is cached
under its version).

usage: setup_sh_test.py SOURCE_DIR WORK_DIR FT_PYTHON [lists|versions|download]
"""
import io
import os
import shutil
import subprocess
import sys
import tarfile

SOURCE, WORK, FT_PYTHON, PART = sys.argv[1:5]
SETUP_SH = os.path.join(SOURCE, "scripts", "setup.sh")
errors = []


def expect(cond, what):
    if not cond:
        errors.append(what)


def setup_sh(*args, cache=None):
    env = {k: v for k, v in os.environ.items() if k != "LABEILLE_FT_PYTHON"}
    env["LABEILLE_FT_CACHE"] = cache or os.path.join(WORK, "cache")
    return subprocess.run(["bash", SETUP_SH, *args], capture_output=True, text=True, env=env, timeout=600)


def os_release(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


COMMON = {"cmake", "ninja-build", "g++", "git", "ccache", "libfmt-dev", "rapidjson-dev", "libpugixml-dev",
          "libcli11-dev", "libyaml-cpp-dev", "libgtest-dev", "libgmock-dev", "libbenchmark-dev", "libxml2-utils",
          "build-essential", "libffi-dev", "zlib1g-dev", "libssl-dev", "libtsan2", "python3-venv"}


def packages(text):
    r = setup_sh("--print-packages", "--os-release", os_release("os-release", text))
    return r.returncode, r.stdout.split(), r.stderr


def check_lists():
    distros = {
        "Debian 12": ('ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
                      {"libboost1.81-dev", "libboost-filesystem1.81-dev", "chromium"}, {"libboost-dev"}),
        "Debian 13": ('ID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n',
                      {"libboost-dev", "libboost-filesystem-dev", "chromium"}, {"libboost1.81-dev"}),
        "Debian sid": ("ID=debian\nVERSION_CODENAME=sid\n",
                       {"libboost-dev", "libboost-filesystem-dev"}, {"libboost1.81-dev"}),
        "Ubuntu 24.04": ('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n',
                         {"libboost-dev", "libboost-filesystem-dev"}, {"libboost1.81-dev", "chromium"}),
        "Ubuntu 26.04": ('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="26.04"\n', {"libboost-dev"}, {"chromium"}),
    }
    for name, (text, has, lacks) in distros.items():
        code, names, err = packages(text)
        expect(code == 0, f"{name}: exit {code}: {err}")
        expect(len(names) == len(set(names)), f"{name}: a package named twice: {names}")
        expect(COMMON <= set(names), f"{name}: missing {sorted(COMMON - set(names))}")
        expect(has <= set(names), f"{name}: missing {sorted(has - set(names))}")
        expect(not (lacks & set(names)), f"{name}: should not name {sorted(lacks & set(names))}")
    # Too old for Boost >= 1.81, or unknown: refused with the reason, exit 4.
    for name, text, says in [("Ubuntu 22.04", 'ID=ubuntu\nVERSION_ID="22.04"\n', "Ubuntu 22.04"),
                             ("Debian 11", 'ID=debian\nVERSION_ID="11"\n', "Debian 11"),
                             ("Fedora", "ID=fedora\nVERSION_ID=40\n", "unsupported distribution 'fedora'")]:
        code, names, err = packages(text)
        expect(code == 4 and says in err and not names, f"{name}: exit {code}, stdout {names}, stderr {err!r}")
    # On a Debian 12 machine, every name of its list is a real package of its archive.
    here = open("/etc/os-release").read()
    probe = subprocess.run(["apt-cache", "show", "cmake"], capture_output=True) if shutil.which("apt-cache") else None
    if 'VERSION_ID="12"' in here and "ID=debian" in here and probe and probe.returncode == 0:
        _, names, _ = packages(here)
        r = subprocess.run(["apt-cache", "show", "--no-all-versions", *names], capture_output=True, text=True)
        known = {line.split(":", 1)[1].strip() for line in r.stdout.splitlines() if line.startswith("Package:")}
        expect(set(names) <= known, f"Debian 12: apt does not know {sorted(set(names) - known)}")
    else:
        print("not a Debian 12 machine with apt lists: the names were not checked against the archive")


def check_versions():
    for bad in ["3.12", "3", "3.14t", "three"]:
        r = setup_sh("--no-apt", "--no-uv", "--python", bad)
        expect(r.returncode == 2 and "3.13 or newer" in r.stderr, f"--python {bad}: exit {r.returncode} {r.stderr!r}")
    # An interpreter of another version than --python asks for is refused.
    r = setup_sh("--no-apt", "--no-uv", "--python", "3.14", "--target-python", FT_PYTHON)
    expect(r.returncode == 3 and "not the --python 3.14" in r.stderr, f"3.13t as 3.14: exit {r.returncode} {r.stderr!r}")
    # The staged build, with a stand-in CPython source tree whose `make install` works or fails.
    for outcome in ["fails", "works", "wrong-version"]:
        cache = os.path.join(WORK, f"cache-{outcome}")
        shutil.rmtree(cache, ignore_errors=True)
        tarball = fake_cpython(outcome)
        r = setup_sh("--no-apt", "--no-uv", "--python", "3.14", "--source-tarball", tarball, cache=cache)
        prefix = os.path.join(cache, "cpython-3.14-ft")
        if outcome == "works":
            expect(r.returncode == 0 and r.stdout.strip().splitlines()[-1] == f"{prefix}/bin/python3.14t",
                   f"stand-in build: exit {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}")
            again = setup_sh("--no-apt", "--no-uv", "--python", "3.14", "--source-tarball", tarball, cache=cache)
            expect("using cached" in again.stderr, f"the 3.14 build is not reused from its cache: {again.stderr!r}")
        else:
            says = "CPython build failed" if outcome == "fails" else "holds CPython '3.15', not 3.14"
            expect(r.returncode == 5 and says in r.stderr, f"{outcome}: exit {r.returncode}, stderr {r.stderr!r}")
            expect(not os.path.exists(prefix), f"{outcome}: a half-built cache was left at {prefix}")


def fake_cpython(outcome):
    """A source tarball shaped like CPython's: patchlevel.h, configure, a Makefile whose
    install step puts a stand-in free-threaded python3.14t under $(DESTDIR)$(prefix)."""
    version = "3.15.0" if outcome == "wrong-version" else "3.14.0"
    fail = "\tfalse\n" if outcome == "fails" else ""
    files = {
        "Include/patchlevel.h": f'#define PY_VERSION "{version}"\n',
        "configure": "#!/bin/sh\nfor a in \"$@\"; do case $a in --prefix=*) p=${a#--prefix=};; esac; done\n"
                     "printf 'prefix=%s\\n' \"$p\" > prefix.mk\n",
        "Makefile": "include prefix.mk\nall:\n\t@true\ninstall:\n\tmkdir -p $(DESTDIR)$(prefix)/bin\n"
                    "\tcp fakepython $(DESTDIR)$(prefix)/bin/python3.14t\n" + fail,
        # Answers setup.sh's check (LabeilleFTPython.py, then its verdict code) like a
        # free-threaded 3.14 would; the verdict code itself runs on a real python3.
        "fakepython": "#!/bin/sh\nif [ \"$1\" = -c ]; then exec python3 \"$@\"; fi\n"
                      "echo '{\"version_xy\": \"3.14\", \"py_gil_disabled\": true, "
                      "\"gil_enabled_at_start\": false, \"free_threaded\": true}'\n",
    }
    path = os.path.join(WORK, f"Python-{outcome}.tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"Python-{version}/{name}")
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return path


def check_download():
    # Only 3.13's source files are served by this machine's mirror: 3.14 goes as far as the
    # download and stops there with a clear error, leaving nothing that looks like a cache.
    cache = os.path.join(WORK, "cache-download")
    shutil.rmtree(cache, ignore_errors=True)
    r = setup_sh("--no-apt", "--no-uv", "--python", "3.14", "--debian-suite", "forky", "--download-only", cache=cache)
    src = os.path.join(cache, "apt", "src")
    fetched = [f for f in os.listdir(src) if f.endswith(".orig.tar.xz")] if os.path.isdir(src) else []
    if r.returncode == 0:  # a mirror that serves it: the tarball is in the cache
        expect(r.stdout.strip().endswith(".orig.tar.xz") and fetched, f"3.14 download: {r.stdout!r}")
    else:
        expect(r.returncode == 5, f"3.14 download: exit {r.returncode}")
        expect("no CPython 3.14 source" in r.stderr and "--source-tarball" in r.stderr, f"3.14: {r.stderr!r}")
        expect(not fetched and not os.path.exists(os.path.join(cache, "cpython-3.14-ft")),
               f"3.14: a failed download left {fetched}")


def main():
    os.makedirs(WORK, exist_ok=True)
    {"lists": check_lists, "versions": check_versions, "download": check_download}[PART]()
    for e in errors:
        print("FAIL:", e)
    print("ok" if not errors else f"{len(errors)} failure(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
