"""Shared helpers for benchmarks: timing child processes with their peak RSS, tables."""
import os
import pathlib
import statistics
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORK = ROOT / "bench-work"


def whittle_binary() -> str:
    for candidate in (os.environ.get("WHITTLE"), ROOT / ".build/release/whittle", ROOT / ".build/debug/whittle"):
        if candidate and os.access(str(candidate), os.X_OK):
            return str(candidate)
    raise SystemExit("build whittle first: swift build -c release")


GNU_TIME = "/usr/bin/time"


def run_measured(argv):
    """Runs argv; returns (seconds, peak RSS bytes) of that program alone. Peak RSS comes from
    GNU time (%M), because a forked Python child inherits the parent's RSS in its rusage."""
    report = WORK / ".time-report"
    wrapped = [GNU_TIME, "-f", "%M", "-o", str(report), *map(str, argv)] if os.access(GNU_TIME, os.X_OK) else list(map(str, argv))
    start = time.perf_counter()
    proc = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed: {err}")
    if wrapped[0] == GNU_TIME:
        return elapsed, int(report.read_text().split()[-1]) * 1024
    return elapsed, usage.ru_maxrss * 1024


def median_of(runs, fn):
    results = [fn() for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def drop_file(path):
    for p in (pathlib.Path(path), pathlib.Path(str(path) + ".data")):
        if p.exists():
            p.unlink()


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
