"""Issue #20: values survive the CMake boundary, end to end. One real `labeille ft run` of
ft-compatible whose --work-dir, --env values and --test-command-override hold every byte
CMake treats specially (`;`, `[[`, `]=]`, `\\`, `$`, `"`, newlines): the test command
runs, sees the values exactly, and the record says so.

usage: hostile_values_e2e_test.py LABEILLE PYTHON REGISTRY WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    labeille, python, registry, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    value = 'a;b [[x]] ]=] ]==] \\ \\; $HOME ${X} "q" \'s\' %3B\nsecond line'
    literal = "L;[[ ]=] \\ $HOME \"q\"\nnext"
    out = os.path.join(work, "seen")
    # The override: what the shell sees of $HOSTILE, and a literal of its own, written out.
    override = (f"printf '%s' \"$HOSTILE\" > \"$SEEN\"; printf '%s' '{literal}' > \"$SEEN.literal\"; "
                "test \"$SEMI\" = 'x;y'")
    # No "$" here: pip itself cannot install from a path holding "$name" (string.Template in
    # sysconfig's install schemes), whatever passes the path on.
    work_dir = os.path.join(work, "w;x [y] ]=] #")
    args = ["ft", "run", "--target-python", python, "--registry-dir", registry, "--packages", "ft-compatible",
            "-n", "1", "-j", "1", "--installer", "pip", "--work-dir", work_dir,
            "--results-dir", os.path.join(work, "results"),
            "--env", "HOSTILE=" + value, "--env", "SEEN=" + out, "--env", "SEMI=x;y",
            "--test-command-override", override]
    r = subprocess.run([labeille, *args], capture_output=True, text=True, timeout=1500)
    if r.returncode != 0:
        fail(f"exit {r.returncode}\n{r.stderr}")
    (name,) = os.listdir(os.path.join(work, "results"))
    run_dir = os.path.join(work, "results", name)
    with open(os.path.join(run_dir, "ft_results.jsonl")) as f:
        pkg = json.loads(f.readline())
    if pkg["category"] != "compatible":
        fail(f"category {pkg['category']}: {json.dumps(pkg)[:1500]}")
    with open(out, newline="") as f:
        if f.read() != value:
            fail("the test command saw another $HOSTILE")
    with open(out + ".literal", newline="") as f:
        if f.read() != literal:
            fail("the override reached the shell changed")
    if not os.path.isdir(os.path.join(work_dir, "venvs", "ft-compatible")):
        fail(f"no venv under --work-dir {work_dir!r}: {os.listdir(work)}")
    with open(os.path.join(run_dir, "records", "ft-compatible", "gil0.iter01.a001", "record.json")) as f:
        rec = json.load(f)
    if rec["command"][-1] != override:
        fail(f"record command {rec['command']!r}")
    with open(os.path.join(run_dir, "ft_meta.json")) as f:
        config = json.load(f)["config"]
    if config.get("env") != ["HOSTILE=" + value, "SEEN=" + out, "SEMI=x;y"] or \
            config.get("test_command_override") != override:
        fail(f"ft_meta.json config: {config}")
    if config.get("timeout") != 600 or config.get("iterations") != 1:
        fail(f"the module's defaults are not in config: {config}")
    print("OK")


if __name__ == "__main__":
    main()
