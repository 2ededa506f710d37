"""Drift checks and their per-column results, as stored and as read back.

A check is given and returned as a plain dict (``CHECK_KEYS``), its results as a list of
dicts (``RESULT_KEYS``), in the order given.  Unknown keys are refused, so a misspelt field
is never dropped silently.  Floats: NaN is stored as NULL and read back as None (not
computed), infinities are kept.  Check ids are 32 hex characters (a new uuid4 when not
given) and can be referred to by a unique prefix of at least ``MIN_PREFIX`` characters.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from driftline.engine.errors import StoreError, format_options
from driftline.engine.lineage.store.backend import Query
from driftline.engine.lineage.store.rows import db_float, from_json, run_status, to_json

if TYPE_CHECKING:
    from driftline.engine.lineage.store.backend import WriteConn

#: Keys of a check dict: required ones, then optional ones (with their default).
CHECK_REQUIRED = ("baseline_run_id", "batch_hash", "n_rows", "drifted", "share", "settings")
CHECK_OPTIONAL = {"id": None, "created_at": None, "batch_source": {}, "output": None,
                  "report": None}
#: Keys of a result dict: required ones, then optional ones (default None; details {}).
RESULT_REQUIRED = ("column", "type", "test", "drifted")
RESULT_FLOATS = ("statistic", "p_value", "p_adjusted", "effect_size", "threshold")
RESULT_TEXTS = ("effect_measure", "definition")
RESULT_OPTIONAL = (*RESULT_FLOATS, *RESULT_TEXTS, "details")
#: Shortest check id prefix accepted.
MIN_PREFIX = 4

_CHECK_ID = re.compile(r"[0-9a-f]{32}")
_HEX = re.compile(r"[0-9a-f]+")
_CHECK_COLUMNS = (
    "id, baseline_run_id, batch_hash, batch_source_json, n_rows, created_at, drifted, share, "
    "settings_json, output_json, report_json"
)
_RESULT_COLUMNS = (
    "column_name, type, test, statistic, p_value, p_adjusted, effect_size, effect_measure, "
    "threshold, drifted, definition, details_json"
)


# -- writing ----------------------------------------------------------------------------
def check_row(check: dict[str, Any], now: str) -> dict[str, Any]:
    """The ``drift_checks`` row for a check dict; ValueError for malformed input."""
    _check_keys("drift check", check, CHECK_REQUIRED, CHECK_OPTIONAL)
    given = {**CHECK_OPTIONAL, **check}
    check_id = given["id"] or uuid.uuid4().hex
    if _CHECK_ID.fullmatch(check_id) is None:
        raise ValueError(f"drift check id must be 32 lower-case hex characters, got {check_id!r}")
    return {
        "id": check_id, "baseline_run_id": str(given["baseline_run_id"]),
        "batch_hash": str(given["batch_hash"]), "batch_source_json": to_json(given["batch_source"]),
        "n_rows": int(given["n_rows"]), "created_at": given["created_at"] or now,
        "drifted": bool(given["drifted"]), "share": float(given["share"]),
        "settings_json": to_json(given["settings"]),
        "output_json": None if given["output"] is None else to_json(given["output"]),
        "report_json": None if given["report"] is None else to_json(given["report"]),
    }


def result_rows(check_id: str, results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``drift_results`` rows for result dicts; ValueError for malformed input."""
    rows, seen = [], set()
    for position, result in enumerate(results):
        _check_keys(f"drift result #{position}", result, RESULT_REQUIRED, RESULT_OPTIONAL)
        column = str(result["column"])
        if column in seen:
            raise ValueError(f"drift result for column {column!r} given twice")
        seen.add(column)
        row = {
            "check_id": check_id, "column_name": column, "position": position,
            "type": str(result["type"]), "test": str(result["test"]),
            "drifted": bool(result["drifted"]),
            "details_json": to_json(result.get("details") or {}),
        }
        row.update({key: db_float(result.get(key)) for key in RESULT_FLOATS})
        row.update({key: result.get(key) for key in RESULT_TEXTS})
        rows.append(row)
    return rows


def write(conn: WriteConn, check: dict[str, Any], results: list[dict], action: str) -> None:
    """Insert a check and its results; the baseline run must exist and the id be new."""
    if run_status(conn, check["baseline_run_id"]) is None:
        raise StoreError(f"cannot {action}: no baseline run {check['baseline_run_id']}")
    if conn.first("SELECT id FROM drift_checks WHERE id = :id", {"id": check["id"]}) is not None:
        raise StoreError(f"cannot {action}: a drift check with this id already exists")
    conn.insert("drift_checks", check)
    conn.insert("drift_results", list(results))


