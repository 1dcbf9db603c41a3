# The one interpreter check of labeille ft. The CMake module runs this file at configure
# time and `labeille ft run` runs the same text (compiled in) before it makes a run
# directory; both refuse an interpreter whose "free_threaded" is false, and both record
# the printed object as ft_meta.json's python_profile. Run with PYTHON_GIL unset: the
# question is the interpreter's own default. Run with TSAN_OPTIONS="exitcode=0
# report_bugs=0" too: a ThreadSanitizer build reports CPython's own races at exit and would
# exit 66 for them.
#
# free_threaded: built with --disable-gil (Py_GIL_DISABLED=1) AND the GIL is off at
# start-up (sys._is_gil_enabled() is False). Prints one JSON object on one line.
import json
import platform
import shlex
import sys
import sysconfig

built_free_threaded = sysconfig.get_config_var("Py_GIL_DISABLED") == 1
is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
gil_enabled_at_start = True if is_gil_enabled is None else bool(is_gil_enabled())
jit = getattr(sys, "_jit", None)
config_args = sysconfig.get_config_var("CONFIG_ARGS") or ""
try:
    build_flags = shlex.split(config_args)
except ValueError:  # unbalanced quotes
    build_flags = config_args.split()
print(json.dumps({
    "path": sys.executable,
    "version": platform.python_version(),
    "version_xy": "%d.%d" % sys.version_info[:2],
    "implementation": platform.python_implementation(),
    "compiler": platform.python_compiler(),
    # The Python labeille tool's type: a list of configure arguments.
    "build_flags": build_flags,
    "config_args": config_args,
    "jit_available": jit is not None,
    "jit_enabled": bool(getattr(jit, "is_enabled", lambda: False)()),
    "py_gil_disabled": built_free_threaded,
    "gil_enabled_at_start": gil_enabled_at_start,
    "gil_disabled": built_free_threaded and not gil_enabled_at_start,
    "free_threaded": built_free_threaded and not gil_enabled_at_start,
    "debug_build": hasattr(sys, "gettotalrefcount"),
    "hash_randomization": sys.flags.hash_randomization != 0,
    # configured --with-thread-sanitizer (`--tsan` and the module's TSAN need one)
    "tsan_build": "--with-thread-sanitizer" in config_args,
}))
