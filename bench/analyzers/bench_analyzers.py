#!/usr/bin/env python3
"""Figures for the analyzers at ecosystem scale (printed, never asserted).

usage: bench_analyzers.py LABEILLE [--packages 5000] [--iterations 20] [--records 200000]

Generates, deterministically (fixed seed), a result directory of PACKAGES x ITERATIONS in
the Python tool's ft_results.jsonl format and a record directory of RECORDS attempt
records, then times `labeille ft show`, `ft report` and `ft fold` and reports their peak
RSS. Targets (issue 4): show/report <= 0.5 s and <= 128 MiB on 5,000 x 20; fold of
200,000 records <= 2 s.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

STATUSES = ["pass"] * 90 + ["fail"] * 6 + ["crash", "deadlock", "timeout", "error"]


def gen_results(path, packages, iterations, rng):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "ft_meta.json"), "w") as f:
        json.dump({"run_id": "ft_bench", "timestamp": "2026-01-01T00:00:00",
                   "config": {"iterations": iterations}}, f)
    tail = "E   AssertionError: " + "x" * 7000 + "\n"
    with open(os.path.join(path, "ft_results.jsonl"), "w") as f:
        for i in range(packages):
            its = []
            for k in range(iterations):
                s = rng.choice(STATUSES)
                its.append({"index": k + 1, "status": s, "exit_code": 0 if s == "pass" else 1,
                            "duration_s": round(rng.uniform(1, 60), 3), "crash_signal": "SIGSEGV" if s == "crash" else None,
                            "crash_signature": "SIGSEGV | mod.py:%d f" % (i % 50) if s == "crash" else None,
                            "tsan_warnings": [], "output_stalled": s == "deadlock",
                            "last_output_line": "== 120 passed in 12.3s ==", "stderr_tail": "" if s == "pass" else tail,
                            "test_results": {}, "tests_passed": 120, "tests_failed": 0 if s == "pass" else 1,
                            "tests_errored": 0, "tests_skipped": 3})
            p = sum(1 for x in its if x["status"] == "pass")
            f.write(json.dumps({"package": "pkg%05d" % i, "category": "intermittent" if 0 < p < iterations else "compatible",
                                "iterations_completed": iterations, "pass_count": p, "fail_count": iterations - p,
                                "crash_count": 0, "timeout_count": 0, "deadlock_count": 0,
                                "tsan_warning_iterations": 0, "pass_rate": round(p / iterations, 4),
                                "mean_duration_s": 30.0, "failure_signatures": [], "tsan_warning_types": [],
                                "flaky_tests": {}, "install_ok": True, "import_ok": True, "iterations": its}) + "\n")


JUNIT = ('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="40">'
         + "".join('<testcase classname="tests.test_m%d" name="test_%d" time="0.01"/>' % (k % 5, k) for k in range(40))
         + "</testsuite></testsuites>")


def gen_records(path, count, rng, junit=False):
    """Attempt records as the runner lays them out; with junit, each attempt also has the
    40-test pytest JUnit a real suite leaves beside its record."""
    per_pkg = 20
    for n in range(count):
        pkg, it = "pkg%05d" % (n // per_pkg), n % per_pkg + 1
        d = os.path.join(path, pkg, "gil0.iter%02d.a001" % it)
        os.makedirs(d, exist_ok=True)
        s = rng.choice(STATUSES)
        with open(os.path.join(d, "record.json"), "w") as f:
            json.dump({"schema": 1, "kind": "attempt", "attempt_id": "bench:%d" % n, "package": pkg, "mode": "gil0",
                       "gil": "0", "iteration": it, "attempt": 1, "test_name": "ft.%s.gil0.iter%02d" % (pkg, it),
                       "outcome": s, "exit_code": 0 if s == "pass" else 1, "duration_s": 12.5,
                       "stall": {"detected": s == "deadlock", "cpu_state": "idle" if s == "deadlock" else ""},
                       "crash": {"signal": 11, "signal_name": "SIGSEGV", "fatal_error": "", "frames": [],
                                 "signature": "SIGSEGV | f"} if s == "crash" else None,
                       "junit_path": os.path.join(d, "junit.xml") if junit else "",
                       "stdout": {"tail": "collected 120 items\n"}, "stderr": {"tail": ""}}, f)
        if junit:
            with open(os.path.join(d, "junit.xml"), "w") as f:
                f.write(JUNIT)


def measure(argv):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("failed: %s" % " ".join(argv))
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labeille")
    ap.add_argument("--packages", type=int, default=5000)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--records", type=int, default=200000)
    a = ap.parse_args()
    rng = random.Random(703)
    work = tempfile.mkdtemp(prefix="labeille-bench-")
    try:
        results, records = os.path.join(work, "results"), os.path.join(work, "records")
        gen_results(results, a.packages, a.iterations, rng)
        size = os.path.getsize(os.path.join(results, "ft_results.jsonl")) / 2**20
        print(f"analyzers at scale: {a.packages} packages x {a.iterations} iterations ({size:.0f} MiB of JSONL)")
        for name, argv in [("show", [a.labeille, "ft", "show", results]),
                           ("report", [a.labeille, "ft", "report", results, "--format", "markdown"])]:
            t, rss = measure(argv)
            print(f"  ft {name:<7} {t:6.2f} s  peak RSS {rss:6.1f} MiB   (targets <= 0.5 s, <= 128 MiB)")
        gen_records(records, a.records, rng)
        # The generator leaves ~1.6 GB of dirty pages: flush them first, or fold is timed
        # against the kernel's write-back of the generator's output instead of its own work.
        os.sync()
        runs = sorted(measure([a.labeille, "ft", "fold", "-o", os.path.join(work, "folded"), records])
                      for _ in range(3))
        t, rss = runs[1]
        print(f"  ft fold    {t:6.2f} s  peak RSS {rss:6.1f} MiB   ({a.records} records, median of 3: "
              f"{', '.join(f'{r[0]:.2f}' for r in runs)} s; target <= 2 s)")
        # What a real run adds: a pytest JUnit beside every record (no target; printed so
        # a change that makes per-test data expensive shows).
        shutil.rmtree(records)
        gen_records(records, a.records, random.Random(703), junit=True)
        os.sync()
        runs = sorted(measure([a.labeille, "ft", "fold", "-o", os.path.join(work, "folded"), records])
                      for _ in range(3))
        t, rss = runs[1]
        print(f"  ft fold    {t:6.2f} s  peak RSS {rss:6.1f} MiB   (the same with a 40-test pytest JUnit per record)")
        folded = os.path.join(work, "folded")
        size = os.path.getsize(os.path.join(folded, "ft_results.jsonl")) / 2**20
        for name in ("show", "flaky"):
            t, rss = measure([a.labeille, "ft", name, folded])
            print(f"  ft {name:<7} {t:6.2f} s  peak RSS {rss:6.1f} MiB   (that run: {size:.0f} MiB of JSONL with per-test results)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
