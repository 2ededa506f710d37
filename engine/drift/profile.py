"""Column profiles: what a training run keeps of each column, and a batch seen against it.

A :class:`ColumnProfile` is the drift baseline of one column (JSON-able, stored in the
lineage store), so a drift check works after the training data is gone:

* every column: ``count`` (rows, nulls included), ``nulls``, and ``sample``: up to
  :data:`SAMPLE_SIZE` non-null values drawn at random (seeded, without replacement) for
  tests that need raw values;
* numeric (integer, float and decimal dtypes): ``mean``, ``std`` (ddof=1, two-pass;
  None for fewer than two values), ``min``, ``max``; ``quantiles`` at
  :data:`QUANTILE_LEVELS` (0, 0.005, ..., 1, plus 0.0001, 0.0005, 0.001 ... 0.004 and
  their mirrors in the tails: 213 levels), linear interpolation between order
  statistics (numpy's default, Hyndman-Fan type 7) of a seeded random subset of
  :data:`GRID_ROWS` rows (all rows when there are fewer), with the exact min and max as
  the 0 and 1 quantiles; ``cdf_le`` / ``cdf_lt``: the *exact*
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
monotone float operations and looked up in a table; a cell holding no grid point maps
to one bin, and only the values in cells that hold a grid point (and outside the central
range, about 1-6% of a batch like the reference) are compared with those points or
placed by binary search.  Integer columns of a narrow range are counted per value first
(one bincount), so only their distinct values are placed.  The counts are exact.  Each
numeric column is read into numpy once (zero-copy for null-free float64 and integer
columns); its nulls, moments and counts all come from that array, counted block by
block (:data:`BLOCK` values, so the work arrays stay in the CPU cache), columns in a
small thread pool.
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
#: Values counted per step (the work arrays of a step stay in the CPU cache).
BLOCK = 1 << 17
#: Integer columns whose values span a narrower range (max - min) are counted per value.
INTEGER_RANGE = 1 << 16
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
                      quantiles=tuple(map(float, data.get("quantiles") or ())),
                      cdf_le=tuple(map(int, data.get("cdf_le") or ())),
                      cdf_lt=tuple(map(int, data.get("cdf_lt") or ())),
                      lpm=tuple(map(float, data.get("lpm") or ())),
                      psi_edges=tuple(map(float, data.get("psi_edges") or ())),
                      psi_counts=tuple(map(int, data.get("psi_counts") or ())))
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
    edges {points} + {the float just below each point}, and the bins' counts and sums of
    ``x - origin`` are added up (an origin inside the data keeps the sums well conditioned).

    * Integer values with a range under :data:`INTEGER_RANGE` are counted per value (one
      bincount); only the distinct values are placed, by binary search.
    * Other values, block by block, one table look-up each: the value's cell (a monotone
      float function of it, so a cell holding no edge has all its values on the same side
      of every edge) gives its bin.  A value in a cell that holds edges (about 1-6% of a
      continuous column; most of a discrete one) gets an entry of that cell instead, and
      is then compared with the cell's one or two edges, or binary-searched when the cell
      holds more (the cells below lo and from hi on, mostly).
    """

    def __init__(self, points: np.ndarray, lo: float, hi: float):
        points = np.asarray(points, dtype=np.float64)
        below = np.nextafter(points, -np.inf)
        self.edges = np.unique(np.concatenate([points, below]))
        self.points = points
        self.at_le = np.searchsorted(self.edges, points)
        self.at_lt = np.searchsorted(self.edges, below)
        self.nbins = len(self.edges) + 1
        span = hi - lo
        scale = CELLS / span if span > 0 else math.inf
        self.direct = not (math.isfinite(lo) and math.isfinite(hi) and span > 0
                           and math.isfinite(scale) and scale > 0)
        if self.direct:
            self.origin = float(points[0])
            return
        # Cell 0 lies below lo, cells 1..CELLS in [lo, hi], CELLS + 1 from hi on.
        self.scale = scale
        self.origin = lo - 1.0 / scale
        edge_cells = self._cells(self.edges - self.origin, np.empty(len(self.edges)),
                                 np.empty(len(self.edges), dtype=np.intp))
        per_cell = np.bincount(edge_cells, minlength=CELLS + 2)
        # Edges in lower cells: the bin of a value in a cell holding no edge, and the
        # position of the first edge of a cell that holds some.
        first = np.cumsum(per_cell) - per_cell
        # The look-up table: a value's bin, or nbins + i for the i-th cell holding edges.
        held = np.flatnonzero(per_cell)
        first_held, per_held = first[held], per_cell[held]
        self.table = first
        self.table[held] = self.nbins + np.arange(held.size)
        # Per cell holding edges: its first edge's position, its first two edges (+inf
        # when it has one), and whether it has more than two.
        self.base = first_held
        self.e1 = self.edges[first_held]
        self.e2 = np.where(per_held >= 2,
                           self.edges[np.minimum(first_held + 1, len(self.edges) - 1)], np.inf)
        self.multi = per_held > 2

    def _cells(self, shifted: np.ndarray, t: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Cell of each ``x - origin``, written to ``out`` (``t``: float work space).

        Monotone in x (each step is a monotone float operation); the edges go through the
        same operations, so a value and an edge compare as their cells do, unless they
        share a cell.  Clipped and truncated in one step (a floor, as t >= 0 by then).
        """
        np.multiply(shifted, self.scale, out=t)
        return np.clip(t, 0.0, CELLS + 1.0, out=out, casting="unsafe")

    def count(self, x: np.ndarray, scratch: _Scratch | None = None,
              distinct: tuple[np.ndarray, np.ndarray] | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """For finite values ``x`` (float64, or any integer dtype): (counts <= each point,
        counts < each point, sum of (p - x) over x < p for each point p, sum of
        (x - last point) over x > it).  ``distinct``: ``_distinct_integers(x)`` when
        already known."""
        scratch = scratch or _Scratch()
        if distinct is None and x.dtype.kind in "iub":
            distinct = _distinct_integers(x, scratch)
            if distinct is None:
                x = x.astype(np.float64)
        if distinct is not None:
            return self._finish(*self._weighted(*distinct))
        if self.direct:
            return self._finish(*self._searched(x))
        return self._finish(*self._by_table(x, scratch))

    def _finish(self, counts: np.ndarray, sums: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        cum, cum_sum = np.cumsum(counts), np.cumsum(sums)
        le, lt = cum[self.at_le], cum[self.at_lt]
        lower = (self.points - self.origin) * lt - cum_sum[self.at_lt]
        last = self.points[-1] - self.origin
        upper = (cum_sum[-1] - cum_sum[self.at_le[-1]]) - last * (cum[-1] - le[-1])
        return le, lt, np.maximum(lower, 0.0), max(float(upper), 0.0)

    def _by_table(self, x: np.ndarray, scratch: _Scratch) -> tuple[np.ndarray, np.ndarray]:
        """Bins by table look-up per cell, then by comparison for the values in cells
        holding edges; block by block, so the work arrays stay in the CPU cache."""
        counts = np.zeros(self.nbins, dtype=np.int64)
        sums = np.zeros(self.nbins)
        for start in range(0, len(x), BLOCK):
            xb = x[start:start + BLOCK]
            m = len(xb)
            shifted = np.subtract(xb, self.origin, out=scratch.floats(m, 0))
            cells = self._cells(shifted, scratch.floats(m, 1), scratch.ints(m, 0))
            # (mode="clip" never clips here -- cells are in range -- but spares numpy
            # the buffered bounds check of the default mode)
            bins = np.take(self.table, cells, out=scratch.ints(m, 1), mode="clip")
            at = np.flatnonzero(np.greater_equal(bins, self.nbins, out=scratch.flags(m)))
            if at.size:
                bins[at] = self._placed(xb[at], bins[at] - self.nbins)
            counts += np.bincount(bins, minlength=self.nbins)
            sums += np.bincount(bins, weights=shifted, minlength=self.nbins)
        return counts, sums

    def _placed(self, x: np.ndarray, held: np.ndarray) -> np.ndarray:
        """Bins of values ``x`` in the cells holding edges numbered ``held``."""
        bins = self.base[held] + (self.e1[held] < x) + (self.e2[held] < x)
        multi = self.multi[held]
        if multi.any():
            bins[multi] = np.searchsorted(self.edges, x[multi], side="left")
        return bins

    def _searched(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bins = np.searchsorted(self.edges, x, side="left")
        return (np.bincount(bins, minlength=self.nbins).astype(np.int64),
                np.bincount(bins, weights=x - self.origin, minlength=self.nbins))

    def _weighted(self, values: np.ndarray, multiplicity: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        """Counts and sums of distinct values, each occurring ``multiplicity`` times."""
        bins = np.searchsorted(self.edges, values, side="left")
        counts = np.bincount(bins, weights=multiplicity, minlength=self.nbins)
        sums = np.bincount(bins, weights=multiplicity * (values - self.origin),
                           minlength=self.nbins)
        return counts.astype(np.int64), sums


def _distinct_integers(x: np.ndarray, scratch: _Scratch
                       ) -> tuple[np.ndarray, np.ndarray] | None:
    """(distinct values as float64, how often each occurs) of the integers ``x``, counted
    with one bincount; None when their range is INTEGER_RANGE or wider."""
    if x.size == 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    lo, hi = int(x.min()), int(x.max())
    if hi - lo >= INTEGER_RANGE or hi > np.iinfo(np.int64).max:
        return None
    if x.dtype == np.intp and 0 <= lo and hi < INTEGER_RANGE:
        lo, offsets = 0, x  # small non-negative values are their own offsets
    else:
        offsets = np.subtract(x, lo, out=scratch.ints(x.size, 0), dtype=np.intp,
                              casting="unsafe")
    per_value = np.bincount(offsets)
    present = np.flatnonzero(per_value)
    # int64 -> float64 rounds as polars' cast does (only beyond 2**53 at all).
    return (present + lo).astype(np.float64), per_value[present]


class _Scratch:
    """Work arrays reused across the columns one thread counts (fresh large arrays cost
    page faults that take longer than the arithmetic)."""

    def __init__(self) -> None:
        self._floats: list[np.ndarray] = [np.empty(0), np.empty(0)]
        self._ints: list[np.ndarray] = [np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)]
        self._flags = np.empty(0, dtype=bool)

    def floats(self, n: int, which: int) -> np.ndarray:
        if self._floats[which].size < n:
            self._floats[which] = np.empty(n)
        return self._floats[which][:n]

    def ints(self, n: int, which: int) -> np.ndarray:
        if self._ints[which].size < n:
            self._ints[which] = np.empty(n, dtype=np.intp)
        return self._ints[which][:n]

    def flags(self, n: int) -> np.ndarray:
        if self._flags.size < n:
            self._flags = np.empty(n, dtype=bool)
        return self._flags[:n]


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


#: Integer dtypes numpy holds as they are (counted as integers, not cast to float).
_NUMPY_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64,
                   pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def _finite_values(series: pl.Series) -> np.ndarray:
    """The column's finite values in row order (nulls, NaN and +-inf dropped): integer
    columns of up to 64 bits in their own dtype (booleans as 0/1), all others as float64."""
    if series.dtype == pl.Boolean:
        series = series.cast(pl.UInt8)
    elif series.dtype not in _NUMPY_INTEGERS and series.dtype != pl.Float64:
        series = series.cast(pl.Float64)
    if series.null_count():
        series = series.drop_nulls()
    x = series.to_numpy()
    if x.dtype.kind == "f":
        with np.errstate(all="ignore"):  # NaN or +-inf anywhere makes the sum non-finite
            total = float(np.sum(x))
        if not math.isfinite(total):
            x = x[np.isfinite(x)]
    return x


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
    numeric = [c for c, k in kinds.items() if k == "numeric"]
    categorical = [c for c, k in kinds.items() if k == "categorical"]
    nulls = _null_counts(df, categorical)
    with ThreadPoolExecutor(_threads()) as pool:
        cat_job = pool.submit(_category_counts, df, categorical)
        work = _per_thread(lambda c, scratch: _numeric_profile(df[c], rows, seed, scratch))
        num = dict(zip(numeric, pool.map(work, numeric)))
        cats = cat_job.result()
    out = {}
    for name, kind in kinds.items():
        base = {"name": name, "dtype": str(df.schema[name]), "kind": kind, "count": df.height}
        if kind == "numeric":
            out[name] = ColumnProfile(**base, **num[name])
        else:
            sample = _string_sample(df[name], rows, seed)
            out[name] = ColumnProfile(**base, nulls=nulls[name], categories=cats[name],
                                      sample=sample)
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


def _null_counts(df: pl.DataFrame, names: Sequence[str]) -> dict[str, int]:
    """Nulls per column (polars keeps the count: no pass over the data)."""
    if not names:
        return {}
    return {k: int(v) for k, v in df.select(pl.col(list(names)).null_count()).row(
        0, named=True).items()}


def _moments(x: np.ndarray, distinct: tuple[np.ndarray, np.ndarray] | None,
             scratch: _Scratch) -> dict[str, float | None]:
    """Mean, std (ddof=1; None for fewer than two values), min and max of the finite
    values ``x`` (float64), or of the integers counted in ``distinct`` (values, counts).

    The std is the corrected two-pass one (squared deviations from the mean, less the
    square of their sum over n, which removes the mean's rounding error), block by block."""
    n = x.size
    if n == 0:
        return {"mean": None, "std": None, "min": None, "max": None}
    if distinct is not None:
        values, counts = distinct
        weights = counts.astype(np.float64)
        mean = float(np.sum(values * weights)) / n
        deviations = values - mean
        residual = float(np.sum(weights * deviations))
        squares = float(np.sum(weights * deviations * deviations)) - residual * (residual / n)
        low, high = float(values[0]), float(values[-1])
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # a sum beyond the float range
            total = float(np.sum(x))
            mean = total / n if math.isfinite(total) else float(np.sum(x / n))
            squares = residual = 0.0
            for start in range(0, n, BLOCK):
                block = x[start:start + BLOCK]
                deviations = np.subtract(block, mean, out=scratch.floats(len(block), 0))
                residual += float(np.sum(deviations))
                # (not np.dot: BLAS would hand each block to its own threads)
                squares += float(np.sum(np.square(deviations, out=deviations)))
            if math.isfinite(squares):  # (beyond the float range the std stays inf)
                squares -= residual * (residual / n)
        low, high = float(x.min()), float(x.max())
    std = math.sqrt(max(squares, 0.0) / (n - 1)) if n > 1 else None
    return {"mean": mean, "std": std, "min": low, "max": high}


def _counted_values(series: pl.Series, scratch: _Scratch
                    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """The finite values of a numeric column as counted: (float64 values, None), or for
    integers with a narrow range (the integers, their distinct values and counts)."""
    x = _finite_values(series)
    if x.dtype.kind == "f":
        return x, None
    distinct = _distinct_integers(x, scratch)
    return (x, distinct) if distinct is not None else (x.astype(np.float64), None)


def _numeric_profile(series: pl.Series, rows: np.ndarray, seed: int,
                     scratch: _Scratch | None = None) -> dict[str, Any]:
    scratch = scratch or _Scratch()
    x, distinct = _counted_values(series, scratch)
    stats = _moments(x, distinct, scratch)
    nulls = len(series) - x.size
    if x.size == 0:
        return {"nulls": nulls, **stats}
    picked = series.gather(rows).cast(pl.Float64).to_numpy()
    picked = picked[np.isfinite(picked)]
    if picked.size < min(x.size, SAMPLE_SIZE):   # mostly nulls: draw from the values
        picked = x[rows_subset(x.size, seed)].astype(np.float64)
    q = _linear_quantiles(np.sort(picked), QUANTILE_LEVELS)
    q[0], q[-1] = stats["min"], stats["max"]
    np.clip(q, q[0], q[-1], out=q)
    le, lt, lower, _ = _counter_for(q).count(x, scratch, distinct)
    deciles = np.unique(q[list(DECILE_POSITIONS)])
    pos = np.searchsorted(q, deciles, side="left")
    cum = np.concatenate([[0], le[pos], [x.size]])
    return {"nulls": nulls, "mean": stats["mean"], "std": stats["std"],
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
    numeric = [c for c, prof in reference.items() if prof.kind == "numeric"]
    categorical = [c for c, prof in reference.items() if prof.kind == "categorical"]
    nulls = _null_counts(batch, categorical)
    # The category counts and the numeric columns are counted concurrently (polars and
    # most of numpy's counting run outside the GIL).
    with ThreadPoolExecutor(_threads()) as pool:
        cat_job = pool.submit(_batch_categories, batch, {c: reference[c] for c in categorical})
        work = _per_thread(lambda c, scratch: _numeric_view(batch[c], reference[c], small_rows,
                                                            scratch))
        num = dict(zip(numeric, pool.map(work, numeric)))
        cats = cat_job.result()
    out = {}
    for name, prof in reference.items():
        base = {"name": name, "kind": prof.kind, "count": batch.height}
        if prof.kind == "numeric":
            view = num[name]
            out[name] = CurrentView(**base, n=batch.height - view["nulls"], **view)
        else:
            extra = cats[name]
            n = batch.height - nulls[name]
            if n < small_rows:
                extra["values"] = batch[name].cast(pl.String).drop_nulls().to_numpy()
            out[name] = CurrentView(**base, nulls=nulls[name], n=n, **extra)
    return out


def _numeric_view(series: pl.Series, ref: ColumnProfile, small_rows: int,
                  scratch: _Scratch | None = None) -> dict[str, Any]:
    """Nulls, moments and (when the reference has values) the counts at its grid."""
    scratch = scratch or _Scratch()
    x, distinct = _counted_values(series, scratch)
    out: dict[str, Any] = {"nulls": len(series) - x.size, **_moments(x, distinct, scratch)}
    if not ref.values:
        return out
    q = np.asarray(ref.quantiles, dtype=np.float64)
    points, first = np.unique(q, return_index=True)
    le, lt, lower, upper = _counter_for(q).count(x, scratch, distinct)
    n = max(x.size, 1)
    grid = GridCdf(points, le[first] / n, lt[first] / n, lower[first] / n, upper / n)
    inner = np.asarray(ref.psi_edges[1:-1], dtype=np.float64)
    cum = np.concatenate([[0], le[np.searchsorted(q, inner)], [x.size]])
    return {**out, "grid": grid, "psi_counts": np.diff(cum),
            "values": x.astype(np.float64) if x.size < small_rows else None}


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
