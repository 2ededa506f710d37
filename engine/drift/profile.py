"""Column profiles: what a training run keeps of each column, and a batch seen against it.

A :class:`ColumnProfile` is the drift baseline of one column (JSON-able, stored in the
lineage store), so a drift check works after the training data is gone:

* every column: ``count`` (rows, nulls included), ``nulls``, and ``sample``: up to
  :data:`SAMPLE_SIZE` non-null values drawn at random (seeded, without replacement) for
  tests that need raw values;
* numeric (integer, float and decimal dtypes): ``mean``, ``std`` (ddof=1), ``min``,
  ``max``; ``quantiles`` at :data:`QUANTILE_LEVELS` (0, 0.005, ..., 1, plus 0.0001,
  0.0005, 0.001 ... 0.004 and their mirrors in the tails: 213 levels), linear
  interpolation between order statistics (numpy's default, Hyndman-Fan type 7) of a
  seeded random subset of :data:`GRID_ROWS` rows (all rows when there are fewer), with
  the exact min and max as the 0 and 1 quantiles; ``cdf_le`` / ``cdf_lt``: the *exact*
  number of non-null values ``<=`` / ``<`` each quantile value, counted over every row.
  The estimators in :mod:`engine.drift.stats` use only those exact counts, so the subset
  affects where the grid points sit, never the counts at them.  ``psi_edges`` (-inf, the
  distinct deciles, +inf) and ``psi_counts``: the histogram on the decile bins
  (right-closed: ``(e[i-1], e[i]]``);
* categorical (String, Categorical, Enum, Boolean; values as strings, booleans as
  "true"/"false"): ``categories``, counts of the :data:`MAX_CATEGORIES` most frequent
  values (ties by value), the rest summed under the key :data:`OTHER`.

NaN and +-infinity count as nulls (they have no place on a distribution).  Date, time,
duration, nested and binary columns are not profiled: a date column drifts by
construction (new batches are later), so it would only raise alarms.

A batch is *not* reduced to quantiles of its own: :func:`view_frame` counts its values
exactly at the reference's grid points (a :class:`CurrentView`), which is what the tests
compare.  Counting is arithmetic, not a binary search per value: a value's cell on a
uniform grid of :data:`CELLS` cells over the reference's central 99% is computed with
monotone float operations; a cell holding no grid point maps to one bin, and only the
values in cells that hold a grid point (and outside the central range, about 1-3% of a
batch like the reference) are placed by binary search.  The counts are exact.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from engine.drift.stats import GridCdf
from engine.errors import DataError

#: Version of the profile format written by :meth:`ColumnProfile.to_dict`.
PROFILE_VERSION = 2
#: Extra levels in each tail (mirrored at the top): a long tail's last 0.5% holds most of
#: its Wasserstein distance, so the grid resolves it finer.
TAIL_LEVELS = (0.0001, 0.0005, 0.001, 0.002, 0.003, 0.004)
#: Levels of the quantile grid: 0, 0.005, ..., 1 (201 levels) and the tail levels.
QUANTILE_LEVELS: tuple[float, ...] = tuple(sorted(
    {i / 200 for i in range(201)} | set(TAIL_LEVELS) | {round(1 - t, 6) for t in TAIL_LEVELS}))
#: Position in QUANTILE_LEVELS of a level.
LEVEL_POSITION: dict[float, int] = {level: i for i, level in enumerate(QUANTILE_LEVELS)}
#: Positions of the deciles 0.1 .. 0.9 (the PSI bin edges).
DECILE_POSITIONS: tuple[int, ...] = tuple(LEVEL_POSITION[i / 10] for i in range(1, 10))
#: Positions of the levels that bound the uniform counting cells (the central 99%).
WINDOW_POSITIONS = (LEVEL_POSITION[0.005], LEVEL_POSITION[0.995])
#: Rows (a seeded random subset) whose quantiles place the grid of a large column.
GRID_ROWS = 65_536
#: Size of the seeded sample of raw values kept for exact small-batch tests.
SAMPLE_SIZE = 1000
#: Categories kept by count; the rest are summed under OTHER.
MAX_CATEGORIES = 200
#: Key of the summed count of the categories beyond MAX_CATEGORIES.  A real category with
#: this exact name would be merged with that bucket.
OTHER = "__other__"
#: Label of the bin of batch categories that the reference never had.
UNSEEN = "__unseen__"
#: Cells of the uniform grid used to count a column at the grid points.
CELLS = 1 << 16
#: Above this share of values in cells that hold grid points (discrete columns), every
#: value is placed by comparison instead of counting per cell first.
DIRTY_SHARE = 0.25
#: Most unseen categories named in a view (the most frequent first).
MAX_UNSEEN_EXAMPLES = 5
KINDS = ("numeric", "categorical")


def column_kind(dtype: pl.DataType) -> str | None:
    """'numeric', 'categorical', or None for a dtype that is not profiled."""
    if dtype.is_numeric():
        return "numeric"
    if dtype == pl.String or dtype == pl.Boolean or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return "categorical"
    return None


@dataclass(frozen=True)
class ColumnProfile:
    """The recorded distribution of one column (see the module docstring)."""

    name: str
    # Polars dtype of the profiled column, e.g. "Float64", "String".
    dtype: str
    # "numeric" or "categorical".
    kind: str
    # Rows, nulls included.
    count: int
    # Nulls (NaN and +-infinity included).
    nulls: int
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    # Values at QUANTILE_LEVELS, and exact counts of values <= / < each of them.
    quantiles: tuple[float, ...] = ()
    cdf_le: tuple[int, ...] = ()
    cdf_lt: tuple[int, ...] = ()
    # E[(q - X)+] at each quantile value q (the integral of the CDF up to q).
    lpm: tuple[float, ...] = ()
    # Decile bins: edges (-inf, d1, ..., +inf) and the count in each bin.
    psi_edges: tuple[float, ...] = ()
    psi_counts: tuple[int, ...] = ()
    # Category -> count, the most frequent MAX_CATEGORIES; OTHER -> the rest.
    categories: dict[str, int] = field(default_factory=dict)
    # Seeded sample of non-null values (floats or strings).
    sample: tuple[Any, ...] = ()

    @property
    def values(self) -> int:
        """Non-null values."""
        return self.count - self.nulls

    @property
    def null_rate(self) -> float:
        return self.nulls / self.count if self.count else 0.0

    @property
    def capped(self) -> bool:
        """True when categories beyond MAX_CATEGORIES were summed under OTHER."""
        return self.categories.get(OTHER, 0) > 0

    def grid(self) -> GridCdf:
        """The exact reference CDF at the distinct quantile values."""
        q = np.asarray(self.quantiles, dtype=np.float64)
        points, first = np.unique(q, return_index=True)
        n = max(self.values, 1)
        return GridCdf(points, np.asarray(self.cdf_le, dtype=np.float64)[first] / n,
                       np.asarray(self.cdf_lt, dtype=np.float64)[first] / n,
                       np.asarray(self.lpm, dtype=np.float64)[first])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (NaN std of a single value becomes None)."""
        out: dict[str, Any] = {"version": PROFILE_VERSION, "name": self.name, "dtype": self.dtype,
                               "kind": self.kind, "count": self.count, "nulls": self.nulls}
        if self.kind == "numeric":
            out.update(mean=_num(self.mean), std=_num(self.std), min=_num(self.min),
                       max=_num(self.max), quantiles=list(self.quantiles),
                       cdf_le=list(self.cdf_le), cdf_lt=list(self.cdf_lt), lpm=list(self.lpm),
                       psi_edges=list(self.psi_edges), psi_counts=list(self.psi_counts))
        else:
            out["categories"] = dict(self.categories)
        out["sample"] = list(self.sample)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnProfile:
        """Rebuild a profile from :meth:`to_dict` output (as read back from the store)."""
        version = data.get("version")
        if version != PROFILE_VERSION:
            raise DataError(f"profile of column '{data.get('name')}' has format version "
                            f"{version!r}; this driftline reads version {PROFILE_VERSION}. "
                            f"Re-run the baseline training with this version.")
        kind = data["kind"]
        kw: dict[str, Any] = {"name": str(data["name"]), "dtype": str(data["dtype"]),
                              "kind": kind, "count": int(data["count"]),
                              "nulls": int(data["nulls"]),
                              "sample": tuple(data.get("sample") or ())}
        if kind == "numeric":
            kw.update(mean=_opt(data.get("mean")), std=_opt(data.get("std")),
                      min=_opt(data.get("min")), max=_opt(data.get("max")),
                      quantiles=tuple(float(v) for v in data.get("quantiles") or ()),
                      cdf_le=tuple(int(v) for v in data.get("cdf_le") or ()),
                      cdf_lt=tuple(int(v) for v in data.get("cdf_lt") or ()),
                      lpm=tuple(float(v) for v in data.get("lpm") or ()),
                      psi_edges=tuple(float(v) for v in data.get("psi_edges") or ()),
                      psi_counts=tuple(int(v) for v in data.get("psi_counts") or ()))
        else:
            kw["categories"] = {str(k): int(v) for k, v in (data.get("categories") or {}).items()}
        return cls(**kw)


