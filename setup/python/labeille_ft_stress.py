"""labeille ft stress iterations: per-test evidence from pytest-run-parallel runs.

Loaded with ``-p labeille_ft_stress`` in stress iterations only (the runner puts it on
PYTEST_ADDOPTS; it lives with pytest-run-parallel in <venv>/labeille-ft-stress/, which
only stress iterations have on PYTHONPATH). pytest-run-parallel runs every test N x K
times but reports only the first failure; this plugin counts, per test, how many of the
repetitions ran and failed and keeps the first failure's message, and lists the tests
pytest-run-parallel ran single-threaded because it judged them thread-unsafe. At the end
of the session it appends one JSON line to $LABEILLE_FT_STRESS_OUT, which the runner
folds into the attempt record (docs/records.md, "stress").
"""
import functools
import inspect
import json
import os
import threading
import types

import pytest
from _pytest.outcomes import Failed, Skipped

_lock = threading.Lock()
_counts = {}  # test id -> {"calls", "failures", "message"}


def _test_id(item):
    # The id pytest's JUnit gives the test (classname::name), so records, JUnit results
    # and this plugin's counts name a test the same way.
    try:
        from _pytest.junitxml import mangle_test_address

        names = mangle_test_address(item.nodeid)
        return "::".join([".".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]
    except Exception:
        return item.nodeid


def _counting(fn, entry, lock, countable, passthrough):
    def counted(*args, **kwargs):
        failed = None
        try:
            return fn(*args, **kwargs)
        except passthrough:
            raise
        except countable as e:
            failed = e
            raise
        finally:
            with lock:
                entry["calls"] += 1
                if failed is not None:
                    entry["failures"] += 1
                    if not entry["message"]:
                        text = str(failed).strip().splitlines()
                        entry["message"] = type(failed).__name__ + (": " + text[0] if text else "")

    return counted


def _wrap(item):
    fn = getattr(item, "obj", None)
    if not isinstance(fn, types.FunctionType) or inspect.iscoroutinefunction(fn):
        return  # methods of unittest classes, doctests, async tests: not repeated per call
    entry = _counts.setdefault(_test_id(item), {"calls": 0, "failures": 0, "message": ""})
    counted = _counting(fn, entry, _lock, (Exception, Failed), (Warning, Skipped))
    # The wrapper takes the test's globals (and its name, signature and markers):
    # pytest-run-parallel's thread-safety check reads the test's source and resolves the
    # names it calls through __globals__.
    wrapper = types.FunctionType(counted.__code__, fn.__globals__, fn.__name__, None, counted.__closure__)
    functools.update_wrapper(wrapper, fn)
    item.obj = wrapper


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    # Before pytest-run-parallel wraps each test in its threads (pytest_collection_finish),
    # so each call of this wrapper is one repetition.
    for item in items:
        _wrap(item)


def pytest_sessionfinish(session, exitstatus):
    out = os.environ.get("LABEILLE_FT_STRESS_OUT")
    if not out:
        return
    rp = session.config.pluginmanager.get_plugin("_run-parallel")
    unsafe = getattr(rp, "thread_unsafe", None)
    ids = {it.nodeid: _test_id(it) for it in session.items}
    line = {
        "threads": str(session.config.getoption("parallel_threads", default="")),
        "repeat": session.config.getoption("iterations", default=0),
        "tests_run": sum(1 for e in _counts.values() if e["calls"] > 0),
        "tests": [dict(id=k, **v) for k, v in sorted(_counts.items()) if v["failures"] > 0],
        "thread_unsafe": None if unsafe is None else [
            {"id": ids.get(k, k), "reason": r or ""} for k, r in sorted(unsafe.items())],
    }
    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")
