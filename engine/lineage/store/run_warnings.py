"""What a run noticed and went on with: the ``run_warnings`` rows, as written and as read back.

A warning is given and returned as a dict with ``code``, ``message`` and optionally
``column`` and ``stage``.  Warnings keep the order they were recorded in (``position``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from driftline.engine.lineage.store.backend import Query

#: Keys a warning dict may have.
WARNING_KEYS = ("code", "message", "column", "stage")

_NEXT_POSITION_SQL = "SELECT COALESCE(MAX(position) + 1, 0) FROM run_warnings WHERE run_id = :id"
_READ_SQL = ("SELECT stage, code, column_name, message FROM run_warnings WHERE run_id = :id "
             "ORDER BY position")


def warning_rows(run_id: str, first: int, warnings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows for ``warnings``, numbered from ``first``; ValueError for malformed input."""
    rows = []
    for i, warning in enumerate(warnings):
        unknown = sorted(set(warning) - set(WARNING_KEYS))
        if unknown or not warning.get("code") or not warning.get("message"):
            raise ValueError(f"a run warning needs code and message (and may have column, "
                             f"stage); got {sorted(warning)}")
        rows.append({"run_id": run_id, "position": first + i,
                     "stage": str(warning.get("stage") or ""), "code": str(warning["code"]),
                     "column_name": warning.get("column"), "message": str(warning["message"])})
    return rows


def next_position(conn: Any, run_id: str) -> int:
    return int(conn.first(_NEXT_POSITION_SQL, {"id": run_id})[0])


def run_warnings(query: Query, run_id: str) -> list[dict[str, Any]]:
    """The run's warnings in the order recorded."""
    return [{"stage": stage, "code": code, "column": column, "message": message}
            for stage, code, column, message in query(_READ_SQL, {"id": run_id})]
