"""Helpers shared by the store's writers: stored times, stored JSON, table lookup.

Cheap to import: no SQLAlchemy (writers get a :class:`driftline.engine.lineage.store.backend.WriteConn`).
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftline.engine.lineage.store.backend import WriteConn

#: How an infinite float is written in stored JSON: a valid JSON number too large for a
#: double, which Python's json, SQLite's json_extract and PostgreSQL's jsonb all accept.
JSON_INFINITY = "1e999"

# A JSON string (skipped untouched) or an Infinity token written by json.dumps.
_STRING_OR_INFINITY = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity', re.DOTALL)


def utc_now() -> str:
    """Now, as stored: UTC ISO-8601 of fixed width (text order is time order)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_json(obj: Any) -> str:
    """Strict JSON text: NaN becomes null, +-infinity +-1e999; numpy values and paths plain.

    ``json.loads`` reads 1e999 back as infinity, so infinities round-trip exactly (profile
    bin edges are -inf/+inf); NaN means "undefined" and reads back as None.
    """
    text = json.dumps(_plain(obj), ensure_ascii=False, allow_nan=True)
    if "Infinity" not in text:
        return text
    return _STRING_OR_INFINITY.sub(_finite_token, text)


def from_json(text: str | None, empty: Any = None) -> Any:
    """Stored JSON text as Python data (``empty`` for NULL)."""
    return empty if text is None else json.loads(text)


def db_float(value: Any) -> float | None:
    """A float for a REAL column: None and NaN become NULL (infinities are kept)."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def run_status(conn: WriteConn, run_id: str) -> str | None:
    """The stored status of run ``run_id``; None when there is no such run."""
    row = conn.first("SELECT status FROM runs WHERE id = :id", {"id": run_id})
    return None if row is None else row[0]


def _finite_token(match: re.Match[str]) -> str:
    token = match[0]
    if token.startswith('"'):
        return token
    return "-" + JSON_INFINITY if token.startswith("-") else JSON_INFINITY


def _plain(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if math.isnan(obj) else obj
    if obj is None or isinstance(obj, (str, int, bool)):
        return obj
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy scalar or array
        return _plain(obj.tolist())
    raise TypeError(f"cannot store a {type(obj).__name__} in the lineage store (not JSON data)")


def metric_row(run_id: str, row: tuple[str, str, str, float]) -> dict[str, Any]:
    """A ``metrics`` row from ``(split, slice, name, value)``; NaN is stored as NULL."""
    split, slice_, name, value = row
    number = float(value)
    return {
        "run_id": run_id, "split": str(split), "slice": str(slice_), "name": str(name),
        "value": None if math.isnan(number) else number,
    }
