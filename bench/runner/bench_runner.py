#!/usr/bin/env python3
"""Figures for labeille-ft-runner (printed, never asserted; see docs/runner.md).

usage: bench_runner.py RUNNER [--python PY] [--repeat N]

1. overhead per attempt against the bare command (short command: `true`, and
   `PY -c pass` when --python is given): ratio and fixed milliseconds;
2. stall detection latency: how long after the threshold the runner acts;
3. peak RSS of the runner while the child writes 1 GiB;
4. output throughput through the runner against the bare command into /dev/null.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(argv, stdout=subprocess.DEVNULL):
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss


def peak_rss_kib(argv):
    """Peak RSS of the process that runs argv itself, from /proc/<pid>/status VmHWM polled
    until it exits (VmHWM only grows, so the last reading is the peak). ru_maxrss from
    wait4 would not do: it keeps the high-water mark of the pre-exec copy of THIS Python
    process (vfork/fork), ~10 MiB that are not the runner's."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    return peak


def runner_argv(runner, records, extra, command):
    return [runner, "--record-dir", records, "--package", "bench", "--quiet"] + extra + ["--"] + command


def overhead(runner, records, command, repeat):
    """Bare and supervised runs interleaved, so a load change on a shared machine hits
    both alike; medians and minimums (the minimum is the cost without interference)."""
    bare, supervised = [], []
    for _ in range(repeat):
        bare.append(timed(command)[0])
        supervised.append(timed(runner_argv(runner, records, [], command))[0])
    return (statistics.median(bare), statistics.median(supervised)), (min(bare), min(supervised))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runner")
    ap.add_argument("--python")
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    records = tempfile.mkdtemp(prefix="labeille-bench-")
    try:
        print("labeille-ft-runner figures (overhead: medians and minimums of interleaved runs)")
        commands = [["true"]]
        if args.python:
            commands.append([args.python, "-c", "pass"])
        for cmd in commands:
            for label, (b, s) in zip(("median", "min"), overhead(args.runner, records, cmd, args.repeat)):
                print(f"  overhead  {' '.join(os.path.basename(c) for c in cmd):<24} {label:<6} bare {b*1e3:7.2f} ms"
                      f"  runner {s*1e3:7.2f} ms  ratio {s/b:5.2f}x  fixed {max(0.0, s-b)*1e3:6.2f} ms")

        threshold = 1.0
        lat = []
        for _ in range(3):
            timed(runner_argv(args.runner, records, ["--stall-threshold", str(threshold), "--grace", "1"],
                              ["sh", "-c", "echo start; exec sleep 60"]))
            newest = max((os.path.join(dp, "record.json") for dp, _, fs in os.walk(records) if "record.json" in fs),
                         key=os.path.getmtime)
            with open(newest) as f:
                rec = json.load(f)
            lat.append(rec["stall"]["last_output_age_s"] - threshold)
        print(f"  stall detection: threshold + {statistics.median(lat)*1e3:.0f} ms (target: + 500 ms)")

        gib = 1 << 30
        bare_t, _ = timed(["sh", "-c", f"head -c {gib} /dev/zero"])
        flood = runner_argv(args.runner, records, ["--log-cap", str(1 << 20)], ["sh", "-c", f"head -c {gib} /dev/zero"])
        run_t, _ = timed(flood)
        rss_kb = peak_rss_kib(flood)
        print(f"  1 GiB of output: runner peak RSS {rss_kb/1024:.1f} MiB (target <= 16 MiB)")
        print(f"  throughput: bare {gib/bare_t/2**20:,.0f} MiB/s, through the runner {gib/run_t/2**20:,.0f} MiB/s")
    finally:
        shutil.rmtree(records, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
