"""The figures of a `labeille ft run` as markdown: how many packages installed, imported,
ran their tests and passed, and seconds per package split into fetch / install / probe /
test, from the run's records (setup `steps_s`, probe and attempt `duration_s`) and its
ft_results.jsonl.

usage: python3 table.py RUN_DIR
"""
import glob
import json
import os
import statistics
import sys


def latest(pattern):
    """The record of the newest attempt directory matching pattern, or None."""
    files = sorted(glob.glob(pattern))
    return json.load(open(files[-1])) if files else None


def main():
    run = sys.argv[1]
    rows = {}
    with open(os.path.join(run, "ft_results.jsonl")) as f:
        for line in f:
            row = json.loads(line)
            rows[row["package"]] = row
    table, sums = [], {"fetch": [], "install": [], "probe": [], "test": []}
    counts = {"packages": len(rows), "installed": 0, "imported": 0, "ran tests": 0, "passed": 0}
    for name in sorted(rows):
        row = rows[name]
        rec = os.path.join(run, "records", name)
        setup = latest(os.path.join(rec, "setup.a*", "record.json")) or {}
        probe = latest(os.path.join(rec, "probe.a*", "record.json")) or {}
        runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(rec, "gil0.iter*", "record.json")))]
        steps = setup.get("steps_s") or {}
        t = {"fetch": steps.get("source", 0.0),
             "install": sum(steps.get(k, 0.0) for k in ("venv", "install", "hook", "declared")),
             "probe": probe.get("duration_s", 0.0) if probe else 0.0,
             "test": sum(r.get("duration_s", 0.0) for r in runs)}
        ran = [r for r in runs if r.get("outcome") not in ("tests_not_run", "interrupted", "skipped", "error")]
        counts["installed"] += bool(setup.get("ok"))
        counts["imported"] += bool(probe.get("ok"))
        counts["ran tests"] += bool(ran)
        counts["passed"] += any(r.get("outcome") == "pass" for r in runs)
        for k in sums:
            if t[k] > 0:
                sums[k].append(t[k])
        source = row.get("source") or {}
        declared = row.get("declared") or {}
        why = (row.get("install_error") or row.get("import_error") or row.get("tests_not_run")
               or source.get("tests_note") or "")
        if not why and row.get("category") not in ("compatible",):
            # The first failing test and its first error line, else the verdict.
            messages = row.get("failing_test_messages") or {}
            test = next(iter(sorted(messages)), None)
            why = f"{test}: {messages[test]}" if test else row.get("verdict", "")
        table.append("| {} | {} | {} | {} | {} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {} |".format(
            name, source.get("version") or "-", row.get("category"), len(source.get("adapted") or []),
            declared.get("classifier_level") or "-", t["fetch"], t["install"], t["probe"], t["test"],
            why.replace("|", "\\|")[:240]))
    print("| " + " | ".join(counts) + " |")
    print("|" + "---|" * len(counts))
    print("| " + " | ".join(str(v) for v in counts.values()) + " |")
    print()
    print("| seconds per package | " + " | ".join(sums) + " |")
    print("|---|" + "---|" * len(sums))
    for label, f in (("median", statistics.median), ("mean", statistics.mean), ("max", max)):
        print(f"| {label} | " + " | ".join(f"{f(v):.0f}" if v else "-" for v in sums.values()) + " |")
    print()
    print("| package | version | category | adapted | declares | fetch s | install s | probe s | test s | why |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(table))


if __name__ == "__main__":
    main()
