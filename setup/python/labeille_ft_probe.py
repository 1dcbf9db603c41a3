"""labeille ft import probe: run by `labeille-ft-setup probe` with the venv's python and
PYTHON_GIL unset (with PYTHON_GIL=0 CPython keeps the GIL off, so a fallback would be
invisible).

usage: labeille_ft_probe.py IMPORT_NAME DETECT_EXTENSIONS(0|1) TIMEOUT_SECONDS

Prints one line "LABEILLE_PROBE_RESULT:<json>" with: ok, error, gil_enabled_after_import,
gil_reenabled_by (the module CPython's RuntimeWarning names), extensions [{module, path,
import_ok, import_error, reenabled_gil}]: each extension module imported alone in a fresh
interpreter, so the one that turns the GIL on is named even when several exist.
"""
import importlib
import importlib.machinery
import json
import os
import re
import subprocess
import sys
import warnings

GIL_WARNING = re.compile(r"enabled to load module '([^']+)'")


def import_alone(module):
    """Imports `module` in a fresh interpreter; returns (ok, error, gil_on, warned_module)."""
    code = (
        "import json, sys, warnings, importlib\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    try:\n"
        "        importlib.import_module(sys.argv[1]); err = ''\n"
        "    except BaseException as e:\n"
        "        err = '%s: %s' % (type(e).__name__, e)\n"
        "print(json.dumps({'error': err, 'gil': sys._is_gil_enabled(), 'warnings': [str(x.message) for x in w]}))\n"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code, module], capture_output=True, text=True,
                             timeout=TIMEOUT, env=ENV)
    except subprocess.TimeoutExpired:
        return False, "import timed out", None, ""
    if out.returncode != 0 or not out.stdout.strip():
        return False, (out.stderr.strip().splitlines() or ["exit %d" % out.returncode])[-1], None, ""
    r = json.loads(out.stdout.strip().splitlines()[-1])
    warned = ""
    for m in r["warnings"]:
        hit = GIL_WARNING.search(m)
        if hit:
            warned = hit.group(1)
    return not r["error"], r["error"], r["gil"], warned


def extension_modules(mod):
    """(module name, path) of every extension module file inside the package."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    roots = list(getattr(mod, "__path__", []))
    found = []
    if not roots:
        path = getattr(mod, "__file__", "") or ""
        if path.endswith(suffixes):
            found.append((mod.__name__, path))
        return found
    for root in roots:
        for dirpath, _, files in os.walk(root):
            for f in files:
                for suf in suffixes:
                    if f.endswith(suf):
                        rel = os.path.relpath(os.path.join(dirpath, f[: -len(suf)]), root)
                        found.append((mod.__name__ + "." + rel.replace(os.sep, "."), os.path.join(dirpath, f)))
                        break
    return sorted(found)


def main():
    global TIMEOUT, ENV
    name, detect, TIMEOUT = sys.argv[1], sys.argv[2] == "1", float(sys.argv[3])
    ENV = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}
    result = {"ok": False, "error": "", "gil_enabled_after_import": None, "gil_reenabled_by": "",
              "extensions": []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mod = importlib.import_module(name)
            result["ok"] = True
        except BaseException as e:  # noqa: BLE001 - any failure to import is the answer
            mod = None
            result["error"] = "%s: %s" % (type(e).__name__, e)
    result["gil_enabled_after_import"] = sys._is_gil_enabled()
    for w in caught:
        hit = GIL_WARNING.search(str(w.message))
        if hit:
            result["gil_reenabled_by"] = hit.group(1)
    if detect and mod is not None:
        for module, path in extension_modules(mod):
            ok, err, gil_on, warned = import_alone(module)
            result["extensions"].append({"module": module, "path": path, "import_ok": ok, "import_error": err,
                                         "reenabled_gil": gil_on})
            if warned and not result["gil_reenabled_by"]:
                result["gil_reenabled_by"] = warned
    print("LABEILLE_PROBE_RESULT:" + json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
