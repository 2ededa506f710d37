"""The drift statistics: exact functions on raw values, and their estimates on profiles.

Every number a drift check reports is defined here, once.  Each result carries one of
the ``DEF_*`` strings below, stored with it, so a reader of an old result knows exactly
what was computed.

Exact functions (raw values or counts; each equals scipy on the same input within 1e-9):

* :func:`ks_2samp_asymp` -- two-sample Kolmogorov-Smirnov.  Statistic
  ``D = sup_x |F_ref(x) - F_cur(x)|`` over the two empirical CDFs (right-continuous,
  ties handled as in ``scipy.stats.ks_2samp``); two-sided asymptotic p-value
  ``kstwo.sf(D, round(n*m/(n+m)))`` -- what ``ks_2samp(method="asymp")`` computes.
* :func:`wasserstein` -- Wasserstein-1 distance ``integral |F_ref(x) - F_cur(x)| dx``
  between the empirical distributions (``scipy.stats.wasserstein_distance``), in the
  column's units; drift tests divide it by the reference standard deviation (ddof=1).
* :func:`psi` -- population stability index ``sum_i (c_i - r_i) * ln(c_i / r_i)`` over
  bins, where ``r_i``/``c_i`` are the reference/current shares of the bin; an empty bin's
  share is replaced by :data:`PSI_FLOOR` (1e-4; non-empty shares are used as they are,
  nothing is renormalised); natural log.  A symmetric divergence (Jeffreys), not a metric.
* :func:`chi2_counts` -- Pearson's chi-square test of homogeneity on the 2 x k table
  (reference counts, current counts), ``scipy.stats.chi2_contingency(correction=False)``:
  no Yates correction for any k, so k = 2 is treated like every other k; bins empty in
  both rows are dropped first (they carry no information and have expected count 0).
* :func:`jensen_shannon` -- Jensen-Shannon *distance* (the square root of the
  divergence) between the two bin-share vectors, log base 2, so it lies in [0, 1]
  (``scipy.spatial.distance.jensenshannon(p, q, base=2)``).
* :func:`two_proportion_ztest` -- pooled two-proportion z-test, two-sided p-value
  ``erfc(|z| / sqrt 2)``; p = 1 when the pooled proportion is 0 or 1 (no variance).
* :func:`benjamini_hochberg` -- Benjamini-Hochberg adjusted p-values
  ``p_adj(i) = min_{j >= i} min(1, m * p_(j) / j)`` over the sorted p-values
  (``scipy.stats.false_discovery_control(method="bh")``).

Estimates on a profile (the reference is not kept, only its :class:`GridCdf`: the exact
fractions of reference values ``<= g`` and ``< g`` at each grid point ``g``, with the
reference min and max as first and last points; the batch is counted exactly at the same
points, see ``engine.drift.profile``):

* :func:`ks_grid` -- ``D`` evaluated at the grid points only (both ``F(g)`` and the left
  limit ``F(g-)``).  A lower bound of the exact D; equal to it when every value of both
  samples is a grid point (discrete columns), otherwise short of it by at most the larger
  of the two distributions' masses strictly inside one grid interval (about 1/200 of the
  reference, plus the batch's share there).  A lower D gives a larger (conservative)
  p-value.
* :func:`wasserstein_grid` -- the integral over each grid interval with both CDFs
  interpolated linearly between their values just right of the left point and just left
  of the right point (values spread evenly inside an interval), integrated exactly
  (including a sign change); outside [ref min, ref max] the reference CDF is 0 or 1 and
  the integral is the batch's exact tail term ``E[(min - X)+]`` / ``E[(X - max)+]``.
  Exact when every value is a grid point; the measured error on continuous and skewed
  columns is in ``tests/engine/drift/test_stats.py`` (:data:`GRID_TOLERANCE`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Share used for a bin that holds no values, in PSI.
PSI_FLOOR = 1e-4

#: Documented agreement of the profile (grid) estimates with the full-data computation,
#: measured on normal, lognormal, exponential, uniform and integer columns of 10^5 to 10^6
#: rows (reference profile vs raw values): absolute error of the KS statistic, and of the
#: Wasserstein distance divided by the reference std.
GRID_TOLERANCE = {"ks": 0.005, "wasserstein_norm": 0.005}

DEF_KS_ASYMP = (
    "two-sample Kolmogorov-Smirnov: D = max |F_ref - F_cur| over the empirical CDFs; "
    "two-sided asymptotic p = scipy.stats.kstwo.sf(D, round(n*m/(n+m)))")
DEF_KS_GRID = (
    "two-sample Kolmogorov-Smirnov on the reference profile: D = max |F_ref - F_cur| at the "
    "reference quantile-grid points (F(g) and F(g-)), F_ref exact counts of the full "
    "reference, F_cur exact counts of the batch (a lower bound of the exact D); two-sided "
    "asymptotic p = scipy.stats.kstwo.sf(D, round(n*m/(n+m)))")
DEF_KS_EXACT = (
    "two-sample Kolmogorov-Smirnov on raw values: the reference profile's seeded sample vs "
    "every batch value; p-value from scipy.stats.ks_2samp(method='auto') (exact distribution "
    "when both sizes are <= 10000)")
DEF_WASSERSTEIN = (
    "Wasserstein-1 distance (integral |F_ref - F_cur| dx) divided by the reference std "
    "(ddof=1); raw values on both sides")
DEF_WASSERSTEIN_GRID = (
    "Wasserstein-1 distance (integral |F_ref - F_cur| dx) divided by the reference std "
    "(ddof=1), on the reference profile: exact CDF values at the reference quantile-grid "
    "points, linear inside each grid interval, exact tail terms E[(ref_min - X)+] and "
    "E[(X - ref_max)+] outside the reference range")
DEF_PSI_NUMERIC = (
    "population stability index sum((c - r) * ln(c / r)) over bin shares r (reference), "
    "c (batch); bins (-inf, d1], (d1, d2], ..., (d9, +inf) on the reference deciles (equal "
    "edges merged); an empty bin's share is 1e-4; natural log")
DEF_PSI_CATEGORICAL = (
    "population stability index sum((c - r) * ln(c / r)) over bin shares r (reference), "
    "c (batch); one bin per reference category, plus 'other' (categories beyond the "
    "profile's cap) and 'unseen' (batch values absent from the reference); an empty bin's "
    "share is 1e-4; natural log")
DEF_CHI2 = (
    "Pearson chi-square test of homogeneity on the 2 x k table of reference and batch "
    "counts per category (reference categories, 'other', 'unseen'; bins empty in both rows "
    "dropped), scipy.stats.chi2_contingency(correction=False): no Yates correction")
DEF_JENSEN_SHANNON = (
    "Jensen-Shannon distance sqrt(JS divergence), log base 2 (range 0..1), between the "
    "bin shares of reference and batch (scipy.spatial.distance.jensenshannon(base=2)); "
    "categorical bins: reference categories, 'other', 'unseen'; numeric bins: reference "
    "deciles")
DEF_NULL_RATE = (
    "null-rate change: batch null share - reference null share (nulls include NaN and "
    "+-inf); pooled two-proportion z-test, two-sided p = erfc(|z|/sqrt 2)")
DEF_UNSEEN = (
    "unseen categories: share of the batch's non-null values whose category never "
    "occurs in the reference (unknown when the reference profile capped its categories)")
DEF_BH = ("Benjamini-Hochberg adjusted p-values across the columns of one check "
          "(scipy.stats.false_discovery_control(method='bh'))")


# -- exact functions on raw values or counts ---------------------------------------------
def ks_statistic(ref: np.ndarray, cur: np.ndarray) -> float:
    """Two-sample KS statistic D on raw values (as ``scipy.stats.ks_2samp``)."""
    a, b = np.sort(np.asarray(ref, dtype=np.float64)), np.sort(np.asarray(cur, dtype=np.float64))
    if a.size == 0 or b.size == 0:
        raise ValueError("KS needs at least one value on each side")
    both = np.concatenate([a, b])
    fa = np.searchsorted(a, both, side="right") / a.size
    fb = np.searchsorted(b, both, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def ks_pvalue_asymp(d: float, n: int, m: int) -> float:
    """Two-sided asymptotic KS p-value for statistic ``d`` and sample sizes ``n``, ``m``."""
    from scipy.stats import kstwo

    big, small = max(float(n), float(m)), min(float(n), float(m))
    en = big * small / (big + small)
    return float(np.clip(kstwo.sf(d, np.round(en)), 0.0, 1.0))


def ks_2samp_asymp(ref: np.ndarray, cur: np.ndarray) -> tuple[float, float]:
    """(D, asymptotic two-sided p-value) on raw values."""
    d = ks_statistic(ref, cur)
    return d, ks_pvalue_asymp(d, len(ref), len(cur))


def wasserstein(ref: np.ndarray, cur: np.ndarray) -> float:
    """Wasserstein-1 distance between the empirical distributions of two raw samples."""
    a, b = np.sort(np.asarray(ref, dtype=np.float64)), np.sort(np.asarray(cur, dtype=np.float64))
    if a.size == 0 or b.size == 0:
        raise ValueError("Wasserstein needs at least one value on each side")
    both = np.sort(np.concatenate([a, b]))
    widths = np.diff(both)
    fa = np.searchsorted(a, both[:-1], side="right") / a.size
    fb = np.searchsorted(b, both[:-1], side="right") / b.size
    return float(np.dot(np.abs(fa - fb), widths))


def shares(counts: Sequence[float] | np.ndarray) -> np.ndarray:
    """Counts as shares of their total (all zeros for an empty total)."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    return c / total if total > 0 else np.zeros_like(c)


