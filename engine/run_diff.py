"""What changed between two recorded runs: the answer to "what changed?" at 3am.

:func:`diff_runs` takes two runs as :meth:`LineageStore.get_run` returns them (and, when
their training data differ, their ``train`` column profiles) and returns a JSON-able dict
that holds only differences, grouped by section (the shape is drawn in :func:`diff_runs`).
Pure functions over plain dicts: no store, no I/O, and no numpy, so ``driftline diff``
stays fast as a whole process.

A changed value is always ``{"a": before, "b": after}``.  Keyed collections (config keys,
packages) are ``{"added": {key: b}, "removed": {key: a}, "changed": {key: {"a", "b"}}}``.

Training-data shift compares two *profiles* (``engine.drift.profile``), not raw data, so
its numbers are estimates from what profiles keep (see ``SHIFT_DEFINITIONS``).  Their
formulas are the drift statistics' (``engine.drift.stats``: PSI with the same empty-bin
floor, Jensen-Shannon distance in base 2), written here in plain Python because a few
hundred grid values do not justify importing numpy on this path.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: Sections of a diff, in the order they are reported.
SECTIONS = ("config", "overrides", "code", "packages", "data", "shift", "model", "metrics",
            "checks")
#: Dataset roles, in the order they are reported (as the store lists them).
DATA_ROLES = ("source", "train", "valid", "test", "batch")
#: Splits whose metrics are reported first (held-out data before training data).
SPLIT_ORDER = ("test", "valid", "train")
#: Share used for an empty bin in PSI (the value of ``engine.drift.stats.PSI_FLOOR``).
PSI_FLOOR = 1e-4
#: Key under which a profile sums the categories beyond its cap (``engine.drift.profile``).
OTHER = "__other__"
#: Model fields compared (n_trees and best_iteration come from the model's summary).
MODEL_FIELDS = ("hash", "format", "size_bytes", "n_trees", "best_iteration")
#: Keys of a recorded check result compared between runs (others are ids and times).
CHECK_FIELDS = ("status", "passed", "value", "threshold", "message")

SHIFT_DEFINITIONS = {
    "psi": "population stability index sum((b - a) * ln(b / a)) over bin shares a (run A) "
           "and b (run B); numeric bins are run A's decile bins (right-closed), with run B's "
           "counts in them interpolated linearly between run B's quantile-grid points "
           "(exact at grid points); categorical bins are the categories of either run; an "
           "empty bin's share is 1e-4; natural log",
    "wasserstein": "Wasserstein-1 distance integral |F_a(x) - F_b(x)| dx between the two "
                   "runs' distributions, in the column's units; each CDF exact (recorded "
                   "counts) at its run's quantile-grid points and linear between them, "
                   "integrated exactly over the union of both grids",
    "wasserstein_norm": "wasserstein divided by run A's standard deviation (ddof=1)",
    "jensen_shannon": "Jensen-Shannon distance sqrt(JS divergence), log base 2 (0..1), "
                      "between the category shares of the two runs",
}


# -- the whole diff ------------------------------------------------------------------------
def diff_runs(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    profiles_a: Mapping[str, Mapping[str, Any]] | None = None,
    profiles_b: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything that differs from run ``a`` to run ``b``.

    ``profiles_a`` / ``profiles_b``: the runs' ``train`` profiles by column ({} when none
    were recorded); needed only when :func:`needs_profiles` says so.  Returns::

        {"a": RUN, "b": RUN,            # id, experiment, status, started_at, error
         "same_run": bool, "identical": bool,
         "changed": [section, ...],     # sections with differences, in SECTIONS order
         "config":   {"added", "removed", "changed"},           # dotted keys
         "overrides": {} | {"a", "b", "added", "removed"},
         "code":     {field: {"a", "b"}},                        # commit, dirty, diff_hash
         "packages": {"added", "removed", "changed"},            # dotted names
         "data":     {role: ROLE_DIFF},                          # see diff_data
         "shift":    {"status", "note", "columns", "added", "removed"[, "definitions"]},
         "model":    {} | MODEL_DIFF,                            # see diff_model
         "metrics":  {"overall", "added", "removed", "slices"},  # see diff_metrics
         "checks":   {"added", "removed", "changed"}}            # only when recorded
    """
    same = a["id"] == b["id"]
    if same:
        a = b  # nothing to compare: every section comes out empty
    sections: dict[str, Any] = {
        "config": diff_keyed(flatten(a.get("config") or {}), flatten(b.get("config") or {})),
        "overrides": diff_overrides(a.get("overrides") or [], b.get("overrides") or []),
        "code": diff_fields(a.get("git") or {}, b.get("git") or {},
                            ("commit", "dirty", "diff_hash")),
        "packages": diff_keyed(flatten(a.get("versions") or {}),
                               flatten(b.get("versions") or {})),
        "data": diff_data(a.get("datasets") or [], b.get("datasets") or []),
        "shift": diff_shift(a, b, profiles_a, profiles_b),
        "model": diff_model(a.get("model"), b.get("model")),
        "metrics": diff_metrics(a.get("metrics") or [], b.get("metrics") or []),
    }
    checks = diff_checks(a, b)
    if checks is not None:
        sections["checks"] = checks
    changed = [name for name, section in sections.items() if section_changed(name, section)]
    return {"a": run_summary(a), "b": run_summary(b), "same_run": same,
            "identical": not changed, "changed": changed, **sections}


