"""Failures stated by their root cause, end to end: `labeille ft run --source auto` over
tests/fixtures/registries/root-causes, then every view.

usage: root_causes_test.py LABEILLE PYTHON REGISTRY WORK_DIR

Real builds from the package index on CPython 3.13t (label `network`): two fixture
packages whose test extra pulls in cffi (it refuses the free-threaded 3.13 build), one
whose test extra pulls in hypothesis 6.170.27 (its PyO3 part refuses it), one whose build
requirement python-sbom>=0.1.2 the index does not serve, crc32c 2.7 (its repository is
unreachable here, so its sdist is used, and that sdist lacks checkarm.h: a C compile
error) and a flat-layout package with a C extension whose source tree shadows the
installed package. Each must be stated by its cause in ft_results.jsonl and in every
view, and the blockers must count cffi (2 packages) and hypothesis (1), each on its row.
"""
import html
import json
import os
import shutil
import subprocess
import sys

LABEILLE, PYTHON, REGISTRY, WORK = sys.argv[1:5]
PACKAGES = ("rc-tests-need-hypothesis,rc-tests-need-cffi,rc-tests-need-cffi-too,rc-missing-build-requirement,"
            "crc32c==2.7,rc-flat-shadow")
PYO3 = "PyO3 does not support the free-threaded build of CPython versions below 3.14"
CFFI = "RuntimeError: CFFI does not support the free-threaded build of CPython 3.13"
CHECKARM = "src/crc32c/ext/_crc32c.c:30:10: fatal error: checkarm.h: No such file or directory"
errors = []


def expect(cond, what):
    if not cond:
        errors.append(what)


def view(*args):
    r = subprocess.run([LABEILLE, "ft", *args], capture_output=True, text=True)
    expect(r.returncode == 0, f"ft {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r.stdout


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    run = subprocess.run([LABEILLE, "ft", "run", "--target-python", PYTHON, "--registry-dir", REGISTRY,
                          "--packages", PACKAGES, "--source", "auto", "-n", "1", "-j", "2",
                          "--timeout", "1200", "--stall-threshold", "600",
                          "--work-dir", f"{WORK}/work", "--results-dir", f"{WORK}/results"],
                         capture_output=True, text=True, timeout=7000)
    print(run.stdout[-6000:])
    print(run.stderr[-4000:])
    (run_dir,) = [os.path.join(f"{WORK}/results", d) for d in os.listdir(f"{WORK}/results")]
    rows = {}
    with open(f"{run_dir}/ft_results.jsonl") as f:
        for line in f:
            row = json.loads(line)
            rows[row["package"]] = row

    def cause(pkg):
        return rows.get(pkg, {}).get("setup_cause") or {}

    # The results: the cause under our key, the sentence in labeille's install_error.
    hyp = cause("rc-tests-need-hypothesis")
    expect(hyp.get("dependency") == "hypothesis" and hyp.get("version") == "6.170.27"
           and hyp.get("role") == "a test dependency" and PYO3 in hyp.get("line", "") and hyp.get("blocks") is True,
           f"rc-tests-need-hypothesis: setup_cause {hyp}")
    for pkg in ("rc-tests-need-cffi", "rc-tests-need-cffi-too"):
        c = cause(pkg)
        expect(c.get("dependency") == "cffi" and c.get("role") == "a test dependency"
               and CFFI in c.get("line", "") and c.get("blocks") is True, f"{pkg}: setup_cause {c}")
        expect((rows.get(pkg, {}).get("install_error") or "").startswith("cffi "),
               f"{pkg}: install_error {rows.get(pkg, {}).get('install_error')!r}")
    sbom = cause("rc-missing-build-requirement")
    expect(sbom.get("dependency") == "python-sbom" and sbom.get("requirement") == "python-sbom>=0.1.2"
           and sbom.get("role") == "a build requirement", f"rc-missing-build-requirement: setup_cause {sbom}")
    crc = cause("crc32c")
    expect(crc.get("dependency") == "crc32c" and crc.get("version") == "2.7" and crc.get("line") == CHECKARM
           and crc.get("blocks") is False, f"crc32c: setup_cause {crc}")
    expect((rows.get("crc32c", {}).get("source") or {}).get("fallback_reason"),
           f"crc32c: the unreachable repository is not kept: {rows.get('crc32c', {}).get('source')}")
    shadow = rows.get("rc-flat-shadow", {})
    expect(shadow.get("category") == "unknown", f"rc-flat-shadow: category {shadow.get('category')}")
    expect("source tree" in (shadow.get("tests_not_run") or "")
           and "--import-mode=importlib" in (shadow.get("tests_not_run") or ""),
           f"rc-flat-shadow: tests_not_run {shadow.get('tests_not_run')!r}")

    # Every view states each cause, never the wrapper line, and no failing package is mute.
    views = {
        "show": view("show", run_dir),
        "report markdown": view("report", run_dir, "--format", "markdown"),
        "report text": view("report", run_dir, "--format", "text"),
        "report html": view("report", run_dir, "--format", "html"),
        "export csv": view("export", run_dir, "--format", "csv"),
        "export json": view("export", run_dir, "--format", "json"),
        "export junit": view("export", run_dir, "--format", "junit"),
    }
    for pkg in rows:
        views[f"show {pkg}"] = view("show", run_dir, pkg)
    for name, text in views.items():
        one = name.startswith("show ") and name != "show"
        wanted = {"show rc-tests-need-hypothesis": [PYO3], "show rc-tests-need-cffi": [CFFI],
                  "show crc32c": ["checkarm.h"], "show rc-flat-shadow": ["source tree"],
                  "show rc-missing-build-requirement": ["python-sbom>=0.1.2"]}.get(name, [])
        if not one:
            wanted = [PYO3, CFFI, "checkarm.h", "python-sbom>=0.1.2", "source tree"]
        for w in wanted:
            # markdown and html escape "<>&" (python-sbom&gt;=0.1.2)
            expect(w in text or html.escape(w, quote=False) in text, f"{name}: {w!r} missing")
        expect("Error: command ['maturin'" not in text, f"{name}: maturin's wrapper line shown")
        expect("measured install_failure" not in text, f"{name}: a failed build called a contradiction")
    expect("the cp313t wheel was not tested" in views["show crc32c"] or "cp313t" not in views["show crc32c"],
           "crc32c: its cp313t wheel is published but the view does not say it was not tested")

    # Blockers: each dependency on its row with how many packages it blocks.
    md = views["report markdown"]
    expect("## Blockers" in md, "report markdown: no Blockers section")
    rows_md = [line for line in md.splitlines() if line.startswith("| cffi |") or line.startswith("| hypothesis |")]
    expect(any(r.startswith("| cffi | 2 | rc-tests-need-cffi, rc-tests-need-cffi-too |") for r in rows_md),
           f"report markdown: cffi's row {rows_md}")
    expect(any(r.startswith("| hypothesis | 1 | rc-tests-need-hypothesis |") for r in rows_md),
           f"report markdown: hypothesis's row {rows_md}")
    expect(md.find("| cffi | 2") < md.find("| hypothesis | 1"), "report markdown: blockers not sorted")
    expect("cffi blocks 2 packages" in views["show"], "show: no blockers")
    expect("<h2>Blockers</h2>" in views["report html"], "report html: no blockers")

    for e in errors:
        print("MISMATCH:", e)
    print("ok" if not errors else f"{len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
