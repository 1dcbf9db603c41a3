"""Ctrl-C during `labeille ft run`, then --resume.

usage: interrupt_resume_test.py LABEILLE PYTHON REGISTRY WORK_DIR

1. starts a run of ft-compatible + ft-deadlock (1 iteration, stall threshold 60 s);
2. as soon as the deadlocking test is running and ft-compatible's iteration has its
   record, sends SIGINT to `labeille` (what a
   terminal's Ctrl-C does to the foreground process);
3. expects exit 130 soon after, no survivor (the hung test's Python pids, from the
   startup hook, are gone), a readable partial run (`ft show` works) with an
   'interrupted' record;
4. `labeille ft run --resume RUN_DIR` completes it: exit 0, ft-compatible compatible,
   ft-deadlock deadlock, and ft-compatible's finished iteration was not run again.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time


# The one fail() of the Python test scripts.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "ctest_scripts"))
from common import fail  # noqa: E402


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def main():
    labeille, python, registry, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    results = os.path.join(work, "results")
    cmd = [labeille, "ft", "run", "--target-python", python, "--registry-dir", registry, "--packages",
           "ft-compatible,ft-deadlock", "-n", "1", "--stall-threshold", "60", "--timeout", "180", "-j", "2",
           "--work-dir", os.path.join(work, "w"), "--results-dir", results]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 600
    hung = None
    while time.monotonic() < deadline and proc.poll() is None:
        runs = glob.glob(os.path.join(results, "ft_*"))
        if runs:
            # Both: the deadlocking test running, and ft-compatible's iteration finished
            # (the two packages run side by side; on a loaded machine either may be first,
            # so the signal waits for both; the stall threshold leaves the time).
            hooks = glob.glob(os.path.join(runs[0], "records", "ft-deadlock", "gil0.iter01.a001", "hook", "*.started"))
            finished = glob.glob(os.path.join(runs[0], "records", "ft-compatible", "gil0.iter01.a*", "record.json"))
            if hooks and finished:
                hung = [int(os.path.basename(h).split(".")[0]) for h in hooks]
                break
        time.sleep(0.2)
    if hung is None:
        out = proc.communicate()[0] if proc.poll() is not None else ""
        fail("the deadlocking test never started\n" + out)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    try:
        out = proc.communicate(timeout=90)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        fail("labeille did not stop within 90 s of SIGINT")
    print(out)
    if proc.returncode != 130:
        fail(f"exit {proc.returncode} after SIGINT, expected 130")
    survivors = [p for p in hung if alive(p)]
    if survivors:
        fail(f"processes of the interrupted test survived: {survivors}")
    run_dir = glob.glob(os.path.join(results, "ft_*"))[0]
    record = os.path.join(run_dir, "records", "ft-deadlock", "gil0.iter01.a001", "record.json")
    if not os.path.exists(record) or json.load(open(record))["outcome"] != "interrupted":
        fail("no 'interrupted' record for the test that was running")
    show = subprocess.run([labeille, "ft", "show", run_dir], capture_output=True, text=True)
    if show.returncode != 0:
        fail("ft show cannot read the partial run: " + show.stderr)

    before = len(glob.glob(os.path.join(run_dir, "records", "ft-compatible", "gil0.iter01.a*")))
    resumed = subprocess.run([labeille, "ft", "run", "--resume", run_dir], capture_output=True, text=True, timeout=600)
    print(resumed.stdout, resumed.stderr)
    if resumed.returncode != 0:
        fail(f"--resume exited {resumed.returncode}")
    after = len(glob.glob(os.path.join(run_dir, "records", "ft-compatible", "gil0.iter01.a*")))
    if after != before:
        fail(f"--resume ran ft-compatible's finished iteration again ({before} -> {after} attempts)")
    rows = {json.loads(l)["package"]: json.loads(l) for l in open(os.path.join(run_dir, "ft_results.jsonl"))}
    if rows["ft-compatible"]["category"] != "compatible" or rows["ft-deadlock"]["category"] != "deadlock":
        fail("categories after --resume: " + str({k: v["category"] for k, v in rows.items()}))
    if rows["ft-deadlock"]["iterations_completed"] != 1:
        fail("the interrupted attempt was counted: " + str(rows["ft-deadlock"]["iterations_completed"]))
    print("ok")


if __name__ == "__main__":
    main()
