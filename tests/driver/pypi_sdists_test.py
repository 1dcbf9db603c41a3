"""Real packages from the package index, end to end: `labeille ft run --source sdist`.

usage: pypi_sdists_test.py LABEILLE PYTHON REGISTRY WORK_DIR

Four small PyPI packages pinned to exact versions (tests/fixtures/registries/pypi-small):
six (pure; its checkout install command is adapted), markupsafe (a C extension built
from the sdist), packaging (its tests need `pretend`, which is not installed: the tests
did not run, and that is no verdict) and certifi (its sdist ships no tests). Needs the
package index (label `network`).
"""
import json
import os
import shutil
import subprocess
import sys

LABEILLE, PYTHON, REGISTRY, WORK = sys.argv[1:5]
PINS = "six==1.17.0,markupsafe==3.0.2,packaging==24.2,certifi==2024.8.30"
errors = []


def expect(cond, what):
    if not cond:
        errors.append(what)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    run = subprocess.run([LABEILLE, "ft", "run", "--target-python", PYTHON, "--registry-dir", REGISTRY,
                          "--packages", PINS, "--source", "sdist", "-n", "1", "-j", "2",
                          # generous limits: a loaded 2-core CI machine is slow, and no verdict
                          # here is about time
                          "--timeout", "2400", "--stall-threshold", "600",
                          "--work-dir", f"{WORK}/work", "--results-dir", f"{WORK}/results"],
                         capture_output=True, text=True, timeout=7000)
    print(run.stdout)
    print(run.stderr[-4000:])
    if run.returncode != 0:
        print(f"FAIL: labeille ft run exited {run.returncode}")
        return 1
    (run_dir,) = [os.path.join(f"{WORK}/results", d) for d in os.listdir(f"{WORK}/results")]
    rows = {}
    with open(f"{run_dir}/ft_results.jsonl") as f:
        for line in f:
            row = json.loads(line)
            rows[row["package"]] = row

    # Every package came from its pinned sdist, and says so.
    for pkg, version in (p.split("==") for p in PINS.split(",")):
        source = rows.get(pkg, {}).get("source") or {}
        expect(source.get("kind") == "sdist" and source.get("version") == version,
               f"{pkg}: source {source}, expected the sdist {version}")
        expect(str(source.get("url", "")).endswith(".tar.gz"), f"{pkg}: no sdist URL in {source}")

    six = rows.get("six", {})
    expect(six.get("category") == "compatible", f"six: category {six.get('category')}")
    expect(any(a.startswith("dropped `git fetch --tags --depth 1`") for a in six.get("source", {}).get("adapted", [])),
           f"six: the checkout's git step was not adapted: {six.get('source')}")
    expect((six.get("declared") or {}).get("ft_wheel_tags") == ["py3-none-any"], f"six: declared {six.get('declared')}")

    ms = rows.get("markupsafe", {})
    expect(ms.get("category") == "compatible", f"markupsafe: category {ms.get('category')}")
    modules = [e.get("module") for e in ms.get("extension_compat", {}).get("extensions", [])]
    expect("markupsafe._speedups" in modules, f"markupsafe: the C extension was not probed: {modules}")
    declared = ms.get("declared") or {}
    expect(isinstance(declared.get("ft_wheel"), bool), f"markupsafe: the index was not read: {declared}")
    if PY_VERSION == "3.13":  # markupsafe 3.0.2 publishes cp313t wheels (none for later versions)
        expect(declared.get("ft_wheel") is True and all("cp313t" in t for t in declared.get("ft_wheel_tags", [])),
               f"markupsafe: its cp313t wheel was not found: {declared}")

    # A missing test dependency: the tests never ran; that is no verdict, and pytest's reason is kept.
    pk = rows.get("packaging", {})
    expect(pk.get("category") == "unknown", f"packaging: category {pk.get('category')}, expected unknown")
    expect("No module named 'pretend'" in pk.get("tests_not_run", ""),
           f"packaging: tests_not_run is {pk.get('tests_not_run')!r}")

    # No tests in the sdist: said exactly, and no verdict either.
    ce = rows.get("certifi", {})
    expect(ce.get("source", {}).get("tests_present") is False
           and ce.get("source", {}).get("tests_note") == "the sdist holds no test file (test_*.py, *_test.py)",
           f"certifi: source {ce.get('source')}")
    expect(ce.get("category") == "unknown", f"certifi: category {ce.get('category')}, expected unknown")

    # What a user reads: the package's whole story.
    show = subprocess.run([LABEILLE, "ft", "show", run_dir, "packaging"], capture_output=True, text=True)
    expect(show.returncode == 0 and "pretend" in show.stdout, f"ft show packaging:\n{show.stdout}{show.stderr}")

    for e in errors:
        print("MISMATCH:", e)
    print("ok" if not errors else f"{len(errors)} mismatches")
    return 1 if errors else 0


PY_VERSION = subprocess.run([PYTHON, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                            capture_output=True, text=True).stdout.strip()

if __name__ == "__main__":
    sys.exit(main())
