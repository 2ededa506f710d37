"""Differences of two runs' models: file fields (hash, size, trees) and feature importance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftline.engine.lineage.diff.values import diff_fields


#: Model fields compared (n_trees and best_iteration come from the model's summary).
MODEL_FIELDS = ("hash", "format", "size_bytes", "n_trees", "best_iteration")


# -- model ---------------------------------------------------------------------------------
def diff_model(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> dict[str, Any]:
    """{} when both runs have the same model file (or neither has one).

    Otherwise the fields that differ among ``hash``, ``format``, ``size_bytes``,
    ``n_trees`` and ``best_iteration`` (``{"a", "b"}``; None for a run without a model);
    ``features_added`` / ``features_removed``; and ``importance``: features whose gain
    changed, ``{feature, a, b, delta, share_a, share_b}`` (share of the model's total
    gain), largest share change first.
    """
    if a is None and b is None:
        return {}
    if a is not None and b is not None and a.get("hash") == b.get("hash"):
        return {}
    out: dict[str, Any] = diff_fields(_model_fields(a), _model_fields(b), MODEL_FIELDS)
    if a is None or b is None:
        return out
    names_a, names_b = a.get("feature_names") or [], b.get("feature_names") or []
    added = [f for f in names_b if f not in names_a]
    removed = [f for f in names_a if f not in names_b]
    if added:
        out["features_added"] = added
    if removed:
        out["features_removed"] = removed
    importance = diff_importance(_importance(a), _importance(b))
    if importance:
        out["importance"] = importance
    return out


def _model_fields(model: Mapping[str, Any] | None) -> dict[str, Any]:
    model = model or {}
    summary = model.get("summary") or {}
    return {"hash": model.get("hash"), "format": model.get("format"),
            "size_bytes": model.get("size_bytes"), "n_trees": summary.get("n_trees"),
            "best_iteration": summary.get("best_iteration")}


def _importance(model: Mapping[str, Any]) -> dict[str, float]:
    return dict((model.get("summary") or {}).get("feature_importance") or {})


def diff_importance(a: Mapping[str, float], b: Mapping[str, float]) -> list[dict[str, Any]]:
    """Features whose importance changed, largest change of share of total first."""
    total_a, total_b = sum(a.values()), sum(b.values())
    rows = []
    for name in [*a, *(f for f in b if f not in a)]:
        va, vb = a.get(name, 0.0), b.get(name, 0.0)
        if va == vb and (name in a) == (name in b):
            continue
        rows.append({"feature": name, "a": a.get(name), "b": b.get(name), "delta": vb - va,
                     "share_a": va / total_a if total_a else None,
                     "share_b": vb / total_b if total_b else None})
    rows.sort(key=lambda r: -abs((r["share_b"] or 0.0) - (r["share_a"] or 0.0)))
    return rows
