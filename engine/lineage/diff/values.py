"""Differences of plain values: keyed trees (config, packages), fields, override lists."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


# -- keyed values: config, packages -------------------------------------------------------
def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as ``{"dotted.key": leaf}``; lists and empty dicts are leaves."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def diff_keyed(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Keys added in ``b``, removed from ``a``, and changed (both values), sorted by key.

    An empty dict that only turned into (or came from) keys below it is not reported
    itself: ``transforms: {}`` -> ``transforms.log.kind: log`` is one added key.
    """
    added = {k: b[k] for k in sorted(b.keys() - a.keys()) if not _grew(k, b[k], a)}
    removed = {k: a[k] for k in sorted(a.keys() - b.keys()) if not _grew(k, a[k], b)}
    changed = {k: {"a": a[k], "b": b[k]} for k in sorted(a.keys() & b.keys())
               if not same_value(a[k], b[k])}
    return {"added": added, "removed": removed, "changed": changed}


def _grew(key: str, value: Any, other: Mapping[str, Any]) -> bool:
    prefix = key + "."
    return value == {} and any(k.startswith(prefix) for k in other)


def same_value(x: Any, y: Any) -> bool:
    """Equality where NaN equals NaN and 1 differs from True (YAML types matter)."""
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return type(x) is type(y) and x == y if isinstance(x, bool) or isinstance(y, bool) else x == y


def diff_fields(a: Mapping[str, Any], b: Mapping[str, Any], fields: Iterable[str]
                ) -> dict[str, dict[str, Any]]:
    """``{field: {"a", "b"}}`` for the named fields whose values differ."""
    return {f: {"a": a.get(f), "b": b.get(f)} for f in fields
            if not same_value(a.get(f), b.get(f))}


def diff_overrides(a: Sequence[str], b: Sequence[str]) -> dict[str, Any]:
    """{} when the command-line overrides are the same; else both lists, and which were
    added or removed (both empty when only their order changed)."""
    if list(a) == list(b):
        return {}
    return {"a": list(a), "b": list(b), "added": [o for o in b if o not in a],
            "removed": [o for o in a if o not in b]}
