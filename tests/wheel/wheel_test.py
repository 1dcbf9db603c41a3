#!/usr/bin/env python3
"""The wheel, as a user gets it: built from this source tree with `pip wheel`, installed
into a fresh venv of a plain (GIL) Python, and used from there only.

usage: wheel_test.py --source DIR --work DIR --python PY --target-python FT_PY
                     --registry DIR --checkouts DIR [--uv UV] [--build-dir DIR]

Checks, each a failure with its evidence:
- `scripts/wheel.sh` (`python -m pip wheel SOURCE`, then `auditwheel repair`) leaves one
  py3-none-manylinux_2_<N>_<arch> wheel whose version is the CMake project's and prints
  its path; the executables are the wheel's scripts.
- `pip install --no-index` of it into a new venv (nothing else is fetched: the wheel has
  no dependencies); every ELF file the install holds loads only the C and C++ runtimes
  or libraries inside the install (ldd), and no library is missing.
- `labeille --version` is the project's; `labeille --cmake-dir` is <venv>/lib/cmake/LabeilleFT.
- find_package(LabeilleFT) from a tiny CMake project, with CMAKE_PREFIX_PATH and with
  LabeilleFT_DIR set to that directory: its imported executables are the venv's, and
  labeille_ft_add_package() makes the package's tests.
- `labeille ft run` from the venv on three fixture packages with the free-threaded
  interpreter: exit 0, the generated tests run the venv's tools, and the
  categories are compatible, compatible_gil_fallback (naming the module that re-enabled
  the GIL) and incompatible (free_threading_specific).
- `labeille ft test DIR` from the venv, no registry: tests/fixtures/checkouts/clean
  (a PEP 621 test extra) compatible with exit 0, stress-race (a PEP 735 group, a race
  only stress shows) intermittent or incompatible with exit 1, markupsafe-2.1.5 (the real
  sdist, a C extension without Py_mod_gil) compatible_gil_fallback with exit 0, naming
  markupsafe._speedups.
- With --uv: `uv tool install` of the wheel exposes the four executables, and its
  `labeille --cmake-dir` names the tool's own environment.

The build directory (--build-dir, default WORK/build) is kept between runs, and the
compiler runs through ccache when there is one, with paths hashed relative to the source
tree: a rebuild, or a fresh clone's build once ccache is warm, is mostly cache hits.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

EXECUTABLES = ("labeille", "labeille-ft-runner", "labeille-ft-setup", "labeille-ft-registry")
# The C and C++ runtimes (glibc's libraries, libstdc++, libgcc_s, the dynamic loader):
# what every Linux machine that runs C++ programs has. Anything else must come from the
# install itself.
RUNTIMES = re.compile(r"^(linux-vdso\.so\.1|linux-gate\.so\.1|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|"
                      r"libdl\.so\.2|librt\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1|ld-linux[-\w.]*\.so\.\d)$")
PACKAGES = {
    "ft-compatible": "compatible",
    "ft-gil-fallback": "compatible_gil_fallback",
    "ft-only-incompatible": "incompatible",
}

errors = []


def expect(cond, what):
    if not cond:
        errors.append(what)
        print("MISMATCH:", what, flush=True)
    return cond


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, **kw)


def check(cmd, what, **kw):
    r = run(cmd, **kw)
    if r.returncode != 0:
        sys.exit(f"FAILED: {what}: {' '.join(cmd)} exited {r.returncode}")
    return r


def clean_env(**extra):
    # Nothing of the build tree or a developer's shell may help the installed tools.
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "PYTHONPATH", "CMAKE_PREFIX_PATH", "LabeilleFT_DIR",
                        "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    env.update(extra)
    return env


def project_version(source):
    text = open(os.path.join(source, "CMakeLists.txt")).read()
    return re.search(r"project\(LabeilleFT\s+VERSION\s+([0-9.]+)", text).group(1)


def build_wheel(a, version):
    dist = os.path.join(a.work, "dist")
    shutil.rmtree(dist, ignore_errors=True)
    env = clean_env(CMAKE_BUILD_PARALLEL_LEVEL="2")
    ccache = shutil.which("ccache")
    if ccache:
        env.update(CMAKE_CXX_COMPILER_LAUNCHER=ccache, CCACHE_BASEDIR=a.source, CCACHE_NOHASHDIR="1")
    r = check(["bash", os.path.join(a.source, "scripts", "wheel.sh"), "--out", dist, "--build-dir", a.build_dir,
               "--python", a.python, "--no-apt"], "scripts/wheel.sh", env=env, stdout=subprocess.PIPE, text=True)
    wheels = glob.glob(os.path.join(dist, "*.whl"))
    if len(wheels) != 1 or r.stdout.strip().splitlines()[-1:] != [os.path.realpath(wheels[0])]:
        sys.exit(f"FAILED: scripts/wheel.sh left {wheels} in {dist} and printed {r.stdout!r}, expected one wheel")
    wheel = wheels[0]
    name = os.path.basename(wheel)
    # auditwheel's tag: the glibc the executables need, so pip refuses older systems.
    expect(re.fullmatch(rf"labeille_ft-{re.escape(version)}-py3-none-manylinux_2_\d+_\w+\.whl", name),
           f"wheel name {name}: expected labeille_ft-{version}-py3-none-manylinux_2_<glibc minor>_<arch>.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    data = f"labeille_ft-{version}.data"
    for exe in EXECUTABLES:
        expect(f"{data}/scripts/{exe}" in names, f"{exe} is not a script of the wheel")
    for f in ("data/lib/cmake/LabeilleFT/LabeilleFTConfig.cmake", "data/lib/cmake/LabeilleFT/LabeilleFTTargets.cmake",
              "data/lib/cmake/LabeilleFT/modules/LabeilleFT.cmake", "data/share/labeille-ft/hook/labeille_ft_hook.pth",
              "data/share/labeille-ft/labeille_ft_probe.py", "data/share/labeille-ft/labeille_ft_sdist.py"):
        expect(f"{data}/{f}" in names, f"the wheel lacks {data}/{f}")
    return wheel


def elf_files(root):
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    yield p


def check_ldd(venv, python_prefix):
    install_root = os.path.realpath(venv)
    # The venv's own python is a link to the interpreter that made it, not part of the
    # install: only files under the venv that the wheel put there are checked.
    checked = []
    for path in elf_files(venv):
        r = run(["ldd", path], capture_output=True, text=True)
        checked.append(os.path.relpath(path, venv))
        if not expect(r.returncode == 0, f"ldd {path} exited {r.returncode}: {r.stderr.strip()}"):
            continue
        for line in r.stdout.splitlines():
            line = line.strip()
            if not line or line.startswith("statically linked"):
                continue
            m = re.match(r"^(\S+)(?:\s+=>\s+(\S+))?", line)
            soname, resolved = m.group(1), m.group(2)
            if resolved == "not":
                expect(False, f"{path}: {soname} not found")
            elif RUNTIMES.match(os.path.basename(soname)):
                continue
            else:
                real = os.path.realpath(resolved or soname)
                expect(real.startswith(install_root + os.sep),
                       f"{path} loads {soname} from {resolved or soname}: neither a C/C++ runtime nor part of the install")
    for exe in EXECUTABLES:
        expect(os.path.join("bin", exe) in checked, f"{exe}: not an ELF file in {venv}/bin")
    print("ldd checked:", ", ".join(sorted(checked)), flush=True)


def check_find_package(a, venv, cmake_dir):
    project = os.path.join(a.work, "consumer")
    shutil.rmtree(project, ignore_errors=True)
    os.makedirs(project)
    pkg = os.path.join(a.source, "tests", "fixtures", "packages", "ft-compatible")
    with open(os.path.join(project, "CMakeLists.txt"), "w") as f:
        f.write(f"""cmake_minimum_required(VERSION 3.25)
