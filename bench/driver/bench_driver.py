#!/usr/bin/env python3
"""Figures for `labeille ft run` (printed, never asserted; see README "Figures").

usage: bench_driver.py LABEILLE PYTHON REGISTRY

1. packages in parallel: six corpus packages, 3 iterations each, with -j2 against -j1
   (venvs warm, so the figure is about the runs; target >= 1.7x on 2 cores);
2. orchestration overhead per iteration: `labeille ft run` of one package with 10
   iterations against 0 iterations (set-up and probe only), per iteration, against the
   same test command run bare in the same venv.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

PACKAGES = "ft-compatible,ft-gil-fallback,ft-flaky-twin,ft-only-incompatible,ft-preexisting,ft-crash"


def timed(cmd, **kw):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, **kw)
    return time.perf_counter() - t


def main():
    labeille, python, registry = sys.argv[1:4]
    work = tempfile.mkdtemp(prefix="labeille-bench-driver-")
    try:
        def run(packages, n, jobs):
            return timed([labeille, "ft", "run", "--target-python", python, "--registry-dir", registry,
                          "--packages", packages, "-n", str(n), "-j", str(jobs), "--stall-threshold", "30",
                          "--work-dir", os.path.join(work, "w"), "--results-dir", os.path.join(work, "r")])
        run(PACKAGES, 1, 2)  # warm the venvs
        j1 = min(run(PACKAGES, 3, 1) for _ in range(2))
        j2 = min(run(PACKAGES, 3, 2) for _ in range(2))
        print("labeille ft run figures")
        print(f"  6 packages x 3 iterations: -j1 {j1:6.1f} s, -j2 {j2:6.1f} s, speed-up {j1 / j2:4.2f}x "
              "(target >= 1.7x on 2 cores)")
        t0 = min(run("ft-compatible", 0, 1) for _ in range(2))
        t10 = min(run("ft-compatible", 10, 1) for _ in range(2))
        venv = os.path.join(work, "w", "venvs", "ft-compatible")
        repo = os.path.join(work, "w", "repos", "ft-compatible")
        env = dict(os.environ, PATH=os.path.join(venv, "bin") + os.pathsep + os.environ["PATH"], PYTHON_GIL="0")
        bare = min(timed(["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo, env=env)
                   for _ in range(10))
        per = (t10 - t0) / 10
        print(f"  per iteration: {per * 1000:6.0f} ms through labeille ft run, {bare * 1000:6.0f} ms bare pytest "
              f"-> orchestration {max(0.0, per - bare) * 1000:4.0f} ms per iteration")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
