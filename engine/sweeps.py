"""The summary printed at the end of a sweep: every job ranked by the primary metric."""

from __future__ import annotations

import math
from typing import Any

from engine.report import fmt_value, table

# Longest override text shown per job in the summary table.
MAX_OVERRIDES_WIDTH = 60


def rank_sweep_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Succeeded runs best first (by each run's primary metric and its direction), then
    the rest in the order they started."""
    def primary(run: dict[str, Any]) -> float | None:
        p = (run.get("summary") or {}).get("primary")
        value = p[1] if p else None
        return value if isinstance(value, (int, float)) and not math.isnan(value) else None

    scored = [r for r in runs if r["status"] == "succeeded" and primary(r) is not None]
    higher = all((r.get("summary") or {}).get("higher_is_better", True) for r in scored)
    scored.sort(key=lambda r: primary(r), reverse=higher)
    rest = sorted((r for r in runs if r not in scored), key=lambda r: r.get("started_at") or "")
    return scored + rest


def render_sweep_summary(sweep_id: str, runs: list[dict[str, Any]]) -> tuple[str, int]:
    """(text, number of jobs that did not succeed)."""
    if not runs:
        return f"sweep {sweep_id[:12]}: no job reached the store (see the errors above)", 1
    ranked = rank_sweep_runs(runs)
    metric = next(((r.get("summary") or {}).get("primary") or [None])[0] for r in ranked)
    rows = []
    for rank, run in enumerate(ranked, 1):
        p = (run.get("summary") or {}).get("primary")
        overrides = " ".join(run.get("overrides") or [])
        if len(overrides) > MAX_OVERRIDES_WIDTH:
            overrides = overrides[: MAX_OVERRIDES_WIDTH - 3] + "..."
        note = run["status"] if run["status"] == "succeeded" else f"{run['status']}: {run.get('error') or ''}"
        rows.append([rank, run["id"][:12], fmt_value(p[1]) if p else "", overrides, note[:80]])
    failed = sum(1 for r in runs if r["status"] != "succeeded")
    head = (f"sweep {sweep_id[:12]}: {len(runs)} jobs, {len(runs) - failed} succeeded, "
            f"{failed} failed; ranked by {metric or 'primary metric'}")
    tail = f"list again with: driftline runs --sweep {sweep_id[:12]}"
    return "\n".join([head, table(["#", "run", metric or "primary", "overrides", "status"], rows),
                      tail]), failed
