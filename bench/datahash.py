"""Benchmark: data hash throughput against two baselines, on a 1,000,000 x 30 table.

Why: the data hash runs on every pipeline run and every ``rerun`` verification, so it
must run near memory speed (target: >= 1 GB/s of polars ``estimated_size()``).

Baselines, timed in the same process on the same table:

* ``hash_rows``: polars' ``DataFrame.hash_rows()`` (fast, but its output changes between
  polars versions, so driftline may not use it);
* ``parquet+sha256``: ``write_parquet`` to a temp file, then SHA-256 of the file (what
  file-based tools such as DVC effectively do).

Run: ``python bench/datahash.py [--reps 7] [--results bench/RESULTS.md]``.
With ``--results`` the section "## Data hash throughput" of that file is (re)written; the
rest of the file is kept.  Exit status 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from driftline.engine.lineage.datahash import MAX_WORKERS, hash_frame

N_ROWS = 1_000_000
# Target throughput in bytes per second of estimated in-memory size.
TARGET_BYTES_PER_S = 1e9
SECTION = "## Data hash throughput"
CATEGORIES = ["north", "south", "east", "west", "RENT", "OWN", "MORTGAGE", "A", "B", "car"]


def build_table(n_rows: int = N_ROWS, seed: int = 0) -> pl.DataFrame:
    """10 Float64 + 10 Int64 (half of each with ~3% nulls) + 10 short String columns."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pl.Series] = {}
    for i in range(10):
        columns[f"float_{i}"] = _with_nulls(pl.Series(rng.normal(size=n_rows)), rng, i)
    for i in range(10):
        columns[f"int_{i}"] = _with_nulls(pl.Series(rng.integers(0, 10**6, n_rows)), rng, i)
    for i in range(10):
        values = np.array(CATEGORIES)[rng.integers(0, 3 + i % 8, n_rows)]
        columns[f"cat_{i}"] = _with_nulls(pl.Series(values), rng, i)
    return pl.DataFrame(columns)


def _with_nulls(s: pl.Series, rng: np.random.Generator, i: int) -> pl.Series:
    if i % 2:
        return s
    return s.scatter(np.flatnonzero(rng.random(len(s)) < 0.03), None)


def parquet_sha256(df: pl.DataFrame, directory: str) -> str:
    """Baseline (b): write Parquet, hash the file."""
    path = os.path.join(directory, "table.parquet")
    df.write_parquet(path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def median_seconds(
    methods: dict[str, Callable[[], object]], reps: int
) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of each method; repetitions interleaved so load hits all
    alike.  CPU time (all threads of this process) is less sensitive to other processes."""
    for fn in methods.values():
        fn()  # warm-up (page faults, thread pool start, first-call caches)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
    for _ in range(reps):
        for name, fn in methods.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {
        name: (statistics.median(w for w, _ in ts), statistics.median(c for _, c in ts))
        for name, ts in times.items()
    }


def machine() -> str:
    model = "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in out.splitlines()
                     if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        pass
    return (f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"polars {pl.__version__}, numpy {np.__version__}")


def report(size: int, timings: dict[str, tuple[float, float]], reps: int, load: float) -> str:
    ours = timings["hash_frame"][0]
    lines = [
        SECTION, "",
        f"Table: {N_ROWS:,} rows x 30 columns (10 Float64, 10 Int64, 10 short String; "
        f"half the columns ~3% nulls), seeded numpy; `estimated_size()` = "
        f"{size / 1e6:.1f} MB.",
        f"Method: `bench/datahash.py`; median of {reps} timed repetitions after one "
        f"warm-up, methods interleaved in one process; `hash_frame` with {MAX_WORKERS} "
        "threads. GB/s = estimated_size / median wall time; CPU s = process CPU time "
        "(all threads). Speed-up = baseline wall time / hash_frame wall time.",
        f"Machine: {machine()}; 1-minute load average {load:.2f} when the run started "
        "(the machine is shared, so timings vary between runs).", "",
        "| method | median wall s | GB/s | median CPU s | hash_frame speed-up |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (wall, cpu) in timings.items():
        ratio = "—" if name == "hash_frame" else f"{wall / ours:.2f}x"
        lines.append(
            f"| {name} | {wall:.3f} | {size / wall / 1e9:.2f} | {cpu:.3f} | {ratio} |"
        )
    verdict = "met" if size / ours >= TARGET_BYTES_PER_S else "MISSED"
    lines += ["", f"Target >= {TARGET_BYTES_PER_S / 1e9:.0f} GB/s: {verdict}.", ""]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Replace (or append) our section of the results file, keeping the others."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = section.rstrip("\n") + "\n"
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--results", type=Path, default=None)
    args = parser.parse_args()
    df = build_table()
    size = df.estimated_size()
    with tempfile.TemporaryDirectory() as tmp:
        load = os.getloadavg()[0]
        timings = median_seconds({
            "hash_frame": lambda: hash_frame(df),
            "hash_rows (unstable)": df.hash_rows,
            "parquet+sha256": lambda: parquet_sha256(df, tmp),
        }, args.reps)
    section = report(size, timings, args.reps, load)
    print(section)
    if args.results:
        write_section(args.results, section)
    return 0 if size / timings["hash_frame"][0] >= TARGET_BYTES_PER_S else 1


if __name__ == "__main__":
    sys.exit(main())
