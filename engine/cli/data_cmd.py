"""``driftline data synthetic``: write a demo batch, optionally with known drift.

The generator is the registered ``synthetic`` source (the engine never imports plugins),
so the batch is exactly what ``data.kind=synthetic`` gives a run with the same rows, seed
and drift.  ``--drift COLUMN=SHIFT`` moves a numeric column by SHIFT standard deviations or
redraws a share SHIFT (0..1) of a categorical column's rows towards its rare categories.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from driftline.engine.errors import DataError, ExitCode, UsageError

#: Output file types by extension (lower case) -> format written.
FORMATS = {".parquet": "parquet", ".csv": "csv"}
#: Defaults of the command's options.
DEFAULT_ROWS = 20_000
DEFAULT_SEED = 0


def add_parser(sub: Any) -> None:
    p = sub.add_parser("data", help="make data files (synthetic batches for demos and tests)")
    dsub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND", parser_class=type(p),
                            required=True)
    syn = dsub.add_parser(
        "synthetic", help="write a batch from the built-in loan generator, optionally drifted",
        description="Write a batch from the built-in synthetic loan generator. Same rows and "
                    "seed give the same table; --drift shifts named columns by a known amount.")
    syn.add_argument("--rows", type=int, default=DEFAULT_ROWS, metavar="N",
                     help=f"number of rows (default {DEFAULT_ROWS})")
    syn.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                     help=f"generator seed (default {DEFAULT_SEED})")
    syn.add_argument("--drift", action="extend", nargs="+", default=[], metavar="COLUMN=SHIFT",
                     help="numeric column: shift by SHIFT standard deviations; categorical "
                          "column: redraw a share SHIFT (0..1) of rows towards rare categories")
    syn.add_argument("--out", required=True, metavar="FILE",
                     help="output file: .parquet or .csv")
    syn.set_defaults(func=synthetic_command)


def parse_drift(items: list[str]) -> dict[str, float]:
    """``["a=0.5", "b=-1"]`` -> ``{"a": 0.5, "b": -1.0}``; UsageError for bad syntax."""
    drift: dict[str, float] = {}
    for item in items:
        column, sep, raw = item.partition("=")
        column, raw = column.strip(), raw.strip()
        try:
            shift = float(raw) if sep and column and raw else math.nan
        except ValueError:
            shift = math.nan
        if not math.isfinite(shift):
            raise UsageError(f"bad --drift '{item}': expected COLUMN=SHIFT with a finite number, "
                             f"e.g. --drift credit_score=0.5")
        if column in drift:
            raise UsageError(f"--drift names column '{column}' twice; give each column once")
        drift[column] = shift
    return drift


def output_format(path: str) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot tell the file type of --out '{path}': use a name ending in "
                         f"{' or '.join(FORMATS)}")
    return fmt


def synthetic_command(args: argparse.Namespace) -> int:
    from driftline.engine.components.kinds.base import RunContext
    from driftline.engine.components.registry import Registry

    if args.rows < 1:
        raise UsageError(f"--rows must be at least 1, got {args.rows}")
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    fmt = output_format(args.out)
    drift = parse_drift(args.drift)
    source = Registry.from_environment().create(
        "source", {"kind": "synthetic", "rows": args.rows, "seed": args.seed, "drift": drift},
        where="data")
    frame = _collect(source.load(RunContext(seed=args.seed)))
    write_frame(frame, Path(args.out), fmt)
    shifted = ", ".join(f"{c}={s:+g}" for c, s in drift.items()) or "none"
    print(f"wrote {frame.height:,} rows x {frame.width} columns to {args.out} "
          f"(seed {args.seed}, drift: {shifted})")
    return ExitCode.OK


def _collect(frame: Any) -> Any:
    import polars as pl

    if not isinstance(frame, pl.LazyFrame):
        return frame
    try:
        return frame.collect()
    except pl.exceptions.PolarsError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"the synthetic source failed to build the batch: {first}") from exc


def _default_mode() -> int:
    """The mode a plain ``open`` would give a new file (0666 less the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_frame(frame: Any, path: Path, fmt: str) -> None:
    """Write ``frame`` as ``fmt`` through a temp file in the same folder, fsync, rename."""
    import polars as pl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write --out {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            if fmt == "parquet":
                frame.write_parquet(fh)
            else:
                frame.write_csv(fh)
            fh.flush()
            os.fchmod(fh.fileno(), _default_mode())  # mkstemp makes it private (0600)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, (OSError, pl.exceptions.PolarsError)):
            raise UsageError(f"cannot write --out {path}: {getattr(exc, 'strerror', None) or exc}"
                             ) from exc
        raise
