"""ft_shard.cmake passes the stress and until-bound options through to the project it
generates: a shard run with FT_STRESS=ON FT_STRESS_THREADS=3 FT_STRESS_REPEAT=4 really
generates and runs the stress iterations of the shard's package (in CTest's Test.xml,
with label ft.stress and the shard's label; the attempt records carry pytest-run-parallel's
3 threads x 4 repetitions as the plugin counted them), and FT_ITERATIONS=7 with
FT_UNTIL_BOUND=0.5 stops each mode early: after 5 passes the failure-rate bound
1 - 0.05^(1/5) = 45% is within 50%, so iterations 6 and 7 of the plain and of the stress
mode are skipped (CTest's skip code 77, records "skipped" saying why). Bad values of the
new inputs are refused before anything runs.

Quick and not flaky on a loaded machine: one small thread-safe package (ft-compatible: a
counter under a lock, exact in every run, also under stress), its set-up and 10 short
runs; the other package of the selection is in the other shard and never runs. Non-default
thread and repetition counts prove the values are passed, not the module's defaults.

usage: stress_shard_test.py PYTHON PACKAGE_DIR WORK_DIR
"""
import glob
import hashlib
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET

from common import SOURCE, ctest_script, fail, finish, results, xmllint

REGISTRY = os.path.join(SOURCE, "tests", "fixtures", "registries", "stress")
PACKAGE, OTHER = "ft-compatible", "ft-thread-unsafe-test"
SHARDS = 2


def shard_of(name):
    # The module's rule (docs/cmake.md): the first 28 bits of SHA-1 of the name, mod n.
    return int(hashlib.sha1(name.encode()).hexdigest()[:7], 16) % SHARDS


