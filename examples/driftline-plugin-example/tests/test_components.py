"""The package's own tests: driftline's conformance suite (one line per component), then
behaviour checked against independent computations.

Run with ``python -m pytest tests`` after ``pip install -e .``.
"""

import json

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression

from driftline_plugin_example.drift_tests import MeanShift
from driftline_plugin_example.logreg import LogisticModel
from driftline_plugin_example.metrics import Brier
from driftline_plugin_example.transforms import Log1p
from driftline.engine import (DriftTestContract, MetricContract, ModelContract, RunContext,
                              TrainingData, TransformContract)


class TestLogreg(ModelContract):
    component = LogisticModel


class TestLogregOrdinal(ModelContract):
    component = LogisticModel
    params = {"categorical_encoding": "ordinal", "class_weight": "balanced"}


class TestBrier(MetricContract):
    component = Brier


class TestLog1p(TransformContract):
    component = Log1p


class TestMeanShift(DriftTestContract):
    component = MeanShift


class TestInstalledLogreg(ModelContract):
    # The installed package, found through its entry point (checks the declaration too).
    name = "logreg"


def _frame(n=300, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    g = rng.choice(["u", "v", "w"], n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * x + (g == "u"))))).astype(np.int64)
    return pl.DataFrame({"x": x * 10 + 5, "g": g}), y


def _fitted(**params):
    frame, y = _frame()
    model = LogisticModel(LogisticModel.Params(**params))
    model.fit(TrainingData(train=frame, y_train=y, features=["x", "g"], categorical=["g"],
                           task="binary", n_classes=2), RunContext(seed=1))
    return model, frame, y


def test_logreg_matches_sklearn_on_hand_encoded_features():
    model, frame, y = _fitted(C=0.5)
    x, g = frame["x"].to_numpy(), frame["g"].to_numpy()
    hand = np.column_stack([(x - x.mean()) / x.std(), g == "u", g == "v", g == "w"]).astype(float)
    expected = LogisticRegression(C=0.5, max_iter=200).fit(hand, y).predict_proba(hand)[:, 1]
    np.testing.assert_allclose(model.predict(frame), expected, rtol=1e-6, atol=1e-9)


def test_logreg_saves_json_not_pickle():
    model, _, _ = _fitted()
    doc = json.loads(model.dumps())
    assert doc["encoding"]["columns"][1]["levels"] == ["u", "v", "w"]
    assert len(doc["coef"][0]) == 4


def test_brier_is_mean_squared_error_of_probabilities():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.1, 0.8, 0.4, 0.3, 0.9])
    assert np.isclose(Brier().compute(y, p, "binary"), np.mean((p - y) ** 2), rtol=1e-12)


def test_log1p_matches_numpy():
    frame = pl.DataFrame({"a": [0.0, 1.5, 99.0], "b": [1, 2, 3]})
    out = Log1p(Log1p.Params(columns=["a"])).apply(frame.lazy(), RunContext()).collect()
    np.testing.assert_array_equal(out["a"].to_numpy(), np.log1p([0.0, 1.5, 99.0]))
    assert out["b"].to_list() == [1, 2, 3]


def test_mean_shift_is_the_standardised_difference_of_means():
    from driftline.engine import profile_frame, view_frame

    ref_values = [1.0, 2.0, 3.0, 4.0, 10.0]
    reference = profile_frame(pl.DataFrame({"x": ref_values}), {"x": "numeric"})
    current = view_frame(pl.DataFrame({"x": [7.0, 8.0, 9.0]}), reference)
    result = MeanShift().compute(reference["x"], current["x"])
    expected = abs(8.0 - np.mean(ref_values)) / np.std(ref_values, ddof=1)
    assert np.isclose(result.statistic, expected, rtol=1e-12) and result.p_value is None
