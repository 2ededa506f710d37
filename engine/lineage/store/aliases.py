"""Aliases: names such as ``production`` that point at one succeeded run, with their history.

An alias is moved by promoting another run to it; every change (and a deletion) appends a
row to ``alias_history``, so "what was production last Tuesday" has an answer.  Alias names
never collide with the other RUN references: they start with a letter, are not ``latest``
and are not 4-32 hex digits (which would read as a run id prefix).

Write functions take the store's write transaction (a ``backend.WriteConn``, either
backend); read functions take a ``Query`` (either backend).  Cheap to import.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from driftline.engine.errors import StoreError, did_you_mean
from driftline.engine.lineage.store.backend import Query
from driftline.engine.lineage.store.rows import run_status

if TYPE_CHECKING:
    from driftline.engine.lineage.store.backend import WriteConn

#: What an alias name looks like: a letter, then up to 63 letters, digits, '_', '.', '-'.
ALIAS_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")
#: Names that already mean something as a RUN reference.
RESERVED_NAMES = ("latest",)
#: Only runs with this status can be promoted.
PROMOTABLE_STATUS = "succeeded"

_ID_LIKE = re.compile(r"[0-9a-f]{4,32}", re.IGNORECASE)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an alias, or None when it can."""
    if ALIAS_NAME.fullmatch(name) is None:
        return (
            "use a letter, then up to 63 letters, digits, '_', '.' or '-' (e.g. production)"
        )
    if name.lower() in RESERVED_NAMES:
        return f"'{name.lower()}' is reserved (it names the most recent run)"
    if _ID_LIKE.fullmatch(name) is not None:
        return "4-32 hex digits read as a run id prefix; use a name that is not all hex digits"
    return None


def check_name(name: str) -> None:
    """Raise StoreError when ``name`` cannot be an alias."""
    problem = name_problem(name)
    if problem is not None:
        raise StoreError(f"invalid alias name '{name}': {problem}")


# -- writing ----------------------------------------------------------------------------
def promote(conn: WriteConn, name: str, run_id: str, now: str) -> dict[str, Any]:
    """Point alias ``name`` at ``run_id`` (a succeeded run) and record the change."""
    status = run_status(conn, run_id)
    if status is None:
        raise StoreError(f"cannot promote run {run_id} to alias '{name}': no such run")
    if status != PROMOTABLE_STATUS:
        raise StoreError(
            f"run {run_id} is {status}; only succeeded runs can be promoted (alias '{name}' "
            "unchanged). List them with: driftline runs --status succeeded"
        )
    current = conn.first("SELECT run_id, updated_at FROM aliases WHERE name = :name",
                         {"name": name})
    if current is not None and current[0] == run_id:
        return _promoted(name, run_id, run_id, current[1], changed=False)
    values = {"name": name, "run_id": run_id, "updated_at": now}
    if current is None:
        conn.insert("aliases", values)
    else:
        conn.execute("UPDATE aliases SET run_id = :run_id, updated_at = :updated_at "
                     "WHERE name = :name", values)
    previous = None if current is None else current[0]
    _record_change(conn, name, run_id, previous, now)
    return _promoted(name, run_id, previous, now, changed=True)


def delete(conn: WriteConn, name: str, now: str) -> dict[str, Any]:
    """Remove alias ``name`` (recorded in its history); StoreError when there is none."""
    row = conn.first("SELECT run_id FROM aliases WHERE name = :name", {"name": name})
    if row is None:
        names = [n for (n,) in conn.fetch("SELECT name FROM aliases")]
        raise StoreError(f"cannot delete alias '{name}': no such alias.{_known(name, names)}")
    run_id = row[0]
    conn.execute("DELETE FROM aliases WHERE name = :name", {"name": name})
    _record_change(conn, name, None, run_id, now)
    return {"name": name, "run_id": run_id, "deleted_at": now}


def _record_change(
    conn: WriteConn, name: str, run_id: str | None, previous: str | None, now: str
) -> None:
    row = {"name": name, "run_id": run_id, "previous_run_id": previous, "at": now}
    conn.insert("alias_history", row)


def _promoted(
    name: str, run_id: str, previous: str | None, at: str, *, changed: bool
) -> dict[str, Any]:
    return {
        "name": name, "run_id": run_id, "previous_run_id": previous, "updated_at": at,
        "changed": changed,
    }


def _known(name: str, names: list[str]) -> str:
    if not names:
        return " The store has no aliases; create one with: driftline promote RUN ALIAS"
    return did_you_mean(name, names)


# -- reading ----------------------------------------------------------------------------
_ALIASES_SQL = """
SELECT a.name, a.run_id, a.updated_at, r.status
FROM aliases a LEFT JOIN runs r ON r.id = a.run_id
ORDER BY a.name"""
_HISTORY_SQL = """
SELECT h.name, h.run_id, h.previous_run_id, h.at
FROM alias_history h JOIN aliases a ON a.name = h.name
ORDER BY h.name, h.id DESC"""


def list_aliases(query: Query) -> list[dict[str, Any]]:
    """Every alias by name: its run (and that run's status, None when gone) and its history."""
    history: dict[str, list[dict[str, Any]]] = {}
    for name, run_id, previous, at in query(_HISTORY_SQL, {}):
        history.setdefault(name, []).append(
            {"run_id": run_id, "previous_run_id": previous, "at": at}
        )
    return [
        {
            "name": name, "run_id": run_id, "updated_at": updated, "run_status": status,
            "history": history.get(name, []),
        }
        for name, run_id, updated, status in query(_ALIASES_SQL, {})
    ]


def aliases_by_run(query: Query, run_id: str | None = None) -> dict[str, list[str]]:
    """Alias names per run id, sorted (only ``run_id``'s when given)."""
    sql = "SELECT run_id, name FROM aliases"
    params: dict[str, Any] = {}
    if run_id is not None:
        sql, params = sql + " WHERE run_id = :id", {"id": run_id}
    found: dict[str, list[str]] = {}
    for rid, name in query(sql + " ORDER BY name", params):
        found.setdefault(rid, []).append(name)
    return found


def lookup(query: Query, name: str) -> tuple[str, bool] | None:
    """(run id, whether that run exists) for alias ``name``; None when there is no such alias."""
    rows = query(
        "SELECT a.run_id, r.id FROM aliases a LEFT JOIN runs r ON r.id = a.run_id "
        "WHERE a.name = :name",
        {"name": name},
    )
    if not rows:
        return None
    run_id, found = rows[0]
    return run_id, found is not None


def names(query: Query) -> list[str]:
    """All alias names, sorted."""
    return [name for (name,) in query("SELECT name FROM aliases ORDER BY name", {})]
