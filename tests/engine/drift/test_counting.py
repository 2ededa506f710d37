"""engine/drift/counting.py: exact counts at grid points, distinct integers, finite values
and moments against independent computations."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import polars as pl
import pytest

from driftline.engine.drift import counting as C
from driftline.engine.drift import profile as P
from tests.engine.drift.exact import exact_le_lt as _exact_le_lt
from tests.engine.drift.exact import lower_partial_moments as _lpm

RNG = np.random.default_rng(7)


# -- counting at grid points ------------------------------------------------------------------
def _counted_path(monkeypatch) -> list[str]:
    """Record which counting path each Counter.count call takes."""
    taken: list[str] = []
    for name in ("_weighted", "_by_table", "_searched"):
        original = getattr(C.Counter, name)

        def spy(self, *args, __f=original, __name=name, **kwargs):
            taken.append(__name)
            return __f(self, *args, **kwargs)
        monkeypatch.setattr(C.Counter, name, spy)
    return taken


@pytest.mark.parametrize("values, path", [
    (RNG.normal(5, 2, 200_000), ["_by_table"]),                     # continuous
    (RNG.lognormal(0, 2, 200_000), ["_by_table"]),                  # long right tail
    (RNG.pareto(0.5, 200_000), ["_by_table"]),      # cells holding 3+ grid points inside
    (RNG.integers(-3, 40, 200_000).astype(np.float64), ["_by_table"]),  # discrete floats
    (np.concatenate([RNG.normal(0, 1, 150_000),                      # blocks of each kind
                     RNG.integers(-2, 3, 150_000).astype(np.float64)]), ["_by_table"]),
    (RNG.integers(-3, 40, 200_000), ["_weighted"]),                 # int64, per value
    (RNG.integers(5, 40, 200_000), ["_weighted"]),                  # int64, non-negative
    (RNG.integers(0, 200, 200_000).astype(np.uint8), ["_weighted"]),
    (RNG.integers(-120, 120, 200_000).astype(np.int8), ["_weighted"]),  # x - min overflows int8
    (RNG.integers(0, 10**9, 200_000), ["_by_table"]),               # range too wide: as floats
    (np.array([2**62, 2**62 + 5, 2**62 + 5], dtype=np.uint64), ["_weighted"]),
], ids=["normal", "lognormal", "pareto", "float-integers", "mixed-blocks", "int64", "int64-positive",
        "uint8", "int8", "wide-int64", "huge-uint64"])
def test_counter_is_exact_on_every_path(values, path, monkeypatch):
    taken = _counted_path(monkeypatch)
    as_float = values.astype(np.float64)
    sample = np.sort(RNG.choice(as_float, min(as_float.size, 20_000), replace=False))
    q = P._linear_quantiles(sample, P.QUANTILE_LEVELS)
    q[0], q[-1] = as_float.min(), as_float.max()
    le, lt, lower, upper = C.counter_for(q, P.WINDOW_POSITIONS).count(values, C.Scratch())
    assert list(dict.fromkeys(name for name in taken if name != "_searched")) == path
    exact_le, exact_lt = _exact_le_lt(as_float, q)
    assert le.tolist() == exact_le.tolist() and lt.tolist() == exact_lt.tolist()
    scale = max(np.abs(as_float).max(), 1.0) * as_float.size
    assert lower == pytest.approx(_lpm(as_float, q) * as_float.size, rel=1e-9, abs=1e-12 * scale)
    assert upper == pytest.approx(np.maximum(as_float - q[-1], 0).sum(), rel=1e-9,
                                  abs=1e-12 * scale)


def test_counter_without_cells_and_on_no_values():
    x = RNG.normal(0, 1, 5000)
    points = np.array([-1.0, 0.0, 0.0, 2.5])         # not the profile grid: binary search
    le, lt, lower, upper = P.grid_counter(points).count(x)
    exact_le, exact_lt = _exact_le_lt(x, points)
    assert le.tolist() == exact_le.tolist() and lt.tolist() == exact_lt.tolist()
    assert lower == pytest.approx(_lpm(x, points) * x.size, rel=1e-9)
    assert upper == pytest.approx(np.maximum(x - 2.5, 0).sum(), rel=1e-9)
    le, lt, lower, upper = P.grid_counter(points).count(np.array([], dtype=np.int64))
    assert le.tolist() == [0] * 4 and lt.tolist() == [0] * 4 and upper == 0.0


# -- a column's values and their moments ------------------------------------------------------
def test_distinct_integers_counts_values_or_declines_a_wide_range():
    x = np.array([7, -2, 7, 7, 0, -2], dtype=np.int32)
    values, counts = C.distinct_integers(x, C.Scratch())
    assert values.dtype == np.float64
    assert values.tolist() == [-2.0, 0.0, 7.0] and counts.tolist() == [2, 1, 3]
    assert C.distinct_integers(np.array([0, C.INTEGER_RANGE]), C.Scratch()) is None
    assert C.distinct_integers(np.array([0, C.INTEGER_RANGE - 1]), C.Scratch()) is not None
    big = np.array([2**64 - 1, 2**64 - 2], dtype=np.uint64)      # beyond int64
    assert C.distinct_integers(big, C.Scratch()) is None


def test_finite_values_drop_nulls_nan_and_infinities():
    s = pl.Series("x", [1.5, None, np.nan, -np.inf, 2.5, np.inf])
    assert C.finite_values(s).tolist() == [1.5, 2.5]
    ints = C.finite_values(pl.Series("i", [3, None, -1], dtype=pl.Int16))
    assert ints.dtype == np.int16 and ints.tolist() == [3, -1]
    assert C.finite_values(pl.Series("b", [True, None, False])).tolist() == [1, 0]
    f32 = C.finite_values(pl.Series("f", [0.25, None], dtype=pl.Float32))
    assert f32.dtype == np.float64 and f32.tolist() == [0.25]
    wide = C.finite_values(pl.Series("w", [2**70, None, -3], dtype=pl.Int128))
    assert wide.dtype == np.float64 and wide.tolist() == [2.0**70, -3.0]


def test_moments_of_floats_and_of_counted_integers():
    x = RNG.normal(1e6, 3, 200_000)                  # far from 0: two-pass std
    m = C.moments(x, None, C.Scratch())
    assert m["mean"] == pytest.approx(x.mean(), rel=1e-14)
    assert m["std"] == pytest.approx(x.std(ddof=1), rel=1e-10)
    assert (m["min"], m["max"]) == (x.min(), x.max())
    ints = RNG.integers(-50, 50, 10_000)
    m = C.moments(ints, C.distinct_integers(ints, C.Scratch()), C.Scratch())
    assert m["mean"] == pytest.approx(ints.mean(), rel=1e-12)
    assert m["std"] == pytest.approx(ints.std(ddof=1), rel=1e-12)
    assert (m["min"], m["max"]) == (ints.min(), ints.max())
    assert C.moments(np.array([2.5]), None, C.Scratch()) == {
        "mean": 2.5, "std": None, "min": 2.5, "max": 2.5}
    assert C.moments(np.array([]), None, C.Scratch())["mean"] is None


def test_std_of_a_tiny_spread_far_from_zero_is_exact():
    # the mean's rounding error (~1e-16) is 1e-3 of this spread; uncorrected it would
    # add ~1e-6 to the relative error of the std
    x = 1.0 + RNG.normal(0, 1e-13, 3000)
    exact = [Fraction(v) for v in x]
    mean = sum(exact) / len(exact)
    std = math.sqrt(sum((v - mean) ** 2 for v in exact) / (len(exact) - 1))
    assert C.moments(x, None, C.Scratch())["std"] == pytest.approx(std, rel=1e-12)
    huge = RNG.normal(1e300, 1e299, 100)            # squares beyond the float range
    m = C.moments(huge, None, C.Scratch())
    assert m["mean"] == pytest.approx(huge.mean(), rel=1e-12) and m["std"] == math.inf
