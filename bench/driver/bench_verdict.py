#!/usr/bin/env python3
"""Time to verdict (issue 21): figures printed, never asserted (README "Figures").

usage: bench_verdict.py LABEILLE PYTHON REGISTRY STRESS_REGISTRY PYPI_REGISTRY
                        [--part all|corpus|one|races|labeille] [--race-runs N] [--one-package NAME==VERSION]
                        [--labeille-python PY [--labeille-skip PKG,...]]

1. corpus: the acceptance-style run of the fixture corpus, `labeille ft run -n 3
   --compare-with-gil --stall-threshold 5 -j 2`, in one go on the same machine: as the
   seed scheduled it (`--serial-iterations`, the control always), side by side with the
   control always, side by side with `--compare-with-gil auto`. Venvs warm and the
   durations of a warm-up run in the work directory (so COST orders every timed run the
   same way). Wall times, the ratios to the seed's schedule, and the categories of each
   configuration against the first (a real race's category may vary, said as such).
2. one: one real package from its sdist, `-n 10 -j 2`, serialized against side by side
   (what `labeille ft test` of one package does); target >= 1.7x on 2 cores.
3. races: the corpus' real races (ft-racy, ft-stress-race), plain runs, serialized
   against side by side: failures out of N each way (a concurrent neighbour changes the
   load and the preemption points, docs/run.md).
4. labeille: labeille itself (the Python tool; `--labeille-python PY`, a Python whose
   `labeille.cli` imports: labeille is not on PyPI) against ours on the same registry made
   into git repositories, the same options, each after a warm-up run of its own.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def run_ft(labeille, python, registry, work, results, extra, log):
    cmd = [labeille, "ft", "run", "--target-python", python, "--registry-dir", registry,
           "--work-dir", work, "--results-dir", results, *extra]
    t = time.perf_counter()
    with open(log, "a") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=False)
    wall = time.perf_counter() - t
    runs = sorted(os.listdir(results))
    rows = {}
    with open(os.path.join(results, runs[-1], "ft_results.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            rows[r["package"]] = r
    return wall, rows


def gil1_runs(r):
    g = r.get("gil_enabled_iterations", 0)  # the labeille tool's list of GIL=1 runs, or our older count
    return len(g) if isinstance(g, list) else g


def categories(rows):
    return {p: r["category"] for p, r in rows.items()}


def loadavg():
    return os.getloadavg()[0]


def corpus(a, base):
    work, res = os.path.join(base, "corpus-w"), os.path.join(base, "corpus-r")
    common = ["-n", "3", "--stall-threshold", "5", "-j", "2"]
    log = os.path.join(base, "corpus.log")
    if not a.no_warm_up:
        run_ft(a.labeille, a.python, a.registry, work, res, common + ["--compare-with-gil"], log)  # warm-up
    configs = [("seed's schedule (serialized, always)", ["--serial-iterations", "--compare-with-gil"]),
               ("side by side, --compare-with-gil always", ["--compare-with-gil", "always"]),
               ("side by side, --compare-with-gil auto", ["--compare-with-gil", "auto"])]
    got = []
    for name, extra in configs:
        before = loadavg()
        wall, rows = run_ft(a.labeille, a.python, a.registry, work, res, common + extra, log)
        gil1 = sum(gil1_runs(r) for r in rows.values())
        got.append((name, wall, rows, gil1, before, loadavg()))
    print(f"1. acceptance-style run of the fixture corpus ({len(got[0][2])} packages), -n 3 --stall-threshold 5 -j 2")
    base_wall = got[0][1]
    for name, wall, rows, gil1, l0, l1 in got:
        print(f"   {name:42s} {wall:7.1f} s  {base_wall / wall:5.2f}x the seed's schedule  "
              f"GIL=1 runs {gil1:3d}  load {l0:.1f} -> {l1:.1f}")
    ref = categories(got[0][2])
    for name, _, rows, *_ in got[1:]:
        print(f"   categories, {name}: {category_diff(ref, categories(rows))}")
    if not a.labeille_python:
        print("   labeille (the Python tool): give --labeille-python PY (a Python whose labeille.cli imports; "
              "labeille is not on PyPI) for part 4, the ratio against it")


# The corpus packages whose failures are real races: their category may differ from one
# run to the next (intermittent or incompatible, as the race struck), whatever the schedule.
REAL_RACES = {"ft-racy", "ft-stress-race"}


def category_diff(ref, got):
    """'the same', or the packages whose category differs, a real race said as such."""
    diff = {p: (ref.get(p), c) for p, c in got.items() if p in ref and ref[p] != c}
    if not diff:
        return "the same"
    return "; ".join(f"{p}: {a} -> {b}" + (" (a real race: its category varies from run to run)"
                                            if p in REAL_RACES else "") for p, (a, b) in sorted(diff.items()))


def one_package(a, base):
    work, res = os.path.join(base, "one-w"), os.path.join(base, "one-r")
    log = os.path.join(base, "one.log")
    pkg = a.one_package
    common = ["--packages", pkg, "--source", "sdist", "-j", "2", "--extra-deps", a.one_extra_deps]
    run_ft(a.labeille, a.python, a.registry_pypi, work, res, common + ["-n", "1"], log)  # set-up, warm
    common += ["-n", "10"]
    walls = {}
    for name, extra in (("serialized", ["--serial-iterations"]), ("side by side", [])):
        l0 = loadavg()
        wall, rows = run_ft(a.labeille, a.python, a.registry_pypi, work, res, common + extra, log)
        walls[name] = (wall, rows, l0, loadavg())
    print(f"2. one real package, {pkg} from its sdist, -n 10 -j 2")
    for name, (wall, rows, l0, l1) in walls.items():
        r = next(iter(rows.values()))
        print(f"   {name:13s} {wall:7.1f} s  {r['category']:14s} {r['pass_count']}/{r['iterations_completed']} passed, "
              f"mean run {r['mean_duration_s']:.1f} s  load {l0:.1f} -> {l1:.1f}")
    print(f"   speed-up {walls['serialized'][0] / walls['side by side'][0]:.2f}x (target >= 1.7x on 2 cores)")


def races(a, base):
    print(f"3. the corpus' real races, plain runs, -n {a.race_runs} -j 2: failures (and wall time, venv warm) "
          "serialized / side by side")
    for pkg in ("ft-racy", "ft-stress-race"):
        line = f"   {pkg:16s}"
        run_ft(a.labeille, a.python, a.stress_registry, os.path.join(base, "race-w"), os.path.join(base, f"race-warm-{pkg}"),
               ["--packages", pkg, "-n", "1"], os.path.join(base, "races.log"))  # set-up once, venv warm
        for name, extra in (("serialized", ["--serial-iterations"]), ("side by side", [])):
            work, res = os.path.join(base, "race-w"), os.path.join(base, f"race-r-{pkg}-{len(extra)}")
            wall, rows = run_ft(a.labeille, a.python, a.stress_registry, work, res,
                                ["--packages", pkg, "-n", str(a.race_runs), "-j", "2", "--stall-threshold", "30", *extra],
                                os.path.join(base, "races.log"))
            r = rows[pkg]
            line += (f"  {name}: {r['iterations_completed'] - r['pass_count']}/{r['iterations_completed']} failed "
                     f"in {wall:.1f} s")
        print(line)


def git_registry(registry, base):
    """The registry with each package's tree as a local git repository named by absolute
    path: labeille (the Python tool) clones every package, relative to its own cwd."""
    out = os.path.join(base, "git-registry")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(registry, out)
    for name in os.listdir(os.path.join(out, "packages")):
        path = os.path.join(out, "packages", name)
        with open(path) as f:
            lines = f.read().splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.startswith("repo: ") and not line[6:].strip().startswith(("http", "/")):
                src = os.path.normpath(os.path.join(registry, line[6:].strip()))
                repo = os.path.join(base, "git-repos", os.path.basename(src))
                if not os.path.isdir(repo):
                    shutil.copytree(src, repo, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
                    git = ["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
                    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "fixture"]):
                        subprocess.run(git + cmd, check=True, capture_output=True)
                lines[i] = f"repo: {repo}\n"
            elif line.startswith("install_command: "):
                # labeille rewrites `python -m pip` into `python -m <venv>/bin/pip` (its
                # install fails with "No module named"): both tools get plain `pip`.
                lines[i] = line.replace("python -m pip ", "pip ")
        with open(path, "w") as f:
            f.writelines(lines)
    return out


def versus_labeille(a, base):
    """4. labeille itself (the Python tool, `--labeille-python PY` whose `labeille.cli`
    imports) against ours on the same registry as git repositories, the same options
    (-n 3 --compare-with-gil --stall-threshold 5), each after a warm-up run of its own, one
    after the other in one go."""
    registry = git_registry(a.registry, base)
    opts = ["-n", "3", "--compare-with-gil", "--stall-threshold", "5"]
    if a.labeille_skip:
        with open(os.path.join(registry, "index.yaml")) as f:
            names = [l.split(":", 1)[1].strip() for l in f if l.strip().startswith("- name:")]
        opts += ["--packages", ",".join(n for n in names if n not in a.labeille_skip.split(","))]
    log = os.path.join(base, "labeille.log")
    lab = [a.labeille_python, "-c", "import sys; from labeille.cli import main; sys.argv[0] = 'labeille'; main()"]

    def theirs():
        w = os.path.join(base, "lab-w")
        cmd = lab + ["ft", "run", "--target-python", a.python, "--registry-dir", registry,
                     "--repos-dir", os.path.join(w, "repos"), "--venvs-dir", os.path.join(w, "venvs"),
                     "--results-dir", os.path.join(base, "lab-r"), *opts]
        t = time.perf_counter()
        with open(log, "a") as f:
            subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=False, cwd=base)
        wall = time.perf_counter() - t
        run = sorted(os.listdir(os.path.join(base, "lab-r")))[-1]
        with open(os.path.join(base, "lab-r", run, "ft_results.jsonl")) as f:
            return wall, {json.loads(l)["package"]: json.loads(l) for l in f if l.strip()}

    auto_opts = [x for o in opts for x in ([o, "auto"] if o == "--compare-with-gil" else [o])]
    w, r = os.path.join(base, "ours-w"), os.path.join(base, "ours-r")
    got = {}
    for name, fn in (("labeille (the Python tool)", theirs),
                     ("ours, --compare-with-gil always", lambda: run_ft(a.labeille, a.python, registry, w, r,
                                                                          opts + ["-j", "2"], log)),
                     ("ours, --compare-with-gil auto", lambda: run_ft(a.labeille, a.python, registry, w, r,
                                                                        auto_opts + ["-j", "2"], log))):
        fn()  # warm-up: venvs made, durations recorded
        l0 = loadavg()
        wall, rows = fn()
        got[name] = (wall, rows, l0, loadavg())
    ref_wall, ref_rows = got["labeille (the Python tool)"][:2]
    print(f"4. labeille itself against ours, {len(ref_rows)} packages as git repositories, -n 3 --compare-with-gil "
          f"--stall-threshold 5 (ours -j 2), venvs warm; left out: {a.labeille_skip or 'none'}")
    for name, (wall, rows, l0, l1) in got.items():
        print(f"   {name:34s} {wall:7.1f} s  {ref_wall / wall:5.2f}x labeille  load {l0:.1f} -> {l1:.1f}  "
              f"categories against labeille's: {category_diff(categories(ref_rows), categories(rows))}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("labeille")
    p.add_argument("python")
    p.add_argument("registry")
    p.add_argument("stress_registry")
    p.add_argument("registry_pypi")
    p.add_argument("--part", default="all", choices=["all", "corpus", "one", "races", "labeille"])
    p.add_argument("--labeille-python", help="a Python whose labeille.cli imports (labeille itself): part 4")
    p.add_argument("--labeille-skip", default="",
                   help="packages part 4 leaves out (CSV): labeille's stall detection did not end ft-deadlock's runs "
                        "here, each ran to its 600 s timeout")
    p.add_argument("--race-runs", type=int, default=20)
    p.add_argument("--one-package", default="packaging==24.2")
    # packaging's tests import pretend; hypothesis (its property tests) has no cp313t wheel
    # and its Rust build refuses 3.13t, so the default leaves it out (those tests are then
    # collection errors pytest reports, the rest run).
    p.add_argument("--one-extra-deps", default="pretend")
    p.add_argument("--keep", action="store_true", help="keep the work directory (its path is printed)")
    p.add_argument("--base", help="work in this directory, kept afterwards (reused: venvs and durations of an earlier run)")
    p.add_argument("--no-warm-up", action="store_true", help="with --base: its venvs and durations are warm already")
    a = p.parse_args()
    base = a.base or tempfile.mkdtemp(prefix="labeille-bench-verdict-")
    os.makedirs(base, exist_ok=True)
    print(f"bench_verdict: {os.cpu_count()} CPUs, load average {loadavg():.1f} at the start; logs in {base}")
    try:
        if a.part in ("all", "corpus"):
            corpus(a, base)
        if a.part in ("all", "one"):
            one_package(a, base)
        if a.part in ("all", "races"):
            races(a, base)
        if a.part in ("all", "labeille") and a.labeille_python:
            versus_labeille(a, base)
        elif a.part == "labeille":
            print("4. labeille itself: give --labeille-python PY (a Python whose labeille.cli imports)")
    finally:
        if not a.keep and not a.base:  # a directory the user named is theirs to keep
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
