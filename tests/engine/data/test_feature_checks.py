"""Feature warnings: each kind found where it is, and only there."""

from __future__ import annotations

import numpy as np
import polars as pl

from driftline.engine.data.feature_checks import MANY_CATEGORIES, feature_warnings

N = 500
RNG = np.random.default_rng(3)


def codes(frame: pl.DataFrame, categorical: list[str] | None = None) -> list[tuple[str, str]]:
    features = frame.columns
    cats = categorical if categorical is not None else [
        c for c in features if frame.schema[c] == pl.String]
    return [(w.code, w.column) for w in feature_warnings(frame, features, cats)]


def test_an_ordinary_frame_gets_no_warning():
    frame = pl.DataFrame({
        "age": RNG.integers(18, 90, N), "income": RNG.normal(5e4, 1e4, N),
        "grade": RNG.choice(["A", "B", "C"], N), "credit_score": RNG.integers(300, 850, N),
        "body_mass_index": RNG.normal(25, 3, N), "paid": RNG.integers(0, 2, N),
        "with_some_nulls": pl.Series([None, 1.0] * (N // 2)),  # present or not: a signal
    })
    assert codes(frame) == []


def test_each_kind_of_warning_names_its_column():
    x = RNG.normal(size=N)
    frame = pl.DataFrame({
        "const": np.full(N, 3.0),
        "empty": pl.Series([None] * N, dtype=pl.Float64),
        "spiky": np.where(np.arange(N) % 100 == 0, -np.inf, x),
        "customerID": RNG.integers(0, 10, N),
        "Unnamed: 0": np.arange(N),
        "row_counter": np.arange(N)[::-1].copy(),
        "token": [f"t{i}" for i in range(N)],
        "prediction": RNG.random(N),
        "proba_1": RNG.random(N),
    })
    assert codes(frame) == [
        ("constant", "const"), ("all_null", "empty"), ("infinite_values", "spiky"),
        ("id_like", "customerID"), ("id_like", "Unnamed: 0"), ("id_like", "row_counter"),
        ("id_like", "token"), ("prediction_like", "prediction"), ("prediction_like", "proba_1")]
    spiky = [w for w in feature_warnings(frame, ["spiky"], []) if w.code == "infinite_values"]
    assert "5 infinite values (of 500 rows)" in spiky[0].message


def test_unique_floats_and_unsorted_unique_ints_are_not_ids():
    frame = pl.DataFrame({"amount": RNG.normal(size=N),
                          "shuffled": RNG.permutation(N)})
    assert codes(frame) == []


def test_many_categories_and_override_quoting():
    levels = [f"v{i}" for i in range(MANY_CATEGORIES + 1)]
    frame = pl.DataFrame({"city": levels * 2})
    assert codes(frame) == [("many_categories", "city")]
    odd = pl.DataFrame({"my id": np.arange(N)})
    (warning,) = feature_warnings(odd, ["my id"], [])
    assert "exclude=['my id']" in warning.message


def test_an_empty_frame_or_no_features_is_quiet():
    assert feature_warnings(pl.DataFrame({"x": []}, schema={"x": pl.Float64}), ["x"], []) == []
    assert feature_warnings(pl.DataFrame({"x": [1.0]}), [], []) == []
