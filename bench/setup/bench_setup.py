#!/usr/bin/env python3
"""Set-up figures, pip against uv (printed, never asserted; see README "Figures").

usage: bench_setup.py LABEILLE LABEILLE_FT_SETUP PYTHON UV REGISTRY [--rounds N] [--part all|packages|run]

1. per package: `labeille-ft-setup prepare` of every fixture-corpus package and of a few
   real PyPI sdists pinned to exact versions, into fresh venvs, with --installer pip and
   --installer uv back to back (so both see the same machine load), download caches warm
   (pip's and uv's, as on any machine after its first run); plus one pass of uv with an
   empty cache of its own (the first package downloads pytest, the next ones reuse it). Seconds per package (the record's duration_s,
   median over the rounds) and the ratio.
2. the whole run: `labeille ft run -n 3 --compare-with-gil` of the fixture corpus (the
   acceptance-style run) with each installer from fresh work directories, one after the
   other on a quiet machine, or both at once with --side-by-side (on a shared machine,
   so that both see the same load): wall time, the median set-up per package
   (ft_results.jsonl's install_duration_s), and whether the categories are the same.
Target: median set-up with uv <= 1/3 of pip's.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time

# Real sdists (source step: pip download), exact versions: a setuptools, a flit and a
# hatchling (with plugins) build backend.
SDISTS = [("six", "1.16.0"), ("idna", "3.10"), ("attrs", "24.2.0")]


def prepare(setup, python, uv, installer, work, pkg, source, env=None):
    """Sets one package up; returns (wall seconds from the record, ok, installer used, CPU seconds)."""
    cmd = [setup, "prepare", "--record-dir", f"{work}/rec", "--package", pkg, "--python", python,
           "--repos-dir", f"{work}/repos", "--venvs-dir", f"{work}/venvs", "--installer", installer, *source]
    if installer == "uv":
        cmd += ["--uv", uv]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    recs = sorted(d for d in os.listdir(f"{work}/rec/{pkg}") if d.startswith("setup."))
    rec = json.load(open(f"{work}/rec/{pkg}/{recs[-1]}/record.json"))
    return rec["duration_s"], rec["ok"], rec["installer"], cpu


def per_package(args, packages, base):
    times = {(p, i): [] for p, _ in packages for i in ("pip", "uv")}
    cpus = {(p, i): [] for p, _ in packages for i in ("pip", "uv")}
    notes = {}
    # Warm the download caches: pytest and the build backends, the sdists.
    for inst in ("pip", "uv"):
        for pkg, source in packages:
            if pkg == "ft-compatible" or source[0] == "--sdist":
                prepare(args.setup, args.python, args.uv, inst, f"{base}/warm-{inst}", pkg, source)
        shutil.rmtree(f"{base}/warm-{inst}", ignore_errors=True)
    for r in range(args.rounds):
        # Package by package, the two installers back to back (the order alternating), so
        # both see the same load on a shared machine.
        for pkg, source in packages:
            for inst in ("pip", "uv") if r % 2 == 0 else ("uv", "pip"):
                work = f"{base}/pp-{inst}-{r}"
                t, ok, used, cpu = prepare(args.setup, args.python, args.uv, inst, work, pkg, source)
                times[(pkg, inst)].append(t)
                cpus[(pkg, inst)].append(cpu)
                if used != inst or not ok:
                    notes[(pkg, inst)] = ("fell back to pip" if used != inst else "") + ("" if ok else " (install failure)")
        for inst in ("pip", "uv"):
            shutil.rmtree(f"{base}/pp-{inst}-{r}", ignore_errors=True)
    cold_cache = f"{base}/uv-cold-cache"
    env = dict(os.environ, UV_CACHE_DIR=cold_cache)
    cold = {}
    for pkg, source in [] if args.no_cold else packages:
        cold[pkg] = prepare(args.setup, args.python, args.uv, "uv", f"{base}/pp-cold", pkg, source, env)[0]
    shutil.rmtree(f"{base}/pp-cold", ignore_errors=True)
    shutil.rmtree(cold_cache, ignore_errors=True)

    print(f"set-up per package (labeille-ft-setup prepare, fresh venv; median of {args.rounds}): wall seconds, "
          "and CPU seconds of all its processes (independent of the machine's load)")
    print(f"  {'package':24} {'pip':>7} {'uv':>7} {'uv/pip':>7} {'pip CPU':>8} {'uv CPU':>7} {'ratio':>6} "
          f"{'uv, empty cache':>16}")
    med = {}
    for pkg, _ in packages:
        p, u = statistics.median(times[(pkg, "pip")]), statistics.median(times[(pkg, "uv")])
        pc, uc = statistics.median(cpus[(pkg, "pip")]), statistics.median(cpus[(pkg, "uv")])
        med[pkg] = (p, u, pc, uc)
        note = "; ".join(f"{i}: {notes[(pkg, i)].strip()}" for i in ("pip", "uv") if (pkg, i) in notes)
        c = f"{cold[pkg]:16.1f}" if pkg in cold else f"{'-':>16}"
        print(f"  {pkg:24} {p:7.1f} {u:7.1f} {u / p:7.2f} {pc:8.1f} {uc:7.1f} {uc / pc:6.2f} {c}  {note}")
    m = [statistics.median(v[k] for v in med.values()) for k in range(4)]
    c = f"{statistics.median(cold.values()):16.1f}" if cold else f"{'-':>16}"
    print(f"  {'median':24} {m[0]:7.1f} {m[1]:7.1f} {m[1] / m[0]:7.2f} {m[2]:8.1f} {m[3]:7.1f} {m[3] / m[2]:6.2f} {c}")


def whole_run(args, base):
    print("labeille ft run -n 3 --compare-with-gil -j 2, fixture corpus, fresh work directories, pip and uv "
          + ("side by side" if args.side_by_side else "one after the other"))
    procs = {}
    ended = {}
    for inst in ("pip", "uv"):
        work = f"{base}/run-{inst}"
        procs[inst] = (time.perf_counter(), subprocess.Popen(
            [args.labeille, "ft", "run", "--target-python", args.python, "--registry-dir", args.registry,
             "-n", "3", "--compare-with-gil", "-j", "2", "--stall-threshold", "30", "--timeout", "300",
             "--installer", inst, "--work-dir", f"{work}/w", "--results-dir", f"{work}/r"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if not args.side_by_side:
            procs[inst][1].wait()
            ended[inst] = time.perf_counter() - procs[inst][0]
    while len(ended) < len(procs):
        for inst, (t, proc) in procs.items():
            if inst not in ended and proc.poll() is not None:
                ended[inst] = time.perf_counter() - t
        time.sleep(0.5)
    out = {}
    for inst in procs:
        wall = ended[inst]
        work = f"{base}/run-{inst}"
        (run,) = [f"{work}/r/{d}" for d in os.listdir(f"{work}/r")]
        rows = [json.loads(line) for line in open(f"{run}/ft_results.jsonl")]
        setups = [r["install_duration_s"] for r in rows if r.get("install_duration_s")]
        cats = sorted((r["package"], r["category"]) for r in rows)
        out[inst] = (wall, statistics.median(setups), sum(setups), cats)
    for inst, (wall, med, total, _) in out.items():
        print(f"  {inst:4} wall {wall:6.1f} s, set-up median {med:5.1f} s per package, sum {total:6.1f} s")
    print(f"  uv/pip: wall {out['uv'][0] / out['pip'][0]:.2f}, median set-up {out['uv'][1] / out['pip'][1]:.2f} "
          "(target <= 0.33)")
    pip, uv = dict(out["pip"][3]), dict(out["uv"][3])
    differ = [f"{p}: pip {pip.get(p)}, uv {uv.get(p)}" for p in sorted(set(pip) | set(uv)) if pip.get(p) != uv.get(p)]
    # The corpus' real races (ft-racy) are intermittent by nature: at -n 3 all three runs
    # may fail or pass, whichever installer made the venv.
    print("  categories: " + ("the same with both installers" if not differ else "differ (" + "; ".join(differ)
                              + "); a real race's category can vary between any two runs at -n 3"))


def main():
    ap = argparse.ArgumentParser()
    for a in ("labeille", "setup", "python", "uv", "registry"):
        ap.add_argument(a)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated packages for the per-package figures")
    ap.add_argument("--no-cold", action="store_true", help="skip the empty-cache pass of uv")
    ap.add_argument("--side-by-side", action="store_true",
                    help="the two whole runs at once (a shared, loaded machine: both see the same load)")
    ap.add_argument("--part", choices=["all", "packages", "run"], default="all",
                    help="per-package figures, the whole-run figure, or both")
    args = ap.parse_args()
    fixtures = os.path.join(os.path.dirname(os.path.abspath(args.registry)), "packages")
    packages = [(p, ["--path", os.path.join(fixtures, p)]) for p in sorted(os.listdir(fixtures))]
    packages += [(n, ["--sdist", n, "--version", v]) for n, v in SDISTS]
    if args.only:
        packages = [p for p in packages if p[0] in args.only.split(",")]
    base = tempfile.mkdtemp(prefix="labeille-bench-setup-")
    try:
        if args.part in ("all", "packages"):
            per_package(args, packages, base)
        if args.part in ("all", "run"):
            whole_run(args, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
