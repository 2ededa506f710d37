"""The read side of the lineage store: portable SQL, and stored rows turned into plain dicts.

Each function takes a ``Query`` (one read transaction, from either backend) and issues a
fixed number of statements, never one per run.  Listing and finding runs is in ``search``.
"""

from __future__ import annotations

import math
from typing import Any

from driftline.engine.lineage.store import aliases, profiles, run_warnings
from driftline.engine.lineage.store.backend import Query
from driftline.engine.lineage.store.rows import from_json

#: Roles a dataset plays in a run, in the order a run's datasets are listed.
DATASET_ROLES = ("source", "train", "valid", "test", "batch")
#: Error recorded for a run whose process ended without finishing it.
INTERRUPTED_ERROR = "process ended without finishing (killed or crashed)"

_RUN_COLUMNS = (
    "id, experiment, status, started_at, ended_at, config_json, overrides_json, config_hash, "
    "git_commit, git_dirty, git_diff_hash, versions_json, host, pid, seed, task, target, "
    "run_dir, sweep_id, parent_run_id, error, summary_json"
)
_RUN_DATASETS_SQL = """
SELECT rd.role, d.hash, d.hash_scheme, d.n_rows, d.n_cols, d.columns_json, d.source_json
FROM run_datasets rd JOIN datasets d ON d.hash = rd.dataset_hash
WHERE rd.run_id = :id"""
_MODEL_SQL = (
    "SELECT sha256, path, format, size_bytes, feature_names_json, summary_json "
    "FROM models WHERE run_id = :id"
)
_METRICS_SQL = (
    "SELECT split, slice, name, value FROM metrics WHERE run_id = :id ORDER BY split, slice, name"
)


def running_runs(query: Query, run_id: str | None = None) -> list[tuple[str, str, int, str]]:
    """(id, host, pid, started_at) of runs recorded as running (only ``run_id`` if given)."""
    sql = "SELECT id, host, pid, started_at FROM runs WHERE status = 'running'"
    if run_id is None:
        return query(sql, {})
    return query(sql + " AND id = :id", {"id": run_id})


def run_details(query: Query, run_id: str) -> dict[str, Any]:
    """Everything recorded about one (existing) run."""
    rows = query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = :id", {"id": run_id})
    run = _run(rows[0])
    run["datasets"] = _datasets(query(_RUN_DATASETS_SQL, {"id": run_id}))
    run["model"] = _model(query(_MODEL_SQL, {"id": run_id}))
    run["metrics"] = [
        {"split": split, "slice": slice_, "name": name, "value": from_db_float(value)}
        for split, slice_, name, value in query(_METRICS_SQL, {"id": run_id})
    ]
    run["aliases"] = aliases.aliases_by_run(query, run_id).get(run_id, [])
    run["has_profiles"] = profiles.has_profiles(query, run_id)
    run["warnings"] = run_warnings.run_warnings(query, run_id)
    return run


def as_interrupted(run: dict[str, Any]) -> dict[str, Any]:
    """A run (listing or details) as reported once its process is known to be gone."""
    patched = {**run, "status": "interrupted"}
    if "error" in run:
        patched["error"] = INTERRUPTED_ERROR
    return patched


def from_db_float(value: float | None) -> float:
    """A stored metric value: NULL stands for NaN."""
    return math.nan if value is None else float(value)


def _run(row: tuple[Any, ...]) -> dict[str, Any]:
    (rid, exp, status, started, ended, config, overrides, config_hash, commit, dirty,
     diff_hash, versions, host, pid, seed, task, target, run_dir, sweep_id, parent,
     error, summary) = row
    dirty = None if dirty is None else bool(dirty)  # SQLite stores 0/1
    git = {"commit": commit, "dirty": dirty, "diff_hash": diff_hash}
    return {
        "id": rid, "experiment": exp, "status": status, "started_at": started,
        "ended_at": ended, "config": from_json(config), "overrides": from_json(overrides),
        "config_hash": config_hash, "git": git, "versions": from_json(versions),
        "host": host, "pid": pid, "seed": seed, "task": task, "target": target,
        "run_dir": run_dir, "sweep_id": sweep_id, "parent_run_id": parent, "error": error,
        "summary": from_json(summary, {}),
    }


def _datasets(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    found = [
        {
            "role": role, "hash": hash_, "hash_scheme": scheme, "n_rows": n_rows,
            "n_cols": n_cols, "columns": from_json(columns), "source": from_json(source),
        }
        for role, hash_, scheme, n_rows, n_cols, columns, source in rows
    ]
    order = {role: i for i, role in enumerate(DATASET_ROLES)}
    return sorted(found, key=lambda d: (order.get(d["role"], len(order)), d["role"]))


def _model(rows: list[tuple[Any, ...]]) -> dict[str, Any] | None:
    if not rows:
        return None
    sha, path, fmt, size, features, summary = rows[0]
    return {
        "hash": sha, "path": path, "format": fmt, "size_bytes": size,
        "feature_names": from_json(features), "summary": from_json(summary),
    }
