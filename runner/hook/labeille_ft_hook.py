"""labeille ft startup hook, loaded by labeille_ft_hook.pth in a test venv.

Does nothing unless LABEILLE_FT_HOOK_DIR is set (labeille-ft-runner sets it to the
attempt's hook directory). Then, in every Python process of the test:

* faulthandler is registered on SIGUSR1 for all threads, writing to a duplicate of
  fd 2 taken NOW: pytest later dup2()s a capture file over fd 2, and a handler on fd 2
  would write the stacks into pytest's capture, where the runner never sees them;
* <pid>.started tells the runner this pid has the handler (SIGUSR1 would kill a
  process without one, so the runner signals only pids listed here); a child made by
  os.fork() (multiprocessing's fork start method, pytest-xdist-like plugins) inherits
  the handler and the fd, so it announces its own pid too;
* at exit, <pid>.json records sys._is_gil_enabled(): an extension that re-enables the
  GIL at import shows up as true.

It must never break the interpreter: every failure is swallowed.
"""
import os


def _announce(hook_dir, pid):
    try:
        with open(os.path.join(hook_dir, "%d.started" % pid), "w"):
            pass
    except Exception:
        pass


def _install(hook_dir):
    import atexit
    import faulthandler
    import json
    import signal
    import sys

    pid = os.getpid()
    try:
        fd = os.dup(2)
        os.set_inheritable(fd, False)
        # Keep the file object alive for the life of the process: faulthandler only
        # holds the fd number.
        stream = os.fdopen(fd, "w", closefd=False)
        globals()["_labeille_ft_stream"] = stream
        faulthandler.register(signal.SIGUSR1, file=stream, all_threads=True, chain=False)
        _announce(hook_dir, pid)
    except Exception:
        return
    try:
        os.register_at_fork(after_in_child=lambda: _announce(hook_dir, os.getpid()))
    except Exception:
        pass

    def _write_gil_state():
        try:
            enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
            path = os.path.join(hook_dir, "%d.json" % os.getpid())
            tmp = path + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"pid": os.getpid(), "gil_enabled": bool(enabled),
                           "argv": list(sys.argv)[:8]}, f)
            os.replace(tmp, path)
        except Exception:
            pass

    atexit.register(_write_gil_state)


_dir = os.environ.get("LABEILLE_FT_HOOK_DIR")
if _dir and os.path.isdir(_dir):
    try:
        _install(_dir)
    except Exception:
        pass
