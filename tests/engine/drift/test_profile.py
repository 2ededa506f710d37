"""engine/drift/profile.py: profiles and batch views against independent computations."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import polars as pl
import pytest

from driftline.engine.drift import profile as P
from driftline.engine.drift import view as V
from driftline.engine.errors import DataError
from tests.engine.drift.exact import exact_le_lt as _exact_le_lt
from tests.engine.drift.exact import lower_partial_moments as _lpm

RNG = np.random.default_rng(7)


# -- numeric profiles -------------------------------------------------------------------------
def test_numeric_profile_of_a_small_column_is_exact():
    x = RNG.lognormal(0, 1, 5000)
    x[::97] = np.nan
    x[5] = np.inf
    series = pl.Series("x", x).to_frame().with_columns(
        pl.when(pl.int_range(pl.len()) % 50 == 1).then(None).otherwise(pl.col("x")).alias("x"))
    prof = P.profile_frame(series, seed=3)["x"]
    raw = series["x"].to_numpy()
    finite = raw[np.isfinite(raw)]
    assert (prof.kind, prof.dtype, prof.count) == ("numeric", "Float64", 5000)
    assert prof.nulls == 5000 - finite.size          # nulls, NaN and inf
    assert prof.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert prof.std == pytest.approx(finite.std(ddof=1), rel=1e-12)
    assert (prof.min, prof.max) == (finite.min(), finite.max())
    # fewer rows than GRID_ROWS: the quantiles are numpy's linear quantiles of all values
    assert prof.quantiles == pytest.approx(np.quantile(finite, P.QUANTILE_LEVELS), rel=1e-12)
    le, lt = _exact_le_lt(finite, prof.quantiles)
    assert list(prof.cdf_le) == le.tolist() and list(prof.cdf_lt) == lt.tolist()
    assert prof.lpm == pytest.approx(_lpm(finite, prof.quantiles), rel=1e-9, abs=1e-12)


def test_numeric_profile_of_a_large_column_counts_every_row():
    x = np.concatenate([RNG.exponential(2, 300_000), RNG.integers(0, 5, 100_000).astype(float)])
    prof = P.profile_frame(pl.DataFrame({"x": x}), seed=1)["x"]
    le, lt = _exact_le_lt(x, prof.quantiles)
    assert list(prof.cdf_le) == le.tolist() and list(prof.cdf_lt) == lt.tolist()
    assert prof.quantiles[0] == x.min() and prof.quantiles[-1] == x.max()
    # the grid comes from a subset, so its levels are approximate: within 1% of each level
    # (with ties a level lies between the shares below and up to the quantile)
    levels = np.array(P.QUANTILE_LEVELS)
    assert np.all(lt / x.size - 0.01 <= levels) and np.all(levels <= le / x.size + 0.01)
    assert prof.lpm == pytest.approx(_lpm(x, prof.quantiles), rel=1e-9, abs=1e-9)


def test_psi_bins_are_the_reference_deciles():
    x = RNG.normal(0, 1, 20_000)
    prof = P.profile_frame(pl.DataFrame({"x": x}))["x"]
    edges = np.array(prof.psi_edges)
    assert edges[0] == -math.inf and edges[-1] == math.inf
    assert edges[1:-1] == pytest.approx(np.quantile(x, [i / 10 for i in range(1, 10)]))
    counts, _ = np.histogram(x, bins=np.concatenate([[-1e300], edges[1:-1], [1e300]]))
    # numpy's bins are [a, b); ours (a, b]: identical for continuous values
    assert list(prof.psi_counts) == counts.tolist()


def test_integer_and_constant_columns():
    df = pl.DataFrame({"age": RNG.integers(18, 90, 3000), "one": [7] * 3000})
    prof = P.profile_frame(df)
    assert prof["age"].dtype == "Int64" and prof["age"].kind == "numeric"
    one = prof["one"]
    assert (one.min, one.max, one.std) == (7.0, 7.0, 0.0)
    assert set(one.quantiles) == {7.0} and one.cdf_le[0] == 3000 and one.cdf_lt[0] == 0
    assert list(one.psi_counts) == [3000, 0]


def test_sample_is_seeded_bounded_and_non_null():
    x = np.where(RNG.random(50_000) < 0.3, np.nan, RNG.normal(0, 1, 50_000))
    df = pl.DataFrame({"x": x})
    a = P.profile_frame(df, seed=1)["x"]
    assert a.sample == P.profile_frame(df, seed=1)["x"].sample
    assert a.sample != P.profile_frame(df, seed=2)["x"].sample
    assert len(a.sample) == P.SAMPLE_SIZE and len(set(a.sample)) == P.SAMPLE_SIZE
    assert set(a.sample) <= set(x[np.isfinite(x)].tolist())


# -- categorical profiles ---------------------------------------------------------------------
def test_categorical_counts_with_cap_other_and_ties():
    values = [f"c{i:03d}" for i in range(250) for _ in range(1 + (i % 3))] + [None] * 10
    df = pl.DataFrame({"c": values})
    prof = P.profile_frame(df)["c"]
    assert (prof.kind, prof.nulls, prof.count) == ("categorical", 10, len(values))
    counts = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:P.MAX_CATEGORIES]
    kept = {k: v for k, v in prof.categories.items() if k != P.OTHER}
    assert list(kept.items()) == expected
    assert prof.categories[P.OTHER] == sum(counts.values()) - sum(v for _, v in expected)
    assert prof.capped


def test_boolean_categorical_and_enum_columns_profile_as_strings():
    df = pl.DataFrame({"b": [True, False, True, None],
                       "e": pl.Series(["x", "y", "x", "x"], dtype=pl.Enum(["x", "y"]))})
    prof = P.profile_frame(df)
    assert prof["b"].categories == {"true": 2, "false": 1} and prof["b"].nulls == 1
    assert prof["e"].categories == {"x": 3, "y": 1} and not prof["e"].capped


def test_dates_are_not_profiled_and_explicit_kinds_are_checked():
    df = pl.DataFrame({"d": [dt.date(2024, 1, i) for i in range(1, 4)], "n": [1, 2, 3],
                       "s": ["a", "b", "c"]})
    assert set(P.profile_frame(df)) == {"n", "s"}
    assert P.profile_frame(df, {"n": "categorical"})["n"].categories == {"1": 1, "2": 1, "3": 1}
    with pytest.raises(DataError, match="column 'zz'"):
        P.profile_frame(df, {"zz": "numeric"})
    with pytest.raises(DataError, match="cannot profile column 's' as numeric"):
        P.profile_frame(df, {"s": "numeric"})


def test_round_trip_through_json():
    df = pl.DataFrame({"x": RNG.normal(0, 1, 2000), "c": RNG.choice(["a", "b"], 2000),
                       "single": [1.0] + [None] * 1999})
    for prof in P.profile_frame(df).values():
        text = json.dumps(prof.to_dict())    # -inf/+inf psi edges: json writes Infinity
        assert P.ColumnProfile.from_dict(json.loads(text)) == prof
    single = P.profile_frame(df)["single"]
    assert single.to_dict()["std"] is None        # std of one value: NaN, stored as null


def test_unknown_profile_version_is_a_data_error():
    data = P.profile_frame(pl.DataFrame({"x": [1.0, 2.0]}))["x"].to_dict()
    data["version"] = 99
    with pytest.raises(DataError, match="format version 99"):
        P.ColumnProfile.from_dict(data)


# -- batch views ------------------------------------------------------------------------------
@pytest.mark.parametrize("ref, cur", [
    (RNG.normal(0, 1, 80_000), RNG.normal(0.3, 1.5, 120_000)),
    (RNG.lognormal(0, 1, 80_000), RNG.lognormal(0, 1, 50_000) * 3),       # far beyond ref max
    (RNG.integers(0, 100, 80_000).astype(float), RNG.integers(-5, 120, 70_000).astype(float)),
    (np.where(RNG.random(80_000) < 0.6, 0.0, RNG.exponential(1, 80_000)),
     np.where(RNG.random(60_000) < 0.4, 0.0, RNG.exponential(1, 60_000))),
    (np.full(1000, 3.0), RNG.normal(3, 1, 5000)),                           # constant reference
], ids=["normal", "lognormal-wide", "integers", "zero-inflated", "constant"])
def test_view_counts_the_batch_exactly_at_the_grid(ref, cur):
    prof = P.profile_frame(pl.DataFrame({"x": ref}), seed=2)["x"]
    column = pl.Series("x", cur).append(pl.Series("x", [np.nan, np.inf, None], pl.Float64))
    view = V.view_frame(column.to_frame(), {"x": prof})["x"]
    points = prof.grid().points
    le, lt = _exact_le_lt(cur, points)
    assert view.n == cur.size and view.nulls == 3      # null, NaN and inf
    assert view.grid.le * cur.size == pytest.approx(le, abs=1e-6)
    assert view.grid.lt * cur.size == pytest.approx(lt, abs=1e-6)
    assert view.grid.lpm == pytest.approx(_lpm(cur, points), rel=1e-9, abs=1e-9)
    assert view.grid.tail == pytest.approx(np.maximum(cur - points[-1], 0).mean(), rel=1e-9,
                                           abs=1e-12)
    inner = np.array(prof.psi_edges[1:-1])
    bins = np.searchsorted(inner, cur, side="left")
    assert view.psi_counts.tolist() == np.bincount(bins, minlength=len(inner) + 1).tolist()
    assert view.values is None


@pytest.mark.parametrize("bad", [[np.nan], [np.inf], [-np.inf, np.inf], [np.nan, np.inf]],
                         ids=["nan", "inf", "both-infinities", "nan-and-inf"])
def test_nan_and_infinities_count_as_nulls_and_not_in_the_moments(bad):
    good = RNG.normal(3, 2, 1000)
    x = np.concatenate([good, np.array(bad, dtype=float)])
    df = pl.DataFrame({"x": x}).with_columns(pl.when(pl.int_range(pl.len()) == 5).then(None)
                                             .otherwise(pl.col("x")).alias("x"))
    finite = np.delete(good, 5)
    prof = P.profile_frame(df)["x"]
    view = V.view_frame(df, {"x": prof})["x"]
    for got in (prof, view):
        assert got.nulls == 1 + len(bad)
        assert got.mean == pytest.approx(finite.mean(), rel=1e-12)
        assert got.std == pytest.approx(finite.std(ddof=1), rel=1e-12)
        assert (got.min, got.max) == (finite.min(), finite.max())
    assert view.n == finite.size


# The partial sums overflow too (inf - inf in the tail sum warns): a known limit for
# values near the float maximum; only the nulls and the counts are checked here.
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_finite_values_whose_sum_overflows_are_kept():
    df = pl.DataFrame({"x": [1e308, 1e308, 1.0]})
    prof = P.profile_frame(df)["x"]
    assert prof.nulls == 0 and prof.max == 1e308 and list(prof.cdf_le)[-1] == 3


@pytest.mark.parametrize("series", [
    pl.Series("x", RNG.integers(-100, 100, 50_000), dtype=pl.Int8),
    pl.Series("x", RNG.integers(0, 5_000_000, 50_000), dtype=pl.UInt32),
    pl.Series("x", RNG.poisson(3, 50_000)).set(pl.Series(RNG.random(50_000) < 0.1), None),
    pl.Series("x", RNG.random(50_000) < 0.3),
], ids=["int8", "uint32-wide", "int64-nulls", "boolean"])
def test_view_counts_integer_and_boolean_columns_exactly(series):
    ref = pl.Series("x", series.sample(len(series), with_replacement=True, seed=4))
    prof = P.profile_frame(ref.to_frame(), {"x": "numeric"}, seed=2)["x"]
    view = V.view_frame(series.to_frame(), {"x": prof})["x"]
    cur = series.drop_nulls().cast(pl.Float64).to_numpy()
    points = prof.grid().points
    le, lt = _exact_le_lt(cur, points)
    assert view.nulls == series.null_count() and view.n == cur.size
    assert (view.grid.le * cur.size).round().tolist() == le.tolist()
    assert (view.grid.lt * cur.size).round().tolist() == lt.tolist()
    assert view.grid.lpm == pytest.approx(_lpm(cur, points), rel=1e-9, abs=1e-9)
    assert view.mean == pytest.approx(cur.mean(), rel=1e-12)
    ref_values = ref.drop_nulls().cast(pl.Float64).to_numpy()
    assert list(prof.cdf_le) == _exact_le_lt(ref_values, prof.quantiles)[0].tolist()


def test_small_batches_keep_their_values():
    prof = P.profile_frame(pl.DataFrame({"x": RNG.normal(0, 1, 5000), "c": ["a", "b"] * 2500}))
    batch = pl.DataFrame({"x": [0.5, None, 1.5], "c": ["a", None, "z"]})
    views = V.view_frame(batch, prof, small_rows=10)
    assert views["x"].values.tolist() == [0.5, 1.5]
    assert views["c"].values.tolist() == ["a", "z"]
    assert V.view_frame(batch, prof, small_rows=2)["x"].values is None


def test_categorical_view_aligns_bins_and_finds_unseen_categories():
    prof = P.profile_frame(pl.DataFrame({"c": ["a"] * 50 + ["b"] * 30 + ["c"] * 20}))["c"]
    batch = pl.DataFrame({"c": ["a"] * 40 + ["z"] * 5 + ["y"] * 7 + ["x"] * 1 + [None] * 3})
    view = V.view_frame(batch, {"c": prof})["c"]
    assert view.bins == ("a", "b", "c", P.UNSEEN)
    assert view.ref_counts.tolist() == [50, 30, 20, 0]
    assert view.counts.tolist() == [40, 0, 0, 13]
    assert (view.unseen, view.n, view.nulls) == (13, 53, 3)
    assert view.unseen_share == pytest.approx(13 / 53)
    assert view.unseen_examples == ("y", "z", "x")


def test_capped_reference_puts_unknown_values_under_other():
    ref = pl.DataFrame({"c": [f"v{i}" for i in range(P.MAX_CATEGORIES + 50)]})
    prof = P.profile_frame(ref)["c"]
    view = V.view_frame(pl.DataFrame({"c": ["v0", "new", "new"]}), {"c": prof})["c"]
    assert view.bins[-1] == P.OTHER and view.counts[-1] == 2
    assert view.unseen is None and view.unseen_share is None


# -- model outputs ----------------------------------------------------------------------------
def test_output_frame_per_task():
    binary = P.output_frame(np.array([0.2, 0.7, 0.5]), "binary", ["no", "yes"])
    assert binary.columns == ["proba_yes", "predicted_class"]
    assert binary["predicted_class"].to_list() == ["no", "yes", "yes"]
    multi = P.output_frame(np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]]), "multiclass", [1, 2, 3])
    assert multi.columns == ["proba_1", "proba_2", "proba_3", "predicted_class"]
    assert multi["predicted_class"].to_list() == ["2", "1"]
    assert P.output_frame(np.array([1.5, 2.5]), "regression").columns == ["prediction"]


def test_a_float_target_names_its_outputs_without_a_trailing_zero():
    binary = P.output_frame(np.array([0.2, 0.7]), "binary", [0.0, 1.0])
    assert binary.columns == ["proba_1", "predicted_class"]
    assert binary["predicted_class"].to_list() == ["0", "1"]
    multi = P.output_frame(np.array([[0.6, 0.4, 0.0]]), "multiclass", [0.5, 1.0, 2.0])
    assert multi.columns == ["proba_0.5", "proba_1", "proba_2", "predicted_class"]
    padded = P.output_frame(np.array([0.2]), "binary", [" <=50K", " >50K"])
    assert padded.columns == ["proba_>50K", "predicted_class"]


def test_output_profile():
    p = RNG.random(3000)
    prof = P.output_profile(p, "binary", [0, 1], seed=0)
    assert prof["proba_1"].kind == "numeric" and prof["proba_1"].mean == pytest.approx(p.mean())
    assert prof["predicted_class"].categories == {"1": int((p >= 0.5).sum()),
                                                  "0": int((p < 0.5).sum())}


def test_mostly_null_columns_still_get_a_full_sample():
    n = 200_000
    x = np.full(n, np.nan)
    x[RNG.choice(n, 3000, replace=False)] = RNG.normal(0, 1, 3000)
    c = pl.Series(np.where(np.isnan(x), None, "v").tolist(), dtype=pl.String)
    prof = P.profile_frame(pl.DataFrame({"x": x, "c": c}), seed=0)
    assert len(prof["x"].sample) == P.SAMPLE_SIZE and len(prof["c"].sample) == P.SAMPLE_SIZE
    assert prof["x"].nulls == n - 3000
    le, _ = _exact_le_lt(x[np.isfinite(x)], prof["x"].quantiles)
    assert list(prof["x"].cdf_le) == le.tolist()


def test_one_thread_profiles_the_same_without_starting_a_thread(monkeypatch):
    rng = np.random.default_rng(3)
    df = pl.DataFrame({"x": rng.normal(size=30_000), "n": rng.poisson(4, 30_000),
                       "c": rng.choice(["a", "b", "c"], 30_000)})
    pooled = {k: v.to_dict() for k, v in P.profile_frame(df, seed=2, threads=2).items()}

    def no_pool(*args, **kwargs):
        raise AssertionError("a thread pool was started")

    monkeypatch.setattr(P, "ThreadPoolExecutor", no_pool)
    inline = {k: v.to_dict() for k, v in P.profile_frame(df, seed=2, threads=1).items()}
    assert inline == pooled
