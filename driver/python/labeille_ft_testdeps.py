"""What a package checkout declares for its tests, for `labeille ft test DIR`.

usage: python labeille_ft_testdeps.py DIR [TEST_COMMAND]

Run with the target interpreter (3.11+: tomllib). Prints one JSON object:
  name          the distribution name, normalized (PEP 503): pyproject.toml [project].name,
                else setup.cfg [metadata] name, else PKG-INFO's Name, else the directory's
                name without a trailing -<version>
  name_from     where the name came from
  version       [project].version / PKG-INFO's Version ("" when dynamic or unknown)
  import_name   the top-level package to probe ("" = the probe's default, name with _)
  extra         the first of test, tests, testing among pyproject's
                [project.optional-dependencies] or setup.cfg's [options.extras_require]
  group         the first of test, tests, dev among pyproject's [dependency-groups]
                (PEP 735)
  requirements  a conventional requirements file (requirements-test.txt, ...), only when
                neither an extra nor a group was found (they are usually the same list,
                pinned)
  pytest        true when pytest is among what those install (by name)
  install_command  the command that installs it all, editable, shell-quoted
  declared      one line per thing found, for the user
Nothing here runs the package's code (no setup.py): only files are read.
"""
import configparser
import json
import os
import re
import shlex
import sys
import tomllib

EXTRAS = ("test", "tests", "testing")
GROUPS = ("test", "tests", "dev")
REQUIREMENT_FILES = (
    "requirements-test.txt", "requirements-tests.txt", "requirements-testing.txt",
    "requirements_test.txt", "requirements_tests.txt",
    "test-requirements.txt", "tests-requirements.txt", "test_requirements.txt",
    "requirements/test.txt", "requirements/tests.txt", "requirements/testing.txt",
    "tests/requirements.txt", "test/requirements.txt",
)
NOT_PACKAGES = {"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "build", "dist", "scripts"}


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(line):
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return normalize(m.group(1)) if m else ""


def read_requirements(path, seen):
    """Requirement names of a requirements file, following -r includes."""
    if path in seen or not os.path.isfile(path):
        return []
    seen.add(path)
    names = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.split(" #")[0].strip()
            if not line or line.startswith("#"):
                continue
            m = re.match(r"(-r|--requirement)\s*=?\s*(\S+)", line)
            if m:
                names += read_requirements(os.path.join(os.path.dirname(path), m.group(2)), seen)
            elif not line.startswith("-"):
                names.append(requirement_name(line))
    return names


def group_names(groups, name, seen=()):
    """Requirement names of a PEP 735 group, include-group resolved."""
    names = []
    for item in groups.get(name, []):
        if isinstance(item, str):
            names.append(requirement_name(item))
        elif isinstance(item, dict) and item.get("include-group") not in seen:
            names += group_names(groups, item["include-group"], (*seen, name))
    return names


def pkg_info(directory):
    path = os.path.join(directory, "PKG-INFO")
    fields = {}
    if os.path.isfile(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields.setdefault(key.strip().lower(), value.strip())
    return fields


def import_name(directory, name):
    """The top-level package: the one named like the distribution, else the only one."""
    wanted = name.replace("-", "_")
    for base in ("src", "."):
        root = os.path.join(directory, base)
        if not os.path.isdir(root):
            continue
        found = sorted(
            e for e in os.listdir(root)
            if e.isidentifier() and e.lower() not in NOT_PACKAGES
            and os.path.isfile(os.path.join(root, e, "__init__.py")))
        for e in found:
            if e.lower() == wanted:
                return e
        if len(found) == 1:
            return found[0]
    return ""


def main():
    directory = os.path.abspath(sys.argv[1])
    test_command = sys.argv[2] if len(sys.argv) > 2 else "python -m pytest"
    out = {"declared": [], "requirements": "", "extra": "", "group": "", "version": ""}
    project, groups, extras = {}, {}, {}
    pyproject = os.path.join(directory, "pyproject.toml")
    if os.path.isfile(pyproject):
        with open(pyproject, "rb") as f:
            try:
                data = tomllib.load(f)
            except tomllib.TOMLDecodeError as e:
                sys.exit(f"{pyproject}: not valid TOML: {e}")
        project = data.get("project", {})
        groups = data.get("dependency-groups", {})
        extras = {normalize(k): v for k, v in project.get("optional-dependencies", {}).items()}
    setup_cfg = configparser.ConfigParser(interpolation=None)
    cfg_path = os.path.join(directory, "setup.cfg")
    if os.path.isfile(cfg_path):
        try:
            setup_cfg.read(cfg_path, encoding="utf-8")
        except configparser.Error as e:
            sys.exit(f"{cfg_path}: not a valid setup.cfg: {e}")
    cfg_extras = {}
    if setup_cfg.has_section("options.extras_require"):
        for k, v in setup_cfg.items("options.extras_require"):
            cfg_extras[normalize(k)] = [x for x in re.split(r"[\n;]", v) if x.strip()]
    info = pkg_info(directory)

    if project.get("name"):
        out["name"], out["name_from"] = project["name"], "pyproject.toml [project].name"
    elif setup_cfg.has_option("metadata", "name"):
        out["name"], out["name_from"] = setup_cfg.get("metadata", "name"), "setup.cfg [metadata] name"
    elif info.get("name"):
        out["name"], out["name_from"] = info["name"], "PKG-INFO Name"
    else:
        base = os.path.basename(directory.rstrip("/"))
        out["name"], out["name_from"] = re.sub(r"-\d[\w.]*$", "", base), "the directory's name"
    out["name"] = normalize(out["name"])
    out["version"] = str(project.get("version") or info.get("version") or "")
    out["import_name"] = import_name(directory, out["name"])

    names = []
    for e in EXTRAS:
        if e in extras or e in cfg_extras:
            where = "pyproject.toml [project.optional-dependencies]" if e in extras else "setup.cfg [options.extras_require]"
            out["extra"] = e
            names += [requirement_name(r) for r in extras.get(e, cfg_extras.get(e, []))]
            out["declared"].append(f"extra '{e}' ({where})")
            break
    for g in GROUPS:
        if g in groups:
            out["group"] = g
            names += group_names(groups, g)
            out["declared"].append(f"dependency group '{g}' (pyproject.toml [dependency-groups], PEP 735)")
            break
    if not out["extra"] and not out["group"]:
        for r in REQUIREMENT_FILES:
            if os.path.isfile(os.path.join(directory, r)):
                out["requirements"] = r
                names += read_requirements(os.path.join(directory, r), set())
                out["declared"].append(f"requirements file {r}")
                break
    if not out["declared"]:
        out["declared"].append("no test dependencies declared (no test/tests/testing extra, "
                               "no test/tests/dev dependency group, no requirements file for tests)")

    words = shlex.split(test_command)
    runs_pytest = bool(words) and (words[0] in ("pytest", "py.test") or words[:3] in (["python", "-m", "pytest"],
                                                                                      ["python3", "-m", "pytest"]))
    out["pytest"] = "pytest" in names
    cmd = ["python", "-m", "pip", "install", "-e", f".[{out['extra']}]" if out["extra"] else "."]
    if out["group"]:
        cmd += ["--group", out["group"]]
    if out["requirements"]:
        cmd += ["-r", out["requirements"]]
    if runs_pytest and not out["pytest"]:
        cmd.append("pytest")
        out["declared"].append("pytest added (the test command runs pytest; nothing declared installs it)")
    out["install_command"] = shlex.join(cmd)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
