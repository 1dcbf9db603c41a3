#!/usr/bin/env python3
"""labeille_ft_testdeps.py on real checkouts (tests/fixtures/checkouts): the name, the
import name and the install command it reads from each way of declaring test
dependencies. Any Python 3.11+ runs it (tomllib); the target interpreter does in ft test.

usage: testdeps_test.py SCRIPT CHECKOUTS_DIR
"""
import json
import os
import subprocess
import sys

script, checkouts = sys.argv[1:3]
errors = []


def read(d, *test_command):
    out = subprocess.run([sys.executable, script, os.path.join(checkouts, d), *test_command],
                         capture_output=True, text=True)
    if out.returncode != 0:
        errors.append(f"{d}: exit {out.returncode}: {out.stderr}")
        return {}
    return json.loads(out.stdout)


def expect(d, got, **want):
    for k, v in want.items():
        if got.get(k) != v:
            errors.append(f"{d}: {k} = {got.get(k)!r}, expected {v!r}")


expect("clean", read("clean"), name="ft-checkout-clean", import_name="ft_checkout_clean", extra="test",
       install_command="python -m pip install -e '.[test]'", pytest=True)
expect("stress-race", read("stress-race"), name="ft-checkout-stress-race", group="tests",
       install_command="python -m pip install -e . --group tests")
expect("markupsafe-2.1.5", read("markupsafe-2.1.5"), name="markupsafe", version="2.1.5", import_name="markupsafe",
       name_from="setup.cfg [metadata] name", requirements="requirements/tests.txt",
       install_command="python -m pip install -e . -r requirements/tests.txt")
# setup.cfg's extras_require; pytest declared there, so not added.
expect("setup-cfg-extra", read("declares/setup-cfg-extra"), name="setup-cfg-extra", extra="testing",
       install_command="python -m pip install -e '.[testing]'")
# A requirements file that names pytest through -r; the docs extra is not a test extra.
expect("requirements-file", read("declares/requirements-file"), name="reqs-file", extra="",
       requirements="test-requirements.txt", pytest=True,
       install_command="python -m pip install -e . -r test-requirements.txt")
# dev group through include-group: pytest-timeout is not pytest, so pytest is added.
got = read("declares/dev-group")
expect("dev-group", got, group="dev", pytest=False, install_command="python -m pip install -e . --group dev pytest")
if not any("pytest added" in line for line in got.get("declared", [])):
    errors.append(f"dev-group: the added pytest is not said: {got.get('declared')}")
# Nothing declared, the name from the directory (its -1.2 dropped); a test command that
# is not pytest gets no pytest.
got = read("declares/nothing-1.2", "python -m unittest discover -s tests")
expect("nothing", got, name="nothing", name_from="the directory's name", install_command="python -m pip install -e .")
if not got.get("declared", [""])[0].startswith("no test dependencies declared"):
    errors.append(f"nothing: {got.get('declared')}")

if errors:
    sys.exit("\n".join(errors))
print("ok")
