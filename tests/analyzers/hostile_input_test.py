"""Bad input never lies, never destroys, never leaks: the real `labeille` executable on
broken and hostile inputs. Each class is one CTest test (tests/analyzers/CMakeLists.txt).

usage: hostile_input_test.py LABEILLE DATA_DIR REGISTRY FT_PYTHON OTHER_PYTHON WORK [unittest args]
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import unittest

LABEILLE, DATA, REGISTRY, FT_PYTHON, OTHER_PYTHON, WORK = sys.argv[1:7]


def run(*args, **kw):
    return subprocess.run([LABEILLE, "ft", *args], capture_output=True, timeout=300, **kw)


def fresh(name):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def copy_run(name, src="pytool_run"):
    d = os.path.join(fresh(name), "run")
    shutil.copytree(os.path.join(DATA, src), d)
    return d


def first_line(run_dir):
    with open(os.path.join(run_dir, "ft_results.jsonl")) as f:
        return json.loads(f.readline())


def write_lines(run_dir, objs):
    with open(os.path.join(run_dir, "ft_results.jsonl"), "w") as f:
        for o in objs:
            f.write(json.dumps(o) + "\n")


class Case(unittest.TestCase):
    def expect(self, r, code, *needles):
        err = r.stderr.decode(errors="replace")
        self.assertEqual(r.returncode, code, f"exit {r.returncode}, expected {code}; stderr: {err}")
        for n in needles:
            self.assertIn(n, err)


class OutputFile(Case):
    """Item 2: -o writes through symlinks, refuses what is not a regular file, - is stdout."""

    def test_symlink_stays_a_link(self):
        d = fresh("out-symlink")
        target = os.path.join(d, "target.md")
        with open(target, "w") as f:
            f.write("old\n")
        link = os.path.join(d, "link.md")
        os.symlink("target.md", link)
        self.expect(run("report", os.path.join(DATA, "pytool_run"), "-o", link), 0)
        self.assertTrue(os.path.islink(link), "the symlink was replaced by a file")
        with open(target) as f:
            self.assertIn("Free-threading compatibility report", f.read())

    def test_dangling_symlink_creates_its_target(self):
        d = fresh("out-dangling")
        link = os.path.join(d, "link.csv")
        os.symlink("made.csv", link)
        self.expect(run("export", os.path.join(DATA, "pytool_run"), "-o", link), 0)
        self.assertTrue(os.path.islink(link))
        self.assertTrue(os.path.isfile(os.path.join(d, "made.csv")))

    @unittest.skipUnless(os.geteuid() == 0, "making a device node needs root")
    def test_device_is_refused_and_untouched(self):
        # A device node of our own (what /dev/full is): a labeille that replaces devices
        # must not get to replace the machine's.
        d = fresh("out-device")
        dev = os.path.join(d, "full")
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        r = run("report", os.path.join(DATA, "pytool_run"), "-o", dev)
        self.expect(r, 2, dev + ": is a character device")
        self.assertTrue(stat.S_ISCHR(os.stat(dev).st_mode), "the device node was replaced by a file")

    def test_directory_and_fifo_are_refused(self):
        d = fresh("out-dir")
        self.expect(run("export", os.path.join(DATA, "pytool_run"), "-o", d), 2, "is a directory")
        fifo = os.path.join(d, "fifo")
        os.mkfifo(fifo)
        self.expect(run("export", os.path.join(DATA, "pytool_run"), "-o", fifo), 2, "is a FIFO")
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))

    def test_dash_is_standard_output(self):
        d = fresh("out-dash")
        r = run("export", os.path.join(DATA, "pytool_run"), "-o", "-", cwd=d)
        self.expect(r, 0)
        self.assertIn(b"urllib3", r.stdout)
        self.assertEqual(os.listdir(d), [])


class WrongTypes(Case):
    """Item 4: a retyped field is exit 3 naming file:line: field, never a silent default."""

    def retyped(self, name, field, value, where=None):
        d = copy_run(name)
        line = first_line(d)
        (line if where is None else line[where][0])[field] = value
        with open(os.path.join(d, "ft_results.jsonl")) as f:
            rest = f.readlines()[1:]
        with open(os.path.join(d, "ft_results.jsonl"), "w") as f:
            f.write(json.dumps(line) + "\n" + "".join(rest))
        return d

    def test_results_fields(self):
        for field, value, want in [("category", 5, "category: expected a string, got 5"),
                                   ("iterations", "x", "iterations: expected an array, got \"x\""),
                                   ("pass_count", "three", "pass_count: expected a count (an integer >= 0), got \"three\""),
                                   ("iterations_completed", -5, "iterations_completed: expected a count (an integer >= 0), got -5"),
                                   ("flaky_tests", [], "flaky_tests: expected an object of counts, got []")]:
            with self.subTest(field=field):
                d = self.retyped("types-" + field, field, value)
                for view in ("show", "compat", "export"):
                    self.expect(run(view, d), 3, f"{d}/ft_results.jsonl:1: {want}")
                self.expect(run("compare", d, os.path.join(DATA, "pytool_run")), 3, "ft_results.jsonl:1: ")

    def test_iteration_fields(self):
        d = self.retyped("types-iter", "status", 7, where="iterations")
        self.expect(run("show", d), 3, "ft_results.jsonl:1: iterations[0].status: expected a string, got 7")

    def test_broken_meta(self):
        for name, text, want in [("corrupt", "{\"run_id\": ", "ft_meta.json: not valid JSON at byte"),
                                 ("empty", "", "ft_meta.json: empty, expected a JSON object"),
                                 ("array", "[]", "ft_meta.json: expected a JSON object, got an array"),
                                 ("runid", "{\"run_id\": 5}", "ft_meta.json: run_id: expected a string, got 5"),
                                 ("config", "{\"config\": {\"iterations\": \"x\"}}",
                                  "ft_meta.json: config.iterations: expected a count (an integer >= 0), got \"x\"")]:
            with self.subTest(meta=name):
                d = copy_run("meta-" + name)
                with open(os.path.join(d, "ft_meta.json"), "w") as f:
                    f.write(text)
                for view in ("show", "report"):
                    self.expect(run(view, d), 3, want)

    def test_fold_meta_checked_for_a_new_output(self):
        d = fresh("fold-meta")
        meta = os.path.join(d, "meta.json")
        for text in ("[1]", "{\"run_id\": [", "{\"config\": 3}"):
            with self.subTest(meta=text):
                with open(meta, "w") as f:
                    f.write(text)
                out = os.path.join(d, "out")
                self.expect(run("fold", "-o", out, "--meta", meta, os.path.join(d, "no-records")), 3, meta + ": ")
                self.assertFalse(os.path.exists(out), "fold wrote a result directory from a refused --meta")

    def test_fold_over_a_corrupt_meta_says_so(self):
        d = copy_run("fold-corrupt")
        with open(os.path.join(d, "ft_meta.json"), "w") as f:
            f.write("{not json")
        self.expect(run("fold", "-o", d, os.path.join(WORK, "no-records")), 3, "ft_meta.json: not valid JSON",
                    "repair or remove it")
        with open(os.path.join(d, "ft_meta.json")) as f:
            self.assertEqual(f.read(), "{not json", "the corrupt ft_meta.json was replaced")


class Utf8AndMarkup(Case):
    """Item 5 (invalid UTF-8 never goes out raw) and item 9 (no raw HTML in markdown)."""

    def test_every_view_writes_valid_utf8(self):
        d = copy_run("utf8")
        line = first_line(d)
        raw = json.dumps(line)
        # Invalid UTF-8 inside JSON strings: a lone continuation byte, a truncated
        # sequence, an overlong NUL.
        raw = raw.replace('"urllib3"', '"url\x00lib3"').encode()
        raw = raw.replace(b"\\u0000", b"\x80\xe2\x82\xc0\x80")
        line2 = dict(line, package="<img src=x onerror=alert(1)>", category="crash",
                     failure_signatures=["SIGSEGV | <script>alert(1)</script> | \xff"])
        with open(os.path.join(d, "ft_results.jsonl"), "wb") as f:
            f.write(raw + b"\n" + json.dumps(line2).encode().replace(b"\\u00ff", b"\xff") + b"\n")
        outputs = {}
        for args in (["show"], ["compat"], ["flaky"], ["report"],
                     ["report", "--format", "text"], ["report", "--format", "html"],
                     ["export"], ["export", "--format", "json"]):
            r = run(args[0], d, *args[1:])
            self.expect(r, 0)
            try:
                outputs[" ".join(args)] = r.stdout.decode("utf-8", errors="strict")
            except UnicodeDecodeError as e:
                self.fail(f"ft {' '.join(args)} wrote invalid UTF-8: {e}")
        self.assertIn("\ufffd", outputs["show"])
        md = outputs["report"]
        self.assertNotIn("<img", md)
        self.assertNotIn("<script", md)
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;", md)


class Messages(Case):
    """Item 7: messages say what is wrong in words."""

    def test_ranges_in_words(self):
        for args, want in [(["run", "--timeout", "0"], "--timeout: expected a whole number of seconds from 1 to 604800"),
                           (["run", "--timeout", "-3"], "--timeout: expected a whole number of seconds from 1 to 604800"),
                           (["run", "--timeout", "abc"], "got \"abc\""),
                           (["run", "--stall-threshold", "abc"], "0 turns stall detection off, got \"abc\""),
                           (["run", "--stall-threshold", "-1"], "--stall-threshold: expected a whole number"),
                           (["run", "--setup-timeout", "0"], "--setup-timeout: expected a whole number of seconds"),
                           (["show", os.path.join(DATA, "pytool_run"), "--limit", "-1"],
                            "--limit: expected a whole number of packages from 0 to")]:
            with self.subTest(args=args):
                r = run(*args, "--target-python", OTHER_PYTHON) if args[0] == "run" else run(*args)
                self.expect(r, 2, want)
                self.assertNotIn("1797693", r.stderr.decode())

    def test_missing_interpreter_is_no_such_file(self):
        d = fresh("msg-python")
        self.expect(run("run", "--target-python", os.path.join(d, "python3.13t"), "--registry-dir", REGISTRY,
                        "--results-dir", os.path.join(d, "results")), 3, "python3.13t: no such file")

    def test_a_file_is_not_a_directory(self):
        self.expect(run("show", os.path.join(DATA, "pytool_run", "ft_meta.json")), 3,
                    "ft_meta.json: not a directory")

    @unittest.skipUnless(FT_PYTHON, "no free-threaded interpreter configured")
    def test_stall_above_timeout_warns(self):
        d = fresh("msg-stall")
        r = run("run", "--target-python", FT_PYTHON, "--timeout", "30", "--stall-threshold", "60",
                "--registry-dir", os.path.join(d, "no-registry"), "--results-dir", os.path.join(d, "results"))
        self.expect(r, 3, "warning: --stall-threshold 60 is not below --timeout 30")


class RefusedRuns(Case):
    """Item 6: a refused run leaves no run directory behind."""

    def refused(self, name, *args):
        d = fresh("refused-" + name)
        results = os.path.join(d, "results")
        r = run("run", "--results-dir", results, *args)
        self.assertEqual(r.returncode, 3, r.stderr.decode())
        self.assertFalse(os.path.exists(results), f"left {os.listdir(results) if os.path.exists(results) else ''}")

    def test_not_free_threaded(self):
        self.refused("gil", "--target-python", OTHER_PYTHON, "--registry-dir", REGISTRY)

    @unittest.skipUnless(FT_PYTHON, "no free-threaded interpreter configured")
    def test_missing_registry(self):
        self.refused("registry", "--target-python", FT_PYTHON, "--registry-dir", os.path.join(WORK, "nowhere"))

    @unittest.skipUnless(FT_PYTHON, "no free-threaded interpreter configured")
    def test_nothing_selected(self):
        self.refused("none", "--target-python", FT_PYTHON, "--registry-dir", REGISTRY, "--packages", "not-there")

    def test_resume_of_nothing(self):
        d = fresh("refused-resume")
        r = run("run", "--resume", os.path.join(d, "ft_x"))
        self.expect(r, 3, "not a labeille ft run directory")
        self.assertEqual(os.listdir(d), [])


if __name__ == "__main__":
    os.makedirs(WORK, exist_ok=True)
    unittest.main(argv=[sys.argv[0], *sys.argv[7:]])
