"""Shared helpers of the process-level benchmarks: timing child processes, machine facts,
medians and markdown, and rewriting one section of ``bench/RESULTS.md``.

Only the standard library is imported here, so a benchmark that times interpreter start-up
does not pay for numpy or polars itself.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Folder of the benchmarks; ``out/`` below it holds generated data (git-ignored).
BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
RESULTS = BENCH_DIR / "RESULTS.md"
#: The interpreter and console script of the environment the benchmark runs in.
PYTHON = sys.executable
DRIFTLINE = str(Path(sys.executable).with_name("driftline"))


@dataclass(frozen=True)
class ProcTime:
    """One finished child process: wall seconds, CPU seconds (user + system), peak RSS."""

    wall: float
    cpu: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def time_process(argv: Sequence[str], *, cwd: str | Path | None = None,
                 env: Mapping[str, str] | None = None, check: bool = True) -> ProcTime:
    """Run ``argv`` to completion; its wall time, and CPU time and peak RSS from ``wait4``.

    ``wait4`` gives the resource use of this one child (``RUSAGE_CHILDREN`` would sum all).
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env) if env is not None else None,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if check and code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {code}:\n{stderr[-3000:]}")
    return ProcTime(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code, stdout,
                    stderr)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> str:
    """``min–max`` of the values, for a table cell."""
    return f"{min(values):.3f}–{max(values):.3f}"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown CPU"
    for line in out.splitlines():
        if line.startswith("Model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def version_of(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine(packages: Sequence[str] = ("polars", "lightgbm")) -> str:
    """One line: CPU model, logical cores, Python and package versions."""
    versions = ", ".join(f"{p} {version_of(p)}" for p in packages)
    return (f"{cpu_model()}, {os.cpu_count()} logical cores; Python "
            f"{platform.python_version()}, {versions}; {platform.system()} {platform.release()}")


def code_version() -> str:
    """``commit abc1234`` of the checkout being measured, ``+ uncommitted changes`` if dirty."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=BENCH_DIR, capture_output=True, text=True,
                              check=True).stdout.strip()
    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "code version unknown"
    return f"commit {commit}" + (" + uncommitted changes" if dirty else "")


def today() -> str:
    return dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call of ``fn`` (in this process)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def md_table(header: Sequence[str], rows: Sequence[Sequence[object]],
             align: str | None = None) -> str:
    """A markdown table; ``align`` is one character per column, ``l`` or ``r`` (default:
    first column left, the others right)."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(heading: str, body: str, path: Path = RESULTS) -> None:
    """Replace the section ``heading`` (a ``## ...`` line) of ``path`` with ``body``, or
    append it; every other section is kept.  Written atomically (temp file, rename)."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = body.rstrip("\n") + "\n"
    start = text.find(heading + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def publish(heading: str, text: str, ok: bool, *, results: bool) -> int:
    """Print a benchmark's report, record it in RESULTS.md when asked; exit 1 on a missed target."""
    print(text)
    if results:
        write_section(heading, text)
    return 0 if ok else 1
