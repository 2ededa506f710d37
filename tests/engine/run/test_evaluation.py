"""driftline.engine.run.evaluation: scoring a split (train on a seeded sample), kept training predictions."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, roc_auc_score

from driftline.engine.run.evaluation import (CHECK_ROWS, PARALLEL_MIN_ROWS, SLICE_ROWS, evaluate, score_split, small_slices,
                               train_scores)
from driftline.engine.components.kinds.model import Model
from driftline.plugins.metrics import AUC, MAE, Accuracy, LogLoss

N = 5_000


class CountingModel(Model):
    """Predicts 2*x + 1 and counts the rows it was asked to predict."""

    def __init__(self, kept: np.ndarray | None):
        super().__init__()
        self.kept = kept
        self.predicted_rows = 0

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        assert frame.columns == ["x"]
        self.predicted_rows += frame.height
        return frame["x"].to_numpy() * 2.0 + 1.0

    def training_predictions(self) -> np.ndarray | None:
        return self.kept


@pytest.fixture
def train() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    return pl.DataFrame({"x": rng.normal(size=N), "slice": rng.choice(["a", "b"], size=N)})


def expected(train: pl.DataFrame) -> np.ndarray:
    return train["x"].to_numpy() * 2.0 + 1.0


@pytest.mark.parametrize("rows", [None, np.arange(0, N, 7)])
def test_exact_kept_predictions_are_used_after_a_small_check(train, rows):
    model = CountingModel(expected(train))
    got = train_scores(model, train, ["x"], rows, seed=0)
    want = expected(train) if rows is None else expected(train)[rows]
    assert np.array_equal(got, want)
    assert model.predicted_rows == CHECK_ROWS


@pytest.mark.parametrize("rows", [None, np.arange(0, N, 7)])
def test_kept_predictions_that_differ_from_predict_are_not_used(train, rows):
    kept = expected(train) + 1e-15 * np.abs(expected(train)).max()  # off in the last bits
    model = CountingModel(kept)
    got = train_scores(model, train, ["x"], rows, seed=0)
    n = N if rows is None else len(rows)
    assert np.array_equal(got, expected(train) if rows is None else expected(train)[rows])
    assert model.predicted_rows == CHECK_ROWS + n


@pytest.mark.parametrize("kept", [None, np.zeros(N - 1)], ids=["none", "wrong-length"])
def test_without_usable_kept_predictions_the_rows_are_predicted(train, kept):
    model = CountingModel(kept)
    rows = np.array([3, 10, 4000])
    assert np.array_equal(train_scores(model, train, ["x"], rows, seed=0), expected(train)[rows])
    assert model.predicted_rows == 3


def test_small_train_splits_are_checked_whole(train):
    small = train[:100]
    model = CountingModel(expected(small))
    assert np.array_equal(train_scores(model, small, ["x"], None, seed=0), expected(small))
    assert model.predicted_rows == 100


def hand_sample(height: int, size: int, seed: int) -> np.ndarray:
    """The documented sample: sorted draws without replacement from a generator seeded by
    (seed, height, size)."""
    return np.sort(np.random.default_rng([seed, height, size]).choice(height, size, replace=False))


@pytest.mark.parametrize("kept", [True, False], ids=["kept", "predicted"])
def test_train_split_is_scored_on_its_seeded_sample_with_aligned_slices(train, kept):
    y = np.random.default_rng(1).normal(size=N)
    model = CountingModel(expected(train) if kept else None)
    scores, values = score_split(model, {"mae": MAE()}, "train", train, y, ["x"], "regression",
                                 ["slice"], train_rows=600, seed=4)
    rows = hand_sample(N, 600, 4)
    assert np.array_equal(scores, expected(train)[rows])
    got = {v.slice: v.value for v in values if v.name == "mae"}
    assert got[""] == pytest.approx(mean_absolute_error(y[rows], expected(train)[rows]), abs=1e-12)
    for level in ("a", "b"):
        mask = train["slice"].to_numpy()[rows] == level
        want = mean_absolute_error(y[rows][mask], expected(train)[rows][mask])
        assert got[f"slice={level}"] == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("role, train_rows", [("test", 600), ("train", None), ("train", N)])
def test_other_splits_and_small_train_splits_are_scored_whole(train, role, train_rows):
    y = np.random.default_rng(1).normal(size=N)
    scores, values = score_split(CountingModel(None), {"mae": MAE()}, role, train, y, ["x"],
                                 "regression", [], train_rows=train_rows, seed=4)
    assert np.array_equal(scores, expected(train))
    assert [(v.split, v.slice) for v in values] == [(role, "")]
    assert values[0].value == pytest.approx(mean_absolute_error(y, expected(train)), abs=1e-12)


@pytest.mark.parametrize("n", [1_000, PARALLEL_MIN_ROWS + 1], ids=["one-thread", "threads"])
def test_metrics_overall_then_per_slice_in_order_and_exact(n):
    rng = np.random.default_rng(5)
    y = (rng.random(n) < 0.3).astype(np.int64)
    scores = np.clip(0.3 * y + 0.7 * rng.random(n), 0.0, 1.0)
    groups = pl.Series("g", rng.choice(["b", "a", None], size=n))
    metrics = {"auc": AUC(), "logloss": LogLoss(), "accuracy": Accuracy()}
    values = evaluate(metrics, "test", y, scores, "binary", {"g": groups})
    labels = ["", "g=<null>", "g=a", "g=b"]  # overall, then the categories sorted
    assert [(v.split, v.slice, v.name) for v in values] == [
        ("test", label, name) for label in labels for name in metrics] + [
        ("test", label, SLICE_ROWS) for label in labels[1:]]
    masks = {"": np.ones(n, bool), "g=<null>": groups.is_null().to_numpy(),
             "g=a": (groups == "a").fill_null(False).to_numpy(),
             "g=b": (groups == "b").fill_null(False).to_numpy()}
    sizes = {v.slice: v.value for v in values if v.name == SLICE_ROWS}
    assert sizes == {label: float(masks[label].sum()) for label in labels[1:]}
    for v in (v for v in values if v.name != SLICE_ROWS):
        yt, ys = y[masks[v.slice]], scores[masks[v.slice]]
        want = {"auc": roc_auc_score(yt, ys), "logloss": log_loss(yt, ys),
                "accuracy": accuracy_score(yt, ys >= 0.5)}[v.name]
        assert v.value == pytest.approx(want, rel=1e-12, abs=1e-15), (v.slice, v.name)


def test_slices_under_the_minimum_are_left_out_and_named():
    y = np.array([0, 1] * 30)
    scores = np.linspace(0.0, 1.0, 60)
    grade = pl.Series("grade", ["A"] * 40 + ["B"] * 15 + ["C"] * 5)
    values = evaluate({"auc": AUC()}, "test", y, scores, "binary", {"grade": grade}, min_rows=15)
    assert {(v.slice, v.name) for v in values} == {
        ("", "auc"), ("grade=A", "auc"), ("grade=B", "auc"),
        ("grade=A", SLICE_ROWS), ("grade=B", SLICE_ROWS)}
    part = pl.DataFrame({"grade": grade})
    assert small_slices(part, ["grade"], 15) == [("grade=C", 5)]
    assert small_slices(part, ["grade"], 41) == [("grade=A", 40), ("grade=B", 15),
                                                         ("grade=C", 5)]
    assert small_slices(part, [], 41) == []
