"""``driftline show``: one recorded run as text (what, with which code and data, results,
warnings)."""

from __future__ import annotations

from typing import Any

from driftline.engine.output.render import fmt_time, fmt_value, table

#: Name of the per-slice row count among a run's metrics (see run.evaluation.SLICE_ROWS).
SLICE_ROWS = "n_rows"


def render_run(run: dict[str, Any]) -> str:
    git = run.get("git") or {}
    lines = [
        f"run        {run['id']}",
        f"experiment {run['experiment']}",
        f"status     {run['status']}" + (f"  ({run['error']})" if run.get("error") else ""),
        f"started    {fmt_time(run.get('started_at'))}   ended {fmt_time(run.get('ended_at'))}",
        f"task       {run.get('task')}  target {run.get('target')}  seed {run.get('seed')}",
        f"code       git {(git.get('commit') or '-')[:12]}"
        + (" (dirty)" if git.get("dirty") else ""),
        f"folder     {run.get('run_dir')}",
    ]
    if run.get("overrides"):
        lines.append(f"overrides  {' '.join(run['overrides'])}")
    if run.get("datasets"):
        lines += ["", "data"]
        lines += [f"  {d['role']:<7} {d['hash'][:16]}  {d['n_rows']} rows x {d['n_cols']} cols"
                  for d in run["datasets"]]
    if run.get("model"):
        m = run["model"]
        lines += ["", f"model      {m['path']}", f"           sha256 {m['hash']}  "
                  f"{m.get('format')}  {m.get('size_bytes')} bytes"]
    overall = [m for m in run.get("metrics", []) if not m["slice"]]
    if overall:
        splits = list(dict.fromkeys(m["split"] for m in overall))
        names = list(dict.fromkeys(m["name"] for m in overall))
        values = {(m["split"], m["name"]): m["value"] for m in overall}
        lines += ["", table(["metric", *splits],
                            [[n, *(fmt_value(values.get((s, n))) for s in splits)] for n in names])]
    lines += _slice_lines(run.get("metrics", []))
    if run.get("warnings"):
        lines += ["", f"warnings ({len(run['warnings'])})"]
        lines += [f"  {w['message']}" for w in run["warnings"]]
    return "\n".join(lines)


def _slice_lines(metrics: list[dict[str, Any]]) -> list[str]:
    """A table of the slice metrics: one row per split and slice, its rows, then each metric."""
    sliced = [m for m in metrics if m["slice"]]
    if not sliced:
        return []
    keys = list(dict.fromkeys((m["split"], m["slice"]) for m in sliced))
    names = list(dict.fromkeys(m["name"] for m in sliced if m["name"] != SLICE_ROWS))
    values = {(m["split"], m["slice"], m["name"]): m["value"] for m in sliced}
    order = {"train": 0, "valid": 1, "test": 2}
    keys.sort(key=lambda k: (order.get(k[0], 3), k[0]))
    rows = [[split, label, _count(values.get((split, label, SLICE_ROWS))),
             *(fmt_value(values.get((split, label, n))) for n in names)] for split, label in keys]
    return ["", "slices", table(["split", "slice", "rows", *names], rows)]


def _count(value: Any) -> str:
    return "" if value is None or value != value else str(int(value))