project(consumer NONE)
enable_testing()
find_package(LabeilleFT REQUIRED)
foreach(t runner setup labeille registry)
  get_target_property(_loc LabeilleFT::${{t}} LOCATION)
  message(STATUS "LabeilleFT::${{t}} = ${{_loc}}")
endforeach()
set(LABEILLE_FT_TARGET_PYTHON [==[{a.target_python}]==])
labeille_ft_add_package(ft-compatible PATH [==[{pkg}]==] ITERATIONS 2)
""")
    for how in ("CMAKE_PREFIX_PATH", "LabeilleFT_DIR"):
        build = os.path.join(project, "build-" + how)
        r = check(["cmake", "-S", project, "-B", build, f"-D{how}={cmake_dir}"], f"find_package with {how}",
                  capture_output=True, text=True, env=clean_env())
        print(r.stdout, flush=True)
        locations = dict(re.findall(r"-- LabeilleFT::(\w+) = (\S+)", r.stdout))
        for t, exe in (("runner", "labeille-ft-runner"), ("setup", "labeille-ft-setup"),
                       ("labeille", "labeille"), ("registry", "labeille-ft-registry")):
            expect(locations.get(t) == os.path.join(venv, "bin", exe),
                   f"{how}: LabeilleFT::{t} is {locations.get(t)}, expected {venv}/bin/{exe}")
        listed = check(["ctest", "--test-dir", build, "-N"], "ctest -N", capture_output=True, text=True).stdout
        expect("ft.ft-compatible.setup" in listed and "ft.ft-compatible.gil0.iter02" in listed,
               f"{how}: labeille_ft_add_package() made no ft-compatible tests:\n{listed}")


def check_ft_run(a, venv, cmake_dir):
    labeille = os.path.join(venv, "bin", "labeille")
    work = os.path.join(a.work, "ft-run")
    shutil.rmtree(work, ignore_errors=True)
    installer = ["--installer", "uv"] if a.uv else ["--installer", "pip"]
    env = tools_env(a, venv)
    r = run([labeille, "ft", "run", "--target-python", a.target_python, "--registry-dir", a.registry,
             "--packages", ",".join(PACKAGES), "-n", "2", "--compare-with-gil", "-j", "2",
             "--stall-threshold", "300", "--timeout", "900", *installer,
             "--work-dir", os.path.join(work, "w"), "--results-dir", os.path.join(work, "r")], env=env)
    if not expect(r.returncode == 0, f"labeille ft run exited {r.returncode}, expected 0"):
        return
    (run_dir,) = glob.glob(os.path.join(work, "r", "ft_*"))
    # The tools the generated CTest tests run: the module writes their paths, taken from
    # the config package's imported targets, into the run's build tree.
    tools = {}
    for path in glob.glob(os.path.join(run_dir, "**", "LabeilleFT", "*.cmake"), recursive=True):
        tools.update(re.findall(r"^set\(_LFT_(\w+) \[=*\[(.*?)\]=*\]\)$", open(path).read(), re.M))
    for tool in ("RUNNER", "SETUP", "LABEILLE", "REGISTRY"):
        expect(os.path.dirname(tools.get(tool, "")) == os.path.join(venv, "bin"),
               f"the run's tests ran {tool.lower()} {tools.get(tool)!r}, expected one in {venv}/bin")
    with open(os.path.join(run_dir, "ft_results.jsonl")) as f:
        rows = {row["package"]: row for row in map(json.loads, f)}
    for pkg, category in PACKAGES.items():
        expect(rows.get(pkg, {}).get("category") == category,
               f"{pkg}: category {rows.get(pkg, {}).get('category')}, expected {category}")
    expect(rows.get("ft-gil-fallback", {}).get("extension_compat", {}).get("gil_reenabled_by")
           == "ft_gil_fallback._speedups", "ft-gil-fallback: the module that re-enabled the GIL is not named")
    expect(rows.get("ft-only-incompatible", {}).get("gil_comparison") == "free_threading_specific",
           "ft-only-incompatible is not free_threading_specific")
    show = run([labeille, "ft", "show", run_dir], capture_output=True, text=True, env=env)
    print(show.stdout, flush=True)
    expect(show.returncode == 0 and "ft-gil-fallback" in show.stdout, f"labeille ft show exited {show.returncode}")


def tools_env(a, venv):
    # PATH without the venv's bin: the tools must find their siblings by their own place.
    env = clean_env()
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if os.path.realpath(p) != os.path.realpath(os.path.join(venv, "bin")))
    if a.uv:
        env["PATH"] = os.path.dirname(a.uv) + os.pathsep + env["PATH"]
    return env


# `labeille ft test DIR` on checkouts that declare their test dependencies: the verdict
# and the exit status a CI job gates on. The race of stress-race shows only under stress;
# its repetitions are those of tests/driver/ft_test_e2e_test.py, where one of the three
# stress runs finding it is all but certain.
FT_TESTS = [
    ("clean", ["-n", "2", "--stress-repeat", "5"], 0, ("compatible",), "Exit 0"),
    ("stress-race", ["-n", "3", "--stress-repeat", "50", "--stress-budget", "0"], 1, ("intermittent", "incompatible"),
     "Exit 1: a free-threading problem was found"),
    # A real C-extension release that re-enables the GIL on import: the verdict passes (0)
    # and names the module.
    ("markupsafe-2.1.5", ["-n", "2", "--stress-repeat", "5"], 0, ("compatible_gil_fallback",), "Exit 0"),
]
# What the verdict must name, per checkout.
FT_TEST_NAMES = {"markupsafe-2.1.5": "the GIL was re-enabled on import by markupsafe._speedups"}


def check_ft_test(a, venv):
    labeille = os.path.join(venv, "bin", "labeille")
    for checkout, extra, code, categories, exit_line in FT_TESTS:
        work = os.path.join(a.work, "ft-test", checkout)
        shutil.rmtree(work, ignore_errors=True)
        r = run([labeille, "ft", "test", os.path.join(a.checkouts, checkout), "--target-python", a.target_python,
                 "--work-dir", os.path.join(work, "w"), "--results-dir", os.path.join(work, "r"),
                 "--stall-threshold", "300", "--timeout", "900", *extra],
                capture_output=True, text=True, env=tools_env(a, venv))
        print(r.stdout, r.stderr[-3000:], flush=True)
        expect(r.returncode == code, f"ft test {checkout}: exit {r.returncode}, expected {code}")
        expect(exit_line in r.stdout, f"ft test {checkout}: no {exit_line!r} line")
        if checkout in FT_TEST_NAMES:
            expect(FT_TEST_NAMES[checkout] in r.stdout, f"ft test {checkout}: no {FT_TEST_NAMES[checkout]!r}")
        runs = glob.glob(os.path.join(work, "r", "ft_*", "ft_results.jsonl"))
        if not expect(len(runs) == 1, f"ft test {checkout}: result files {runs}"):
            continue
        with open(runs[0]) as f:
            (row,) = [json.loads(line) for line in f]
        expect(row["category"] in categories, f"ft test {checkout}: category {row['category']}, expected {categories}")


def check_uv_tool(a, wheel, version):
    tools = os.path.join(a.work, "uv-tools")
    bins = os.path.join(a.work, "uv-bin")
    for d in (tools, bins):
        shutil.rmtree(d, ignore_errors=True)
    env = clean_env(UV_TOOL_DIR=tools, UV_TOOL_BIN_DIR=bins, UV_NO_CONFIG="1")
    check([a.uv, "tool", "install", "--offline", "--python", a.python, wheel], "uv tool install", env=env)
    for exe in EXECUTABLES:
        expect(os.access(os.path.join(bins, exe), os.X_OK), f"uv tool install did not expose {exe} in {bins}")
    r = run([os.path.join(bins, "labeille"), "--cmake-dir"], capture_output=True, text=True, env=env)
    expected = os.path.join(tools, "labeille-ft", "lib", "cmake", "LabeilleFT")
    expect(r.returncode == 0 and os.path.realpath(r.stdout.strip()) == os.path.realpath(expected),
           f"uv tool's labeille --cmake-dir: exit {r.returncode}, {r.stdout.strip()!r}, expected {expected}")
    r = run([os.path.join(bins, "labeille"), "--version"], capture_output=True, text=True, env=env)
    expect(r.stdout.strip() == version, f"uv tool's labeille --version: {r.stdout.strip()!r}, expected {version}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--python", required=True, help="the plain (GIL) Python that builds and hosts the wheel")
    p.add_argument("--target-python", required=True, help="the free-threaded Python the packages run on")
    p.add_argument("--registry", required=True)
    p.add_argument("--checkouts", required=True, help="tests/fixtures/checkouts, for ft test")
    p.add_argument("--uv", default="")
    p.add_argument("--build-dir", default="")
    a = p.parse_args()
    a.source = os.path.realpath(a.source)
    a.work = os.path.realpath(a.work)
    a.build_dir = a.build_dir or os.path.join(a.work, "build")
    os.makedirs(a.work, exist_ok=True)
    version = project_version(a.source)

    wheel = build_wheel(a, version)

    venv = os.path.join(a.work, "venv")
    shutil.rmtree(venv, ignore_errors=True)
    check([a.python, "-m", "venv", venv], "python -m venv", env=clean_env())
    check([os.path.join(venv, "bin", "python"), "-m", "pip", "install", "--no-index", "--no-deps", wheel],
          "pip install of the wheel", env=clean_env())
    check_ldd(venv, a.python)

    labeille = os.path.join(venv, "bin", "labeille")
    r = run([labeille, "--version"], capture_output=True, text=True, env=clean_env())
    expect(r.returncode == 0 and r.stdout.strip() == version, f"labeille --version: {r.stdout.strip()!r}, expected {version}")
    r = run([labeille, "--cmake-dir"], capture_output=True, text=True, env=clean_env())
    cmake_dir = r.stdout.strip()
    expect(r.returncode == 0 and cmake_dir == os.path.join(venv, "lib", "cmake", "LabeilleFT"),
           f"labeille --cmake-dir: exit {r.returncode}, {cmake_dir!r}, expected {venv}/lib/cmake/LabeilleFT")
    if errors:
        sys.exit(f"{len(errors)} mismatches before any run")

    check_find_package(a, venv, cmake_dir)
    check_ft_run(a, venv, cmake_dir)
    check_ft_test(a, venv)
    if a.uv:
        check_uv_tool(a, wheel, version)
    print(f"wheel test: {'ok' if not errors else str(len(errors)) + ' mismatches'}", flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
