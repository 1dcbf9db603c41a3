"""labeille ft: a package's sdist straight from the package index, without building anything.

Run by `labeille-ft-setup prepare` with the target interpreter before it falls back to
`pip download`. pip prepares an sdist's metadata before it saves it, and for a meson or
CMake build that is a configuration of the whole project (numpy and pandas: 7 to 18
minutes on 2 cores, on every run). The set-up only needs the archive, so it is taken from
the same index pip would use, chosen the way pip chooses:

- the index is pip's (`PIP_INDEX_URL`, pip.conf's download/install/global sections, else
  https://pypi.org/simple/), its `cert` honoured, credentials in its URL sent to it only;
  the archives in pip's find-links directories are candidates too;
- the project's sdists (.tar.gz, .zip) on that page, not yanked, whose Requires-Python
  this interpreter satisfies; VERSION when given, else the highest final release;
- the file's sha256 checked when the index gives one.

Whenever pip could choose differently (extra indexes, a find-links URL, constraints,
--pre, a proxy or client certificate in pip's configuration) or the index cannot be read, it does
not guess: it prints why, and the set-up runs `pip download`, which also words the errors
(no such version, index unreachable) the way users know.

usage: labeille_ft_sdist.py DIST VERSION DEST_DIR     (VERSION may be "")

Prints one line "LABEILLE_SDIST_RESULT:<json>": {"file": name, "version": v, "url": u}
when DEST_DIR/<name> was saved, else {"fallback": why}. Exit status 0 either way.
"""
import hashlib
import json
import os
import shutil
import sys
import urllib.parse
import urllib.request

from labeille_ft_declared import DEFAULT_INDEX, TIMEOUT, first, index_request, index_files, pip_config

try:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.utils import canonicalize_name, parse_sdist_filename
    from packaging.version import Version
except ImportError:  # every venv has pip, which carries packaging
    from pip._vendor.packaging.specifiers import InvalidSpecifier, SpecifierSet
    from pip._vendor.packaging.utils import canonicalize_name, parse_sdist_filename
    from pip._vendor.packaging.version import Version

# pip settings under which pip's choice may not be the main index's newest sdist.
DEFER_TO_PIP = ("extra-index-url", "no-index", "constraint", "pre", "proxy", "client-cert",
                "require-hashes", "only-binary", "uploaded-prior-to")


class Fallback(Exception):
    pass


def find_links_files(value):
    """The archives in pip's find-links directories, as index entries. pip chooses among
    them and the index's together; a find-links URL (an HTML page) is pip's to read."""
    files = []
    for item in value.split():
        if item.startswith("file:"):
            item = urllib.request.url2pathname(urllib.parse.urlsplit(item).path)
        elif "://" in item:
            raise Fallback("pip's find-links names a URL (%s)" % item)
        paths = [os.path.join(item, n) for n in sorted(os.listdir(item))] if os.path.isdir(item) else [item]
        files += [{"filename": os.path.basename(p), "path": p, "url": "file://" + urllib.request.pathname2url(p),
                   "hashes": {}} for p in paths if os.path.isfile(p)]
    return files


def choose(files, dist, version):
    """The file pip would download for DIST (==VERSION when given)."""
    here = Version("%d.%d.%d" % sys.version_info[:3])
    wanted = Version(version) if version else None
    best = None
    for f in files:
        try:
            name, v = parse_sdist_filename(f["filename"])
        except Exception:  # wheels, eggs, odd archives
            continue
        if canonicalize_name(name) != canonicalize_name(dist) or f.get("yanked"):
            continue
        if wanted is not None and v != wanted:
            continue
        if wanted is None and (v.is_prerelease or v.is_devrelease):
            continue
        try:
            if f.get("requires_python") and here not in SpecifierSet(f["requires_python"]):
                continue
        except InvalidSpecifier:  # pip ignores a malformed Requires-Python; so do we
            pass
        if best is None or v > best[1]:
            best = (f, v)
    if best is None:
        raise Fallback("the index lists no sdist of %s%s for Python %s" % (dist, " " + version if version else "",
                                                                           here))
    return best


def save(f, dest, index, cafile):
    path = os.path.join(dest, f["filename"])
    if f.get("path"):  # from a find-links directory
        shutil.copyfile(f["path"], path)
        return path
    request, context = index_request(f["url"], index, cafile)
    digest = hashlib.sha256()
    with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as r, open(path + ".part", "wb") as out:
        while chunk := r.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    expected = (f.get("hashes") or {}).get("sha256")
    if expected and digest.hexdigest() != expected.lower():
        os.remove(path + ".part")
        raise Fallback("%s: sha256 %s, the index says %s" % (f["filename"], digest.hexdigest(), expected))
    os.replace(path + ".part", path)
    return path


def main():
    dist, version, dest = sys.argv[1:4]
    try:
        conf = pip_config()
        deferred = sorted(k for k in conf if k.split(".", 1)[-1] in DEFER_TO_PIP)
        if deferred:
            raise Fallback("pip's configuration sets %s" % ", ".join(deferred))
        index = first(conf, "index-url") or DEFAULT_INDEX
        files = find_links_files(first(conf, "find-links") or "") + index_files(index, dist, first(conf, "cert"))
        f, v = choose(files, dist, version)
        os.makedirs(dest, exist_ok=True)
        save(f, dest, index, first(conf, "cert"))
        out = {"file": f["filename"], "version": str(v), "url": f["url"]}
    except Fallback as e:
        out = {"fallback": str(e)}
    except Exception as e:  # network, TLS, HTTP status, malformed page: pip will say it its way
        out = {"fallback": "%s: %s" % (type(e).__name__, e)}
    print("LABEILLE_SDIST_RESULT:" + json.dumps(out))


if __name__ == "__main__":
    main()
