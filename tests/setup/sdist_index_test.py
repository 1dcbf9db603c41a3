"""labeille_ft_sdist.py and `labeille-ft-setup prepare --sdist` against a package index
served here (no network).

usage: sdist_index_test.py PYTHON SETUP SDIST_SCRIPT WORK_DIR

The index, named to pip through PIP_INDEX_URL, lists sdists of "demo" pip must not pick
(yanked, a Requires-Python this interpreter fails, a pre-release), a wheel, and two it
may (1.0 .tar.gz, 1.2 .zip); "olddemo" is a PEP 503 HTML page whose link carries its
sha256; "baddemo" lists a hash its file does not have; a find-links directory holds a
newer demo. The script must save what pip would, and defer to `pip download` (saying why)
whenever it cannot be sure. The index is tests/setup/local_index.py.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import local_index  # tests/setup/local_index.py, beside this script

PYTHON, SETUP, SCRIPT, WORK = sys.argv[1:5]
errors = []


def expect(cond, what):
    if not cond:
        errors.append(what)


def sdist(name, version, ext=".tar.gz"):
    """A minimal sdist file in WORK/index/files; returns (file name, sha256)."""
    top = f"{name}-{version}"
    files = {f"{top}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n",
             f"{top}/tests/test_it.py": "def test_it():\n    pass\n"}
    path = f"{WORK}/index/files/{top}{ext}"
    if ext == ".zip":
        with zipfile.ZipFile(path, "w") as z:
            for n, text in files.items():
                z.writestr(n, text)
    else:
        with tarfile.open(path, "w:gz") as t:
            for n, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(n)
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return os.path.basename(path), hashlib.sha256(open(path, "rb").read()).hexdigest()


def fetch(dist, version, dest, env):
    r = subprocess.run([PYTHON, SCRIPT, dist, version, dest], capture_output=True, text=True, env=env, timeout=120)
    lines = [l for l in r.stdout.splitlines() if l.startswith("LABEILLE_SDIST_RESULT:")]
    if r.returncode != 0 or len(lines) != 1:
        errors.append(f"{dist} {version}: exit {r.returncode}, {r.stdout} {r.stderr}")
        return {}
    return json.loads(lines[0].split(":", 1)[1])


def prepare(pkg, env, *args):
    r = subprocess.run([SETUP, "prepare", "--record-dir", f"{WORK}/rec", "--package", pkg, "--python", PYTHON,
                        "--repos-dir", f"{WORK}/repos", "--venvs-dir", f"{WORK}/venvs", "--sdist", pkg,
                        "--install-command", "python -c pass", *args],
                       capture_output=True, text=True, env=env, timeout=600)
    setups = sorted(d for d in os.listdir(f"{WORK}/rec/{pkg}") if d.startswith("setup."))
    rec_dir = f"{WORK}/rec/{pkg}/{setups[-1]}"
    return r.returncode, json.load(open(f"{rec_dir}/record.json")), set(os.listdir(rec_dir)), r.stderr


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    for d in ("index/files", "index/simple/demo", "index/simple/olddemo", "index/simple/baddemo"):
        os.makedirs(f"{WORK}/{d}")
    entries = []
    for version, ext, extra in (("1.0", ".tar.gz", {}), ("1.2", ".zip", {}), ("1.5", ".tar.gz", {"yanked": "broken"}),
                                ("2.0", ".tar.gz", {"requires-python": ">=99"}), ("3.0rc1", ".tar.gz", {})):
        name, digest = sdist("demo", version, ext)
        entries.append(dict({"filename": name, "url": f"../../files/{name}", "hashes": {"sha256": digest}}, **extra))
    entries.append({"filename": "demo-2.0-py3-none-any.whl", "url": "../../files/demo-2.0-py3-none-any.whl",
                    "hashes": {}})
    with open(f"{WORK}/index/simple/demo/index.json", "w") as f:
        json.dump({"meta": {"api-version": "1.0"}, "name": "demo", "files": entries}, f)
    name, digest = sdist("olddemo", "0.5")
    with open(f"{WORK}/index/simple/olddemo/index.html", "w") as f:
        f.write(f'<html><body><a href="/files/{name}#sha256={digest}" data-requires-python="&gt;=3.8">{name}</a>'
                '</body></html>')
    name, _ = sdist("baddemo", "1.0")
    with open(f"{WORK}/index/simple/baddemo/index.json", "w") as f:
        json.dump({"meta": {"api-version": "1.0"}, "name": "baddemo",
                   "files": [{"filename": name, "url": f"../../files/{name}", "hashes": {"sha256": "00" * 32}}]}, f)

    server = local_index.serve(f"{WORK}/index")
    index = f"http://127.0.0.1:{server.server_port}/simple/"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_INDEX_URL=index, PIP_CONFIG_FILE=os.devnull)
    try:
        # Latest: 1.2 (the .zip); not yanked 1.5, not 2.0 (Requires-Python), not 3.0rc1.
        d = fetch("demo", "", f"{WORK}/dl1", env)
        expect(d.get("file") == "demo-1.2.zip" and d.get("version") == "1.2", f"latest demo: {d}")
        expect(os.path.isfile(f"{WORK}/dl1/demo-1.2.zip"), "latest demo: not saved")
        # Pinned, and the name as the registry spells it (canonicalized both ways).
        d = fetch("Demo", "1.0", f"{WORK}/dl2", env)
        expect(d.get("file") == "demo-1.0.tar.gz" and os.path.isfile(f"{WORK}/dl2/demo-1.0.tar.gz"), f"demo 1.0: {d}")
        # A PEP 503 page with the hash in the link's fragment.
        d = fetch("olddemo", "", f"{WORK}/dl3", env)
        expect(d.get("file") == "olddemo-0.5.tar.gz", f"olddemo (HTML page): {d}")
        # pip's find-links directories are candidates beside the index (an empty one, and
        # one holding a newer demo); a find-links URL is pip's to read.
        os.makedirs(f"{WORK}/links/empty")
        os.makedirs(f"{WORK}/links/newer")
        shutil.copy(f"{WORK}/index/files/demo-1.0.tar.gz", f"{WORK}/links/newer/demo-1.3.tar.gz")
        links = f"{WORK}/links/empty file://{WORK}/links/newer"
        d = fetch("demo", "", f"{WORK}/dl8", dict(env, PIP_FIND_LINKS=links))
        expect(d.get("file") == "demo-1.3.tar.gz" and os.path.isfile(f"{WORK}/dl8/demo-1.3.tar.gz"),
               f"find-links directories: {d}")
        d = fetch("demo", "", f"{WORK}/dl9", dict(env, PIP_FIND_LINKS=f"{WORK}/links/empty"))
        expect(d.get("file") == "demo-1.2.zip", f"an empty find-links directory: {d}")
        d = fetch("demo", "", f"{WORK}/dl10", dict(env, PIP_FIND_LINKS="https://example.invalid/links.html"))
        expect("find-links names a URL" in (d.get("fallback") or ""), f"a find-links URL: {d}")
        # Each case pip must decide: a version not listed, a yanked one pinned is still
        # pip's to refuse or take, a hash that does not match, pip settings that widen the
        # choice, an index that does not answer.
        d = fetch("demo", "9.9", f"{WORK}/dl4", env)
        expect("no sdist of demo 9.9" in (d.get("fallback") or ""), f"demo 9.9: {d}")
        d = fetch("baddemo", "", f"{WORK}/dl5", env)
        expect("sha256" in (d.get("fallback") or "") and not os.listdir(f"{WORK}/dl5"),
               f"a hash mismatch must leave nothing behind: {d}, {os.listdir(f'{WORK}/dl5')}")
        d = fetch("demo", "", f"{WORK}/dl6", dict(env, PIP_EXTRA_INDEX_URL="http://127.0.0.1:9/simple/"))
        expect("extra-index-url" in (d.get("fallback") or ""), f"extra index: {d}")
        d = fetch("demo", "", f"{WORK}/dl7", dict(env, PIP_INDEX_URL="http://127.0.0.1:9/simple/"))
        expect("Error" in (d.get("fallback") or "") and "file" not in d, f"unreachable index: {d}")

        # Through the set-up: the archive from the index, no pip download.
        code, rec, logs, err = prepare("demo", env)
        expect(code == 0 and rec.get("sdist_version") == "1.2", f"prepare demo: exit {code}, {rec}, {err}")
        expect("sdist-index.stdout.log" in logs and "pip-download.stdout.log" not in logs,
               f"prepare demo: the index fetch was not the one used: {sorted(logs)}")
        expect(os.path.isfile(f"{WORK}/repos/demo/tests/test_it.py"), "prepare demo: the sdist was not unpacked")
        # A version the index does not list: pip download decides, and its words are the cause.
        code, rec, logs, err = prepare("demo", env, "--version", "9.9")
        expect(code != 0 and "pip-download.stderr.log" in logs, f"prepare demo 9.9: exit {code}, {sorted(logs)}")
        expect("could not be downloaded" in (rec.get("error") or ""), f"prepare demo 9.9: the cause: {rec}")
    finally:
        server.shutdown()
    for e in errors:
        print("MISMATCH:", e)
    print("ok" if not errors else f"{len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
