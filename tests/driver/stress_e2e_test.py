#!/usr/bin/env python3
"""End to end: stress mode and --until-bound through `labeille ft run` (real CTest runs
of real test suites).

usage: stress_e2e_test.py LABEILLE PYTHON REGISTRY WORK {stress|until-bound}

stress: ft-stress-race (a race fresh processes hide) must be found by its stress
iterations (intermittent or incompatible, the race test judged free_threading), and
ft-thread-unsafe-test (a test that fails under stress with the GIL too) must stay
compatible with that test named thread-unsafe and the marked test listed as run
single-threaded. Nothing is asserted about the plain runs of the race: they miss it
most of the time, not always. Reliability: a stress run of the race (2 threads x 20)
found it in 10/10 runs both as fresh pytest processes and through ft run on a
heavily loaded 2-core machine (docs/detection.md);
here each of the three stress runs repeats every test 2 x 50 times, and any one of them
finding it is enough.

until-bound: ft-compatible with `--until-bound 0.1 -n 40` stops after 29 passes
(1 - 0.05^(1/29) = 9.8% <= 10%), the other 11 iterations skipped.
"""
import json
import os
import shutil
import subprocess
import sys

RACE = "tests.test_box::test_concurrent_bumps_lose_nothing"
SCRATCH = "tests.test_scratch::test_scratch_is_mine"
MARKED = "tests.test_scratch::test_marked_thread_unsafe"


def run(labeille, python, registry, work, packages, *extra):
    shutil.rmtree(work, ignore_errors=True)
    # A generous stall threshold: a loaded CI machine can starve an import for a minute.
    cmd = [labeille, "ft", "run", "--target-python", python, "--registry-dir", registry, "--packages", packages,
           "--stall-threshold", "300", "--timeout", "900", "-j", "2",
           "--work-dir", os.path.join(work, "w"), "--results-dir", os.path.join(work, "r"), *extra]
    rc = subprocess.run(cmd).returncode
    if rc != 0:
        sys.exit(f"labeille ft run exited {rc}")
    (run_dir,) = [os.path.join(work, "r", d) for d in os.listdir(os.path.join(work, "r"))]
    with open(os.path.join(run_dir, "ft_results.jsonl")) as f:
        rows = {r["package"]: r for r in map(json.loads, f)}
    show = subprocess.run([labeille, "ft", "show", run_dir], capture_output=True, text=True).stdout
    print(show)
    return rows, show


def main():
    labeille, python, registry, work, which = sys.argv[1:6]
    errors = []

    def expect(cond, what):
        if not cond:
            errors.append(what)

    if which == "stress":
        rows, show = run(labeille, python, registry, work, "ft-stress-race,ft-thread-unsafe-test",
                         "-n", "3", "--stress", "--stress-repeat", "50", "--compare-with-gil")
        race, unsafe = rows["ft-stress-race"], rows["ft-thread-unsafe-test"]
        expect(race["category"] in ("intermittent", "incompatible"), f"ft-stress-race: {race['category']}")
        rs = race.get("stress", {})
        expect(rs.get("finding") is True, f"ft-stress-race: no stress finding: {rs.get('evidence')}")
        kinds = {t["id"]: t["kind"] for t in rs.get("tests", [])}
        expect(kinds.get(RACE) == "free_threading", f"ft-stress-race: tests {kinds}")
        expect(rs.get("gil_enabled_iterations") == 3, "ft-stress-race: no GIL=1 stress runs")
        expect("fails under stress only (threads 2, repeat 50): " + RACE in rs.get("evidence", ""),
               f"ft-stress-race evidence: {rs.get('evidence')}")
        expect("fails under stress only" in show, "ft show does not carry the stress evidence")
        expect(unsafe["category"] == "compatible", f"ft-thread-unsafe-test: {unsafe['category']}")
        us = unsafe.get("stress", {})
        kinds = {t["id"]: t["kind"] for t in us.get("tests", [])}
        expect(kinds == {SCRATCH: "thread_unsafe"}, f"ft-thread-unsafe-test: tests {kinds}")
        expect(us.get("finding") is False, "ft-thread-unsafe-test: called a free-threading finding")
        expect(MARKED in us.get("single_threaded", {}), f"single-threaded tests: {us.get('single_threaded')}")
        expect("thread-unsafe tests (fail under stress with the GIL too): " + SCRATCH in us.get("evidence", ""),
               f"ft-thread-unsafe-test evidence: {us.get('evidence')}")
    else:
        rows, _ = run(labeille, python, registry, work, "ft-compatible", "-n", "40", "--until-bound", "0.1")
        p = rows["ft-compatible"]
        expect(p["category"] == "compatible", f"ft-compatible: {p['category']}")
        expect(p["pass_count"] == 29 and p["iterations_completed"] == 29,
               f"ft-compatible: {p['pass_count']}/{p['iterations_completed']} passed, expected 29/29")
        expect(p.get("iterations_allowed") == 40, f"iterations_allowed {p.get('iterations_allowed')}")
        expect("stopped after 29 of 40 iterations" in p["verdict"], f"verdict: {p['verdict']}")
    for e in errors:
        print("MISMATCH:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
