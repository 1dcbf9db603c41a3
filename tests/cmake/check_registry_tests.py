#!/usr/bin/env python3
"""check_registry_tests.py TESTS_JSON MESSAGES REGISTRIES MODE WORK

Checks the tests a user project got from labeille_ft_add_package/add_registry
(registry_project.cmake): names, commands, labels, fixtures, locks, timeouts, skips,
the hostile registry's values passed verbatim, malformed files reported with file:line.
"""
import json
import os
import sys

tests_json, messages_file, registries, mode, work = sys.argv[1:6]
data = json.load(open(tests_json))
messages = " ".join(open(messages_file).read().split())  # CMake wraps warning lines
tests = {t["name"]: t for t in data["tests"]}
errors = []


def check(cond, what):
    if not cond:
        errors.append(what)


def props(name):
    return {p["name"]: p["value"] for p in tests[name]["properties"]}


def cmd(name):
    return tests[name]["command"]


# add_subdirectory(): the test builds only labeille-ft-registry (the tool CTest runs to read
# the registries), so CTest cannot resolve the other tools and leaves "command" out.
has_commands = mode != "subdir"


def arg_after(name, flag):
    c = cmd(name)
    return c[c.index(flag) + 1] if flag in c else None


def check_arg(name, flag, want, what):
    if has_commands:
        got = arg_after(name, flag)
        check(got == want, f"{what}: {flag} {got!r}, expected {want!r}")


expected = {
    # own package: 1 iteration
    "ft.own.setup", "ft.own.probe", "ft.own.gil0.iter01",
    # basic TOP 3 for 3.13: old-only (skip_versions 3.13), index-skipped, file-skipped out
    "ft.big.setup", "ft.big.probe", "ft.big.gil0.iter01", "ft.big.gil0.iter02",
    "ft.mid.setup", "ft.mid.gil0.iter02", "ft.small.setup", "ft.small.gil0.iter02",
    # PACKAGES alpha unknown-count
    "ft.alpha.setup", "ft.alpha.gil0.iter01", "ft.unknown-count.setup",
    # hostile: only inject; malformed: the two good ones
    "ft.inject.setup", "ft.inject.gil0.iter01",
    "ft.good-one.setup", "ft.good-one.gil0.iter01", "ft.good-two.gil0.iter01",
    "ft.fold",
}
for name in sorted(expected):
    check(name in tests, f"missing test {name}")
for name in tests:
    check(all(c.isalnum() or c in "._-" for c in name), f"bad test name {name!r}")
    for bad in ("old-only", "index-skipped", "file-skipped", "evil", "broken", "bad-type", "missing-file"):
        check(f".{bad}." not in name, f"test {name} should not exist")
check(len(tests) == 31, f"expected 31 tests, got {len(tests)}: {sorted(tests)}")
if errors:
    print("\n".join(errors))
    sys.exit(1)

if not has_commands:
    check("command" not in tests["ft.own.setup"], "subdir: the tools were built?")
    for key in list(tests):
        tests[key].setdefault("command", [])

# Registry fields reach the commands.
check_arg("ft.big.setup", "--git", "https://github.com/example/big", "big: --git")
check_arg("ft.big.setup", "--depth", "50", "big: clone_depth -> --depth 50")
check_arg("ft.big.setup", "--install-command", 'pip install -e ".[test]"', "big: install_command")
check_arg("ft.big.probe", "--import-name", "big_module", "big: import_name")
check_arg("ft.big.gil0.iter01", "--shell", "python -m pytest -x -p no:xdist", "big: test_command + uses_xdist")
check_arg("ft.big.gil0.iter01", "--timeout", "1200", "big: per-package timeout")
check(props("ft.big.gil0.iter01")["TIMEOUT"] == 1260, "big: CTest TIMEOUT above the runner's")
check_arg("ft.small.gil0.iter01", "--shell", "python -m pytest tests", "small: test_command")
alpha = os.path.realpath(os.path.join(registries, "..", "packages", "ft-compatible"))
check_arg("ft.alpha.setup", "--path", alpha, f"alpha: relative repo -> --path {alpha}: {cmd('ft.alpha.setup')}")
check_arg("ft.unknown-count.setup", "--sdist", "unknown-count", "null repo -> --sdist")
check("picked" in props("ft.alpha.gil0.iter01")["LABELS"], "pass-through LABELS")
check("picked" not in props("ft.big.gil0.iter01")["LABELS"], "LABELS leaked to another registry")
# A value with ';' stays one argument.
check_arg("ft.own.gil0.iter01", "--shell", "python -m pytest -k 'a;b'", f"own: {cmd('ft.own.gil0.iter01')}")

