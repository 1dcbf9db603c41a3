"""labeille_ft_declared.py against a package index served here (no network).

usage: declared_test.py PYTHON DECLARED_SCRIPT WORK_DIR

A local index, named to pip through PIP_INDEX_URL (so the script must find it in pip's
configuration), serves project "demo" as a PEP 691 JSON page and project "olddemo" as a
PEP 503 HTML page. The target interpreter's own most specific wheel tag marks the wheel it
can install, so the expectations hold on any platform.
"""
import json
import os
import shutil
import subprocess
import sys

import local_index  # tests/setup/local_index.py, beside this script

PYTHON, SCRIPT, WORK = sys.argv[1:4]
errors = []


def expect(cond, what):
    if not cond:
        errors.append(what)


def declared(dist, version, src, *extra, env=None):
    r = subprocess.run([PYTHON, SCRIPT, dist, version, src, *extra], capture_output=True, text=True, env=env,
                       timeout=120)
    lines = [l for l in r.stdout.splitlines() if l.startswith("LABEILLE_DECLARED_RESULT:")]
    if r.returncode != 0 or not lines:
        errors.append(f"{dist} {version}: exit {r.returncode}, {r.stdout} {r.stderr}")
        return {}
    return json.loads(lines[0].split(":", 1)[1])


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    tag = subprocess.run([PYTHON, "-c", "from pip._vendor.packaging.tags import sys_tags; print(next(iter(sys_tags())))"],
                         capture_output=True, text=True).stdout.strip()
    py = tag.split("-")[0]  # cp313
    os.makedirs(f"{WORK}/index/simple/demo")
    os.makedirs(f"{WORK}/index/simple/olddemo")
    files = ["demo-1.0.tar.gz", f"demo-1.0-{tag}.whl", f"demo-1.0-{py}-{py}-manylinux_2_17_x86_64.whl",
             "demo-2.0.tar.gz", "demo-2.0-cp39-abi3-manylinux_2_17_x86_64.whl"]
    with open(f"{WORK}/index/simple/demo/index.json", "w") as f:
        json.dump({"meta": {"api-version": "1.0"}, "name": "demo",
                   "files": [{"filename": n, "url": f"../../files/{n}", "hashes": {}} for n in files]}, f)
    with open(f"{WORK}/index/simple/olddemo/index.html", "w") as f:
        f.write('<html><body><a href="/files/olddemo-0.5.tar.gz#sha256=00">olddemo-0.5.tar.gz</a>\n'
                '<a href="/files/olddemo-0.5-py3-none-any.whl">olddemo-0.5-py3-none-any.whl</a></body></html>')
    # The sources of the tested version: an sdist's PKG-INFO with the classifier.
    os.makedirs(f"{WORK}/src")
    with open(f"{WORK}/src/PKG-INFO", "w") as f:
        f.write("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
                "Classifier: Programming Language :: Python :: 3\n"
                "Classifier: Programming Language :: Python :: Free Threading :: 3 - Stable\n\n")
    os.makedirs(f"{WORK}/nosrc")

    server = local_index.serve(f"{WORK}/index")
    env = dict(os.environ, PIP_INDEX_URL=f"http://127.0.0.1:{server.server_port}/simple/")
    try:
        d = declared("demo", "1.0", f"{WORK}/src", "demo-1.0.tar.gz", env=env)
        expect(d.get("classifier_level") == "3 - Stable", f"demo 1.0 classifier: {d}")
        expect(d.get("ft_wheel") is True and d.get("ft_wheel_tags") == [tag], f"demo 1.0 wheel ({tag}): {d}")
        expect(d.get("sdist_url") == f"http://127.0.0.1:{server.server_port}/files/demo-1.0.tar.gz",
               f"demo 1.0 sdist URL: {d}")
        expect(d.get("error") is None, f"demo 1.0 error: {d}")
        # Only an abi3 wheel: the free-threaded build cannot install it.
        d = declared("demo", "2.0", f"{WORK}/nosrc", env=env)
        expect(d.get("ft_wheel") is False and d.get("ft_wheel_tags") == [], f"demo 2.0 (abi3 only): {d}")
        expect(d.get("classifier_level") is None and "classifier: not installed" in (d.get("error") or ""),
               f"demo 2.0 without metadata must say why: {d}")
        expect(d.get("on_index") is True, f"demo 1.0 is on the index: {d}")
        # A version the index does not list (an unreleased checkout): not on the index, no
        # wheel to look for (unknown, not false), and no error.
        d = declared("demo", "3.0", f"{WORK}/src", env=env)
        expect(d.get("ft_wheel") is None and d.get("on_index") is False and d.get("error") is None, f"demo 3.0: {d}")
        # A project the index does not have at all (404: a local or private package).
        d = declared("localonly", "1.0", f"{WORK}/src", env=env)
        expect(d.get("ft_wheel") is None and d.get("on_index") is False and d.get("error") is None,
               f"localonly (404): {d}")
        expect(d.get("classifier_level") == "3 - Stable", f"localonly still declares through its metadata: {d}")
        # A PEP 503 HTML page, a pure wheel.
        d = declared("olddemo", "0.5", f"{WORK}/nosrc", "olddemo-0.5.tar.gz", env=env)
        expect(d.get("ft_wheel") is True and d.get("ft_wheel_tags") == ["py3-none-any"], f"olddemo (HTML page): {d}")
        expect((d.get("sdist_url") or "").endswith("/files/olddemo-0.5.tar.gz"), f"olddemo sdist URL: {d}")
        # An index that does not answer: null and the reason, never a crash.
        d = declared("demo", "1.0", f"{WORK}/src", env=dict(env, PIP_INDEX_URL="http://127.0.0.1:9/simple/"))
        expect(d.get("ft_wheel") is None and d.get("on_index") is None and "127.0.0.1:9" in (d.get("error") or ""),
               f"unreachable index: {d}")
        expect(d.get("classifier_level") == "3 - Stable", f"the classifier does not need the index: {d}")
    finally:
        server.shutdown()
    for e in errors:
        print("MISMATCH:", e)
    print("ok" if not errors else f"{len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
