"""Helpers of the ctest_scripts tests: run `ctest -S`, a local CDash receiver, xmllint."""
import glob
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
SCRIPTS = os.path.join(SOURCE, "ctest_scripts")
REGISTRY = os.path.join(SOURCE, "tests", "fixtures", "registry")
# CDash's Test.xsd is not part of this repository (it belongs to CDash). Give its path in
# LABEILLE_FT_CDASH_SCHEMA to validate the Test.xml files these tests produce; without it
# every other check still runs and the test ends with CTest's skip status (77), saying
# that the schema check was not done. .ci/run sets it where CI has the schema.
SCHEMA = os.environ.get("LABEILLE_FT_CDASH_SCHEMA", "")
SKIP = 77
_schema_skipped = []


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def ctest_script(script, defines, env=None):
    cmd = ["ctest", "-S", os.path.join(SCRIPTS, script)] + [f"-D{k}={v}" for k, v in defines.items()]
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


class Receiver:
    """tests/fixtures/cdash/receiver.py on an ephemeral 127.0.0.1 port."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        os.makedirs(out_dir, exist_ok=True)
        port_file = os.path.join(out_dir, "port")
        self.proc = subprocess.Popen([sys.executable, os.path.join(SOURCE, "tests", "fixtures", "cdash", "receiver.py"),
                                      out_dir, port_file, "--max-seconds", "900"])
        for _ in range(300):
            if os.path.exists(port_file):
                self.url = f"http://127.0.0.1:{open(port_file).read().strip()}/submit.php?project=labeille-ft"
                return
            time.sleep(0.05)
        self.proc.kill()
        fail("the CDash receiver did not start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def xmllint(path):
    if not SCHEMA:
        _schema_skipped.append(path)
        return
    if not os.path.isfile(SCHEMA):
        fail(f"LABEILLE_FT_CDASH_SCHEMA={SCHEMA}: no such file (it must name CDash's Test.xsd)")
    r = subprocess.run(["xmllint", "--noout", "--schema", SCHEMA, path], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{path} does not validate against {SCHEMA}:\n{r.stderr[-2000:]}")


def results(path):
    with open(path) as f:
        return {json.loads(l)["package"]: json.loads(l) for l in f if l.strip()}


def finish():
    """Exit 0, or CTest's skip status when a Test.xml could not be checked against the schema."""
    if _schema_skipped:
        print(f"SKIP: every other check passed, but {len(_schema_skipped)} Test.xml file(s) were not "
              "validated: set LABEILLE_FT_CDASH_SCHEMA to the path of CDash's Test.xsd to enable the check")
        sys.exit(SKIP)
    sys.exit(0)