# Hostile values arrive verbatim: no CMake injection, no shell expansion at configure time.
check_arg("ft.inject.gil0.iter01", "--shell", 'python -m pytest ]==] ${EVIL} $(touch /tmp/pwned) ; echo "quoted"', f"inject: {cmd('ft.inject.gil0.iter01')}")
check_arg("ft.inject.setup", "--git", "https://example.com/x]=] ) message(FATAL_ERROR pwned) #", "inject: repo")
check_arg("ft.inject.setup", "--install-command", "\npip install .", "inject: install_command")
check('"../evil" is not a valid package name' in messages, "../evil refused with a message")
check("hostile/index.yaml:2:" in messages, "../evil reported with file:line")

# Malformed files reported with file and line, the others kept.
check("malformed/packages/broken.yaml:4:" in messages, "broken.yaml:4 reported")
check("malformed/packages/bad-type.yaml:4:" in messages, "bad-type.yaml:4 reported")
if mode != "subdir":  # CTest does not print message(STATUS) from include files
    check("skip file-skipped: segfaults the collector" in messages, "file skip reported")

# Per-test properties, as for labeille_ft_add_package.
p = props("ft.good-one.gil0.iter01")
check(p.get("SKIP_RETURN_CODE") == 77, "SKIP_RETURN_CODE 77")
check("RESOURCE_LOCK" not in p, "side by side: no lock on an iteration")
check(props("ft.good-one.setup").get("RESOURCE_LOCK") == ["ft.good-one"], "RESOURCE_LOCK per package on the set-up")
check_arg("ft.good-one.gil0.iter01", "--copy-cwd-in", os.path.join(work, "build", "labeille-ft", "repos", ".copies", "good-one"),
          "side by side: each iteration in its own copy")
check(props("ft.good-two.gil0.iter01").get("RESOURCE_LOCK") == ["ft.good-two"], "serial_iterations: true locks the iterations")
check("--copy-cwd-in" not in cmd("ft.good-two.gil0.iter01"), "serial_iterations: true runs in the checkout")
check(props("ft.big.gil0.iter01").get("COST") == 1200, f"COST from the registry's timeout: {props('ft.big.gil0.iter01').get('COST')}")
check(props("ft.big.setup").get("COST") == 2400, f"set-up COST: the package's work: {props('ft.big.setup').get('COST')}")
check(p.get("FIXTURES_REQUIRED") == ["ft.good-one"], "FIXTURES_REQUIRED")
check(set(p.get("LABELS", [])) >= {"ft", "ft.gil0", "ft.pkg.good-one"}, f"labels {p.get('LABELS')}")
check(props("ft.good-one.setup").get("FIXTURES_SETUP") == ["ft.good-one"], "FIXTURES_SETUP")
check("RESOURCE_LOCK" not in props("ft.own.gil0.iter01"), "NO_RESOURCE_LOCK still locks")
fold = props("ft.fold")
check(set(fold.get("FIXTURES_CLEANUP", [])) ==
      {"ft.own", "ft.big", "ft.mid", "ft.small", "ft.alpha", "ft.unknown-count", "ft.inject", "ft.good-one", "ft.good-two"},
      f"ft.fold cleans up every package: {fold.get('FIXTURES_CLEANUP')}")
check_arg("ft.fold", "--output", os.path.join(work, "build", "labeille-ft", "results", "ft_ctest"), "fold --output")

# Tools: from the install prefix, the package's build tree or the user's build.
where = {"install": os.path.join(work, "prefix", "bin")}
if mode in where:
    runner = cmd("ft.own.gil0.iter01")[0]
    check(runner.startswith(where[mode]), f"{mode}: runner at {runner}")

# Nothing generated outside the build dir's LabeilleFT/ and the work dir.
check(not os.path.exists(os.path.join(work, "build", "evil")), "evil dir created")
if errors:
    print("\n".join(errors))
    sys.exit(1)
print(f"{len(tests)} tests checked ({mode})")