def psi(ref_counts: Sequence[float] | np.ndarray, cur_counts: Sequence[float] | np.ndarray,
        floor: float = PSI_FLOOR) -> float:
    """Population stability index over aligned bins (see the module docstring)."""
    r, c = _aligned(ref_counts, cur_counts)
    r, c = shares(r), shares(c)
    r = np.where(r > 0, r, floor)
    c = np.where(c > 0, c, floor)
    return float(np.sum((c - r) * np.log(c / r)))


def chi2_counts(ref_counts: Sequence[float] | np.ndarray, cur_counts: Sequence[float] | np.ndarray
                ) -> tuple[float, float, int]:
    """(chi-square, p-value, degrees of freedom) of the 2 x k homogeneity test, no Yates."""
    from scipy.stats import chi2_contingency

    r, c = _aligned(ref_counts, cur_counts)
    keep = (r + c) > 0
    table = np.vstack([r[keep], c[keep]])
    if table.shape[1] < 2 or r.sum() == 0 or c.sum() == 0:
        return 0.0, 1.0, 0
    res = chi2_contingency(table, correction=False)
    return float(res.statistic), float(res.pvalue), int(res.dof)


def jensen_shannon(ref_counts: Sequence[float] | np.ndarray,
                   cur_counts: Sequence[float] | np.ndarray) -> float:
    """Jensen-Shannon distance (base 2) between the shares of two aligned count vectors."""
    r, c = _aligned(ref_counts, cur_counts)
    p, q = shares(r), shares(c)
    m = (p + q) / 2.0
    div = 0.5 * (_kl2(p, m) + _kl2(q, m))
    return float(math.sqrt(max(div, 0.0)))


