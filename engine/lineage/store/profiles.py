"""Column profiles of a run: the training data's and the model output's distributions.

A profile is an opaque JSON object to the store (``ColumnProfile.to_dict()`` from
``driftline.engine.drift.profile``); the store only reads its ``name``, ``dtype`` and ``kind`` into
columns of their own so that people can query them.  Profiles come back in the order they
were recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from driftline.engine.errors import StoreError
from driftline.engine.lineage.store.backend import Query
from driftline.engine.lineage.store.rows import from_json, to_json

if TYPE_CHECKING:
    from driftline.engine.lineage.store.backend import WriteConn

#: What a set of profiles describes: a split of the development data (its features and
#: target), all of it, or the model's predictions on the held-out split.
PROFILE_ROLES = ("train", "valid", "test", "all", "output")
#: Kinds of profile.
PROFILE_KINDS = ("numeric", "categorical")
#: Keys every profile dict must have.
REQUIRED_KEYS = ("name", "dtype", "kind")


def profile_rows(run_id: str, role: str, profiles: Sequence[dict[str, Any]]) -> list[dict]:
    """Rows of ``column_profiles`` for these profile dicts; ValueError for malformed input."""
    if role not in PROFILE_ROLES:
        raise ValueError(f"profile role must be one of {PROFILE_ROLES}, got {role!r}")
    rows, seen = [], set()
    for position, profile in enumerate(profiles):
        missing = [key for key in REQUIRED_KEYS if key not in profile]
        if missing:
            raise ValueError(f"profile #{position} lacks keys {missing} (needs {REQUIRED_KEYS})")
        name, kind = str(profile["name"]), profile["kind"]
        if kind not in PROFILE_KINDS:
            raise ValueError(f"profile of {name!r}: kind must be one of {PROFILE_KINDS}, "
                             f"got {kind!r}")
        if name in seen:
            raise ValueError(f"column {name!r} profiled twice for run {run_id} ({role})")
        seen.add(name)
        rows.append({
            "run_id": run_id, "role": role, "column_name": name, "position": position,
            "dtype": str(profile["dtype"]), "kind": kind, "profile_json": to_json(profile),
        })
    return rows


def write(conn: WriteConn, run_id: str, role: str, rows: list[dict], action: str) -> None:
    """Insert the rows, unless profiles of this role were already recorded for the run."""
    done = "SELECT run_id FROM column_profiles WHERE run_id = :run_id AND role = :role LIMIT 1"
    if conn.first(done, {"run_id": run_id, "role": role}) is not None:
        raise StoreError(f"cannot {action}: the run already has {role} profiles")
    conn.insert("column_profiles", rows)


def read(query: Query, run_id: str, role: str) -> dict[str, dict[str, Any]]:
    """Profiles of ``run_id`` in ``role`` by column name, in recorded order ({} when none)."""
    rows = query(
        "SELECT column_name, profile_json FROM column_profiles "
        "WHERE run_id = :id AND role = :role ORDER BY position",
        {"id": run_id, "role": role},
    )
    return {column: from_json(text) for column, text in rows}


def has_profiles(query: Query, run_id: str) -> bool:
    """True when any profile was recorded for ``run_id``."""
    rows = query("SELECT 1 FROM column_profiles WHERE run_id = :id LIMIT 1", {"id": run_id})
    return bool(rows)
