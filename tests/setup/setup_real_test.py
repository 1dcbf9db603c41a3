"""labeille-ft-setup for real: every source kind, venv reuse and rebuild, failures.

usage: setup_real_test.py LABEILLE_FT_SETUP PYTHON SOURCE_DIR WORK_DIR [UV]

With UV everything is installed by uv (--installer uv), and uv's own cases are checked
too: pip still works in the venv, a change of installer rebuilds the venv, and an
install command uv rejects falls back to pip, recorded.
"""
import json
import os
import shutil
import subprocess
import sys

SETUP, PYTHON, SOURCE, WORK = sys.argv[1:5]
UV = sys.argv[5] if len(sys.argv) > 5 else ""
INSTALLER = ["--installer", "uv", "--uv", UV] if UV else ["--installer", "pip"]
PACKAGES = os.path.join(SOURCE, "tests", "fixtures", "packages")


# The one fail() of the Python test scripts.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "ctest_scripts"))
from common import fail  # noqa: E402


def prepare(pkg, *args, installer=None):
    r = subprocess.run([SETUP, "prepare", "--record-dir", f"{WORK}/rec", "--package", pkg, "--python", PYTHON,
                        "--repos-dir", f"{WORK}/repos", "--venvs-dir", f"{WORK}/venvs", *(installer or INSTALLER), *args],
                       capture_output=True, text=True, timeout=900)
    setups = sorted(d for d in os.listdir(f"{WORK}/rec/{pkg}") if d.startswith("setup."))
    rec = json.load(open(f"{WORK}/rec/{pkg}/{setups[-1]}/record.json"))
    return r.returncode, rec


