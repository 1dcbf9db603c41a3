"""`ctest --repeat` keeps only the last try in CTest's files; the runner's records keep
every attempt, so the fold gets the right k/n.

usage: repeat_test.py PYTHON PACKAGE_DIR LABEILLE WORK_DIR
"""
import os
import shutil
import subprocess
import sys

from common import SOURCE, fail, results

PROJECT = """cmake_minimum_required(VERSION 3.25)
project(repeat LANGUAGES NONE)
enable_testing()
find_package(LabeilleFT REQUIRED)
labeille_ft_add_package(ft-flaky-twin PATH [[{path}]] ITERATIONS 1
    TEST_COMMAND [[{command}]])
"""


def run(work, python, package_dir, labeille, name, command, repeat):
    src, build = os.path.join(work, name, "src"), os.path.join(work, name, "build")
    os.makedirs(src)
    with open(os.path.join(src, "CMakeLists.txt"), "w") as f:
        f.write(PROJECT.format(path=os.path.join(SOURCE, "tests", "fixtures", "packages", "ft-flaky-twin"),
                               command=command))
    subprocess.run(["cmake", "-S", src, "-B", build, f"-DLabeilleFT_DIR={package_dir}",
                    f"-DLABEILLE_FT_TARGET_PYTHON={python}"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["ctest", "--test-dir", build, "-R", r"^ft\.ft-flaky-twin\.gil0\.iter01$", "--repeat", repeat],
                   stdout=subprocess.DEVNULL)
    out = os.path.join(work, name, "folded")
    subprocess.run([labeille, "ft", "fold", "-o", out, os.path.join(build, "labeille-ft", "records")], check=True)
    return results(os.path.join(out, "ft_results.jsonl"))["ft-flaky-twin"]


def main():
    python, package_dir, labeille, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    # until-fail:4 on a passing iteration: four passing attempts, four measured runs.
    row = run(work, python, package_dir, labeille, "until-fail", "python -m pytest", "until-fail:4")
    if (row["iterations_completed"], row["pass_count"], row["category"]) != (4, 4, "compatible"):
        fail(f"until-fail:4: {row['pass_count']}/{row['iterations_completed']} {row['category']}")
    # until-pass:5 on an iteration that fails on attempts 1 and 2: three runs, one pass.
    row = run(work, python, package_dir, labeille, "until-pass",
              'test "$LABEILLE_FT_ATTEMPT" -ge 3 && python -m pytest', "until-pass:5")
    if (row["iterations_completed"], row["pass_count"], row["category"]) != (3, 1, "intermittent"):
        fail(f"until-pass:5: {row['pass_count']}/{row['iterations_completed']} {row['category']}")
    print("ok")


if __name__ == "__main__":
    main()