def _check_keys(what: str, given: dict[str, Any], required: Sequence[str],
                optional: Sequence[str] | dict[str, Any]) -> None:
    missing = [key for key in required if key not in given]
    unknown = sorted(set(given) - set(required) - set(optional))
    if missing or unknown:
        raise ValueError(
            f"{what}: missing keys {missing}, unknown keys {unknown}; "
            f"valid: {[*required, *optional]}"
        )


# -- reading ----------------------------------------------------------------------------
def resolve(query: Query, ref: str) -> str:
    """The id of the one drift check ``ref`` (a full id or unique prefix) names."""
    text = ref.strip().lower()
    if _HEX.fullmatch(text) is None or len(text) < MIN_PREFIX:
        raise StoreError(
            f"no drift check matches '{ref}': give its id or a prefix of at least "
            f"{MIN_PREFIX} hex characters"
        )
    rows = query(
        "SELECT id FROM drift_checks WHERE id LIKE :prefix ORDER BY created_at DESC, id DESC",
        {"prefix": text + "%"},
    )
    ids = [check_id for (check_id,) in rows]
    if len(ids) == 1:
        return ids[0]
    if not ids:
        (count,) = query("SELECT COUNT(*) FROM drift_checks", {})[0]
        raise StoreError(f"no drift check matches '{ref}' (the store has {count})")
    raise StoreError(
        f"drift check reference '{ref}' is ambiguous: it matches {len(ids)} checks: "
        f"{format_options(ids)}. Give more characters of the id."
    )


def get(query: Query, check_id: str) -> dict[str, Any]:
    """One (existing) check with its results in recorded order."""
    rows = query(f"SELECT {_CHECK_COLUMNS} FROM drift_checks WHERE id = :id", {"id": check_id})
    check = _check(rows[0])
    results = query(
        f"SELECT {_RESULT_COLUMNS} FROM drift_results WHERE check_id = :id ORDER BY position",
        {"id": check_id},
    )
    check["results"] = [_result(row) for row in results]
    return check


def listing(query: Query, baseline_run_id: str | None, limit: int | None) -> list[dict]:
    """Checks newest first, without results but with n_columns and n_drifted."""
    where, params = "", {}
    if baseline_run_id is not None:
        where, params["baseline"] = "WHERE c.baseline_run_id = :baseline", baseline_run_id
    limit_sql = ""
    if limit is not None:
        limit_sql, params["limit"] = "LIMIT :limit", max(int(limit), 0)
    columns = ", ".join(f"c.{name.strip()}" for name in _CHECK_COLUMNS.split(","))
    sql = f"""
SELECT {columns},
       (SELECT COUNT(*) FROM drift_results r WHERE r.check_id = c.id),
       (SELECT COUNT(*) FROM drift_results r WHERE r.check_id = c.id AND r.drifted)
FROM drift_checks c {where} ORDER BY c.created_at DESC, c.id DESC {limit_sql}"""
    found = []
    for row in query(sql, params):
        check = _check(row[:-2])
        check["n_columns"], check["n_drifted"] = int(row[-2]), int(row[-1])
        found.append(check)
    return found


def _check(row: tuple[Any, ...]) -> dict[str, Any]:
    (check_id, baseline, batch_hash, source, n_rows, created, drifted, share, settings,
     output, report) = row
    return {
        "id": check_id, "baseline_run_id": baseline, "batch_hash": batch_hash,
        "batch_source": from_json(source), "n_rows": n_rows, "created_at": created,
        "drifted": bool(drifted), "share": share, "settings": from_json(settings),
        "output": from_json(output), "report": from_json(report),
    }


def _result(row: tuple[Any, ...]) -> dict[str, Any]:
    (column, type_, test, statistic, p_value, p_adjusted, effect_size, measure, threshold,
     drifted, definition, details) = row
    return {
        "column": column, "type": type_, "test": test, "statistic": statistic,
        "p_value": p_value, "p_adjusted": p_adjusted, "effect_size": effect_size,
        "effect_measure": measure, "threshold": threshold, "drifted": bool(drifted),
        "definition": definition, "details": from_json(details, {}),
    }
