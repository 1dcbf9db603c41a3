"""Merge equals one machine: the corpus' deterministic packages run as 3 shards in 3
separate build directories (ft_shard.cmake), folded together with `labeille ft fold`,
give the same categories and counts as one run of them on one machine. Each shard's
Test.xml validates against CDash's schema.

usage: shards_test.py PYTHON PACKAGE_DIR LABEILLE WORK_DIR
"""
import glob
import os
import shutil
import subprocess
import sys

from common import REGISTRY, ctest_script, fail, results, xmllint, finish

PACKAGES = ["ft-compatible", "ft-gil-fallback", "ft-flaky-twin", "ft-only-incompatible", "ft-preexisting",
            "ft-crash", "ft-install-failure", "ft-import-failure"]
KEYS = ["category", "iterations_completed", "pass_count", "fail_count", "crash_count", "timeout_count",
        "install_ok", "import_ok", "failure_signatures", "flaky_tests"]


def main():
    python, package_dir, labeille, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    common = {"FT_REGISTRY": REGISTRY, "FT_TARGET_PYTHON": python, "FT_PACKAGE_DIR": package_dir,
              "FT_PACKAGES": ";".join(PACKAGES), "FT_ITERATIONS": "2", "FT_PARALLEL": "2"}
    records, packages_seen = [], []
    for k in range(3):
        build = os.path.join(work, f"shard{k}")
        r = ctest_script("ft_shard.cmake", {**common, "FT_SHARD_INDEX": str(k), "FT_SHARD_COUNT": "3",
                                            "FT_BINARY_DIR": build})
        if r.returncode != 0:
            fail(f"shard {k}: exit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
        for x in glob.glob(os.path.join(build, "Testing", "*", "Test.xml")):
            xmllint(x)
        shard_results = os.path.join(build, "labeille-ft", "results", "ft_ctest", "ft_results.jsonl")
        if os.path.exists(shard_results):
            packages_seen += list(results(shard_results))
        if os.path.isdir(os.path.join(build, "labeille-ft", "records")):
            records.append(os.path.join(build, "labeille-ft", "records"))
    if sorted(packages_seen) != sorted(PACKAGES):
        fail(f"the shards did not partition the packages: {sorted(packages_seen)}")
    merged = os.path.join(work, "merged")
    subprocess.run([labeille, "ft", "fold", "-o", merged] + records, check=True)

    single = os.path.join(work, "single")
    r = ctest_script("ft_dashboard.cmake", {**common, "FT_BINARY_DIR": single})
    if r.returncode != 0:
        fail(f"single run: exit {r.returncode}\n{r.stderr[-2000:]}")
    one = results(os.path.join(single, "labeille-ft", "results", "ft_ctest", "ft_results.jsonl"))
    many = results(os.path.join(merged, "ft_results.jsonl"))
    if sorted(one) != sorted(many):
        fail(f"packages differ: {sorted(one)} vs {sorted(many)}")
    for pkg in one:
        for key in KEYS:
            if one[pkg].get(key) != many[pkg].get(key):
                fail(f"{pkg}.{key}: one machine {one[pkg].get(key)!r}, merged shards {many[pkg].get(key)!r}")
    print(f"ok: {len(one)} packages, 3 shards merged = one machine")


if __name__ == "__main__":
    main()
    finish()
