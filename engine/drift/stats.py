"""The drift statistics: exact functions on raw values, and their estimates on profiles.

Every number a drift check reports is defined here, once.  Each result carries one of
the ``DEF_*`` strings below, stored with it, so a reader of an old result knows exactly
what was computed.

Exact functions (raw values or counts; each equals scipy on the same input within 1e-9):

* :func:`ks_2samp_asymp` -- two-sample Kolmogorov-Smirnov.  Statistic
  ``D = sup_x |F_ref(x) - F_cur(x)|`` over the two empirical CDFs (right-continuous,
  ties handled as in ``scipy.stats.ks_2samp``); two-sided asymptotic p-value
  ``kstwo.sf(D, round(n*m/(n+m)))`` -- what ``ks_2samp(method="asymp")`` computes.
  :func:`ks_pvalue` is the same up to an effective size of 10^4 and switches to the
  corrected limiting distribution above it (scipy's is O(n) per call there).
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
points, see ``driftline.engine.drift.profile``):

* :func:`ks_grid` -- ``D`` evaluated at the grid points only (both ``F(g)`` and the left
  limit ``F(g-)``).  A lower bound of the exact D; equal to it when every value of both
  samples is a grid point (discrete columns), otherwise short of it by at most the larger
  of the two distributions' masses strictly inside one grid interval (about 1/200 of the
  reference, plus the batch's share there).  A lower D gives a larger (conservative)
  p-value.
* :func:`wasserstein_grid` -- ``integral |F_ref - F_cur| dx`` from the exact CDF values
  and exact lower partial moments ``L(g) = E[(g - X)+]`` (the integral of the CDF up to
  g) at the grid points: over each grid interval the signed integral of F_ref - F_cur is
  exact, and it is the interval's part of the distance unless the two CDFs cross inside
  the interval (where the sign at the two ends differs, the cancelled part is estimated
  with both CDFs linear inside the interval);
  outside [ref min, ref max] the reference CDF is 0 or 1 and the integral is the batch's
  exact ``E[(min - X)+]`` / ``E[(X - max)+]``.  Exact when every value is a grid point;
  the error measured on continuous and skewed columns is :data:`GRID_TOLERANCE` (see
  ``tests/engine/drift/test_stats.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Share used for a bin that holds no values, in PSI.
PSI_FLOOR = 1e-4
#: Largest effective sample size n*m/(n+m) for which KS p-values use scipy's kstwo.sf.
KS_EXACT_N = 10_000

#: Documented agreement of the profile (grid) estimates with the full-data computation
#: (reference profile vs the raw reference values), measured on normal, lognormal (sigma 1
#: and 2), exponential, Pareto(1.5), integer and zero-inflated columns, unchanged, shifted
#: by 0.1 std, scaled by 1.1 and 10% mixed with a 1-std shift, reference of 2*10^5 rows:
#: "ks" -- the exact D minus the grid D (never negative), worst measured 0.004;
#: "wasserstein_norm" -- |difference| of Wasserstein / reference std for batches of at
#: least 5*10^4 rows, worst measured 0.0019; "wasserstein_norm_small" -- the same for
#: batches of 500 to 5*10^4 rows, worst measured 0.0072 (Pareto and lognormal sigma 2).
#: Columns whose values are all grid points (up to ~200 distinct values) are exact.
GRID_TOLERANCE = {"ks": 0.005, "wasserstein_norm": 0.0025, "wasserstein_norm_small": 0.008}

DEF_KS_ASYMP = (
    "two-sample Kolmogorov-Smirnov: D = max |F_ref - F_cur| over the empirical CDFs; "
    "two-sided asymptotic p = scipy.stats.kstwo.sf(D, round(n*m/(n+m)))")
DEF_KS_GRID = (
    "two-sample Kolmogorov-Smirnov on the reference profile: D = max |F_ref - F_cur| at the "
    "reference quantile-grid points (F(g) and F(g-)), F_ref exact counts of the full "
    "reference, F_cur exact counts of the batch (a lower bound of the exact D); two-sided "
    "asymptotic p = scipy.stats.kstwo.sf(D, N), N = round(n*m/(n+m)), for N <= 10000, else "
    "scipy.stats.kstwobign.sf(sqrt(N)*D + 1/(6*sqrt(N))) (within 1% of kstwo.sf)")
DEF_KS_EXACT = (
    "two-sample Kolmogorov-Smirnov on raw values: the reference profile's seeded sample vs "
    "every batch value; p-value from scipy.stats.ks_2samp(method='auto') (exact distribution "
    "when both sizes are <= 10000)")
DEF_WASSERSTEIN = (
    "Wasserstein-1 distance (integral |F_ref - F_cur| dx) divided by the reference std "
    "(ddof=1); raw values on both sides")
DEF_WASSERSTEIN_GRID = (
    "Wasserstein-1 distance (integral |F_ref - F_cur| dx) divided by the reference std "
    "(ddof=1), on the reference profile: per interval between reference quantile-grid "
    "points the exact signed integral of F_ref - F_cur (from exact counts and partial "
    "moments E[(g - X)+] of both sides), its part cancelled by a crossing estimated with "
    "linear CDFs; exact tail terms E[(ref_min - X)+] and E[(X - ref_max)+] outside the "
    "reference range")
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


def _effective_n(n: int, m: int) -> float:
    big, small = max(float(n), float(m)), min(float(n), float(m))
    return float(np.round(big * small / (big + small)))


def ks_pvalue_asymp(d: float, n: int, m: int) -> float:
    """Two-sided asymptotic KS p-value for statistic ``d`` and sample sizes ``n``, ``m``
    (scipy's: ``kstwo.sf(d, round(n*m/(n+m)))``; slow -- O(n) -- for large samples)."""
    from scipy.stats import kstwo

    return float(np.clip(kstwo.sf(d, _effective_n(n, m)), 0.0, 1.0))


def ks_pvalue(d: float, n: int, m: int) -> float:
    """Two-sided KS p-value, fast at any size: :func:`ks_pvalue_asymp` up to an effective
    size ``N = round(n*m/(n+m))`` of :data:`KS_EXACT_N`; above it Kolmogorov's limiting
    distribution with the 1/(6 sqrt N) correction, ``kstwobign.sf(sqrt(N)*d + 1/(6 sqrt N))``,
    which differs from ``kstwo.sf(d, N)`` by less than 1% relative (measured for N >= 10^4,
    p >= 1e-12; under 0.1% from N >= 10^5).  scipy's ``kstwo.sf`` takes about a second per
    call at N = 5*10^5, hence the switch."""
    from scipy.stats import kstwobign

    big_n = _effective_n(n, m)
    if big_n <= KS_EXACT_N:
        return ks_pvalue_asymp(d, n, m)
    root = math.sqrt(big_n)
    return float(np.clip(kstwobign.sf(d * root + 1.0 / (6.0 * root)), 0.0, 1.0))


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
    """(chi-square, p-value, degrees of freedom) of the 2 x k homogeneity test, no Yates.

    Computed as ``chi2_contingency(correction=False)`` does -- expected counts
    ``row total * column total / total``, Pearson's sum of ``(observed - expected)^2 /
    expected``, ``p = chi2.sf(statistic, k - 1)`` -- without its general n-way machinery
    (which costs a millisecond per call)."""
    from scipy.special import chdtrc

    r, c = _aligned(ref_counts, cur_counts)
    keep = (r + c) > 0
    r, c = r[keep], c[keep]
    if r.size < 2 or r.sum() == 0 or c.sum() == 0:
        return 0.0, 1.0, 0
    columns = r + c
    total = columns.sum()
    statistic = 0.0
    for row in (r, c):
        expected = row.sum() * columns / total
        statistic += float(np.sum((row - expected) ** 2 / expected))
    dof = r.size - 1
    return statistic, float(chdtrc(dof, statistic)), dof


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
    """A distribution known at grid points only (all exact, from counts and sums).

    ``points`` are increasing (the reference min first, max last); ``le[i]`` / ``lt[i]``
    are the fractions of the non-null values ``<= points[i]`` / ``< points[i]``;
    ``lpm[i] = E[(points[i] - X)+]``, the lower partial moment (the integral of the CDF up
    to ``points[i]``); ``tail = E[(X - points[-1])+]``.
    """

    points: np.ndarray
    le: np.ndarray
    lt: np.ndarray
    lpm: np.ndarray
    tail: float = 0.0


def ks_grid(ref: GridCdf, cur: GridCdf) -> float:
    """KS statistic D at the grid points (a lower bound of the exact D)."""
    return float(max(np.max(np.abs(ref.le - cur.le)), np.max(np.abs(ref.lt - cur.lt))))


def wasserstein_grid(ref: GridCdf, cur: GridCdf) -> float:
    """Wasserstein-1 estimate from the CDFs and partial moments at the grid points.

    Per grid interval (a, b): the signed integral of F_ref - F_cur is exact,
    ``(L_ref(b) - L_ref(a)) - (L_cur(b) - L_cur(a))`` with L the lower partial moment; its
    absolute value is the interval's share of the distance when F_ref - F_cur has one sign
    at both ends (exact unless the CDFs cross inside).  Where the sign changes, the part
    that cancels in the signed integral is estimated with both CDFs linear inside the
    interval: ``|signed| + 2 * min(A+, A-)``, A+/A- the positive/negative areas of the
    linear difference (this stays close to the signed integral when the difference only
    grazes zero at one end, as in a wide tail interval).  Below the reference min and
    above its max the reference CDF is 0 / 1, so those parts are the batch's exact
    ``E[(min - X)+]`` and ``E[(X - max)+]``.
    """
    widths = np.diff(ref.points)
    d0 = (ref.le - cur.le)[:-1]   # just right of each interval's left point
    d1 = (ref.lt - cur.lt)[1:]    # just left of its right point
    signed = np.abs(np.diff(ref.lpm) - np.diff(cur.lpm))
    total = np.abs(d0) + np.abs(d1)
    cancelled = np.divide(np.minimum(d0 * d0, d1 * d1), total, out=np.zeros_like(total),
                          where=total > 0) * widths
    inner = np.where(d0 * d1 >= 0, signed, signed + cancelled)
    return float(inner.sum() + cur.lpm[0] + cur.tail)