def _num(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


# -- counting at grid points ---------------------------------------------------------------
class _Counter:
    """Exact counts and partial moments of values at a fixed set of grid points.

    ``points`` are non-decreasing (repeats allowed); ``[lo, hi]`` is the range covered by
    the uniform cells.  Every value is placed in a bin ``(edge[j-1], edge[j]]`` of the
    edges {points} + {the float just below each point}: a value whose cell holds no edge
    takes that cell's bin; one whose cell holds one or two edges is compared with them;
    values in cells with more edges (and outside [lo, hi]) go through a binary search.
    Sums are of ``x - origin`` (an origin inside the data keeps them well conditioned).
    """

    def __init__(self, points: np.ndarray, lo: float, hi: float):
        points = np.asarray(points, dtype=np.float64)
        below = np.nextafter(points, -np.inf)
        self.edges = np.unique(np.concatenate([points, below]))
        self.points = points
        self.at_le = np.searchsorted(self.edges, points)
        self.at_lt = np.searchsorted(self.edges, below)
        self.nbins = len(self.edges) + 1
        self.direct = not (math.isfinite(lo) and math.isfinite(hi) and hi > lo
                           and math.isfinite(CELLS / (hi - lo)))
        self.origin = float(points[0]) if self.direct else lo
        if self.direct:
            return
        self.scale = CELLS / (hi - lo)
        edge_cells = self._cells(self.edges - self.origin, _Scratch()).copy()
        per_cell = np.bincount(edge_cells, minlength=CELLS + 2)
        self.dirty = per_cell > 0
        # Bin of a value in a cell holding no edge: the number of edges in lower cells.
        self.base = np.searchsorted(edge_cells, np.arange(CELLS + 2), side="left")
        # The first two edges of each cell (+inf when absent); cells with more than two
        # edges go to the dummy bin and their values through a binary search.
        first = self.base.clip(max=len(self.edges) - 1)
        self.e1 = np.where(per_cell >= 1, self.edges[first], np.inf)
        self.e2 = np.where(per_cell >= 2, self.edges[(first + 1).clip(max=len(self.edges) - 1)],
                           np.inf)
        self.multi = per_cell > 2
        self.base[self.multi] = self.nbins

    def _cells(self, shifted: np.ndarray, scratch: _Scratch) -> np.ndarray:
        """Cell of each ``x - origin``: 0 below lo, 1..CELLS inside, CELLS+1 from hi on.

        Monotone in x (each step is a monotone float operation), so a cell holding no
        edge has every value on the same side of every edge.
        """
        t = np.multiply(shifted, self.scale, out=scratch.floats(len(shifted), 1))
        t += 1.0
        np.clip(t, 0.0, CELLS + 1.0, out=t)
        cells = scratch.ints(len(shifted), 0)
        np.copyto(cells, t, casting="unsafe")  # truncation: floor, as t >= 0
        return cells

    def count(self, x: np.ndarray, scratch: _Scratch | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """For finite values ``x``: (counts <= each point, counts < each point,
        sum of (p - x) over x < p for each point p, sum of (x - last point) over x > it)."""
        size = self.nbins + 3  # room for the dummy bin (+2 from the comparisons)
        if self.direct:
            counts, sums = self._searched(x, size)
        else:
            scratch = scratch or _Scratch()
            shifted = np.subtract(x, self.origin, out=scratch.floats(len(x), 0))
            cells = self._cells(shifted, scratch)
            in_dirty = self.dirty[cells]
            if np.count_nonzero(in_dirty) > DIRTY_SHARE * len(x):
                counts, sums = self._by_value(x, shifted, cells, size, scratch)
            else:
                counts, sums = self._by_cell(x, shifted, cells, in_dirty, size)
        counts, sums = counts[:self.nbins], sums[:self.nbins]
        cum, cum_sum = np.cumsum(counts), np.cumsum(sums)
        le, lt = cum[self.at_le], cum[self.at_lt]
        lower = (self.points - self.origin) * lt - cum_sum[self.at_lt]
        last = self.points[-1] - self.origin
        upper = (cum_sum[-1] - cum_sum[self.at_le[-1]]) - last * (cum[-1] - le[-1])
        return le, lt, np.maximum(lower, 0.0), max(float(upper), 0.0)

    def _by_cell(self, x: np.ndarray, shifted: np.ndarray, cells: np.ndarray,
                 in_dirty: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Few values in cells holding edges (continuous data): count per cell, then
        place only those values one by one."""
        per_cell = np.bincount(cells, minlength=CELLS + 2)
        per_cell_sum = np.bincount(cells, weights=shifted, minlength=CELLS + 2)
        per_cell[self.dirty] = 0
        per_cell_sum[self.dirty] = 0.0
        counts = np.bincount(self.base, weights=per_cell, minlength=size).astype(np.int64)
        sums = np.bincount(self.base, weights=per_cell_sum, minlength=size)
        xd, cd = x[in_dirty], cells[in_dirty]
        bins = self.base[cd] + (self.e1[cd] < xd) + (self.e2[cd] < xd)
        counts += np.bincount(bins, minlength=size)
        sums += np.bincount(bins, weights=xd - self.origin, minlength=size)
        more_counts, more_sums = self._searched(xd[self.multi[cd]], size)
        return counts + more_counts, sums + more_sums

    def _by_value(self, x: np.ndarray, shifted: np.ndarray, cells: np.ndarray, size: int,
                  scratch: _Scratch) -> tuple[np.ndarray, np.ndarray]:
        """Many values in cells holding edges (discrete data): place every value by its
        cell's base bin and comparisons with the cell's edges."""
        n = len(x)
        multi = self.multi[cells]
        bins = np.take(self.base, cells, out=scratch.ints(n, 1))
        edge = scratch.floats(n, 1)
        above = np.empty(n, dtype=bool)
        for table in (self.e1, self.e2):
            np.less(np.take(table, cells, out=edge), x, out=above)
            bins += above
        counts = np.bincount(bins, minlength=size)
        sums = np.bincount(bins, weights=shifted, minlength=size)
        more_counts, more_sums = self._searched(x[multi], size)
        return counts + more_counts, sums + more_sums

    def _searched(self, x: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        bins = np.searchsorted(self.edges, x, side="left")
        return (np.bincount(bins, minlength=size).astype(np.int64),
                np.bincount(bins, weights=x - self.origin, minlength=size))


class _Scratch:
    """Work arrays reused across the columns one thread counts (fresh large arrays cost
    page faults that take longer than the arithmetic)."""

    def __init__(self) -> None:
        self._floats: list[np.ndarray] = [np.empty(0), np.empty(0)]
        self._ints: list[np.ndarray] = [np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)]

    def floats(self, n: int, which: int) -> np.ndarray:
        if self._floats[which].size < n:
            self._floats[which] = np.empty(n)
        return self._floats[which][:n]

    def ints(self, n: int, which: int) -> np.ndarray:
        if self._ints[which].size < n:
            self._ints[which] = np.empty(n, dtype=np.intp)
        return self._ints[which][:n]


def _per_thread(fn: Any) -> Any:
    """``fn(item, scratch)`` as ``fn(item)``, with one scratch per worker thread; the
    scratch arrays go when the returned function does."""
    local = threading.local()

    def run(item: Any) -> Any:
        scratch = getattr(local, "scratch", None)
        if scratch is None:
            scratch = local.scratch = _Scratch()
        return fn(item, scratch)

    return run


def _counter_for(quantiles: Sequence[float]) -> _Counter:
    """A counter at each quantile value (counts come back aligned to ``quantiles``)."""
    q = np.asarray(quantiles, dtype=np.float64)
    if len(q) != len(QUANTILE_LEVELS):
        return _Counter(q, 0.0, 0.0)
    lo, hi = WINDOW_POSITIONS
    return _Counter(q, float(q[lo]), float(q[hi]))


def _finite_values(series: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(every row as float64 with nulls as NaN, the finite values only)."""
    full = series.cast(pl.Float64).to_numpy()
    ok = np.isfinite(full)
    return full, (full if ok.all() else full[ok])


def _threads() -> int:
    return max(1, min(pl.thread_pool_size(), os.cpu_count() or 1))


# -- profiling a frame ---------------------------------------------------------------------
def profile_frame(df: pl.DataFrame, columns: Mapping[str, str] | None = None, seed: int = 0
                  ) -> dict[str, ColumnProfile]:
    """Profile the columns of ``df``: ``columns`` maps name -> kind (None: every column
    whose dtype is numeric or categorical, by dtype).  Seeded: same data and seed, same
    profile."""
    kinds = _resolve_kinds(df, columns)
    if not kinds:
        return {}
    rows = rows_subset(df.height, seed)
    stats = _frame_stats(df, kinds)
    numeric = [c for c, k in kinds.items() if k == "numeric"]
    categorical = [c for c, k in kinds.items() if k == "categorical"]
    with ThreadPoolExecutor(_threads()) as pool:
        cat_job = pool.submit(_category_counts, df, categorical)
        work = _per_thread(lambda c, scratch: _numeric_profile(df[c], rows, stats[c], seed,
                                                               scratch))
        num = dict(zip(numeric, pool.map(work, numeric)))
        cats = cat_job.result()
    out = {}
    for name, kind in kinds.items():
        base = {"name": name, "dtype": str(df.schema[name]), "kind": kind,
                "count": df.height, "nulls": stats[name]["nulls"]}
        if kind == "numeric":
            out[name] = ColumnProfile(**base, **num[name])
        else:
            sample = _string_sample(df[name], rows, seed)
            out[name] = ColumnProfile(**base, categories=cats[name], sample=sample)
    return out


def _resolve_kinds(df: pl.DataFrame, columns: Mapping[str, str] | None) -> dict[str, str]:
    if columns is None:
        return {c: k for c, dt in df.schema.items() if (k := column_kind(dt)) is not None}
    out = {}
    for name, kind in columns.items():
        if name not in df.schema:
            raise DataError(f"cannot profile column '{name}': the data has no such column "
                            f"(columns: {', '.join(df.columns[:20])}).")
        if kind not in KINDS:
            raise ValueError(f"profile kind of '{name}' must be one of {KINDS}, got {kind!r}")
        natural = column_kind(df.schema[name])
        if natural is None or (kind == "numeric" and natural != "numeric"
                               and df.schema[name] != pl.Boolean):
            raise DataError(f"cannot profile column '{name}' as {kind}: its dtype is "
                            f"{df.schema[name]}. Cast it in a transform first.")
        out[name] = kind
    return out


def rows_subset(height: int, seed: int) -> np.ndarray:
    """Seeded random row positions (all rows when few): the grid rows and the sample."""
    rng = np.random.default_rng(seed)
    if height <= GRID_ROWS:
        return rng.permutation(height)
    return rng.choice(height, size=GRID_ROWS, replace=False)


def _frame_stats(df: pl.DataFrame, kinds: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Nulls (NaN and +-inf included) and the moments of numeric columns: one select, and a
    second one for the float columns that hold NaN or infinities."""
    floats = {name for name, kind in kinds.items()
              if kind == "numeric" and df.schema[name].is_float()}
    exprs = []
    for name, kind in kinds.items():
        exprs.append(pl.col(name).null_count().alias(f"{name}\0nulls"))
        if name in floats:
            exprs.append((~pl.col(name).is_finite()).sum().alias(f"{name}\0bad"))
        if kind == "numeric":
            exprs += _moments(name, pl.col(name).cast(pl.Float64))
    first = df.select(exprs).row(0, named=True) if exprs else {}
    bad = [name for name in floats if first[f"{name}\0bad"]]
    if bad:
        finite = [e for name in bad for e in _moments(
            name, pl.when(pl.col(name).is_finite()).then(pl.col(name).cast(pl.Float64)))]
        first.update(df.select(finite).row(0, named=True))
    out: dict[str, dict[str, Any]] = {}
    for name, kind in kinds.items():
        entry: dict[str, Any] = {"nulls": int(first[f"{name}\0nulls"])
                                 + int(first.get(f"{name}\0bad") or 0)}
        if kind == "numeric":
            entry.update({k: first[f"{name}\0{k}"] for k in ("mean", "std", "min", "max")})
        out[name] = entry
    return out


def _moments(name: str, x: pl.Expr) -> list[pl.Expr]:
    return [x.mean().alias(f"{name}\0mean"), x.std().alias(f"{name}\0std"),
            x.min().alias(f"{name}\0min"), x.max().alias(f"{name}\0max")]


def _numeric_profile(series: pl.Series, rows: np.ndarray, stats: Mapping[str, Any],
                     seed: int, scratch: _Scratch | None = None) -> dict[str, Any]:
    full, x = _finite_values(series)
    if x.size == 0:
        return {"mean": None, "std": None, "min": None, "max": None}
    picked = full[rows]
    picked = picked[np.isfinite(picked)]
    if picked.size < min(x.size, SAMPLE_SIZE):   # mostly nulls: draw from the values
        picked = x[rows_subset(x.size, seed)]
    q = _linear_quantiles(np.sort(picked), QUANTILE_LEVELS)
    q[0], q[-1] = float(stats["min"]), float(stats["max"])
    np.clip(q, q[0], q[-1], out=q)
    le, lt, lower, _ = _counter_for(q).count(x, scratch)
    deciles = np.unique(q[list(DECILE_POSITIONS)])
    pos = np.searchsorted(q, deciles, side="left")
    cum = np.concatenate([[0], le[pos], [x.size]])
    std = stats["std"]
    return {"mean": float(stats["mean"]), "std": None if std is None else float(std),
            "min": float(q[0]), "max": float(q[-1]),
            "quantiles": tuple(float(v) for v in q), "cdf_le": tuple(int(v) for v in le),
            "cdf_lt": tuple(int(v) for v in lt),
            "lpm": tuple(float(v) for v in lower / x.size),
            "psi_edges": (-math.inf, *(float(d) for d in deciles), math.inf),
            "psi_counts": tuple(int(v) for v in np.diff(cum)),
            "sample": tuple(float(v) for v in picked[:SAMPLE_SIZE])}


def _linear_quantiles(sorted_values: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Quantiles by linear interpolation between order statistics (numpy 'linear')."""
    n = sorted_values.size
    pos = np.asarray(levels, dtype=np.float64) * (n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    a, b = sorted_values[lo], sorted_values[hi]
    return a + (b - a) * frac


def _string_sample(series: pl.Series, rows: np.ndarray, seed: int) -> tuple[str, ...]:
    strings = series.cast(pl.String)
    picked = strings.gather(rows).drop_nulls()
    values = len(strings) - strings.null_count()
    if len(picked) < min(values, SAMPLE_SIZE):   # mostly nulls: draw from the values
        present = strings.drop_nulls()
        picked = present.gather(rows_subset(len(present), seed))
    return tuple(picked.head(SAMPLE_SIZE).to_list())


def _category_counts(df: pl.DataFrame, names: Sequence[str]) -> dict[str, dict[str, int]]:
    """Top MAX_CATEGORIES values per column (count desc, value asc), the rest under OTHER."""
    if not names:
        return {}
    queries = [_value_counts(df.lazy(), name).sort(["n", "v"], descending=[True, False])
               for name in names]
    out = {}
    for name, counts in zip(names, pl.collect_all(queries)):
        top = counts.head(MAX_CATEGORIES)
        cats = dict(zip(top["v"].to_list(), (int(v) for v in top["n"].to_list())))
        rest = int(counts["n"].sum()) - sum(cats.values())
        if rest:
            cats[OTHER] = cats.get(OTHER, 0) + rest
        out[name] = cats
    return out


def _value_counts(lf: pl.LazyFrame, name: str) -> pl.LazyFrame:
    return (lf.select(pl.col(name).cast(pl.String).alias("v")).drop_nulls()
            .group_by("v").agg(pl.len().cast(pl.Int64).alias("n")))


# -- model outputs ------------------------------------------------------------------------
def output_frame(predictions: np.ndarray, task: str, classes: Sequence[Any] = ()) -> pl.DataFrame:
    """Model outputs as columns: ``proba_<class>`` (P(class 1) only, for binary) and
    ``predicted_class`` for classification; ``prediction`` for regression."""
    pred = np.asarray(predictions, dtype=np.float64)
    if task == "regression":
        return pl.DataFrame({"prediction": pred.reshape(-1)})
    labels = [str(c) for c in classes]
    if task == "binary":
        labels = labels if len(labels) == 2 else ["0", "1"]
        p1 = pred.reshape(-1)
        winner = np.where(p1 >= 0.5, 1, 0)
        cols: dict[str, Any] = {f"proba_{labels[1]}": p1}
    elif task == "multiclass":
        if pred.ndim != 2:
            raise DataError(f"multiclass predictions must have shape (n, k), got {pred.shape}.")
        labels = labels if len(labels) == pred.shape[1] else [str(i) for i in range(pred.shape[1])]
        cols = {f"proba_{label}": pred[:, i] for i, label in enumerate(labels)}
        winner = np.argmax(pred, axis=1) if pred.shape[0] else np.zeros(0, dtype=np.intp)
    else:
        raise ValueError(f"unknown task {task!r}")
    frame = pl.DataFrame(cols)
    return frame.with_columns(pl.Series("predicted_class", labels, dtype=pl.String)
                              .gather(winner).alias("predicted_class"))


def output_profile(predictions: np.ndarray, task: str, classes: Sequence[Any] = (),
                   seed: int = 0) -> dict[str, ColumnProfile]:
    """Profiles of :func:`output_frame` (the model's output distribution)."""
    frame = output_frame(predictions, task, classes)
    kinds = {c: ("categorical" if c == "predicted_class" else "numeric") for c in frame.columns}
    return profile_frame(frame, kinds, seed)


# -- a batch seen against a profile --------------------------------------------------------
@dataclass
class CurrentView:
    """One batch column counted against its reference profile (what drift tests get)."""

    name: str
    kind: str
    # Rows of the batch, nulls (NaN and +-inf included), non-null values.
    count: int
    nulls: int
    n: int
    # Numeric: the batch's own moments.
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    # Numeric: the batch's exact CDF and partial moments at the reference grid points
    # (the points of ColumnProfile.grid()).
    grid: GridCdf | None = None
    # Numeric: counts in the reference's decile bins (ColumnProfile.psi_edges).
    psi_counts: np.ndarray | None = None
    # Categorical: bin labels (reference categories, then OTHER / UNSEEN when non-empty
    # on either side) with reference and batch counts aligned to them.
    bins: tuple[str, ...] = ()
    ref_counts: np.ndarray | None = None
    counts: np.ndarray | None = None
    # Categorical: batch values absent from the reference (None: unknown, the reference
    # capped its categories), and the most frequent of them.
    unseen: int | None = None
    unseen_examples: tuple[str, ...] = ()
    # The batch's non-null values when it has fewer than the small-batch limit, else None.
    values: np.ndarray | None = None

    @property
    def null_rate(self) -> float:
        return self.nulls / self.count if self.count else 0.0

    @property
    def unseen_share(self) -> float | None:
        if self.unseen is None:
            return None
        return self.unseen / self.n if self.n else 0.0


def view_frame(batch: pl.DataFrame, reference: Mapping[str, ColumnProfile], *,
               small_rows: int = 1000) -> dict[str, CurrentView]:
    """Count every batch column of ``reference`` against its profile.

    The batch must hold every column, each of the reference's kind (checked by the caller).
    Raw values are kept (``CurrentView.values``) for columns with fewer than ``small_rows``
    non-null values.
    """
    kinds = {name: prof.kind for name, prof in reference.items()}
    stats = _frame_stats(batch, kinds)
    numeric = [c for c, k in kinds.items() if k == "numeric" and reference[c].values]
    categorical = [c for c, k in kinds.items() if k == "categorical"]
    with ThreadPoolExecutor(_threads()) as pool:
        cat_job = pool.submit(_batch_categories, batch, {c: reference[c] for c in categorical})
        work = _per_thread(lambda c, scratch: _numeric_view(batch[c], reference[c], small_rows,
                                                            scratch))
        num = dict(zip(numeric, pool.map(work, numeric)))
        cats = cat_job.result()
    out = {}
    for name, prof in reference.items():
        st = stats[name]
        base = {"name": name, "kind": prof.kind, "count": batch.height, "nulls": st["nulls"],
                "n": batch.height - st["nulls"]}
        if prof.kind == "numeric":
            moments = {k: (None if st[k] is None else float(st[k]))
                       for k in ("mean", "std", "min", "max")}
            out[name] = CurrentView(**base, **moments, **num.get(name, {}))
        else:
            extra = cats[name]
            if base["n"] < small_rows:
                extra["values"] = batch[name].cast(pl.String).drop_nulls().to_numpy()
            out[name] = CurrentView(**base, **extra)
    return out


def _numeric_view(series: pl.Series, ref: ColumnProfile, small_rows: int,
                  scratch: _Scratch | None = None) -> dict[str, Any]:
    _, x = _finite_values(series)
    q = np.asarray(ref.quantiles, dtype=np.float64)
    points, distinct = np.unique(q, return_index=True)
    le, lt, lower, upper = _counter_for(q).count(x, scratch)
    n = max(x.size, 1)
    grid = GridCdf(points, le[distinct] / n, lt[distinct] / n, lower[distinct] / n, upper / n)
    inner = np.asarray(ref.psi_edges[1:-1], dtype=np.float64)
    cum = np.concatenate([[0], le[np.searchsorted(ref.quantiles, inner)], [x.size]])
    return {"grid": grid, "psi_counts": np.diff(cum),
            "values": x.copy() if x.size < small_rows else None}


def _batch_categories(batch: pl.DataFrame, refs: Mapping[str, ColumnProfile]
                      ) -> dict[str, dict[str, Any]]:
    """Batch counts per reference category, OTHER/UNSEEN, and unseen examples."""
    if not refs:
        return {}
    queries = []
    for name, prof in refs.items():
        known = pl.Series([c for c in prof.categories if c != OTHER], dtype=pl.String)
        queries.append(
            _value_counts(batch.lazy(), name)
            .with_columns(k=pl.col("v").is_in(known.implode()))
            .with_columns(unknown=pl.col("n").filter(~pl.col("k")).sum())
            .sort(["n", "v"], descending=[True, False])
            .filter(pl.col("k") | (pl.int_range(pl.len()).over("k") < MAX_UNSEEN_EXAMPLES)))
    out = {}
    for (name, prof), found in zip(refs.items(), pl.collect_all(queries)):
        out[name] = _aligned_categories(prof, found)
    return out


def _aligned_categories(prof: ColumnProfile, found: pl.DataFrame) -> dict[str, Any]:
    got = dict(zip(found.filter(pl.col("k"))["v"].to_list(),
                   found.filter(pl.col("k"))["n"].to_list()))
    unknown = int(found["unknown"][0]) if found.height and found["unknown"][0] is not None else 0
    labels = [c for c in prof.categories if c != OTHER]
    ref_counts = [prof.categories[c] for c in labels]
    cur_counts = [int(got.get(c, 0)) for c in labels]
    if prof.capped:
        labels.append(OTHER)
        ref_counts.append(prof.categories[OTHER])
        cur_counts.append(unknown)
        unseen, examples = None, ()
    else:
        unseen = unknown
        examples = tuple(found.filter(~pl.col("k"))["v"].to_list())
        if unknown:
            labels.append(UNSEEN)
            ref_counts.append(0)
            cur_counts.append(unknown)
    return {"bins": tuple(labels), "ref_counts": np.asarray(ref_counts, dtype=np.int64),
            "counts": np.asarray(cur_counts, dtype=np.int64), "unseen": unseen,
            "unseen_examples": examples}
