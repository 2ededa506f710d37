"""Rendering results for people: run summaries and plain-text tables."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.errors import DriftlineError

#: How many metrics a run summary line shows.
SUMMARY_METRICS = 6


def print_run_summary(outcome: Any) -> None:
    """A few lines about a finished run (stdout), or its error (stderr)."""
    short = outcome.run_id[:12]
    if outcome.error is not None:
        err = outcome.error
        text = str(err) if isinstance(err, DriftlineError) else f"internal error: {type(err).__name__}: {err}"
        print(f"driftline: error: {text}", file=sys.stderr)
        print(f"run {short} recorded as {outcome.status}; details: driftline show {short}")
        return
    lines = [f"run {short} {outcome.status}"]
    if outcome.primary:
        lines.append(f"  primary  {outcome.primary[0]} = {fmt_value(outcome.primary[1])}")
    shown = [f"{k}={fmt_value(v)}" for k, v in list(outcome.metrics.items())
             if k.startswith("test/")][:SUMMARY_METRICS]
    if shown:
        lines.append(f"  metrics  {'  '.join(shown)}")
    if outcome.model_path:
        lines.append(f"  model    {rel(outcome.model_path)} (sha256 {outcome.model_sha256[:12]})")
    lines.append(f"  folder   {rel(outcome.run_dir)}")
    lines.append(f"  details  driftline show {short}")
    print("\n".join(lines), flush=True)


def to_json(value: Any) -> str:
    """JSON for scripts: NaN and infinities become null (they are not valid JSON)."""
    import json

    return json.dumps(_finite(value), indent=2, default=str)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return "" if value is None else str(value)


def rel(path: Path | str) -> str:
    """A path relative to the working folder when it is below it."""
    p = Path(path)
    try:
        return os.path.relpath(p) if p.is_absolute() and Path.cwd() in p.parents else str(p)
    except ValueError:
        return str(p)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A left-aligned plain-text table."""
    cells = [[fmt_value(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()
    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)