def uv_cases(repo):
    # Another installer is another recipe: the venv is rebuilt.
    code, rec = prepare("ft-compatible", "--git", f"file://{repo}", installer=["--installer", "pip"])
    if code != 0 or rec["reused_venv"] or rec["installer"] != "pip":
        fail(f"a change of installer did not rebuild the venv: {rec}")
    # An option only pip knows: uv refuses it, pip installs the package, the record says so.
    code, rec = prepare("ft-compatible", "--git", f"file://{repo}", "--install-command",
                        "python -m pip install --progress-bar off . pytest")
    if code != 0 or rec["installer"] != "pip" or "--progress-bar" not in rec["installer_fallback"]:
        fail(f"uv's refusal did not fall back to pip: exit {code}, {rec}")
    logs = os.listdir(os.path.dirname(rec["log_path"] + "/"))
    if not {"install.stderr.log", "pip-install.stderr.log"} <= set(logs):
        fail(f"the logs of both attempts are not kept: {logs}")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    # A git repository made here, cloned with a depth and a ref.
    repo = f"{WORK}/origin"
    shutil.copytree(f"{PACKAGES}/ft-compatible", repo)
    git = ["git", "-C", repo, "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "v1"], check=True)
    subprocess.run(git + ["tag", "v1"], check=True)
    head = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    code, rec = prepare("ft-compatible", "--git", f"file://{repo}", "--ref", "v1", "--depth", "1")
    if code != 0 or not rec["ok"] or rec["install_from"] != "git" or rec["commit"] != head:
        fail(f"git source: exit {code}, {rec}")
    if rec["version"] != "1.0" or rec["reused_venv"]:
        fail(f"git source: version {rec['version']}, reused {rec['reused_venv']}")
    if rec["installer"] != INSTALLER[1] or rec["installer_fallback"]:
        fail(f"installed by {rec['installer']} (fallback {rec['installer_fallback']!r}), expected {INSTALLER[1]}")
    pip = subprocess.run([f"{WORK}/venvs/ft-compatible/bin/python", "-m", "pip", "--version"], capture_output=True, text=True)
    if pip.returncode != 0:
        fail("the venv has no working pip: " + pip.stderr)
    site = subprocess.run([f"{WORK}/venvs/ft-compatible/bin/python", "-c",
                           "import labeille_ft_hook, ft_compatible, pytest; print('ok')"], capture_output=True, text=True)
    if site.stdout.strip() != "ok":
        fail("the venv lacks the package, pytest or the startup hook: " + site.stderr)
    # Same interpreter, recipe and commit: the venv is reused and nothing is installed.
    code, rec = prepare("ft-compatible", "--git", f"file://{repo}", "--ref", "v1")
    if code != 0 or not rec["reused_venv"] or not rec["reused_install"] or rec["steps_s"]["install"] != 0:
        fail(f"second prepare of the same commit did not reuse the install: {rec}")
    if rec["version"] != "1.0" or rec["installer"] != INSTALLER[1] or os.path.exists(f"{rec['log_path']}/install.stderr.log"):
        fail(f"a reused install must keep the version and installer and run no install: {rec}")
    # A new commit is installed again into the same venv.
    with open(f"{repo}/src/ft_compatible/__init__.py", "a") as f:
        f.write("\nSECOND = 2\n")
    subprocess.run(git + ["commit", "-qam", "v2"], check=True)
    code, rec = prepare("ft-compatible", "--git", f"file://{repo}")
    if code != 0 or not rec["reused_venv"] or rec["reused_install"] or rec["steps_s"]["install"] <= 0:
        fail(f"a new commit was not installed again: {rec}")
    second = subprocess.run([f"{WORK}/venvs/ft-compatible/bin/python", "-c", "import ft_compatible; print(ft_compatible.SECOND)"],
                            capture_output=True, text=True, cwd=WORK)
    if second.stdout.strip() != "2":
        fail("the new commit's code is not what the venv imports: " + second.stderr)
    # Same interpreter and recipe: the venv is reused; another install command rebuilds it.
    code, rec = prepare("ft-compatible", "--git", f"file://{repo}", "--install-command",
                        "python -m pip install . pytest --no-cache-dir")
    if code != 0 or rec["reused_venv"]:
        fail(f"a changed install command did not rebuild the venv: {rec}")
    if UV:
        uv_cases(repo)
    # A local path is copied: nothing is written into the user's tree.
    before = sorted(os.listdir(f"{PACKAGES}/ft-preexisting"))
    code, rec = prepare("ft-preexisting", "--path", f"{PACKAGES}/ft-preexisting")
    if code != 0 or rec["install_from"] != "path" or sorted(os.listdir(f"{PACKAGES}/ft-preexisting")) != before:
        fail(f"path source: exit {code}, {rec}")
    # A local path has nothing that tells it unchanged: installed every time.
    code, rec = prepare("ft-preexisting", "--path", f"{PACKAGES}/ft-preexisting")
    if code != 0 or not rec["reused_venv"] or rec["reused_install"]:
        fail(f"a local path must be installed again: exit {code}, {rec}")
    # Failures: the build's own message, the stage; extra deps are not optional.
    code, rec = prepare("ft-install-failure", "--path", f"{PACKAGES}/ft-install-failure")
    if code != 1 or rec["ok"] or rec["stage"] != "install" or "cannot be built (on purpose)" not in rec["error"]:
        fail(f"install failure: exit {code}, {rec}")
    code, rec = prepare("ft-preexisting", "--path", f"{PACKAGES}/ft-preexisting", "--extra-deps",
                        "labeille-no-such-distribution-xyz")
    if code != 1 or rec["stage"] != "extra_deps":
        fail(f"a missing extra dep must be an install failure: exit {code}, {rec}")
    # A PyPI sdist, unpacked (tests run from it when it ships them); what six declares.
    checkout_install = "git fetch --tags --depth 1 && pip install -e . && pip install pytest"
    code, rec = prepare("six", "--sdist", "six", "--version", "1.16.0", "--install-command", checkout_install,
                        "--test-command", "python -m pytest test_six.py")
    src = rec["source"]
    if code != 0 or rec["install_from"] != "sdist" or rec["sdist_version"] != "1.16.0" or src["kind"] != "sdist":
        fail(f"sdist source: exit {code}, {rec}")
    if not os.path.exists(f"{WORK}/repos/six/test_six.py"):
        fail("the sdist was not unpacked into the repos dir")
    # Taken from the index without pip download (unless this machine's pip configuration
    # widens pip's choice, which the script's log then names).
    logs = set(os.listdir(rec["log_path"]))
    said = open(os.path.join(rec["log_path"], "sdist-index.stdout.log")).read() if "sdist-index.stdout.log" in logs else ""
    if ("pip-download.stdout.log" in logs) != ('"fallback"' in said):
        fail(f"the sdist from the index, or pip download with the reason: {sorted(logs)}, {said}")
    if src["version"] != "1.16.0" or not (src["url"] or "").endswith("/six-1.16.0.tar.gz") or src["fallback_reason"]:
        fail(f"sdist source object: {src}")
    if len(src["adapted"]) != 1 or not src["adapted"][0].startswith("dropped `git fetch --tags --depth 1`"):
        fail(f"the checkout's git step must be dropped and said so: {src['adapted']}")
    if src["tests_present"] is not True:
        fail(f"test_six.py is in the sdist: {src}")
    declared = rec["declared"]
    if declared["ft_wheel"] is not True or declared["ft_wheel_tags"] != ["py3-none-any"] or declared["error"]:
        fail(f"six 1.16.0 publishes a pure wheel, read from the index: {declared}")
    if declared["classifier_level"] is not None:
        fail(f"six 1.16.0 declares no free-threading level: {declared}")
    steps = rec["steps_s"]
    if set(steps) != {"source", "venv", "install", "hook", "declared"} or min(steps.values()) <= 0:
        fail(f"per-step seconds (each step of a fresh set-up takes time): {steps}")
    if declared["on_index"] is not True:
        fail(f"six 1.16.0 is on the index: {declared}")
    # --source auto: a repository that cannot be reached falls back to the sdist, and says why;
    # a test path the sdist lacks is named.
    code, rec = prepare("six", "--source", "auto", "--git", "https://host.invalid/six.git", "--version", "1.16.0",
                        "--install-command", checkout_install, "--test-command", "python -m pytest tests/ -k 'not slow'")
    src = rec["source"]
    if code != 0 or src["kind"] != "sdist" or "git-clone failed" not in (src["fallback_reason"] or ""):
        fail(f"auto fallback: exit {code}, {src}")
    if src["tests_present"] is not False or src["tests_note"] != "tests/ (named by the test command) is not in the sdist":
        fail(f"a missing test path must be named: {src}")
    # The same sdist again, but installed editable: the unpacked tree the venv points into
    # was made afresh, so it is installed again.
    if not rec["reused_venv"] or rec["reused_install"]:
        fail(f"an editable install of a re-unpacked sdist must be installed again: {rec}")
    # Not editable: the second set-up of the same sdist installs nothing.
    for n in (1, 2):
        code, rec = prepare("six", "--sdist", "six", "--version", "1.16.0")
        if code != 0 or rec["reused_install"] != (n == 2):
            fail(f"set-up {n} of the same sdist, not editable: reused_install {rec['reused_install']}: {rec}")
    if rec["version"] != "1.16.0" or rec["steps_s"]["install"] != 0:
        fail(f"a reused install keeps the version and installs nothing: {rec}")
    # A checkout is left as it is: nothing adapted, its version recorded.
    code, rec = prepare("ft-compatible", "--git", f"file://{repo}", "--ref", "v1", "--install-command",
                        "python -m pip install . pytest --no-cache-dir", "--test-command", "python -m pytest tests")
    src = rec["source"]
    if code != 0 or src["kind"] != "repo" or src["adapted"] or src["version"] != "1.0" or src["tests_present"] is not True:
        fail(f"repo source object: {src}")
    # Names outside PEP 508 never become paths.
    r = subprocess.run([SETUP, "prepare", "--record-dir", f"{WORK}/rec", "--package", "../evil", "--python", PYTHON,
                        "--repos-dir", f"{WORK}/repos", "--venvs-dir", f"{WORK}/venvs", "--path", "."],
                       capture_output=True, text=True)
    if r.returncode != 64 or os.path.exists(f"{WORK}/evil"):
        fail(f"../evil: exit {r.returncode}")
    print("ok")


if __name__ == "__main__":
    main()
