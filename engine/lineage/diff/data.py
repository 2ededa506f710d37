"""Differences of the datasets two runs read: hashes, row counts, columns, by role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from driftline.engine.lineage.diff.values import diff_fields


#: Dataset roles, in the order they are reported (as the store lists them).
DATA_ROLES = ("source", "train", "valid", "test", "batch")


# -- data ----------------------------------------------------------------------------------
def diff_data(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]
              ) -> dict[str, dict[str, Any]]:
    """Per dataset role of either run: ``{"status": "same", "hash"}``, ``{"status":
    "added" | "removed", "hash", "rows"}``, or ``{"status": "changed", "hash": {"a", "b"},
    ...}`` with (when they differ) ``rows``, ``hash_scheme`` and the schema and column
    changes of :func:`diff_columns`."""
    by_a = {d["role"]: d for d in a}
    by_b = {d["role"]: d for d in b}
    roles = [r for r in DATA_ROLES if r in by_a or r in by_b]
    roles += sorted((by_a.keys() | by_b.keys()) - set(roles))
    return {role: _diff_dataset(by_a.get(role), by_b.get(role)) for role in roles}


def _diff_dataset(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> dict[str, Any]:
    if a is None or b is None:
        there = a if b is None else b
        return {"status": "removed" if b is None else "added", "hash": there["hash"],
                "rows": there.get("n_rows")}
    if a["hash"] == b["hash"] and a.get("hash_scheme") == b.get("hash_scheme"):
        return {"status": "same", "hash": a["hash"]}
    out: dict[str, Any] = {"status": "changed", "hash": {"a": a["hash"], "b": b["hash"]}}
    out.update(diff_fields(a, b, ("hash_scheme",)))
    if a.get("n_rows") != b.get("n_rows"):
        out["rows"] = {"a": a.get("n_rows"), "b": b.get("n_rows")}
    comparable = a.get("hash_scheme") == b.get("hash_scheme")
    out.update(diff_columns(a.get("columns") or [], b.get("columns") or [], comparable))
    return out


def diff_columns(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]],
                 comparable: bool = True) -> dict[str, Any]:
    """Column changes between two lists of ``{name, dtype, hash}``.

    ``columns_changed``: names in both whose hash differs (values, nulls or dtype;
    in run B's order); ``columns_added`` / ``columns_removed``; ``columns_renamed``
    ``{old: new}`` for a removed column whose hash an added column has (a column hash
    does not include the name); ``dtypes_changed`` ``{name: {"a", "b"}}``;
    ``column_order_changed``.  Keys are present only when non-empty / true.
    ``comparable`` False (different hash schemes): hashes are not compared.
    """
    ca, cb = {c["name"]: c for c in a}, {c["name"]: c for c in b}
    added = [n for n in cb if n not in ca]
    removed = [n for n in ca if n not in cb]
    renamed: dict[str, str] = {}
    if comparable:
        new_by_hash = {cb[n]["hash"]: n for n in added}
        for name in removed:
            new = new_by_hash.pop(ca[name]["hash"], None)
            if new is not None:
                renamed[name] = new
    both = [n for n in cb if n in ca]
    out: dict[str, Any] = {
        "columns_changed": [n for n in both
                            if comparable and ca[n].get("hash") != cb[n].get("hash")],
        "columns_added": [n for n in added if n not in renamed.values()],
        "columns_removed": [n for n in removed if n not in renamed],
        "columns_renamed": renamed,
        "dtypes_changed": {n: {"a": ca[n].get("dtype"), "b": cb[n].get("dtype")}
                           for n in both if ca[n].get("dtype") != cb[n].get("dtype")},
        "column_order_changed": [n for n in ca if n in cb] != both,
    }
    return {k: v for k, v in out.items() if v}


def role_hash(run: Mapping[str, Any], role: str) -> str | None:
    for dataset in run.get("datasets") or ():
        if dataset["role"] == role:
            return dataset["hash"]
    return None
