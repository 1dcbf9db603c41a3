#!/usr/bin/env python3
"""Figures for the registry path: a synthetic labeille registry of N packages is read by
labeille-ft-registry, configured by a user project (labeille_ft_add_registry) and listed
by `ctest -N`. Prints wall times; asserts nothing (speed is not a test)."""
import argparse
import os
import subprocess
import tempfile
import time


def make_registry(root, n):
    os.makedirs(os.path.join(root, "packages"))
    with open(os.path.join(root, "schema.yaml"), "w") as f:
        f.write("schema_version: 1\n")
    with open(os.path.join(root, "index.yaml"), "w") as f:
        f.write("packages:\n")
        for i in range(n):
            count = "null" if i % 10 == 0 else str((i * 7919) % 100000)
            f.write(f"  - name: pkg-{i:05d}\n    download_count: {count}\n    enriched: true\n")
    for i in range(n):
        with open(os.path.join(root, "packages", f"pkg-{i:05d}.yaml"), "w") as f:
            f.write(f"package: pkg-{i:05d}\nrepo: https://example.com/pkg-{i:05d}\n"
                    f"test_command: python -m pytest tests\nuses_xdist: {str(i % 3 == 0).lower()}\n"
                    f"timeout: {300 + i % 5}\nskip_versions: {{\"3.12\": old}}\n")


def timed(cmd, **kw):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--package-dir", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--cmake", default="cmake")
    ap.add_argument("--ctest", default="ctest")
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--iterations", type=int, default=10)
    a = ap.parse_args()
    print(f"{'packages':>8} {'tests':>7} {'read (s)':>9} {'configure (s)':>14} {'ctest -N (s)':>13}")
    for n in (int(x) for x in a.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            reg = os.path.join(tmp, "registry")
            make_registry(reg, n)
            read = timed([a.tool, "--dir", reg, "--output", os.path.join(tmp, "out.cmake"), "--python-version", "3.13"])
            src = os.path.join(tmp, "src")
            os.makedirs(src)
            with open(os.path.join(src, "CMakeLists.txt"), "w") as f:
                f.write("cmake_minimum_required(VERSION 3.25)\nproject(b NONE)\nenable_testing()\n"
                        f"find_package(LabeilleFT REQUIRED)\nlabeille_ft_add_registry(DIR [[{reg}]])\n")
            build = os.path.join(tmp, "build")
            conf = timed([a.cmake, "-S", src, "-B", build, f"-DLabeilleFT_DIR={os.path.abspath(a.package_dir)}",
                          f"-DLABEILLE_FT_TARGET_PYTHON={a.python}", f"-DLABEILLE_FT_ITERATIONS={a.iterations}"])
            listing = timed([a.ctest, "--test-dir", build, "-N"])
            tests = n * (2 + a.iterations) + 1
            print(f"{n:>8} {tests:>7} {read:>9.3f} {conf:>14.2f} {listing:>13.2f}", flush=True)


if __name__ == "__main__":
    main()
