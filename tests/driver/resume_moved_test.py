"""`labeille ft run --resume` of a copied and of a moved run directory, and what one run
writes.

usage: resume_moved_test.py LABEILLE PYTHON REGISTRY WORK_DIR

1. a run of ft-compatible, 2 iterations, with a 2-second test timeout: the set-up (a
   fresh venv, pip install) has its own limit (--setup-timeout), so the package is not an
   install_failure; ft_meta.json records the command line (cli_args); the run is folded
   once (no ft.fold test in CTest, nothing under ctest/results);
2. the run directory is copied, one iteration record removed from the copy, and the copy
   resumed: the copy gets the record back, the original is not touched (same files, same
   bytes);
   and its set-up is not run again, and a resume of the finished copy runs nothing;
3. the copy is moved, one record removed, and the moved directory resumed: it completes,
   and nothing is written where it was before.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys


# The one fail() of the Python test scripts.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "ctest_scripts"))
from common import fail  # noqa: E402


def snapshot(d):
    """Every file below d with its size, mtime and content hash."""
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            st = os.lstat(p)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = (st.st_size, st.st_mtime_ns, hashlib.sha1(fh.read()).hexdigest())
    return out


def results(run_dir):
    with open(os.path.join(run_dir, "ft_results.jsonl")) as f:
        return {json.loads(line)["package"]: json.loads(line) for line in f if line.strip()}


def main():
    labeille, python, registry, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    args = ["ft", "run", "--target-python", python, "--registry-dir", registry, "--packages", "ft-compatible",
            "-n", "2", "--timeout", "2", "--setup-timeout", "900", "-j", "1",
            "--work-dir", os.path.join(work, "w"), "--results-dir", os.path.join(work, "results")]
    r = subprocess.run([labeille, *args], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        fail(f"first run: exit {r.returncode}\n{r.stderr}")
    (name,) = os.listdir(os.path.join(work, "results"))
    original = os.path.join(work, "results", name)
    pkg = results(original)["ft-compatible"]
    if pkg["category"] == "install_failure":
        fail(f"a 2 s test timeout cut the set-up short: {pkg['install_error']}")
    with open(os.path.join(original, "ft_meta.json")) as f:
        meta = json.load(f)
    if meta.get("cli_args") != args:
        fail(f"ft_meta.json cli_args {meta.get('cli_args')!r}, expected {args!r}")
    if meta["config"].get("setup_timeout") != 900:
        fail(f"ft_meta.json config.setup_timeout: {meta['config'].get('setup_timeout')!r}")
    if os.path.exists(os.path.join(original, "ctest", "results")):
        fail("the module's ft.fold ran too: the run was folded twice")
    with open(os.path.join(original, "ctest", "junit.xml")) as f:
        if "ft.fold" in f.read():
            fail("CTest ran an ft.fold test")

    # 2. A copy, resumed: the copy completes, the original stays byte for byte.
    before = snapshot(original)
    copy = os.path.join(work, "copy", name)
    shutil.copytree(original, copy, symlinks=True)
    shutil.rmtree(os.path.join(copy, "records", "ft-compatible", "gil0.iter02.a001"))
    r = subprocess.run([labeille, "ft", "run", "--resume", copy], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        fail(f"resume of the copy: exit {r.returncode}\n{r.stderr}")
    if not os.path.exists(os.path.join(copy, "records", "ft-compatible", "gil0.iter02.a001", "record.json")):
        fail("resume of the copy did not rerun gil0.iter02 in the copy\n" + r.stderr)
    after = snapshot(original)
    if after != before:
        changed = sorted(set(before.items()) ^ set(after.items()))
        fail(f"resuming the copy changed the original: {changed[:5]}")
    if results(copy)["ft-compatible"]["iterations_completed"] != 2:
        fail(f"the copy's fold: {results(copy)['ft-compatible']}")
    # A set-up that succeeded is not run again (issue #20 item 9): one setup attempt only.
    setups = sorted(x for x in os.listdir(os.path.join(copy, "records", "ft-compatible")) if x.startswith("setup."))
    if setups != ["setup.a001"]:
        fail(f"the resume ran the set-up again: {setups}")
    # A resume of a finished run runs nothing.
    before_copy = snapshot(os.path.join(copy, "records"))
    r = subprocess.run([labeille, "ft", "run", "--resume", copy], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        fail(f"resume of the finished copy: exit {r.returncode}\n{r.stderr}")
    if snapshot(os.path.join(copy, "records")) != before_copy:
        fail("a resume of a finished run wrote records")

    # 3. The copy, moved, resumed: it completes where it is; nothing appears where it was.
    moved = os.path.join(work, "moved", name)
    os.makedirs(os.path.dirname(moved))
    os.rename(copy, moved)
    shutil.rmtree(os.path.join(moved, "records", "ft-compatible", "gil0.iter01.a001"))
    r = subprocess.run([labeille, "ft", "run", "--resume", moved], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        fail(f"resume of the moved run: exit {r.returncode}\n{r.stderr}")
    if os.path.exists(copy):
        fail(f"resuming the moved run wrote into its old place {copy}: {os.listdir(copy)}")
    if not os.path.exists(os.path.join(moved, "records", "ft-compatible", "gil0.iter01.a001", "record.json")):
        fail("resume of the moved run did not rerun gil0.iter01 there\n" + r.stderr)
    if snapshot(original) != before:
        fail("resuming the moved run changed the original")
    print("OK")


if __name__ == "__main__":
    main()
