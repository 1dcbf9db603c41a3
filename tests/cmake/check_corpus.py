"""Checks the categories of the fixture corpus in a result directory.

usage: check_corpus.py RESULT_DIR ITERATIONS [RECORDS_DIR INSTALLER]

Exact expectations for every deterministic package; the real race (ft-racy) is random
by nature, so only what holds with overwhelming probability is asserted. With
RECORDS_DIR and INSTALLER (uv or pip), every set-up record must name that installer,
except that uv hands the packages it cannot install (UV_HANDS_TO_PIP) to pip.
"""
import glob
import json
import sys

EXPECTED = {
    "ft-compatible": "compatible",
    "ft-gil-fallback": "compatible_gil_fallback",
    "ft-flaky-twin": "intermittent",
    "ft-only-incompatible": "incompatible",
    "ft-preexisting": "incompatible",
    "ft-crash": "crash",
    "ft-deadlock": "deadlock",
    "ft-install-failure": "install_failure",
    "ft-import-failure": "import_failure",
    "ft-missing-test-dep": "unknown",
    "ft-collect-needs-gil": "incompatible",
}

# The packages uv cannot install, so the set-up hands them to pip (docs/setup.md), with
# what uv's message must say: one that cannot build, one whose build requirement the
# index does not serve.
UV_HANDS_TO_PIP = {
    "ft-install-failure": "cannot be built (on purpose)",
    "rc-missing-build-requirement": "python-sbom",
}


def main():
    result_dir, iterations = sys.argv[1], int(sys.argv[2])
    rows = {}
    with open(result_dir + "/ft_results.jsonl") as f:
        for line in f:
            row = json.loads(line)
            rows[row["package"]] = row
    errors = []

    def expect(cond, what):
        if not cond:
            errors.append(what)

    for pkg, cat in EXPECTED.items():
        got = rows.get(pkg, {}).get("category")
        expect(got == cat, f"{pkg}: category {got}, expected {cat}")
    twin = rows.get("ft-flaky-twin", {})
    expect(twin.get("pass_count") == iterations - 1, f"ft-flaky-twin passed {twin.get('pass_count')}/{iterations}")
    expect("tests.test_twin::test_fails_on_chosen_iterations" in twin.get("flaky_tests", {}),
           f"ft-flaky-twin flaky tests: {twin.get('flaky_tests')}")
    expect(rows.get("ft-only-incompatible", {}).get("gil_comparison") == "free_threading_specific",
           "ft-only-incompatible is not free_threading_specific")
    expect(rows.get("ft-preexisting", {}).get("gil_comparison") == "pre_existing", "ft-preexisting is not pre_existing")
    expect(rows.get("ft-gil-fallback", {}).get("extension_compat", {}).get("gil_reenabled_by")
           == "ft_gil_fallback._speedups", "ft-gil-fallback: module that re-enabled the GIL not named")
    expect(any("take_a_then_b" in s and "take_b_then_a" in s for s in rows.get("ft-deadlock", {}).get("failure_signatures", [])),
           "ft-deadlock: the stall signature does not name both threads")
    expect(any(s.startswith("SIGSEGV") for s in rows.get("ft-crash", {}).get("failure_signatures", [])),
           "ft-crash: no SIGSEGV signature")
    # Its tests never ran (a test dependency is missing): unknown with pytest's reason, never incompatible.
    missing = rows.get("ft-missing-test-dep", {})
    expect("No module named 'labeille_ft_fixture_absent_test_dependency'" in missing.get("tests_not_run", ""),
           f"ft-missing-test-dep: tests_not_run is {missing.get('tests_not_run')!r}")
    expect(missing.get("iterations_completed") == 0, "ft-missing-test-dep: runs whose tests never ran were counted")
    # Collects with the GIL and not without: the free-threading finding, said so.
    needs_gil = rows.get("ft-collect-needs-gil", {})
    expect(needs_gil.get("gil_comparison") == "free_threading_specific", "ft-collect-needs-gil is not free_threading_specific")
    expect(needs_gil.get("tests_not_run", "").startswith(f"tests did not run in {iterations} of {iterations} GIL=0 runs")
           and "helpers need the GIL" in needs_gil.get("tests_not_run", ""),
           f"ft-collect-needs-gil: tests_not_run is {needs_gil.get('tests_not_run')!r}")
    if len(sys.argv) > 4:
        records, installer = sys.argv[3], sys.argv[4]
        for path in sorted(glob.glob(f"{records}/*/setup.a*/record.json")):
            rec = json.load(open(path))
            pkg = rec["package"]
            if installer == "uv" and pkg in UV_HANDS_TO_PIP:
                # uv's error, as the set-up words it: the failing step and the build's own message.
                expect(rec["installer"] == "pip" and UV_HANDS_TO_PIP[pkg] in rec["installer_fallback"],
                       f"{pkg}: uv's failure was not handed to pip: {rec['installer']}, {rec['installer_fallback']!r}")
            else:
                expect(rec["installer"] == installer and rec["installer_fallback"] == "",
                       f"{pkg}: installed by {rec['installer']} (fallback {rec['installer_fallback']!r}), expected {installer}")
        expect(glob.glob(f"{records}/*/setup.a*/record.json"), f"no set-up records in {records}")
    racy = rows.get("ft-racy", {}).get("category")
    expect(racy in ("intermittent", "incompatible", "compatible"), f"ft-racy: category {racy}")
    for e in errors:
        print("MISMATCH:", e)
    print(f"checked {len(rows)} packages: {'ok' if not errors else str(len(errors)) + ' mismatches'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
