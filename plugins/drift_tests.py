"""Built-in drift tests, registered through entry points like any third-party test.

Significance tests (give a p-value): ``ks`` (numeric), ``chi2`` (categorical).
Effect sizes (compared with a margin): ``wasserstein`` (numeric, divided by the reference
std), ``psi`` (numeric and categorical), ``jensen_shannon`` (numeric and categorical).
The exact definitions are in ``driftline.engine.drift_stats`` and travel with every result.

Numeric columns are compared on the reference profile's quantile grid (exact counts on
both sides), except that ``ks`` uses raw values when the batch is small (its values are
kept, ``CurrentView.values``): the exact two-sample test against the profile's seeded
sample.  Categorical tests use the exact counts per category on both sides.
"""

from __future__ import annotations

import math
import warnings
from typing import ClassVar

import numpy as np
from scipy.stats import ks_2samp

from driftline.engine import ColumnProfile, CurrentView, DriftTest, TestResult, drift_stats

NUMERIC = frozenset({"numeric"})
CATEGORICAL = frozenset({"categorical"})
BOTH = NUMERIC | CATEGORICAL


class KS(DriftTest):
    """Two-sample Kolmogorov-Smirnov test (numeric)."""

    column_kinds: ClassVar[frozenset[str]] = NUMERIC
    role: ClassVar[str] = "significance"

    def compute(self, ref: ColumnProfile, cur: CurrentView) -> TestResult:
        if cur.values is not None and ref.sample:
            sample = np.asarray(ref.sample, dtype=np.float64)
            with warnings.catch_warnings():
                # scipy warns when it falls back from the exact to the asymptotic p-value.
                warnings.simplefilter("ignore", RuntimeWarning)
                res = ks_2samp(sample, cur.values, method="auto")
            return TestResult(float(res.statistic), float(res.pvalue), drift_stats.DEF_KS_EXACT,
                              {"method": "raw", "n_ref": sample.size, "n_cur": cur.values.size})
        d = drift_stats.ks_grid(ref.grid(), cur.grid)
        p = drift_stats.ks_pvalue(d, ref.values, cur.n)
        return TestResult(d, p, drift_stats.DEF_KS_GRID,
                          {"method": "grid", "n_ref": ref.values, "n_cur": cur.n})


class Wasserstein(DriftTest):
    """Wasserstein-1 distance divided by the reference standard deviation (numeric)."""

    column_kinds: ClassVar[frozenset[str]] = NUMERIC
    role: ClassVar[str] = "effect"

    def compute(self, ref: ColumnProfile, cur: CurrentView) -> TestResult:
        distance = drift_stats.wasserstein_grid(ref.grid(), cur.grid)
        scale, scale_from = _scale(ref)
        definition = drift_stats.DEF_WASSERSTEIN_GRID
        if scale_from != "std":
            definition += ("; the reference std is 0, so divided by |reference mean| "
                           "(or by 1 when that is 0 too)")
        return TestResult(distance / scale, None, definition,
                          {"distance": distance, "scale": scale, "scale_from": scale_from})


def _scale(ref: ColumnProfile) -> tuple[float, str]:
    """The reference std, or |mean| (then 1) for a constant reference column."""
    if ref.std is not None and math.isfinite(ref.std) and ref.std > 0:
        return ref.std, "std"
    if ref.mean is not None and ref.mean != 0:
        return abs(ref.mean), "abs_mean"
    return 1.0, "unit"


class PSI(DriftTest):
    """Population stability index (numeric: reference deciles; categorical: categories)."""

    column_kinds: ClassVar[frozenset[str]] = BOTH
    role: ClassVar[str] = "effect"

    def compute(self, ref: ColumnProfile, cur: CurrentView) -> TestResult:
        if ref.kind == "numeric":
            value = drift_stats.psi(ref.psi_counts, cur.psi_counts)
            return TestResult(value, None, drift_stats.DEF_PSI_NUMERIC,
                              {"bins": len(ref.psi_counts)})
        value = drift_stats.psi(cur.ref_counts, cur.counts)
        return TestResult(value, None, drift_stats.DEF_PSI_CATEGORICAL, {"bins": len(cur.bins)})


class Chi2(DriftTest):
    """Pearson chi-square test of homogeneity of category counts (categorical)."""

    column_kinds: ClassVar[frozenset[str]] = CATEGORICAL
    role: ClassVar[str] = "significance"

    def compute(self, ref: ColumnProfile, cur: CurrentView) -> TestResult:
        stat, p, dof = drift_stats.chi2_counts(cur.ref_counts, cur.counts)
        return TestResult(stat, p, drift_stats.DEF_CHI2,
                          {"dof": dof, "n_ref": int(cur.ref_counts.sum()), "n_cur": cur.n})


class JensenShannon(DriftTest):
    """Jensen-Shannon distance, base 2 (categorical: categories; numeric: deciles)."""

    column_kinds: ClassVar[frozenset[str]] = BOTH
    role: ClassVar[str] = "effect"

    def compute(self, ref: ColumnProfile, cur: CurrentView) -> TestResult:
        if ref.kind == "numeric":
            value = drift_stats.jensen_shannon(ref.psi_counts, cur.psi_counts)
        else:
            value = drift_stats.jensen_shannon(cur.ref_counts, cur.counts)
        return TestResult(value, None, drift_stats.DEF_JENSEN_SHANNON)
