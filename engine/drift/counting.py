"""Exact counting of a numeric column's values at a reference's quantile grid.

A drift baseline (:mod:`driftline.engine.drift.profile`) keeps a column's quantile values, and a
batch is compared with it by counting, exactly, how many of the batch's values are
``<=`` and ``<`` each of those grid points, and the partial sums ``sum(p - x)`` over
``x < p`` (and ``sum(x - last point)`` above the last one).  :class:`Counter` does that
for one set of points; :func:`counter_for` builds one.

A column is read into numpy once (:func:`finite_values`: nulls, NaN and +-infinity
dropped; zero-copy for null-free float64 and integer columns), and counted in one of two
ways (:func:`counted_values`):

* integers whose values span less than :data:`INTEGER_RANGE` are counted per value first
  (one bincount, :func:`distinct_integers`), so only the distinct values are placed, by
  binary search, weighted by how often each occurs;
* other values are counted block by block (:data:`BLOCK` values, so the work arrays stay
  in the CPU cache), one table look-up per value, not a binary search: a uniform grid of
  :data:`CELLS` cells covers the reference's central range, and a value's cell is a
  monotone float function of it, computed the same way for the grid points; a cell
  holding no point has all its values on the same side of every point, so the table maps
  it straight to a bin.  Only the values in cells that hold a point (and outside the
  central range: about 1-6% of a continuous batch like the reference, most of a discrete
  one) are compared with the cell's one or two points, or placed by binary search when
  it holds more.

The counts are exact (the cells only decide which values need a comparison).  The
column's :func:`moments` (mean, std, min, max) come from the same array, block by block
too.  The work arrays of a block come from a :class:`Scratch` reused across the columns
one thread counts; :func:`per_thread` gives each worker thread its own, and
:func:`worker_threads` is the size of the pool that counts columns concurrently.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

#: Cells of the uniform grid used to count a column at the grid points.
CELLS = 1 << 16
#: Values counted per step (the work arrays of a step stay in the CPU cache).
BLOCK = 1 << 17
#: Integer columns whose values span a narrower range (max - min) are counted per value.
INTEGER_RANGE = 1 << 16


# -- a column's values, as counted, and their moments -------------------------------------
#: Integer dtypes numpy holds as they are (counted as integers, not cast to float).
_NUMPY_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64,
                   pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def finite_values(series: pl.Series) -> np.ndarray:
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


def counted_values(series: pl.Series, scratch: Scratch
                   ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """The finite values of a numeric column as counted: (float64 values, None), or for
    integers with a narrow range (the integers, their distinct values and counts)."""
    x = finite_values(series)
    if x.dtype.kind == "f":
        return x, None
    distinct = distinct_integers(x, scratch)
    return (x, distinct) if distinct is not None else (x.astype(np.float64), None)


def distinct_integers(x: np.ndarray, scratch: Scratch
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


def moments(x: np.ndarray, distinct: tuple[np.ndarray, np.ndarray] | None,
            scratch: Scratch) -> dict[str, float | None]:
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


# -- counting at grid points --------------------------------------------------------------
class Counter:
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

    def count(self, x: np.ndarray, scratch: Scratch | None = None,
              distinct: tuple[np.ndarray, np.ndarray] | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """For finite values ``x`` (float64, or any integer dtype): (counts <= each point,
        counts < each point, sum of (p - x) over x < p for each point p, sum of
        (x - last point) over x > it).  ``distinct``: ``distinct_integers(x)`` when
        already known."""
        scratch = scratch or Scratch()
        if distinct is None and x.dtype.kind in "iub":
            distinct = distinct_integers(x, scratch)
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

    def _by_table(self, x: np.ndarray, scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
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


def counter_for(points: Sequence[float], window: tuple[int, int] | None = None) -> Counter:
    """A counter at each point (counts come back aligned to ``points``).

    ``window``: positions of the two points whose range the uniform cells cover (those
    bounding the bulk of the values); None: no cells, every value is binary-searched."""
    q = np.asarray(points, dtype=np.float64)
    if window is None:
        return Counter(q, 0.0, 0.0)
    lo, hi = window
    return Counter(q, float(q[lo]), float(q[hi]))


# -- work arrays and threads --------------------------------------------------------------
class Scratch:
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


def per_thread(fn: Any) -> Any:
    """``fn(item, scratch)`` as ``fn(item)``, with one scratch per worker thread; the
    scratch arrays go when the returned function does."""
    local = threading.local()

    def run(item: Any) -> Any:
        scratch = getattr(local, "scratch", None)
        if scratch is None:
            scratch = local.scratch = Scratch()
        return fn(item, scratch)

    return run


def worker_threads() -> int:
    """Threads of the pool that counts columns: polars' pool size, at most the CPU count."""
    return max(1, min(pl.thread_pool_size(), os.cpu_count() or 1))
