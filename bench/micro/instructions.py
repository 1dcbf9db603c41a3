#!/usr/bin/env python3
"""Instructions per call of the micro-benchmarks' hot functions, for two builds.

usage: instructions.py OLD_MICRO_BENCH NEW_MICRO_BENCH

Times on a shared 2-core machine move by 30% from one run to the next; the number of
instructions a function executes does not. Each benchmark runs briefly under valgrind's
callgrind (`apt-get install valgrind`), and the function's inclusive instruction count is
divided by its number of calls: a deterministic figure to compare two commits with, next to
Google Benchmark's times (docs/benchmarks.md).
"""
import os
import re
import subprocess
import sys
import tempfile

# (benchmark filter, the function whose calls are counted)
CASES = [
    ("BM_RecordWrite$", "to_json"),
    ("BM_RecordParse$", "parse_record"),
    ("BM_SanitizeUtf8/0$", "sanitize_utf8"),
    ("BM_OutputScanPerMiB/0$", "OutputScanner::feed"),
    ("BM_ResultsLineParse/0$", "package_from_json"),
    ("BM_ResultsLineParse/1$", "package_from_json"),
    ("BM_FoldOnePackage/10$", "analyzers::fold("),
    ("BM_FoldOnePackage/100$", "analyzers::fold("),
]


def per_call(binary, bench_filter, function, work):
    out = os.path.join(work, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary,
                    f"--benchmark_filter={bench_filter}", "--benchmark_min_time=0.05"],
                   capture_output=True, check=True)
    annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], capture_output=True, text=True,
                               check=True).stdout
    inclusive = next((int(line.split()[0].replace(",", "")) for line in annotated.splitlines()
                      if function in line and ":" in line), None)
    # Calls: the "calls=N" line after each call site of the function (cfn=(id)).
    text = open(out).read()
    # The function itself, not a template instantiated for a lambda of it (e.g.
    # `json::Reader::each<labeille::parse_record(...)::{lambda...}>`): its name comes first.
    ids = {m.group(1) for m in re.finditer(r"^c?fn=\((\d+)\) (.*)$", text, re.M)
           if function in m.group(2) and "<" not in m.group(2)[:m.group(2).find(function)]}
    lines = text.split("\n")
    calls = 0
    for i, line in enumerate(lines[:-1]):
        m = re.match(r"^cfn=\((\d+)\)", line)
        c = re.match(r"^calls=(\d+)", lines[i + 1])
        if m and c and m.group(1) in ids:
            calls += int(c.group(1))
    if inclusive is None or calls == 0:
        raise SystemExit(f"{binary}: no calls of {function} seen in {bench_filter}")
    return inclusive / calls


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    old, new = sys.argv[1:3]
    print(f"{'benchmark':26} {'function':22} {'old':>12} {'new':>12} {'new/old':>8}   (instructions per call)")
    with tempfile.TemporaryDirectory(prefix="labeille-instructions-") as work:
        for bench_filter, function in CASES:
            o = per_call(old, bench_filter, function, work)
            n = per_call(new, bench_filter, function, work)
            print(f"{bench_filter.rstrip('$'):26} {function:22} {o:12,.0f} {n:12,.0f} {n / o:8.2f}", flush=True)


if __name__ == "__main__":
    main()
