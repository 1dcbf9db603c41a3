"""Side-by-side iterations, the GIL=1 control where it tells something, and COST from the
previous run, through a real user project and `ctest -L ft` (real processes, real venvs).

usage: side_by_side_test.py LABEILLE PACKAGE_DIR PYTHON FIXTURE WORK

- ft-side: 4 iterations side by side (the default). Each writes data.txt of its tree in
  place and must find only its own line there (a private copy, never a hard link into
  the shared tree), and waits until another one reached the same point (two ran at
  once; a serialized package would wait in vain and fail). The checkout is untouched
  afterwards and the copies are gone.
- ft-serial (SERIAL_ITERATIONS): 3 runs of 1 s whose intervals never overlap, in the
  checkout itself.
- ft-passing / ft-failing (GIL_CONTROL auto): the passing package's GIL=1 runs are
  skipped with "GIL=1 not run: every GIL=0 run passed", the failing one's run; every
  GIL=1 run starts after the package's GIL=0 runs ended (DEPENDS). ft-always (default
  GIL_CONTROL always): its GIL=1 run runs. The note is in show, the package view, the
  markdown report, the HTML report and the JUnit export.
- COST: ft.fold wrote <work>/durations.tsv; configured again, every iteration's COST is
  the recorded mean rounded up, and the set-up's is the package's whole expected work.
"""
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys

labeille, package_dir, python, fixture, work = sys.argv[1:6]
work = pathlib.Path(work)
shutil.rmtree(work, ignore_errors=True)
(work / "src").mkdir(parents=True)
meet = work / "meet"
NOTE = "GIL=1 not run: every GIL=0 run passed"

common = f"PATH [[{fixture}]] INSTALL_COMMAND true IMPORT_NAME json"
(work / "src" / "CMakeLists.txt").write_text(f"""cmake_minimum_required(VERSION 3.25)
project(p NONE)
enable_testing()
find_package(LabeilleFT REQUIRED)
labeille_ft_add_package(ft-side {common} ITERATIONS 4 TEST_COMMAND [[python tree_test.py fresh {meet}]])
labeille_ft_add_package(ft-serial {common} ITERATIONS 3 SERIAL_ITERATIONS TEST_COMMAND [[python tree_test.py sleep 1]])
labeille_ft_add_package(ft-passing {common} ITERATIONS 2 GIL_MODES gil0 gil1 GIL_CONTROL auto
                        TEST_COMMAND [[python tree_test.py pass]])
labeille_ft_add_package(ft-failing {common} ITERATIONS 2 GIL_MODES gil0 gil1 GIL_CONTROL auto
                        TEST_COMMAND [[python tree_test.py fail]])
labeille_ft_add_package(ft-always {common} ITERATIONS 1 GIL_MODES gil0 gil1 TEST_COMMAND [[python tree_test.py pass]])
""")
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


def configure():
    r = run("cmake", "-S", work / "src", "-B", work / "build", f"-DLabeilleFT_DIR={package_dir}",
            f"-DLABEILLE_FT_TARGET_PYTHON={python}", "-DLABEILLE_FT_STALL_THRESHOLD=60", "-DLABEILLE_FT_RUN_ID=ft_e2e")
    if r.returncode != 0:
        sys.exit(f"configure failed:\n{r.stdout}\n{r.stderr}")


configure()
# ft-failing fails on purpose: ctest's exit status is not the point.
ct = run("ctest", "--test-dir", work / "build", "-L", "ft", "-j2", "--timeout", "600")
lft = work / "build" / "labeille-ft"


def records(pkg):
    out = []
    for rec in sorted((lft / "records" / pkg).glob("*/record.json")):
        r = json.loads(rec.read_text())
        if r.get("kind", "attempt") == "attempt" and "mode" in r:
            out.append(r)
    return out


side = records("ft-side")
check(len(side) == 4 and all(r["outcome"] == "pass" for r in side),
      f"ft-side: 4 side-by-side runs passed, each alone in its copy: {[(r['outcome'], r['detail']) for r in side]}")
