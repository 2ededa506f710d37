"""plugins/drift_tests.py: the built-in drift tests, loaded through the registry, checked
against scipy and hand computations on the same data."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

from driftline.engine import DriftTest, Registry, TestResult, drift_stats
from driftline.engine.drift.profile import profile_frame
from driftline.engine.drift.view import view_frame

RNG = np.random.default_rng(11)
BUILT_INS = {"ks": ("significance", {"numeric"}), "chi2": ("significance", {"categorical"}),
             "wasserstein": ("effect", {"numeric"}),
             "psi": ("effect", {"numeric", "categorical"}),
             "jensen_shannon": ("effect", {"numeric", "categorical"})}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_environment()


def run(registry: Registry, name: str, ref: dict, cur: dict, column: str,
        small_rows: int = 0) -> TestResult:
    profiles = profile_frame(pl.DataFrame(ref), seed=5)
    views = view_frame(pl.DataFrame(cur), profiles, small_rows=small_rows)
    test = registry.load("drift_test", name)()
    return test.compute(profiles[column], views[column])


@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_built_ins_are_registered_with_role_and_kinds(registry, name):
    cls = registry.load("drift_test", name)
    assert issubclass(cls, DriftTest)
    assert (cls.role, set(cls.column_kinds)) == BUILT_INS[name]
    assert registry.entry("drift_test", name).distribution == "driftline"


# Discrete values: every value is a grid point, so the profile-based results are exact.
# Sizes keep n*m/(n+m) <= 10^4, where the p-value is scipy's kstwo.sf itself.
REF_INT = RNG.integers(0, 30, 20_000).astype(float)
CUR_INT = np.clip(RNG.integers(0, 30, 10_000) + (RNG.random(10_000) < 0.2), 0, 35).astype(float)


def test_ks_on_the_profile_equals_scipy_asymp(registry):
    res = run(registry, "ks", {"x": REF_INT}, {"x": CUR_INT}, "x")
    expected = sps.ks_2samp(REF_INT, CUR_INT, method="asymp")
    assert res.statistic == pytest.approx(expected.statistic, abs=1e-9)
    assert res.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    assert res.definition == drift_stats.DEF_KS_GRID and res.details["method"] == "grid"


def test_ks_on_a_small_batch_is_scipys_exact_test_on_the_sample(registry):
    ref, cur = RNG.normal(0, 1, 20_000), RNG.normal(0.2, 1, 400)
    profiles = profile_frame(pl.DataFrame({"x": ref}), seed=5)
    res = run(registry, "ks", {"x": ref}, {"x": cur}, "x", small_rows=1000)
    expected = sps.ks_2samp(np.array(profiles["x"].sample), cur, method="exact")
    assert res.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert res.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert res.definition == drift_stats.DEF_KS_EXACT


def test_wasserstein_is_scipys_divided_by_the_reference_std(registry):
    res = run(registry, "wasserstein", {"x": REF_INT}, {"x": CUR_INT}, "x")
    expected = sps.wasserstein_distance(REF_INT, CUR_INT) / np.std(REF_INT, ddof=1)
    assert res.statistic == pytest.approx(expected, abs=1e-9)
    assert res.p_value is None and res.details["scale_from"] == "std"


def test_wasserstein_of_a_constant_reference_uses_the_mean(registry):
    res = run(registry, "wasserstein", {"x": np.full(100, 4.0)}, {"x": np.full(50, 5.0)}, "x")
    assert res.statistic == pytest.approx(1.0 / 4.0)
    assert res.details["scale_from"] == "abs_mean" and "std is 0" in res.definition


def test_psi_numeric_is_a_hand_computation_on_the_reference_deciles(registry):
    ref, cur = RNG.normal(0, 1, 30_000), RNG.normal(0.2, 1.1, 10_000)
    res = run(registry, "psi", {"x": ref}, {"x": cur}, "x")
    edges = np.quantile(ref, [i / 10 for i in range(1, 10)])   # all rows: exact deciles
    r = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=10) / ref.size
    c = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=10) / cur.size
    r, c = np.where(r > 0, r, 1e-4), np.where(c > 0, c, 1e-4)
    assert res.statistic == pytest.approx(float(np.sum((c - r) * np.log(c / r))), rel=1e-12)
    assert res.definition == drift_stats.DEF_PSI_NUMERIC


CATS = ["a", "b", "c", "d"]
REF_CAT = list(RNG.choice(CATS, 5000, p=[0.4, 0.3, 0.2, 0.1]))
CUR_CAT = list(RNG.choice(CATS + ["new"], 3000, p=[0.3, 0.3, 0.2, 0.15, 0.05]))


def _cat_counts() -> tuple[np.ndarray, np.ndarray]:
    order = ["a", "b", "c", "d", "new"]
    ref = np.array([REF_CAT.count(k) for k in order], dtype=float)
    cur = np.array([CUR_CAT.count(k) for k in order], dtype=float)
    return ref, cur


def test_psi_categorical_by_hand_with_the_unseen_bin(registry):
    res = run(registry, "psi", {"c": REF_CAT}, {"c": CUR_CAT}, "c")
    ref, cur = _cat_counts()
    r, c = ref / ref.sum(), cur / cur.sum()
    r[-1] = 1e-4                                   # 'new' never occurs in the reference
    assert res.statistic == pytest.approx(float(np.sum((c - r) * np.log(c / r))), rel=1e-12)


def test_chi2_equals_scipy_chi2_contingency(registry):
    res = run(registry, "chi2", {"c": REF_CAT}, {"c": CUR_CAT}, "c")
    expected = sps.chi2_contingency(np.vstack(_cat_counts()), correction=False)
    assert res.statistic == pytest.approx(expected.statistic, rel=1e-9)
    assert res.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    assert res.details["dof"] == 4


def test_jensen_shannon_equals_scipy(registry):
    res = run(registry, "jensen_shannon", {"c": REF_CAT}, {"c": CUR_CAT}, "c")
    ref, cur = _cat_counts()
    assert res.statistic == pytest.approx(jensenshannon(ref, cur, base=2), abs=1e-9)
    num = run(registry, "jensen_shannon", {"x": REF_INT}, {"x": CUR_INT}, "x")
    assert 0 < num.statistic < 1 and not math.isnan(num.statistic)


def test_identical_data_gives_no_difference(registry):
    for name in ("ks", "wasserstein", "psi", "jensen_shannon"):
        assert run(registry, name, {"x": REF_INT}, {"x": REF_INT}, "x").statistic == \
            pytest.approx(0.0, abs=1e-12)
    assert run(registry, "chi2", {"c": REF_CAT}, {"c": REF_CAT}, "c").p_value == \
        pytest.approx(1.0)
