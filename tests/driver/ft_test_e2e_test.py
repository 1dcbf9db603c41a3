#!/usr/bin/env python3
"""`labeille ft test DIR` end to end: real checkouts (tests/fixtures/checkouts), real
venvs, real CTest runs through the same machinery as `ft run`, the verdict and the exit
status a CI job gates on.

usage: ft_test_e2e_test.py LABEILLE PYTHON CHECKOUTS WORK {usage|clean|stress|markupsafe|noverdict}

usage:      refusals before anything runs: bad --fail-on (2), a --work-dir inside DIR
            (2), DIR missing or not a package (3), an interpreter that is not free-threaded (3), none found (3,
            saying how to get one); nothing is left in the results directory.
clean:      a counter under a lock, a PEP 621 `test` extra: compatible, exit 0; the
            interpreter found as python3.13t on PATH; both commands printed and recorded;
            the GIL=1 control not run (auto: nothing failed); show and export read the run.
stress:     a race fresh processes hide, a PEP 735 `tests` group: found under stress,
            exit 1, the GIL=1 control run for the failed stress runs, the racing test
            named, and the reproduce line runs that test.
markupsafe: the real MarkupSafe 2.1.5 sdist (requirements/tests.txt):
            compatible_gil_fallback naming markupsafe._speedups, exit 0.
noverdict:  a package that cannot be built: install_failure, exit 5; exit 0 with
            --fail-on crash. A suite that fails with the GIL too: incompatible
            (pre-existing), exit 5. A conftest pytest refuses at start-up: unknown,
            "pytest could not start", exit 5.
Small -n throughout; the stress mode's repetitions are raised as in stress_e2e_test.py so
that one of its three stress runs finding the race is all but certain.
"""
import json
import os
import re
import shutil
import subprocess
import sys

labeille, python, checkouts, work, which = sys.argv[1:6]
errors = []


def expect(cond, what):
    if not cond:
        errors.append(what)


def ft_test(d, *extra, env=None, target=True):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    cmd = [labeille, "ft", "test", os.path.join(checkouts, d), "--work-dir", os.path.join(work, "w"),
           "--results-dir", os.path.join(work, "r"), "--stall-threshold", "300", "--timeout", "900", *extra]
    if target:
        cmd += ["--target-python", python]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    print(f"$ {' '.join(cmd)}\nexit {p.returncode}\n{p.stdout}\n{p.stderr[-3000:]}")
    runs = os.listdir(os.path.join(work, "r")) if os.path.isdir(os.path.join(work, "r")) else []
    run_dir = os.path.join(work, "r", runs[0]) if len(runs) == 1 else None
    return p, run_dir


def results(run_dir):
    with open(os.path.join(run_dir, "ft_results.jsonl")) as f:
        (row,) = [json.loads(line) for line in f]
    with open(os.path.join(run_dir, "ft_meta.json")) as f:
        return row, json.load(f)


