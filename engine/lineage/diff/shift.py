"""Training-data shift between two runs, estimated from their recorded column profiles.

It compares two *profiles* (``driftline.engine.drift.profile``), not raw data, so its
numbers are estimates from what profiles keep (see ``SHIFT_DEFINITIONS``).  Their formulas
are the drift statistics' (``driftline.engine.drift.stats``: PSI with the same empty-bin
floor, Jensen-Shannon distance in base 2), written here in plain Python because a few
hundred grid values do not justify importing numpy on this path.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from driftline.engine.lineage.diff.data import role_hash


#: Share used for an empty bin in PSI (the value of ``driftline.engine.drift.stats.PSI_FLOOR``).
PSI_FLOOR = 1e-4
#: Key under which a profile sums the categories beyond its cap (``driftline.engine.drift.profile``).
OTHER = "__other__"

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


def needs_profiles(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when the training-data shift needs the runs' profiles: two different runs
    whose training data are not known to be the same (same hash)."""
    if a["id"] == b["id"]:
        return False
    ha, hb = role_hash(a, "train"), role_hash(b, "train")
    return ha is None or ha != hb


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
    """Population stability index over aligned bin counts (as ``driftline.engine.drift.stats.psi``)."""
    r, c = _shares(ref), _shares(cur)
    total = 0.0
    for x, y in zip(r, c):
        x, y = (x if x > 0 else floor), (y if y > 0 else floor)
        total += (y - x) * math.log(y / x)
    return total


def jensen_shannon(ref: Sequence[float], cur: Sequence[float]) -> float:
    """Jensen-Shannon distance, base 2 (as ``driftline.engine.drift.stats.jensen_shannon``)."""
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
