"""Values survive the CMake boundary, outputs never lie (issue #20, hardening round 3): the
real `labeille` executable on the inputs of a hostile or unlucky user. Each class is one
CTest test (tests/analyzers/CMakeLists.txt).

usage: hostile_round3_test.py LABEILLE REGISTRY_TOOL DATA_DIR GOLDEN_ATTEMPT REGISTRY FT_PYTHON WORK [unittest args]
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

LABEILLE, REGISTRY_TOOL, DATA, GOLDEN, REGISTRY, FT_PYTHON, WORK = sys.argv[1:8]
HOSTILE = "\033]0;PWNED\007\033[2J\x9b31m"


def run(*args, **kw):
    if "stdout" not in kw:
        kw.setdefault("capture_output", True)
    return subprocess.run([LABEILLE, "ft", *args], timeout=300, **kw)


def fresh(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def copy_run(name, src="pytool_run"):
    d = os.path.join(fresh(name), "run")
    shutil.copytree(os.path.join(DATA, src), d)
    return d


def lines(run_dir):
    with open(os.path.join(run_dir, "ft_results.jsonl")) as f:
        return [json.loads(x) for x in f if x.strip()]


def write_lines(run_dir, objs):
    with open(os.path.join(run_dir, "ft_results.jsonl"), "w") as f:
        for o in objs:
            f.write(json.dumps(o) + "\n")


def golden():
    with open(GOLDEN) as f:
        return json.load(f)


def write_record(records, rec, attempt_dir=None):
    d = os.path.join(records, rec["package"], attempt_dir or rec["attempt_id"].rsplit(":", 1)[1])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "record.json"), "w") as f:
        json.dump(rec, f)
    return d


class Case(unittest.TestCase):
    def expect(self, r, code, *needles):
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, code, f"exit {r.returncode}, expected {code}; stderr: {err}")
        for n in needles:
            self.assertIn(n, err)


class CheckedStdout(Case):
    """Item 2: a failed write on standard output is exit 70, never 0 with the output cut."""

    def test_dev_full(self):
        d = os.path.join(DATA, "pytool_run")
        for args in (["show", d], ["show", d, "requests"], ["flaky", d], ["compat", d], ["report", d],
                     ["report", d, "--format", "html"], ["export", d], ["export", d, "--format", "json"],
                     ["compare", d, d]):
            with self.subTest(args=args), open("/dev/full", "w") as full:
                self.expect(run(*args, stdout=full, stderr=subprocess.PIPE), 70, "standard output")

    def test_a_pipe_still_works(self):
        r = run("export", os.path.join(DATA, "pytool_run"), "--format", "json")
        self.assertEqual(r.returncode, 0)
        json.loads(r.stdout)


class Numbers(Case):
    """Item 5: one range policy: out-of-range numbers are refused where read, never wrapped
    or written as broken JSON."""

    def test_fold_skips_records_out_of_range_and_writes_valid_json(self):
        d = fresh("numbers-fold")
        records = os.path.join(d, "records")
        good = golden()
        write_record(records, good)
        huge = golden()
        huge["duration_s"] = 1e308
        huge["attempt_id"] = huge["attempt_id"].replace("iter03.a002", "iter04.a001")
        huge["iteration"], huge["attempt"], huge["test_name"] = 4, 1, "ft.urllib3.gil0.iter04"
        write_record(records, huge)
        wrap = golden()
        wrap["iteration"] = 4294967297
        write_record(records, wrap, "gil0.iter05.a001")
        big = golden()
        big["tsan_count"] = 10 ** 15
        write_record(records, big, "gil0.iter06.a001")
        out = os.path.join(d, "out")
        r = run("fold", "-o", out, records)
        self.expect(r, 0, "duration_s: expected a number from -1e15 to 1e15, got 1e308",
                    "iteration: expected an integer from -2147483648 to 2147483647, got 4294967297",
                    "tsan_count: expected an integer from -2147483648 to 2147483647, got 1000000000000000")
        with open(os.path.join(out, "ft_meta.json")) as f:
            meta = json.load(f)
        self.assertIsInstance(meta["total_duration_s"], (int, float))
        (pkg,) = lines(out)
        self.assertEqual(pkg["iterations_completed"], 1, pkg)
        self.expect(run("show", out), 0)

    def test_views_refuse_out_of_range_lines(self):
        for field, value, want in [("mean_duration_s", 1e308, "a number from -1e15 to 1e15"),
                                   ("pass_count", 4294967297, "a count")]:
            with self.subTest(field=field):
                d = copy_run("numbers-" + field)
                objs = lines(d)
                objs[0][field] = value
                write_lines(d, objs)
                self.expect(run("show", d), 3, f"ft_results.jsonl:1: {field}: expected {want}")


class ControlCharacters(Case):
    """Item 6: no view writes a control sequence a test printed (or a file carried)."""

    def test_no_view_writes_control_bytes(self):
        d = copy_run("ctl")
        objs = lines(d)
        objs[0]["package"] = "evil" + HOSTILE
        it = objs[0]["iterations"][0]
        it["status"] = "fail"
        it["stderr_tail"] = "boom " + HOSTILE + "\n"
        it["last_output_line"] = HOSTILE
        it["test_results"] = {"tests/t.py::test_" + HOSTILE: "failed"}
        write_lines(d, objs)
        pkg = objs[0]["package"]
        for args in (["show", d], ["show", d, pkg], ["flaky", d, "--package", pkg], ["report", d],
                     ["report", d, "--format", "text"], ["report", d, "--format", "html"], ["export", d],
                     ["export", d, "--format", "json"], ["export", d, "--format", "junit"]):
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
                for bad in (b"\033", b"\007", b"\xc2\x9b"):
                    self.assertNotIn(bad, r.stdout, f"{args}: raw {bad!r} in the output")
                    self.assertNotIn(bad, r.stderr)
        r = run("show", d, pkg)
        self.assertIn("␛]0;PWNED␇␛[2J", r.stdout.decode())

    def test_error_messages_too(self):
        d = copy_run("ctl-err")
        objs = lines(d)
        objs[0]["category"] = HOSTILE
        objs[0]["pass_count"] = "x" + HOSTILE
        write_lines(d, objs)
        r = run("show", d)
        self.assertEqual(r.returncode, 3)
        self.assertNotIn(b"\033", r.stderr)

    def test_csv_formula_cells_are_text(self):
        d = copy_run("csv-formula")
        objs = lines(d)
        objs[0]["package"] = '=HYPERLINK("http://x","y")'
        write_lines(d, objs)
        r = run("export", d)
        self.assertEqual(r.returncode, 0)
        self.assertIn('"\'=HYPERLINK(""http://x"",""y"")"', r.stdout.decode())

    def test_markdown_code_spans_hold_text_not_entities(self):
        d = copy_run("md-code")
        objs = lines(d)
        it = objs[0]["iterations"][0]
        it["status"] = "fail"
        it["test_results"] = {"tests/t.py::test_a[<x>&`y`]": "failed"}
        objs[0]["category"] = "intermittent"
        objs[0]["flaky_tests"] = {"tests/t.py::test_a[<x>&`y`]": 1}
        write_lines(d, objs)
        r = run("report", d)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.decode()
        self.assertIn("``tests/t.py::test_a[<x>&`y`]``", out)
        self.assertNotIn("`tests/t.py::test_a[&lt;", out)  # an entity in a code span shows literally


class Duplicates(Case):
    """Item 10 and the smaller list: a package twice, and a package that is not there."""

    def test_duplicate_package_line_is_refused(self):
        d = copy_run("dup")
        objs = lines(d)
        write_lines(d, objs + [objs[0]])
        for args in (["show", d], ["export", d, "--format", "junit"]):
            with self.subTest(args=args):
                self.expect(run(*args), 3, f"ft_results.jsonl:{len(objs) + 1}: package \"{objs[0]['package']}\" "
                                           "already on line 1")

    def test_flaky_of_a_missing_package_is_an_error(self):
        d = os.path.join(DATA, "pytool_run")
        self.expect(run("show", d, "nope"), 3, "nope")
        self.expect(run("flaky", d, "--package", "nope"), 3, "nope")


class StressWithoutGil1(Case):
    """Smaller list: a stress run without --compare-with-gil never says "GIL=1 no failure"."""

    def test_gil1_not_run(self):
        d = copy_run("stress-no-gil1", "stress_run")
        objs = lines(d)
        for o in objs:
            s = o["stress"]
            s["gil_enabled_iterations"], s["gil_enabled_pass_count"], s["gil_enabled_runs"] = 0, 0, []
            s["comparison"] = "not_compared"
            for t in s["tests"]:
                t["gil_enabled_calls"] = t["gil_enabled_failures"] = t["gil_enabled_runs_failed"] = 0
        write_lines(d, objs)
        for args in (["show", d, "ft-stress-race"], ["flaky", d, "--package", "ft-stress-race"]):
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 0, r.stderr)
                out = r.stdout.decode()
                self.assertNotIn("GIL=1 no failure", out)
                self.assertIn("GIL=1 not run", out)


class FoldInputs(Case):
    """Item 11 and the smaller list: per-attempt junit.xml, and fold -o inside an input."""

    def records_with(self, name, junit_bytes=None, link_to=None):
        d = fresh(name)
        records = os.path.join(d, "records")
        rec = golden()
        att = write_record(records, rec)
        rec["junit_path"] = os.path.join(att, "junit.xml")
        write_record(records, rec)
        if junit_bytes is not None:
            with open(os.path.join(att, "junit.xml"), "wb") as f:
                f.write(junit_bytes)
        if link_to:
            os.symlink(link_to, os.path.join(att, "junit.xml"))
        return d, records, os.path.join(att, "junit.xml")

    def test_malformed_or_binary_junit_is_named(self):
        for tag, data in (("malformed", b"<testsuite><testcase name='a'>"), ("binary", b"\x00\xff\xfe\x01" * 64)):
            with self.subTest(tag=tag):
                d, records, junit = self.records_with("junit-" + tag, junit_bytes=data)
                r = run("fold", "-o", os.path.join(d, "out"), records)
                self.expect(r, 0, junit)

    def test_junit_symlinked_outside_is_not_followed(self):
        outside = os.path.join(fresh("junit-outside-target"), "secret.xml")
        with open(outside, "w") as f:
            f.write('<testsuite><testcase classname="s" name="leaked"/></testsuite>')
        d, records, junit = self.records_with("junit-link", link_to=outside)
        r = run("fold", "-o", os.path.join(d, "out"), records)
        self.expect(r, 0, junit, "symbolic link")
        with open(os.path.join(d, "out", "ft_results.jsonl")) as f:
            self.assertNotIn("leaked", f.read())

    def test_fold_output_inside_an_input_is_refused(self):
        d, records, _ = self.records_with("fold-inside")
        before = sorted(os.listdir(records))
        self.expect(run("fold", "-o", os.path.join(records, "out"), records), 2, "inside the record directory")
        self.assertEqual(sorted(os.listdir(records)), before)


class Registry(Case):
    """Item 8: an over-long package name is one bad entry (skipped, said), not a failed run."""

    def test_long_name_is_skipped(self):
        d = fresh("long-name")
        reg = os.path.join(d, "registry")
        shutil.copytree(REGISTRY, reg)
        long_name = "a" * 5000
        with open(os.path.join(reg, "index.yaml"), "a") as f:
            f.write(f"  - name: {long_name}\n")
        with open(os.path.join(reg, "packages", "ft-compatible.yaml")) as f:
            body = f.read()
        with open(os.path.join(reg, "packages", long_name[:200] + ".yaml"), "w") as f:
            f.write(body)
        out = os.path.join(d, "tests.cmake")
        r = subprocess.run([REGISTRY_TOOL, "--dir", reg, "--output", out], capture_output=True, timeout=120)
        self.expect(r, 0, "longer than")
        with open(out) as f:
            text = f.read()
        self.assertIn("ft-compatible", text)
        self.assertNotIn("a" * 300, text.replace("labeille ft registry:", ""))


    def test_deep_index_says_why(self):
        d = fresh("deep-index")
        reg = os.path.join(d, "registry")
        os.makedirs(os.path.join(reg, "packages"))
        with open(os.path.join(reg, "index.yaml"), "w") as f:
            f.write("packages: " + "[" * 100000 + "]" * 100000 + "\n")
        r = subprocess.run([REGISTRY_TOOL, "--dir", reg, "--output", os.path.join(d, "out.cmake")],
                           capture_output=True, timeout=120)
        self.expect(r, 3, "index.yaml", "nested deeper than")
        self.assertNotIn(b"bad file", r.stderr)


@unittest.skipUnless(FT_PYTHON, "no free-threaded interpreter configured")
class RunValues(Case):
    """Items 1, 3, 4, 7 and the CMake boundary: values are refused before anything is made,
    or reach the module intact."""

    def refused(self, name, code, needle, *args, results=None):
        d = fresh("run-" + name)
        results = results or os.path.join(d, "results")
        victim = os.path.join(d, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        r = run("run", "--target-python", FT_PYTHON, "--registry-dir", REGISTRY, "-n", "0",
                "--work-dir", os.path.join(d, "w"), "--results-dir", results, *args)
        self.expect(r, code, needle)
        with open(victim) as f:
            self.assertEqual(f.read(), "precious\n")
        self.assertFalse(os.path.exists(os.path.join(d, "results")), os.listdir(d))
        return d

    def test_semicolon_in_results_dir(self):
        d = fresh("run-semicolon")
        os.makedirs(os.path.join(d, "victim;x"))
        with open(os.path.join(d, "victim"), "w") as f:
            f.write("precious\n")
        r = run("run", "--target-python", FT_PYTHON, "--registry-dir", REGISTRY, "-n", "0",
                "--results-dir", os.path.join(d, "victim;x"))
        self.expect(r, 2, "--results-dir", "holds ';'")
        with open(os.path.join(d, "victim")) as f:
            self.assertEqual(f.read(), "precious\n")
        self.assertEqual(os.listdir(os.path.join(d, "victim;x")), [])

    def test_non_utf8_is_refused_before_anything_is_made(self):
        for args in ([b"--env", b"X=\xff"], [b"--test-command-override", b"echo \xfe"],
                     [b"--test-command-suffix", b"\xc0\xaf"]):
            with self.subTest(args=args):
                self.refused("utf8", 2, "not valid UTF-8", *args)

    def test_env_key_is_checked_on_the_command_line(self):
        self.refused("envkey", 2, "--env \"1X=a\"", "--env", "1X=a")

    def test_pin_of_a_repo_source_is_refused(self):
        self.refused("pin-repo", 2, "ft-compatible==1.0", "--packages", "ft-compatible==1.0")

    def test_pin_with_options_is_refused(self):
        self.refused("pin-opt", 2, "not a version", "--packages", "ft-compatible==1.0 --index-url=file:///etc",
                     "--source", "sdist")

    def test_pin_of_a_local_path_is_refused(self):
        self.refused("pin-path", 2, "local path", "--packages", "ft-compatible==1.0", "--source", "sdist")


if __name__ == "__main__":
    os.makedirs(WORK, exist_ok=True)
    unittest.main(argv=[sys.argv[0], *sys.argv[8:]])