repo = lft / "repos" / "ft-side"
check((repo / "data.txt").read_text() == "original\n", "ft-side: the checkout's data.txt is untouched")
check(all(r["cwd"] == str(repo) for r in side), "ft-side: records name the checkout as cwd")
copies = lft / "repos" / ".copies" / "ft-side"
check(not copies.exists() or not any(copies.iterdir()), "ft-side: no copy left behind")
check(len(list(meet.iterdir())) >= 2, "ft-side: at least two runs met")

serial = sorted(records("ft-serial"), key=lambda r: r["start_time"])
check(len(serial) == 3 and all(r["outcome"] == "pass" for r in serial), "ft-serial: 3 runs passed")
check(all(a["end_time"] <= b["start_time"] for a, b in zip(serial, serial[1:])),
      f"ft-serial: runs never overlap: {[(r['start_time'], r['end_time']) for r in serial]}")

for pkg, want in (("ft-passing", "skipped"), ("ft-failing", "fail"), ("ft-always", "pass")):
    recs = records(pkg)
    gil0 = [r for r in recs if r["mode"] == "gil0"]
    gil1 = [r for r in recs if r["mode"] == "gil1"]
    check(gil1 and all(r["outcome"] == want for r in gil1), f"{pkg}: GIL=1 runs {want}: {[r['outcome'] for r in gil1]}")
    if want == "skipped":
        check(all(r["detail"] == NOTE for r in gil1), f"{pkg}: skipped with the note: {[r['detail'] for r in gil1]}")
    if pkg != "ft-always":
        check(min(r["start_time"] for r in gil1) >= max(r["end_time"] for r in gil0),
              f"{pkg}: GIL=1 starts after every GIL=0 run ended")

results = lft / "results" / "ft_e2e"
rows = {json.loads(l)["package"]: json.loads(l) for l in (results / "ft_results.jsonl").read_text().splitlines()}
check(rows["ft-passing"]["gil_comparison"] == "not_needed", f"fold: ft-passing not_needed ({rows['ft-passing']['gil_comparison']})")
check(rows["ft-failing"]["gil_comparison"] == "pre_existing", f"fold: ft-failing pre_existing ({rows['ft-failing']['gil_comparison']})")
check(rows["ft-always"]["gil_comparison"] == "same", f"fold: ft-always same ({rows['ft-always']['gil_comparison']})")
views = {
    "show": run(labeille, "ft", "show", results).stdout,
    "show ft-passing": run(labeille, "ft", "show", results, "ft-passing").stdout,
    "report": run(labeille, "ft", "report", results).stdout,
    "report html": run(labeille, "ft", "report", "--format", "html", results).stdout,
    "export junit": run(labeille, "ft", "export", "--format", "junit", results).stdout,
    "export csv": run(labeille, "ft", "export", "--format", "csv", results).stdout,
}
for name, text in views.items():
    check(NOTE in text, f"the note in `ft {name}`")

# COST from the durations ft.fold kept for the next run.
tsv = lft / "durations.tsv"
check(tsv.exists(), "ft.fold wrote durations.tsv")
dur = {}
for line in tsv.read_text().splitlines():
    pkg, key, s = line.split("\t")
    dur[pkg, key] = float(s)
configure()
shown = json.loads(run("ctest", "--test-dir", work / "build", "--show-only=json-v1").stdout)
cost = {t["name"]: next((p["value"] for p in t.get("properties", []) if p["name"] == "COST"), None)
        for t in shown["tests"]}
want0 = int(dur["ft-passing", "gil0"]) + 1
check(cost["ft.ft-passing.gil0.iter01"] == want0, f"COST of a GIL=0 run: {cost['ft.ft-passing.gil0.iter01']} == {want0}")
want1 = int(dur["ft-passing", "gil1"]) + 1
check(cost["ft.ft-passing.gil1.iter02"] == want1, f"COST of a GIL=1 run: {cost['ft.ft-passing.gil1.iter02']} == {want1}")
want_setup = 2 * want0 + 2 * want1 + int(dur["ft-passing", "setup"]) + 1
check(cost["ft.ft-passing.setup"] == want_setup, f"COST of the set-up: {cost['ft.ft-passing.setup']} == {want_setup}")
if failures:
    print(ct.stdout[-4000:])
    sys.exit(f"{len(failures)} check(s) failed")
