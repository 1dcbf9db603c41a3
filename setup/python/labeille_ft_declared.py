"""labeille ft: what a package declares about free-threading, for its tested version.

Run by `labeille-ft-setup prepare` with the package venv's python (the free-threaded
target itself, so its supported wheel tags are the target's).

usage: labeille_ft_declared.py DIST VERSION SOURCE_DIR [SDIST_FILENAME]

Prints one line "LABEILLE_DECLARED_RESULT:<json>" with:
- classifier_level: the text after "Programming Language :: Python :: Free Threading :: "
  in the metadata of the tested version (the installed distribution; else the sources'
  PKG-INFO, which every sdist has; else pyproject.toml's static [project] classifiers);
  null when it declares none;
- ft_wheel, ft_wheel_tags: does the package index publish, for VERSION, a wheel whose tags
  are among this interpreter's own (packaging.tags.sys_tags()): a free-threaded ABI wheel
  (cp313t) or a pure one (py3-none-any); the matching tags. Read from the index's file
  list (PEP 691 JSON, or the PEP 503 HTML page), never by downloading a wheel. The index is
  pip's: `pip config list` (PIP_INDEX_URL, the download/install/global sections), else
  https://pypi.org/simple/; pip's `cert` is honoured;
- on_index: the tested version is published on that index (false for a local or private
  package the index does not have, or a version it does not list: then there is no wheel
  to look for, and that is not an error); null when the index could not be asked;
- sdist_url: the URL of SDIST_FILENAME on that index, when given;
- error: why a field is null when it should not be (no metadata, index unreachable).
"""
import base64
import email.parser
import html.parser
import json
import os
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

try:
    from packaging.tags import sys_tags
    from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
    from packaging.version import InvalidVersion, Version
except ImportError:  # every venv has pip, which carries packaging
    from pip._vendor.packaging.tags import sys_tags
    from pip._vendor.packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
    from pip._vendor.packaging.version import InvalidVersion, Version

LEVEL = re.compile(r"^Programming Language :: Python :: Free Threading :: (.+)$")
DEFAULT_INDEX = "https://pypi.org/simple/"
TIMEOUT = 120  # seconds for pip and for the index: loaded CI machines are slow


def classifiers(dist, src):
    """(classifiers, where from) of the tested version, or (None, why not)."""
    try:
        import importlib.metadata as md
        return md.distribution(dist).metadata.get_all("Classifier") or [], "installed"
    except Exception:
        pass
    pkg_info = os.path.join(src, "PKG-INFO")
    if os.path.isfile(pkg_info):
        with open(pkg_info, encoding="utf-8", errors="replace") as f:
            return email.parser.Parser().parse(f).get_all("Classifier") or [], "PKG-INFO"
    pyproject = os.path.join(src, "pyproject.toml")
    if os.path.isfile(pyproject):
        import tomllib
        with open(pyproject, "rb") as f:
            project = tomllib.load(f).get("project", {})
        if "classifiers" in project and "classifiers" not in project.get("dynamic", []):
            return project["classifiers"], "pyproject.toml"
    return None, "not installed, and the sources have no PKG-INFO or static classifiers"


def pip_config():
    """pip's configuration as {"section.key": value} (":env:" for PIP_* variables).

    Read through pip's own configuration loader in this process (a `pip config list`
    child costs a second start of Python and of pip's command line); `pip config list`
    when that loader is not where this pip version keeps it.
    """
    try:
        from pip._internal.configuration import Configuration
        conf = Configuration(isolated=False)
        conf.load()
        flat = {}
        # Lowest priority first (global, user, site files, then PIP_* variables); recent
        # pips give (file, {key: value}) pairs, older ones (key, value).
        for key, value in conf.items():
            flat.update(value if isinstance(value, dict) else {key: value})
        return {k: v for k, v in flat.items() if isinstance(v, str)}
    except Exception:  # pip's internals are not an API: fall back to its command line
        pass
    out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                         timeout=TIMEOUT)
    conf = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^(\S+?)\.([A-Za-z0-9_-]+)='(.*)'$", line)
        if m:
            conf[m.group(1) + "." + m.group(2)] = m.group(3)
    return conf


def first(conf, key):
    for section in (":env:", "download", "install", "global"):
        if conf.get(section + "." + key):
            return conf[section + "." + key]
    return None


