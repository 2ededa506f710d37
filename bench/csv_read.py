"""Benchmark: reading a CSV through driftline's csv source against a plain ``pl.read_csv``.

Why: the csv source decides column types from every row (a column that turns
non-numeric after row 5,000 must never become silent nulls) and checks the layout of
every line (field counts, UTF-8, duplicate names); that safety must cost at most 1.5x a
plain polars read of the same file.

Data (seeded numpy, written to a temp folder, never the repo): ``--rows`` rows (default
336,000, ~30 MB) x 12 columns: an integer id, a ``2024-01-01 10:11:12`` timestamp, three
integer columns with ~3% ``NA``, three floats with two decimals, two short string
categories, a true/false flag and, last, a quoted free-text column (some values hold a
comma) with ~10% empty values -- an empty last column is what makes the source count the
fields of every line, so the field-count pass is part of the timing.

Timed, interleaved in one process, median of ``--reps`` runs after one warm-up of each:

* baseline: ``pl.read_csv(path, null_values=["NA"], try_parse_dates=True)`` (types from
  the first 100 rows only);
* csv source: ``CsvSource`` built as the tests build it (``parse_params`` on
  ``{path, null_values: [NA]}``), ``load(RunContext(...)).collect()``;
* for scale, the source's parts: the all-String read alone, the field-count pass alone
  (``csv_layout.blank_rows`` on the String frame: one line per record here, so only the
  lines of rows with an empty last value are counted), and the every-line count the pass
  falls back to when a quoted value spans lines (``csv_layout._count_records``);
* once (``--old-reps``, default 1; 0 skips it): the previous source's method, polars'
  schema inference over every row with date parsing (``infer_schema_length=None``),
  then the read with that schema.

Both frames are checked to hold the same values (the source's types from every row equal
the baseline's here).  Run: ``python bench/csv_read.py [--reps 7] [--results]``; with
``--results`` the section "## CSV read" of ``bench/RESULTS.md`` is (re)written.
Exit status 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from common import code_version, load_average, md_table, publish, timed, today, version_of

from driftline.engine import RunContext
from driftline.engine.components.params import parse_params
from driftline.plugins.sources.csv_layout import _count_records, _lines, blank_rows
from driftline.plugins.sources.files import CsvSource

SECTION = "## CSV read"
TARGET_RATIO = 1.5
ROWS = 336_000
NOTES = np.array(["ok", "late payment", "called, no answer", "moved", "said \"later\""])


def build(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, 2 * 365 * 86400, n)) * 1_000_000
    cols: dict[str, object] = {
        "id": np.arange(1, n + 1),
        "created_at": pl.Series(np.datetime64("2024-01-01T00:00:00", "us")
                                + seconds.astype("timedelta64[us]")),
    }
    for i in range(3):
        values = pl.Series(rng.integers(0, 100_000, n))
        cols[f"count_{i}"] = values.set(pl.Series(rng.random(n) < 0.03), None)
    for i in range(3):
        cols[f"amount_{i}"] = np.round(rng.normal(1000, 300, n), 2)
    cols["grade"] = np.array(list("ABCDEFG"))[rng.integers(0, 7, n)]
    cols["region"] = np.array(["north", "south", "east", "west"])[rng.integers(0, 4, n)]
    cols["flag"] = rng.random(n) < 0.3
    notes = pl.Series(NOTES[rng.integers(0, len(NOTES), n)])
    cols["note"] = notes.set(pl.Series(rng.random(n) < 0.1), None)
    return pl.DataFrame(cols)


def cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def nproc() -> str:
    return subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()


def old_method(path: Path) -> pl.DataFrame:
    """What the csv source did before: infer over every row, then read with the schema."""
    schema = pl.scan_csv(path, null_values=["NA"], try_parse_dates=True,
                         infer_schema_length=None).collect_schema()
    return pl.scan_csv(path, null_values=["NA"], schema=schema).collect()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--old-reps", type=int, default=1)
    parser.add_argument("--results", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="csv-bench-") as tmp:
        path = Path(tmp) / "loans.csv"
        build(args.rows).write_csv(path, null_value="NA", datetime_format="%Y-%m-%d %H:%M:%S")
        size_mb = path.stat().st_size / 1e6
        ctx = RunContext(base_dir=Path(tmp))
        params = parse_params(CsvSource.Params, {"path": str(path), "null_values": ["NA"]},
                              where="data")
        strings = pl.read_csv(path, infer_schema=False, null_values=["NA"])
        lines = _lines(path)
        runs: dict[str, Callable[[], object]] = {
            "baseline": lambda: pl.read_csv(path, null_values=["NA"], try_parse_dates=True),
            "source": lambda: CsvSource(params).load(ctx).collect(),
            "strings": lambda: pl.read_csv(path, infer_schema=False, null_values=["NA"]),
            "fields": lambda: blank_rows(path, strings, separator=",", has_header=True),
            "every line": lambda: _count_records(lines, ","),
        }
        base, got = runs["baseline"](), runs["source"]()
        assert got.schema == base.schema, (got.schema, base.schema)
        assert got.equals(base), "the csv source and pl.read_csv disagree"
        walls: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.reps):
            for name, fn in runs.items():
                walls[name].append(timed(fn))
        if args.old_reps:
            assert old_method(path).equals(base)
            walls["old"] = [timed(lambda: old_method(path)) for _ in range(args.old_reps)]
    med = {k: statistics.median(v) for k, v in walls.items()}
    ratio = med["source"] / med["baseline"]
    ok = ratio <= TARGET_RATIO
    labels = {"baseline": '`pl.read_csv(path, null_values=["NA"], try_parse_dates=True)` (baseline)',
              "source": "csv source: `CsvSource(...).load(ctx).collect()`",
              "strings": "part of the source: all-String read alone",
              "fields": "part of the source: field-count pass alone",
              "every line": "for scale: field count of every line (when a value spans lines)",
              "old": "previous source: polars inference over every row, then read"}
    rows = [[labels[k], f"{med[k]:.3f}", f"{min(v):.3f}–{max(v):.3f}",
             f"{med[k] / med['baseline']:.2f}x"] for k, v in walls.items()]
    text = "\n".join([
        SECTION, "",
        f"Date: {today()}; driftline at {code_version()}. Machine: {cpu_model()}, "
        f"{nproc()} cores (`nproc`); Python {sys.version.split()[0]}, polars "
        f"{version_of('polars')}, numpy {np.__version__}. Load average (1/5/15 min) before: "
        f"{load_before}, after: {load_average()} (shared machine).", "",
        f"Data: {args.rows:,} rows x 12 columns, {size_mb:.1f} MB CSV in a temp folder "
        f"(`bench/csv_read.py build`, seed 0): int id, `%Y-%m-%d %H:%M:%S` timestamp, 3 ints "
        f"with ~3% `NA`, 3 two-decimal floats, 2 string categories, a true/false flag, and last "
        f"a quoted text column (commas and doubled quotes inside) with ~10% empty values, so the "
        f"source runs its field-count pass.", "",
        f"Method: `bench/csv_read.py`; median of {args.reps} runs after one warm-up, the "
        f"timings interleaved in one process (the previous source's method: "
        f"{args.old_reps} run(s) after them). The source's frame equals the baseline's "
        f"(same dtypes, same values), checked before timing. The source decides types from "
        f"every row and checks field counts (a short line leaves the last column empty, so "
        f"the lines of the rows with an empty last value are counted); the baseline infers "
        f"from the first 100 rows and checks nothing.", "",
        md_table(["read", "median wall s", "min–max s", "/ baseline"], rows), "",
        f"**Ratio (csv source / pl.read_csv median): {ratio:.2f}x** — target <= "
        f"{TARGET_RATIO}x: {'met' if ok else 'missed'}. Budget at this baseline: "
        f"{TARGET_RATIO * med['baseline']:.3f} s; the source spends {med['strings']:.3f} s "
        f"reading Strings, {med['fields']:.3f} s counting fields and the other "
        f"{med['source'] - med['strings'] - med['fields']:.3f} s deciding and casting types.",
    ])
    return publish(SECTION, text, ok, results=args.results)


if __name__ == "__main__":
    raise SystemExit(main())