def main():
    python, package_dir, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    k = shard_of(PACKAGE)
    if shard_of(OTHER) == k:
        fail(f"{PACKAGE} and {OTHER} share shard {k} of {SHARDS}: pick another second package")
    build = os.path.join(work, "build")
    base = {"FT_REGISTRY": REGISTRY, "FT_TARGET_PYTHON": python, "FT_PACKAGE_DIR": package_dir,
            "FT_PACKAGES": f"{PACKAGE};{OTHER}", "FT_SHARD_COUNT": str(SHARDS), "FT_SHARD_INDEX": str(k),
            "FT_BINARY_DIR": build}
    # Bad values of the new inputs: refused up front, each naming its input.
    for change, needle in [({"FT_STRESS_THREADS": "0"}, 'FT_STRESS_THREADS: "0" is not a positive integer'),
                           ({"FT_STRESS_REPEAT": "x"}, 'FT_STRESS_REPEAT: "x" is not a positive integer'),
                           ({"FT_UNTIL_BOUND": "1.5"}, 'FT_UNTIL_BOUND: "1.5" is not a failure-rate bound')]:
        r = ctest_script("ft_shard.cmake", {**base, **change})
        if r.returncode == 0 or needle not in " ".join((r.stdout + r.stderr).split()):
            fail(f"{change}: exit {r.returncode}, output lacks {needle!r}:\n{r.stderr[-2000:]}")
        if os.path.exists(build):
            fail(f"{change}: the build directory was made before the input was checked")

    # A generous stall threshold and timeout: a loaded machine can starve an import.
    r = ctest_script("ft_shard.cmake", {**base, "FT_ITERATIONS": "7", "FT_UNTIL_BOUND": "0.5", "FT_STRESS": "ON",
                                        "FT_STRESS_THREADS": "3", "FT_STRESS_REPEAT": "4", "FT_PARALLEL": "2",
                                        "FT_STALL_THRESHOLD": "300", "FT_TIMEOUT": "600"})
    print(r.stdout[-3000:], r.stderr[-3000:])
    if r.returncode != 0:
        fail(f"ctest -S ft_shard.cmake exited {r.returncode}")
    errors = []

    def expect(cond, what):
        if not cond:
            errors.append(what)

    # CTest's own account: which tests the project generated and how each ended.
    (test_xml,) = glob.glob(os.path.join(build, "Testing", "*", "Test.xml"))
    xmllint(test_xml)
    tests = {}
    for t in ET.parse(test_xml).getroot().iter("Test"):
        if t.get("Status"):  # a test's result, not an entry of the <TestList>
            tests[t.findtext("Name")] = (t.get("Status"), {l.text for l in t.iter("Label")})
    prefix = f"ft.{PACKAGE}."
    expect(not any(OTHER in n for n in tests), f"{OTHER} (shard {1 - k}) has tests in shard {k}: {sorted(tests)}")
    for mode in ("gil0", "stress.gil0"):
        names = [f"{prefix}{mode}.iter{i:02d}" for i in range(1, 8)]
        missing = [n for n in names if n not in tests]
        expect(not missing, f"not generated: {missing} (got {sorted(tests)})")
        status = [tests[n][0] for n in names if n in tests]
        expect(status.count("passed") == 5 and status.count("notrun") == 2,
               f"{mode}: CTest statuses {status}, expected 5 passed and 2 skipped (notrun)")
    for n, (_, labels) in tests.items():
        if n.startswith(prefix + "stress."):
            expect({"ft", "ft.stress", f"ft.shard.{k}", f"ft.pkg.{PACKAGE}"} <= labels and "ft.gil0" not in labels,
                   f"{n}: labels {sorted(labels)}")

    # The runner's records: the stress attempts ran pytest-run-parallel with the shard's
    # settings; the skipped ones say why.
    records = os.path.join(build, "labeille-ft", "records", PACKAGE)
    outcomes = {"gil0": [], "stress.gil0": []}
    for path in sorted(glob.glob(os.path.join(records, "*.iter*.a*", "record.json"))):
        with open(path) as f:
            rec = json.load(f)
        outcomes[rec["mode"]].append(rec["outcome"])
        if rec["outcome"] == "skipped":
            expect(rec["detail"].startswith("verdict settled (until-bound): 5 of 5 passed"),
                   f"{path}: skipped because {rec['detail']!r}")
        elif rec["mode"] == "stress.gil0":
            s = rec.get("stress") or {}
            expect((s.get("threads"), s.get("repeat"), s.get("reported"), s.get("tests_run")) == (3, 4, True, 2),
                   f"{path}: stress {s}")
        else:
            expect("stress" not in rec, f"{path}: a plain attempt with stress counts")
    for mode, got in outcomes.items():
        expect(sorted(got) == ["pass"] * 5 + ["skipped"] * 2, f"records of {mode}: {got}")

    # The fold the script runs at its end.
    folded = os.path.join(build, "labeille-ft", "results", "ft_ctest")
    rows = results(os.path.join(folded, "ft_results.jsonl"))
    expect(sorted(rows) == [PACKAGE], f"folded packages: {sorted(rows)}")
    p = rows.get(PACKAGE, {})
    expect(p.get("category") == "compatible", f"category {p.get('category')}")
    expect((p.get("pass_count"), p.get("iterations_completed"), p.get("iterations_allowed")) == (5, 5, 7),
           f"plain runs: {p.get('pass_count')}/{p.get('iterations_completed')} of {p.get('iterations_allowed')}")
    expect("stopped after 5 of 7 iterations" in p.get("verdict", ""), f"verdict {p.get('verdict')!r}")
    s = p.get("stress") or {}
    expect((s.get("threads"), s.get("repeat"), s.get("iterations_completed"), s.get("pass_count")) == (3, 4, 5, 5),
           f"folded stress {s}")
    with open(os.path.join(folded, "ft_meta.json")) as f:
        config = json.load(f)["config"]
    got = {k: config.get(k) for k in ("stress", "stress_threads", "stress_repeat", "until_bound", "iterations")}
    expect(got == {"stress": True, "stress_threads": 3, "stress_repeat": 4, "until_bound": 0.5, "iterations": 7},
           f"ft_meta.json config {got}")
    for e in errors:
        print("MISMATCH:", e)
    if errors:
        sys.exit(1)
    print(f"ok: shard {k} of {SHARDS}: {PACKAGE}'s plain and stress iterations stopped after 5 of 7")


if __name__ == "__main__":
    main()
    finish()
