"""ft_dashboard.cmake for real: a run of two corpus packages submitted to a CDash stand-in
on 127.0.0.1; the submitted files arrive intact (the receiver checks CTest's MD5) and
Test.xml validates against CDash's schema and carries the runner's measurements. Then
bad inputs stop the script with a clear message and a non-zero exit.

usage: dashboard_test.py PYTHON PACKAGE_DIR WORK_DIR
"""
import glob
import os
import shutil
import sys

from common import REGISTRY, Receiver, ctest_script, fail, xmllint, finish


def main():
    python, package_dir, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    recv = Receiver(os.path.join(work, "received"))
    try:
        r = ctest_script("ft_dashboard.cmake", {
            "FT_REGISTRY": REGISTRY, "FT_TARGET_PYTHON": python, "FT_PACKAGE_DIR": package_dir,
            "FT_PACKAGES": "ft-compatible;ft-crash", "FT_ITERATIONS": "2", "FT_MODEL": "Nightly",
            "FT_SITE": "test-site", "FT_BUILD_NAME": "ft-dashboard-test",
            "FT_BINARY_DIR": os.path.join(work, "build"), "FT_SUBMIT_URL": recv.url})
    finally:
        recv.stop()
    print(r.stdout[-3000:], r.stderr[-3000:])
    if r.returncode != 0:
        fail(f"ctest -S ft_dashboard.cmake exited {r.returncode}")
    got = sorted(os.path.basename(f).split("___")[-1] for f in glob.glob(os.path.join(work, "received", "*.xml")))
    for part in ("Configure.xml", "Test.xml", "Done.xml"):
        if part not in got:
            fail(f"{part} was not submitted (got {got})")
    test_xml = glob.glob(os.path.join(work, "received", "test-site___ft-dashboard-test___*Nightly___XML___Test.xml"))
    if not test_xml:
        fail("no Test.xml with the site and build name given")
    xmllint(test_xml[0])
    text = open(test_xml[0]).read()
    for needle in ('name="outcome"', 'name="crash_signature"', "SIGSEGV", "<Label>ft.outcome.crash</Label>",
                   "<Label>ft.gil0</Label>", 'name="duration_s"', "ft.ft-compatible.gil0.iter02"):
        if needle not in text:
            fail(f"Test.xml lacks {needle}")
    local = glob.glob(os.path.join(work, "build", "Testing", "*", "Test.xml"))
    if not local or open(local[0], "rb").read() != open(test_xml[0], "rb").read():
        fail("the submitted Test.xml differs from the local one")
    if not os.path.exists(os.path.join(work, "build", "ft-junit.xml")):
        fail("no JUnit written")
    if not os.path.exists(os.path.join(work, "build", "labeille-ft", "results", "ft_ctest", "ft_results.jsonl")):
        fail("no folded results")

    # Inputs are checked up front, each error naming the input.
    base = {"FT_REGISTRY": REGISTRY, "FT_TARGET_PYTHON": python, "FT_PACKAGE_DIR": package_dir,
            "FT_BINARY_DIR": os.path.join(work, "bad")}
    for change, needle in [({"FT_MODEL": "Weekly"}, "FT_MODEL: \"Weekly\""),
                           ({"FT_REGISTRY": "/nonexistent/registry"}, "FT_REGISTRY: /nonexistent/registry has no index.yaml"),
                           ({"FT_PACKAGE_DIR": "/tmp"}, "FT_PACKAGE_DIR: \"/tmp\" holds no LabeilleFTConfig.cmake"),
                           ({"FT_ITERATIONS": "many"}, "FT_ITERATIONS: \"many\" is not a non-negative integer")]:
        r = ctest_script("ft_dashboard.cmake", {**base, **change})
        if r.returncode == 0 or needle not in " ".join((r.stdout + r.stderr).split()):
            fail(f"{change}: exit {r.returncode}, output lacks {needle!r}:\n{r.stderr}")
    r = ctest_script("ft_shard.cmake", {**base, "FT_SHARD_INDEX": "3", "FT_SHARD_COUNT": "3"})
    if r.returncode == 0 or "FT_SHARD_INDEX: 3 must be below FT_SHARD_COUNT 3" not in " ".join(r.stderr.split()):
        fail("ft_shard.cmake accepted shard 3 of 3:\n" + r.stderr)
    print("ok")


if __name__ == "__main__":
    main()
    finish()
