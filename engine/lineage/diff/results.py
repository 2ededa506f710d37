"""Differences of two runs' results: metrics (overall, by split and slice) and model checks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from driftline.engine.lineage.diff.values import same_value


#: Splits whose metrics are reported first (held-out data before training data).
SPLIT_ORDER = ("test", "valid", "train")
#: Keys of a recorded check result compared between runs (others are ids and times).
CHECK_FIELDS = ("status", "passed", "value", "threshold", "message")


# -- metrics -------------------------------------------------------------------------------
def diff_metrics(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]
                 ) -> dict[str, Any]:
    """Metric values that differ (NaN equals NaN).

    ``overall``: ``{split: {name: CHANGE}}`` on whole splits, CHANGE = ``{a, b, delta,
    rel_delta}`` (delta = b - a; rel_delta = delta / |a|, None when a is 0 or NaN);
    ``slices``: ``{split: {slice: {name: CHANGE}}}`` the same per slice; ``added`` /
    ``removed``: metrics of one run only, as ``"split/name"`` or ``"split/name[slice]"``.
    """
    va = {(m["split"], m["slice"], m["name"]): m["value"] for m in a}
    vb = {(m["split"], m["slice"], m["name"]): m["value"] for m in b}
    overall: dict[str, dict[str, Any]] = {}
    slices: dict[str, dict[str, dict[str, Any]]] = {}
    for key in [k for k in vb if k in va]:
        if same_value(_num(va[key]), _num(vb[key])):
            continue
        split, slice_, name = key
        change = metric_change(va[key], vb[key])
        if slice_ == "":
            overall.setdefault(split, {})[name] = change
        else:
            slices.setdefault(split, {}).setdefault(slice_, {})[name] = change
    overall = {split: overall[split] for split in _split_order(overall)}
    slices = {split: slices[split] for split in _split_order(slices)}
    return {"overall": overall, "added": [_metric_label(k) for k in vb if k not in va],
            "removed": [_metric_label(k) for k in va if k not in vb], "slices": slices}


def _split_order(by_split: Mapping[str, Any]) -> list[str]:
    first = [s for s in SPLIT_ORDER if s in by_split]
    return first + [s for s in by_split if s not in first]


def metric_change(a: float | None, b: float | None) -> dict[str, float | None]:
    """Both values, delta and relative delta (None where undefined)."""
    x, y = _num(a), _num(b)
    delta = y - x if math.isfinite(x) and math.isfinite(y) else None
    rel = delta / abs(x) if delta is not None and x != 0 else None
    return {"a": a, "b": b, "delta": delta, "rel_delta": rel}


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def _metric_label(key: tuple[str, str, str]) -> str:
    split, slice_, name = key
    return f"{split}/{name}" + (f"[{slice_}]" if slice_ else "")


# -- checks --------------------------------------------------------------------------------
def diff_checks(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any] | None:
    """None when neither run carries ``checks``; else checks (by ``name``) added, removed
    and changed, each compared on CHECK_FIELDS."""
    if "checks" not in a and "checks" not in b:
        return None
    ca, cb = _checks(a.get("checks") or []), _checks(b.get("checks") or [])
    return {
        "added": {n: cb[n] for n in cb if n not in ca},
        "removed": {n: ca[n] for n in ca if n not in cb},
        "changed": {n: {"a": ca[n], "b": cb[n]} for n in cb if n in ca and ca[n] != cb[n]},
    }


def _checks(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for position, item in enumerate(items):
        name = str(item.get("name") or item.get("check") or f"#{position}")
        out[name] = {k: item[k] for k in CHECK_FIELDS if k in item}
    return out
