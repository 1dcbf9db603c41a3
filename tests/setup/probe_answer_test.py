"""The import probe's answer is read strictly: a probe script that prints `{}` or a
mistyped field gives an import failure naming the field (it was a RapidJSON assert on a
key nobody checked).

usage: probe_answer_test.py LABEILLE_FT_SETUP WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys


def main():
    setup, work = sys.argv[1:3]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "venvs", "pkg", "bin"))
    os.makedirs(os.path.join(work, "repos", "pkg"))
    # Any Python can play the venv's: the probe script is ours.
    os.symlink(sys.executable, os.path.join(work, "venvs", "pkg", "bin", "python"))
    for n, (answer, want) in enumerate([("{}", "ok: expected a value (the key is missing)"),
                                        ('{"ok": "yes", "error": "", "extensions": []}', 'ok: expected true or false, got "yes"'),
                                        ('{"ok": true, "error": "", "extensions": [3]}', "extensions[0]: expected an object"),
                                        ("[]", "expected a JSON object, got an array")]):
        script = os.path.join(work, f"probe{n}.py")
        with open(script, "w") as f:
            f.write(f"print('LABEILLE_PROBE_RESULT:' + {answer!r})\n")
        rec_dir = os.path.join(work, f"rec{n}")
        r = subprocess.run([setup, "probe", "--record-dir", rec_dir, "--package", "pkg",
                            "--repos-dir", os.path.join(work, "repos"), "--venvs-dir", os.path.join(work, "venvs"),
                            "--probe-script", script, "--timeout", "60"], capture_output=True, text=True, timeout=120)
        if r.returncode != 1:
            print(f"FAIL: answer {answer}: exit {r.returncode}, expected 1 (import failure)\n{r.stdout}{r.stderr}")
            sys.exit(1)
        with open(os.path.join(rec_dir, "pkg", "probe.a001", "record.json")) as f:
            rec = json.load(f)
        if rec["ok"] or want not in rec["error"]:
            print(f"FAIL: answer {answer}: record ok={rec['ok']} error={rec['error']!r}, expected {want!r}")
            sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
