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
# CDash's schemas live in ../shared beside the repository (as on CI).
SCHEMA = os.path.join(os.path.dirname(SOURCE), "shared", "cdash-schemas", "Test.xsd")


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
    if not os.path.exists(SCHEMA):
        fail(f"CDash's schema is not at {SCHEMA}: the repository needs ../shared beside it, as on CI")
    r = subprocess.run(["xmllint", "--noout", "--schema", SCHEMA, path], capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{path} does not validate against {SCHEMA}:\n{r.stderr[-2000:]}")


def results(path):
    with open(path) as f:
        return {json.loads(l)["package"]: json.loads(l) for l in f if l.strip()}