def run_summary(run: Mapping[str, Any]) -> dict[str, Any]:
    """The few fields that name a run in a diff's header."""
    return {key: run.get(key) for key in ("id", "experiment", "status", "started_at", "error")}


def needs_profiles(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when the training-data shift needs the runs' profiles: two different runs
    whose training data are not known to be the same (same hash)."""
    if a["id"] == b["id"]:
        return False
    ha, hb = _role_hash(a, "train"), _role_hash(b, "train")
    return ha is None or ha != hb


def section_changed(name: str, section: Mapping[str, Any]) -> bool:
    """True when a section of a diff holds a difference."""
    if name == "data":
        return any(role["status"] != "same" for role in section.values())
    if name == "shift":
        return bool(section["columns"] or section["added"] or section["removed"])
    if name == "metrics":
        return bool(section["overall"] or section["added"] or section["removed"]
                    or section["slices"])
    return any(bool(v) for v in section.values())


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


def _role_hash(run: Mapping[str, Any], role: str) -> str | None:
    for dataset in run.get("datasets") or ():
        if dataset["role"] == role:
            return dataset["hash"]
    return None


# -- training-data shift -------------------------------------------------------------------
def diff_shift(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    profiles_a: Mapping[str, Mapping[str, Any]] | None,
    profiles_b: Mapping[str, Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """Distribution shift between the two runs' training profiles.

    ``status``: "same_data" (identical training data: no shift), "unavailable" (a run has
    no profiles; ``note`` says which) or "compared": ``columns`` maps each column whose
    profile differs to :func:`column_shift` (largest PSI first); ``added`` / ``removed``
    name columns profiled in one run only.
    """
    out: dict[str, Any] = {"status": "same_data", "note": None, "columns": {}, "added": [],
                           "removed": []}
    if not needs_profiles(a, b):
        out["note"] = "identical training data"
        return out
    missing = [run["id"] for run, prof in ((a, profiles_a), (b, profiles_b)) if not prof]
    if missing:
        out["status"] = "unavailable"
        out["note"] = "no training-data profiles recorded for run " + " and ".join(
            rid[:12] for rid in missing)
        return out
    assert profiles_a is not None and profiles_b is not None
    out["status"] = "compared"
    shifts = [(name, column_shift(profiles_a[name], profiles_b[name]))
              for name in profiles_b if name in profiles_a
              and not _same_profile(profiles_a[name], profiles_b[name])]
    shifts.sort(key=lambda item: -_magnitude(item[1]))
    out["columns"] = dict(shifts)
    out["added"] = [n for n in profiles_b if n not in profiles_a]
    out["removed"] = [n for n in profiles_a if n not in profiles_b]
    out["definitions"] = dict(SHIFT_DEFINITIONS)
    return out


def _same_profile(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    ignore = ("sample",)  # a seeded sample changes with the seed, not the distribution
    return {k: v for k, v in a.items() if k not in ignore} == {
        k: v for k, v in b.items() if k not in ignore}


def _magnitude(shift: Mapping[str, Any]) -> float:
    value = shift.get("psi")
    return value if isinstance(value, (int, float)) and math.isfinite(value) else -1.0


def column_shift(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """How one column's distribution moved from profile ``a`` to profile ``b``.

    Always ``kind``, ``rows`` and ``null_rate`` (``{"a", "b"}``); numeric: ``psi``,
    ``wasserstein``, ``wasserstein_norm``, ``mean`` and ``std``; categorical: ``psi``,
    ``jensen_shannon``, ``categories_added`` and ``categories_removed``; a column whose
    kind changed has ``kind_changed`` instead of statistics.  A statistic that cannot be
    computed (no values) is None.
    """
    out: dict[str, Any] = {
        "kind": b["kind"],
        "rows": {"a": a.get("count"), "b": b.get("count")},
        "null_rate": {"a": _null_rate(a), "b": _null_rate(b)},
    }
    if a["kind"] != b["kind"]:
        out["kind_changed"] = {"a": a["kind"], "b": b["kind"]}
    elif b["kind"] == "numeric":
        w = grid_wasserstein(a, b)
        std = a.get("std")
        out["psi"] = _numeric_psi(a, b)
        out["wasserstein"] = w
        out["wasserstein_norm"] = (w / std if w is not None and std else
                                   0.0 if w == 0.0 else None)
        out["mean"] = {"a": a.get("mean"), "b": b.get("mean")}
        out["std"] = {"a": std, "b": b.get("std")}
    else:
        cats_a, cats_b = a.get("categories") or {}, b.get("categories") or {}
        labels = list(cats_a) + [c for c in cats_b if c not in cats_a]
        ref = [cats_a.get(c, 0) for c in labels]
        cur = [cats_b.get(c, 0) for c in labels]
        out["psi"] = psi(ref, cur) if sum(ref) and sum(cur) else None
        out["jensen_shannon"] = jensen_shannon(ref, cur) if sum(ref) and sum(cur) else None
        out["categories_added"] = [c for c in cats_b if c not in cats_a and c != OTHER]
        out["categories_removed"] = [c for c in cats_a if c not in cats_b and c != OTHER]
    return out


def _null_rate(profile: Mapping[str, Any]) -> float | None:
    count = profile.get("count") or 0
    return profile.get("nulls", 0) / count if count else None


def _numeric_psi(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    """PSI on run A's decile bins; run B's counts in them from its quantile grid."""
    edges, ref = a.get("psi_edges") or [], a.get("psi_counts") or []
    n_b = (b.get("count") or 0) - (b.get("nulls") or 0)
    if len(edges) < 2 or not sum(ref) or n_b <= 0 or not b.get("quantiles"):
        return None
    grid = cdf_grid(b)
    cum = [0.0, *(cdf_at(grid, edge)[1] * n_b for edge in edges[1:-1]), float(n_b)]
    cur = [max(hi - lo, 0.0) for lo, hi in zip(cum, cum[1:])]
    return psi(ref, cur)


#: A profile's CDF at its distinct quantile values: (points, F(x-), F(x)) as fractions.
CdfGrid = tuple[list[float], list[float], list[float]]


def cdf_grid(profile: Mapping[str, Any]) -> CdfGrid:
    """The exact CDF of a numeric profile's non-null values at its distinct quantile
    values: the left limit ``F(x-)`` (``cdf_lt``) and ``F(x)`` (``cdf_le``)."""
    n = (profile.get("count") or 0) - (profile.get("nulls") or 0)
    points: list[float] = []
    left: list[float] = []
    right: list[float] = []
    if n <= 0:
        return points, left, right
    for x, lt, le in zip(profile.get("quantiles") or (), profile.get("cdf_lt") or (),
                         profile.get("cdf_le") or ()):
        if points and x == points[-1]:
            continue
        points.append(x)
        left.append(lt / n)
        right.append(le / n)
    return points, left, right


def cdf_at(grid: CdfGrid, x: float) -> tuple[float, float]:
    """``(F(x-), F(x))``: exact at grid points; between two of them, linear from F just
    right of the lower one to F just left of the upper one (no jump inside)."""
    points, left, right = grid
    if x < points[0]:
        return 0.0, 0.0
    if x > points[-1]:
        return 1.0, 1.0
    i = bisect_right(points, x) - 1  # points[i] <= x < points[i + 1]
    if points[i] == x:
        return left[i], right[i]
    frac = (x - points[i]) / (points[i + 1] - points[i])
    value = right[i] + (left[i + 1] - right[i]) * frac
    return value, value


def grid_wasserstein(a: Mapping[str, Any], b: Mapping[str, Any]) -> float | None:
    """Wasserstein-1 distance ``integral |F_a(x) - F_b(x)| dx`` between two numeric
    profiles, each CDF as :func:`cdf_at` gives it, integrated exactly over the union of
    their grid points (beyond both, the CDFs are equal).  None without values."""
    ga, gb = cdf_grid(a), cdf_grid(b)
    if not ga[0] or not gb[0]:
        return None
    total, previous = 0.0, None
    for x in sorted(set(ga[0]) | set(gb[0])):
        (la, ra), (lb, rb) = cdf_at(ga, x), cdf_at(gb, x)
        if previous is not None:
            x0, d0 = previous
            total += _abs_linear_integral(d0, la - lb, x - x0)
        previous = (x, ra - rb)
    return total


def _abs_linear_integral(d0: float, d1: float, width: float) -> float:
    """Integral of |d| over an interval of ``width`` where d goes linearly from d0 to d1."""
    if d0 * d1 >= 0:
        return width * (abs(d0) + abs(d1)) / 2.0
    return width * (d0 * d0 + d1 * d1) / (2.0 * (abs(d0) + abs(d1)))  # crosses zero


def psi(ref: Sequence[float], cur: Sequence[float], floor: float = PSI_FLOOR) -> float:
    """Population stability index over aligned bin counts (as ``engine.drift.stats.psi``)."""
    r, c = _shares(ref), _shares(cur)
    total = 0.0
    for x, y in zip(r, c):
        x, y = (x if x > 0 else floor), (y if y > 0 else floor)
        total += (y - x) * math.log(y / x)
    return total


def jensen_shannon(ref: Sequence[float], cur: Sequence[float]) -> float:
    """Jensen-Shannon distance, base 2 (as ``engine.drift.stats.jensen_shannon``)."""
    p, q = _shares(ref), _shares(cur)
    div = 0.0
    for x, y in zip(p, q):
        m = (x + y) / 2.0
        div += 0.5 * ((x * math.log2(x / m) if x > 0 else 0.0)
                      + (y * math.log2(y / m) if y > 0 else 0.0))
    return math.sqrt(max(div, 0.0))


def _shares(counts: Sequence[float]) -> list[float]:
    if len(counts) == 0:
        return []
    total = float(sum(counts))
    return [c / total for c in counts] if total > 0 else [0.0] * len(counts)


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