if which == "usage":
    for args, code, text in [
        (["--fail-on", "racy"], 2, 'unknown category "racy"'),
        (["--target-python", sys.executable], 3, "is not a free-threaded build"),
        # The same KEY rule as ft run's (a shell variable name), refused before any run.
        (["--env", "1BAD=x"], 2, "expected KEY=VALUE with KEY letters, digits and '_'"),
    ]:
        p, run_dir = ft_test("clean", *args, target=False)
        expect(p.returncode == code, f"{args}: exit {p.returncode}, expected {code}")
        expect(text in p.stderr, f"{args}: stderr lacks {text!r}")
        expect(run_dir is None, f"{args}: a run directory was left behind")
    # The set-up copies DIR: a work directory inside it is refused.
    p = subprocess.run([labeille, "ft", "test", os.path.join(checkouts, "clean"), "--target-python", python,
                        "--work-dir", os.path.join(checkouts, "clean", "ft-work")], capture_output=True, text=True)
    expect(p.returncode == 2 and "choose a --work-dir and --results-dir outside it" in p.stderr,
           f"work dir inside DIR: exit {p.returncode}: {p.stderr}")
    expect(not os.path.exists(os.path.join(checkouts, "clean", "ft-work")), "a work directory was made inside DIR")
    p = subprocess.run([labeille, "ft", "test", os.path.join(checkouts, "clean"), "--target-python", python,
                        "--work-dir", os.path.join(work, "w"), "--results-dir", os.path.join(checkouts, "clean", "r")],
                       capture_output=True, text=True)
    expect(p.returncode == 2, f"results dir inside DIR: exit {p.returncode}: {p.stderr}")
    expect(not os.path.exists(os.path.join(checkouts, "clean", "r")), "a results directory was made inside DIR")
    for d, text in [("no-such-dir", "not a directory"), ("declares/requirements-file/requirements",
                                                          "not a Python package")]:
        p, _ = ft_test(d)
        expect(p.returncode == 3, f"{d}: exit {p.returncode}, expected 3")
        expect(text in p.stderr, f"{d}: stderr lacks {text!r}")
    # No interpreter anywhere: the error says how to get one.
    home = os.path.join(work, "..", "empty-home")
    os.makedirs(home, exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": os.path.abspath(home)}
    p, _ = ft_test("clean", env=env, target=False)
    expect(p.returncode == 3, f"no interpreter: exit {p.returncode}, expected 3")
    for text in ("no free-threaded Python found", "uv python install 3.14t", "scripts/setup.sh", "3.14t"):
        expect(text in p.stderr, f"no interpreter: stderr lacks {text!r}")
elif which == "clean":
    # Found on PATH, as a maintainer who installed python3.13t has it.
    bindir = os.path.join(os.path.dirname(work), "clean-bin")
    shutil.rmtree(bindir, ignore_errors=True)
    os.makedirs(bindir)
    os.symlink(python, os.path.join(bindir, "python3.13t"))
    env = {k: v for k, v in os.environ.items() if k != "LABEILLE_FT_PYTHON"}
    env["PATH"] = bindir + os.pathsep + env["PATH"]
    p, run_dir = ft_test("clean", "-n", "2", "--stress-repeat", "5", env=env, target=False)
    expect(p.returncode == 0, f"exit {p.returncode}, expected 0")
    expect("found: python3.13t on PATH" in p.stdout, "the interpreter was not found on PATH")
    expect("install:  python -m pip install -e '.[test]'" in p.stdout, "install command not printed")
    expect("test:     python -m pytest" in p.stdout, "test command not printed")
    expect("extra 'test' (pyproject.toml [project.optional-dependencies])" in p.stdout, "declaration not printed")
    row, meta = results(run_dir)
    expect(row["category"] == "compatible", f"category {row['category']}")
    # The control is auto: every GIL=0 run passed, so no GIL=1 run was needed.
    expect(not row.get("gil_enabled_iterations"), f"GIL=1 runs: {row.get('gil_enabled_iterations')}")
    expect(row.get("gil_comparison") == "not_needed", f"gil_comparison {row.get('gil_comparison')}")
    expect("GIL=1 control: not run" in p.stdout, "the skipped control is not said")
    expect(row.get("stress", {}).get("pass_count") == 2, f"stress runs: {row.get('stress')}")
    t = meta.get("test", {})
    expect(t.get("install_command") == "python -m pip install -e '.[test]'", f"meta test: {t}")
    expect(t.get("test_command") == "python -m pytest", f"meta test: {t}")
    expect(meta["config"]["install_from"] == "path", f"meta install_from {meta['config'].get('install_from')}")
    expect("ft-checkout-clean: compatible" in p.stdout, "verdict line missing")
    expect("Exit 0" in p.stdout, "exit line missing")
    for view in (["show", run_dir], ["export", run_dir, "--format", "junit"], ["report", run_dir]):
        v = subprocess.run([labeille, "ft", *view], capture_output=True, text=True)
        expect(v.returncode == 0 and "ft-checkout-clean" in v.stdout, f"ft {view[0]}: exit {v.returncode}")
elif which == "stress":
    # --stress-budget 0: the 50 repetitions this detection needs, whatever the load (the
    # default budget scales them down when a loaded machine slows the plain runs).
    p, run_dir = ft_test("stress-race", "-n", "3", "--stress-repeat", "50", "--stress-budget", "0")
    expect(p.returncode == 1, f"exit {p.returncode}, expected 1 (a free-threading problem)")
    expect("install:  python -m pip install -e . --group tests" in p.stdout, "install command not printed")
    row, _ = results(run_dir)
    expect(row["category"] in ("intermittent", "incompatible"), f"category {row['category']}")
    # The control ran where the stress runs failed: the race is free-threading's alone.
    stress = row.get("stress", {})
    expect(stress.get("gil_enabled_iterations", 0) > 0 and stress.get("comparison") == "free_threading_specific",
           f"no GIL=1 stress control: {stress.get('gil_enabled_iterations')} runs, {stress.get('comparison')}")
    race = "tests.test_box::test_concurrent_bumps_lose_nothing"
    expect(f"stress: fails under stress only (threads 2, repeat 50): {race}" in p.stdout, "stress evidence missing")
    lines = p.stdout.splitlines()
    at = [i for i, line in enumerate(lines) if line.startswith("Reproduce the first failure")]
    expect(len(at) == 1, "no reproduce line")
    if at:
        repro = lines[at[0] + 1].strip()
        expect("-k test_concurrent_bumps_lose_nothing" in repro, f"reproduce line not narrowed: {repro}")
        # It runs that one test again: pytest exits 0 or 1 (the race may or may not show),
        # never 2-5 (usage, collection, no tests); the other test is deselected.
        r = subprocess.run(["sh", "-c", repro], capture_output=True, text=True, timeout=600)
        expect(r.returncode in (0, 1) and re.search(r"\b1 (passed|failed|error)", r.stdout),
               f"reproduce line: exit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    expect("Exit 1: a free-threading problem was found" in p.stdout, "exit line missing")
elif which == "markupsafe":
    p, run_dir = ft_test("markupsafe-2.1.5", "-n", "2", "--stress-repeat", "5")
    expect(p.returncode == 0, f"exit {p.returncode}, expected 0")
    expect("install:  python -m pip install -e . -r requirements/tests.txt" in p.stdout, "install command not printed")
    row, _ = results(run_dir)
    expect(row["category"] == "compatible_gil_fallback", f"category {row['category']}")
    expect(row.get("extension_compat", {}).get("gil_reenabled_by") == "markupsafe._speedups",
           f"extension_compat {row.get('extension_compat')}")
    expect("the GIL was re-enabled on import by markupsafe._speedups" in p.stdout, "module not named")
elif which == "noverdict":
    # A package that cannot be built: no verdict (5), the set-up's error said; with
    # --fail-on naming only crash it no longer fails (0).
    broken = os.path.join("..", "packages", "ft-install-failure")
    p, run_dir = ft_test(broken, "-n", "1")
    expect(p.returncode == 5, f"exit {p.returncode}, expected 5 (no verdict)")
    expect("set-up failed:" in p.stdout and "cannot be built (on purpose)" in p.stdout, "set-up error not shown")
    expect("Exit 5: no verdict" in p.stdout, "exit line missing")
    row, _ = results(run_dir)
    expect(row["category"] == "install_failure", f"category {row['category']}")
    p, _ = ft_test(broken, "-n", "1", "--fail-on", "crash")
    expect(p.returncode == 0, f"--fail-on crash: exit {p.returncode}, expected 0")
    # A suite that fails with the GIL too: its category stands, but it is no finding
    # about free-threading, so no verdict (5), and the exit line says why.
    p, run_dir = ft_test("fails-with-gil-too", "-n", "2", "--stress-repeat", "2")
    expect(p.returncode == 5, f"fails-with-gil-too: exit {p.returncode}, expected 5")
    expect("the suite fails with the GIL as well" in p.stdout, "fails-with-gil-too: the exit line does not say why")
    row, _ = results(run_dir)
    expect(row["category"] == "incompatible" and row.get("gil_comparison") == "pre_existing",
           f"fails-with-gil-too: {row['category']}, {row.get('gil_comparison')}")
    # pytest that cannot start ran no test: unknown, the reason named, no verdict.
    p, run_dir = ft_test("conftest-breaks-pytest", "-n", "2", "--stress-repeat", "2")
    expect(p.returncode == 5, f"conftest-breaks-pytest: exit {p.returncode}, expected 5")
    row, _ = results(run_dir)
    expect(row["category"] == "unknown", f"conftest-breaks-pytest: category {row['category']}")
    expect("pytest could not start: pluggy._manager.PluginValidationError" in p.stdout
           and "no_such_argument" in p.stdout, "conftest-breaks-pytest: the reason is not shown")
else:
    sys.exit(f"unknown mode {which}")

if errors:
    sys.exit("FAILED:\n" + "\n".join(errors))
print("ok")
