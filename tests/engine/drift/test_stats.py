"""engine/drift/stats.py: every statistic against scipy or a hand computation, and the
profile (grid) estimates against the full-data computation."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

from driftline.engine.drift import stats
from driftline.engine.drift.profile import profile_frame
from driftline.engine.drift.view import view_frame

RNG = np.random.default_rng(20240601)


# -- exact functions on raw values ----------------------------------------------------------
@pytest.mark.parametrize("ref, cur", [
    (RNG.normal(0, 1, 3000), RNG.normal(0.1, 1, 2500)),
    (RNG.lognormal(0, 1, 4000), RNG.lognormal(0, 1.1, 1000)),
    (RNG.integers(0, 7, 5000).astype(float), RNG.integers(0, 8, 3000).astype(float)),  # ties
    (np.array([1.0, 2.0, 2.0, 3.0]), np.array([2.0, 2.0, 5.0])),
], ids=["normal", "lognormal", "ties", "tiny"])
def test_ks_equals_scipy_asymp(ref, cur):
    d, p = stats.ks_2samp_asymp(ref, cur)
    expected = sps.ks_2samp(ref, cur, method="asymp")
    assert d == pytest.approx(expected.statistic, abs=1e-12)
    assert p == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("d, n, m", [(0.03, 2000, 3000), (0.01, 1_000_000, 9000),
                                     (0.2, 50, 70)])
def test_ks_pvalue_is_scipys_up_to_the_exact_limit(d, n, m):
    en = round(n * m / (n + m))
    assert en <= stats.KS_EXACT_N
    assert stats.ks_pvalue(d, n, m) == pytest.approx(sps.kstwo.sf(d, en), rel=1e-12)


@pytest.mark.parametrize("en", [10_001, 30_000, 100_000])
@pytest.mark.parametrize("z", [0.5, 1.0, 1.36, 1.63, 2.0, 3.0, 3.5])  # p down to 5e-11
def test_ks_pvalue_above_the_limit_is_within_one_percent_of_scipy(en, z):
    d = z / math.sqrt(en)
    exact = sps.kstwo.sf(d, en)
    fast = stats.ks_pvalue(d, en * 2, en * 2)   # n*m/(n+m) = en
    limit = 0.01 if en < 100_000 else 0.001
    assert abs(fast - exact) / exact < limit


@pytest.mark.parametrize("ref, cur", [
    (RNG.normal(0, 1, 3000), RNG.normal(0.3, 2, 777)),
    (RNG.exponential(2, 1000), RNG.exponential(2, 1000) + 0.5),
    (RNG.integers(0, 5, 400).astype(float), RNG.integers(0, 5, 300).astype(float)),
])
def test_wasserstein_equals_scipy(ref, cur):
    assert stats.wasserstein(ref, cur) == pytest.approx(sps.wasserstein_distance(ref, cur),
                                                        rel=1e-9, abs=1e-12)


def test_psi_by_hand():
    ref, cur = [50, 30, 20, 0], [40, 30, 25, 5]
    r = [0.5, 0.3, 0.2, 1e-4]   # the empty reference bin takes the floor
    c = [0.4, 0.3, 0.25, 0.05]
    expected = sum((ci - ri) * math.log(ci / ri) for ri, ci in zip(r, c))
    assert stats.psi(ref, cur) == pytest.approx(expected, rel=1e-12)
    assert stats.psi(ref, ref) == 0.0


def test_psi_of_shares_only():
    """PSI depends on the shares, not the totals."""
    assert stats.psi([1, 2, 3], [3, 2, 1]) == pytest.approx(
        stats.psi([10, 20, 30], [300, 200, 100]))


@pytest.mark.parametrize("ref, cur", [
    ([500, 300, 200], [480, 330, 190]),
    ([100, 0, 50, 7], [90, 0, 60, 1]),          # a bin empty on both sides is dropped
    ([1000, 10], [980, 30]),                     # k = 2: no Yates correction either
])
def test_chi2_equals_scipy_without_correction(ref, cur):
    stat, p, dof = stats.chi2_counts(ref, cur)
    table = np.array([ref, cur], dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    expected = sps.chi2_contingency(table, correction=False)
    assert stat == pytest.approx(expected.statistic, rel=1e-9)
    assert p == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    assert dof == expected.dof


def test_chi2_two_bins_is_pearson_by_hand():
    ref, cur = np.array([1000.0, 10.0]), np.array([980.0, 30.0])
    total = ref + cur
    n = np.array([ref.sum(), cur.sum()])
    expected = np.outer(n, total) / total.sum()
    by_hand = (((np.vstack([ref, cur]) - expected) ** 2) / expected).sum()
    assert stats.chi2_counts(ref, cur)[0] == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("ref, cur", [
    ([5, 3, 2], [4, 4, 2]), ([1, 0, 9], [0, 5, 5]), ([10, 20, 30, 40], [10, 20, 30, 40]),
])
def test_jensen_shannon_equals_scipy_base_2(ref, cur):
    expected = jensenshannon(np.array(ref, float), np.array(cur, float), base=2)
    assert stats.jensen_shannon(ref, cur) == pytest.approx(expected, abs=1e-9)


def test_two_proportion_ztest_by_hand():
    x1, n1, x2, n2 = 30, 1000, 90, 1200
    pooled = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    got_z, got_p = stats.two_proportion_ztest(x1, n1, x2, n2)
    assert got_z == pytest.approx(z, rel=1e-12)
    assert got_p == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-9)
    assert stats.two_proportion_ztest(0, 100, 0, 50) == (0.0, 1.0)


def test_benjamini_hochberg_by_hand():
    p = [0.01, 0.04, 0.03, 0.2, 0.001]
    # sorted: 0.001, 0.01, 0.03, 0.04, 0.2 -> *5/rank: 0.005, 0.025, 0.05, 0.05, 0.2
    # running minimum from the top leaves them as they are.
    expected = [0.025, 0.05, 0.05, 0.2, 0.005]
    assert stats.benjamini_hochberg(p) == pytest.approx(expected, rel=1e-12)
    assert stats.benjamini_hochberg(p) == pytest.approx(sps.false_discovery_control(p), rel=1e-12)


def test_benjamini_hochberg_running_minimum_and_cap():
    p = [0.04, 0.041, 0.9, 0.95]
    # *4/rank: 0.16, 0.082, 1.2, 0.95 -> min from the top: 0.082, 0.082, 0.95, 0.95 (cap 1)
    assert stats.benjamini_hochberg(p) == pytest.approx([0.082, 0.082, 0.95, 0.95])
    assert stats.benjamini_hochberg([]).size == 0


# -- estimates on profiles against the full data --------------------------------------------
def _grid_vs_full(ref: np.ndarray, cur: np.ndarray, prof=None
                  ) -> tuple[float, float, float, float]:
    """(D on the profile, exact D, W/std on the profile, exact W/std)."""
    prof = prof or profile_frame(pl.DataFrame({"x": ref}), seed=1)["x"]
    view = view_frame(pl.DataFrame({"x": cur}), {"x": prof})["x"]
    std = float(np.std(ref, ddof=1))
    return (stats.ks_grid(prof.grid(), view.grid), sps.ks_2samp(ref, cur).statistic,
            stats.wasserstein_grid(prof.grid(), view.grid) / std,
            sps.wasserstein_distance(ref, cur) / std)


@pytest.mark.parametrize("values", [
    lambda n: RNG.integers(0, 40, n).astype(float),
    lambda n: RNG.choice([1.0, 2.0, 3.0, 4.0, 5.0], size=n, p=[0.05, 0.1, 0.2, 0.4, 0.25]),
    lambda n: RNG.choice([-2.5, 0.0, 1.25, 1e6], size=n, p=[0.2, 0.5, 0.25, 0.05]),
], ids=["integers", "ratings", "few-values"])
def test_grid_estimates_are_exact_when_every_value_is_a_grid_point(values):
    ref, cur = values(60_000), values(20_000) + (RNG.random(20_000) < 0.1)
    d, d_exact, w, w_exact = _grid_vs_full(ref, cur)
    assert d == pytest.approx(d_exact, abs=1e-9)
    assert w == pytest.approx(w_exact, abs=1e-9)


SKEWED = {
    "normal": lambda n: RNG.normal(10, 3, n),
    "lognormal": lambda n: RNG.lognormal(0, 1, n),
    "lognormal-heavy": lambda n: RNG.lognormal(0, 2, n),
    "exponential": lambda n: RNG.exponential(1, n),
    "pareto-1.5": lambda n: RNG.pareto(1.5, n),
    "zero-inflated": lambda n: np.where(RNG.random(n) < 0.6, 0.0, RNG.exponential(1, n)),
}
CHANGES = {
    "none": lambda y, s: y, "shift": lambda y, s: y + 0.1 * s, "scale": lambda y, s: y * 1.1,
    "mixture": lambda y, s: np.where(RNG.random(y.size) < 0.1, y + s, y),
}


@pytest.mark.parametrize("dist", list(SKEWED))
def test_grid_estimates_agree_with_the_full_data(dist):
    """The documented tolerance (stats.GRID_TOLERANCE) on skewed columns and changes."""
    ref = SKEWED[dist](100_000)
    prof = profile_frame(pl.DataFrame({"x": ref}), seed=1)["x"]
    std = float(np.std(ref, ddof=1))
    tol = stats.GRID_TOLERANCE
    for rows, w_tol in ((2_000, tol["wasserstein_norm_small"]), (50_000, tol["wasserstein_norm"])):
        for change in CHANGES.values():
            cur = change(SKEWED[dist](rows), std)
            d, d_exact, w, w_exact = _grid_vs_full(ref, cur, prof)
            assert -1e-12 <= d_exact - d <= tol["ks"]   # a lower bound, within the grid resolution
            assert abs(w - w_exact) <= w_tol