class Anchors(html.parser.HTMLParser):
    """The file links of a PEP 503 project page, with their PEP 503 data- attributes."""

    def __init__(self):
        super().__init__()
        self.files, self._link = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            a = dict(attrs)
            self._link = {"url": a.get("href"), "requires-python": a.get("data-requires-python"),
                          "yanked": "data-yanked" in a}

    def handle_data(self, data):
        if self._link is not None and self._link["url"] is not None and data.strip():
            self.files.append(dict(self._link, filename=data.strip()))
            self._link = None


def index_request(url, index, cafile):
    """(urllib Request, SSL context) for url: credentials in the index URL, as pip accepts
    them, go to the index's own host only (files may be served from another one)."""
    parts, where = urllib.parse.urlsplit(index), urllib.parse.urlsplit(url)
    headers = {"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"}
    if where.username:
        url = urllib.parse.urlunsplit(where._replace(netloc=where.hostname + (":%d" % where.port if where.port else "")))
    if parts.username and where.hostname == parts.hostname:
        cred = "%s:%s" % (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
        headers["Authorization"] = "Basic " + base64.b64encode(cred.encode()).decode()
    context = ssl.create_default_context(cafile=cafile) if cafile else None
    return urllib.request.Request(url, headers=headers), context


def index_files(index, dist, cafile):
    """[{filename, url, requires_python, yanked, hashes}] of the project on the index
    (absolute URLs without their fragment; hashes from the JSON page or the fragment)."""
    base = index.rstrip("/") + "/" + canonicalize_name(dist) + "/"
    request, context = index_request(base, index, cafile)
    with urllib.request.urlopen(request, timeout=TIMEOUT, context=context) as r:
        body = r.read().decode("utf-8", "replace")
        kind = r.headers.get("Content-Type", "")
    base = request.full_url
    if "json" in kind:
        files = json.loads(body).get("files", [])
    else:
        parser = Anchors()
        parser.feed(body)
        files = parser.files
    out = []
    for f in files:
        url, _, fragment = urllib.parse.urljoin(base, f["url"]).partition("#")
        hashes = dict(f.get("hashes") or {})
        algo, _, value = fragment.partition("=")
        if value and algo not in hashes:
            hashes[algo] = value
        out.append({"filename": f["filename"], "url": url, "requires_python": f.get("requires-python"),
                    "yanked": bool(f.get("yanked")), "hashes": hashes})
    return out


def main():
    dist, version, src = sys.argv[1:4]
    sdist_file = sys.argv[4] if len(sys.argv) > 4 else ""
    out = {"classifier_level": None, "ft_wheel": None, "ft_wheel_tags": [], "sdist_url": None, "on_index": None,
           "error": None}
    errors = []
    found, where = classifiers(dist, src)
    if found is None:
        errors.append("classifier: " + where)
    else:
        levels = [m.group(1).strip() for m in map(LEVEL.match, found) if m]
        out["classifier_level"] = levels[0] if levels else None
    try:
        conf = pip_config()
        index = first(conf, "index-url") or DEFAULT_INDEX
        files = index_files(index, dist, first(conf, "cert"))
        if sdist_file:
            out["sdist_url"] = next((f["url"] for f in files if f["filename"] == sdist_file), None)
        if not version:
            errors.append("wheel: the tested version is unknown")
        else:
            wanted = Version(version)
            supported = {str(t) for t in sys_tags()}
            listed, matching = False, set()
            for f in files:
                name = f["filename"]
                try:
                    if name.endswith(".whl"):
                        _, v, _, tags = parse_wheel_filename(name)
                    else:
                        (_, v), tags = parse_sdist_filename(name), frozenset()
                except Exception:  # a file name these parsers refuse (old, odd archives)
                    continue
                if v == wanted:
                    listed = True
                    matching |= {str(t) for t in tags} & supported
            out["on_index"] = listed
            if listed:
                out["ft_wheel"] = bool(matching)
                out["ft_wheel_tags"] = sorted(matching)
    except urllib.error.HTTPError as e:
        if e.code == 404:  # the index does not have the project at all
            out["on_index"] = False
        else:
            errors.append("wheel: index %s: HTTP %d: %s" % (index, e.code, e.reason))
    except InvalidVersion:
        errors.append("wheel: %r is not a PEP 440 version" % version)
    except Exception as e:  # network, TLS, HTTP status, malformed page: say which
        errors.append("wheel: index %s: %s: %s" % (locals().get("index", "?"), type(e).__name__, e))
    out["error"] = "; ".join(errors) or None
    print("LABEILLE_DECLARED_RESULT:" + json.dumps(out))


if __name__ == "__main__":
    main()