def _kl2(p: np.ndarray, m: np.ndarray) -> float:
    """Kullback-Leibler divergence in bits, with 0 * log(0 / x) = 0."""
    nz = p > 0
    return float(np.sum(p[nz] * np.log2(p[nz] / m[nz])))


def two_proportion_ztest(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """(z, two-sided p) for proportions x1/n1 vs x2/n2, pooled standard error."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both samples need at least one row")
    pooled = (x1 + x2) / (n1 + n2)
    if pooled <= 0.0 or pooled >= 1.0:
        return 0.0, 1.0
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = (x2 / n2 - x1 / n1) / se
    return z, math.erfc(abs(z) / math.sqrt(2.0))


def benjamini_hochberg(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, in the input order."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def _aligned(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    r, c = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if r.shape != c.shape or r.ndim != 1:
        raise ValueError(f"count vectors must be aligned, got shapes {r.shape} and {c.shape}")
    return r, c


# -- estimates on profiles ---------------------------------------------------------------
@dataclass(frozen=True)
class GridCdf:
    """A distribution's empirical CDF known at grid points only.

    ``points`` are increasing (the reference min first, max last); ``le[i]`` / ``lt[i]`` are
    the fractions of the non-null values ``<= points[i]`` / ``< points[i]``.
    """

    points: np.ndarray
    le: np.ndarray
    lt: np.ndarray


def ks_grid(ref: GridCdf, cur: GridCdf) -> float:
    """KS statistic D at the grid points (a lower bound of the exact D)."""
    return float(max(np.max(np.abs(ref.le - cur.le)), np.max(np.abs(ref.lt - cur.lt))))


def wasserstein_grid(ref: GridCdf, cur: GridCdf, below: float, above: float) -> float:
    """Wasserstein-1 estimate: linear CDFs inside grid intervals, exact tails.

    ``below`` = E[(ref_min - X)+] and ``above`` = E[(X - ref_max)+] over the batch values X.
    """
    widths = np.diff(ref.points)
    d0 = (ref.le - cur.le)[:-1]   # just right of each interval's left point
    d1 = (ref.lt - cur.lt)[1:]    # just left of its right point
    a0, a1 = np.abs(d0), np.abs(d1)
    same = d0 * d1 >= 0
    total = a0 + a1
    crossing = np.divide(d0 * d0 + d1 * d1, 2.0 * total, out=np.zeros_like(total),
                         where=total > 0)
    inner = np.where(same, (a0 + a1) / 2.0, crossing)
    return float(np.dot(inner, widths) + below + above)
