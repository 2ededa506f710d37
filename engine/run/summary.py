"""What a finished run prints: its status, primary metric, test metrics, model and folder."""

from __future__ import annotations

import sys
from typing import Any

from driftline.engine.errors import DriftlineError
from driftline.engine.output.render import fmt_value, rel

#: How many metrics a run summary line shows.
SUMMARY_METRICS = 6


def print_run_summary(outcome: Any) -> None:
    """A few lines about a finished run (stdout), or its error (stderr)."""
    short = outcome.run_id[:12]
    if outcome.error is not None:
        err = outcome.error
        text = str(err) if isinstance(err, DriftlineError) else f"internal error: {type(err).__name__}: {err}"
        print(f"driftline: error: {text}", file=sys.stderr)
        from driftline.engine.run.pipeline import NOT_RECORDED

        if outcome.status == NOT_RECORDED:
            print("nothing was recorded: the config failed before any data was read")
        else:
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
