#!/usr/bin/env python3
"""Plain runs against stress runs on the real races of the calibration corpus (printed,
never asserted; docs/detection.md keeps the figures).

usage: bench_stress.py LABEILLE PYTHON REGISTRY [RUNS] [THREADS REPEAT]

One `labeille ft run --stress` of ft-stress-race (a race fresh processes hide), ft-racy
(a wide race) and ft-calibrated (fails with known probability 0.1 per run, a check that
the pipeline counts what it should) with RUNS plain and RUNS stress iterations; prints,
per package, how many runs of each kind failed: the per-run detection rate.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

PACKAGES = "ft-stress-race,ft-racy,ft-calibrated"


def main():
    labeille, python, registry = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    stress = ["--stress-threads", sys.argv[5], "--stress-repeat", sys.argv[6]] if len(sys.argv) > 6 else []
    work = tempfile.mkdtemp(prefix="labeille-bench-stress-")
    try:
        t = time.perf_counter()
        subprocess.run([labeille, "ft", "run", "--target-python", python, "--registry-dir", registry,
                        "--packages", PACKAGES, "-n", str(runs), "--stress", *stress, "-j", "2",
                        "--env", "FT_CALIBRATED_P=0.1", "--stall-threshold", "300", "--timeout", "900",
                        "--work-dir", os.path.join(work, "w"), "--results-dir", os.path.join(work, "r")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        elapsed = time.perf_counter() - t
        (run_dir,) = [os.path.join(work, "r", d) for d in os.listdir(os.path.join(work, "r"))]
        with open(os.path.join(run_dir, "ft_results.jsonl")) as f:
            rows = [json.loads(line) for line in f]
        print(f"plain vs --stress, {runs} runs each ({elapsed:.0f} s in all)")
        print("| package | plain runs that failed | stress runs that failed | stress (threads, repeat) |")
        print("|---|---|---|---|")
        for r in rows:
            s = r.get("stress", {})
            n, k = r["iterations_completed"], r["iterations_completed"] - r["pass_count"]
            sn = s.get("iterations_completed", 0)
            sk = sn - s.get("pass_count", 0)
            print(f"| {r['package']} | {k}/{n} | {sk}/{sn} | {s.get('threads')}, {s.get('repeat')} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
