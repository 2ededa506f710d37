"""Tests for plugins/models/lightgbm.py: learning, determinism, round trip, categoricals, errors.

Run as a script, this module prints the sha256 of the reference binary model's bytes (used
by the cross-process determinism test).
"""

from __future__ import annotations

import logging

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import polars as pl
import pytest
from omegaconf import OmegaConf
from sklearn.metrics import roc_auc_score

from driftline.engine import ConfigError, DataError, ModelError, Registry, RunContext, TrainingData
from driftline.plugins.models import lightgbm as lgb_module
from driftline.plugins.models.lightgbm import LightGBMModel

CONF = Path(lgb_module.__file__).parents[1] / "conf" / "model" / "lightgbm.yaml"
FEATURES = ["x1", "x2", "count", "noise", "cat", "flag", "tier"]
CATEGORICAL = ["cat", "flag", "tier"]
LEVEL_EFFECT = {"a": -1.0, "b": 1.5, "c": -0.5, "d": 0.0, "e": 1.5, "f": -1.5}
N_TRAIN, N_VALID, N_TEST = 1500, 500, 500
# Small, fast and stochastic (bagging + feature sampling), so the seed matters.
REFERENCE_PARAMS = {"num_boost_round": 40, "early_stopping_rounds": None,
                    "params": {"bagging_fraction": 0.8, "bagging_freq": 1,
                               "feature_fraction": 0.8}}


def make_frame(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """Features of every supported dtype and a latent score with real signal."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    cat = rng.choice(sorted(LEVEL_EFFECT), size=n)
    flag = rng.random(n) < 0.4
    tier = rng.choice(["low", "mid", "high"], size=n)
    score = 1.5 * x1 - x2 + np.vectorize(LEVEL_EFFECT.get)(cat) + 0.8 * flag
    frame = pl.DataFrame({
        "x1": pl.Series(np.where(rng.random(n) < 0.05, np.nan, x1)).fill_nan(None),
        "x2": x2,
        "count": pl.Series(rng.poisson(3, n), dtype=pl.Int64),
        "noise": rng.normal(size=n),
        "cat": pl.Series(cat).scatter(np.flatnonzero(rng.random(n) < 0.03), None),
        "flag": flag,
        "tier": pl.Series(tier, dtype=pl.Categorical),
    })
    return frame, score


def binary_target(score: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(len(score)) < 1 / (1 + np.exp(-score))).astype(np.int64)


def split(frame: pl.DataFrame, y: np.ndarray, task: str, n_classes: int = 1,
          with_valid: bool = False) -> TrainingData:
    valid_end = N_TRAIN + N_VALID
    return TrainingData(
        train=frame[:N_TRAIN], y_train=y[:N_TRAIN], features=FEATURES, categorical=CATEGORICAL,
        task=task, n_classes=n_classes,
        valid=frame[N_TRAIN:valid_end] if with_valid else None,
        y_valid=y[N_TRAIN:valid_end] if with_valid else None)


def ctx(seed: int = 7, **kw) -> RunContext:
    return RunContext(seed=seed, num_threads=1, **kw)


def build(**node) -> LightGBMModel:
    registry = Registry()
    registry.add("model", "lightgbm", LightGBMModel)
    return registry.create("model", {"kind": "lightgbm", **node}, where="model")


def binary_data(with_valid: bool = False) -> tuple[TrainingData, pl.DataFrame, np.ndarray]:
    frame, score = make_frame(N_TRAIN + N_VALID + N_TEST, seed=1)
    y = binary_target(score, seed=2)
    return split(frame, y, "binary", 2, with_valid), frame[-N_TEST:], y[-N_TEST:]


def fit_binary(seed: int = 7) -> LightGBMModel:
    model = build(**REFERENCE_PARAMS)
    model.fit(binary_data()[0], ctx(seed))
    return model


@pytest.fixture(scope="module")
def reference() -> LightGBMModel:
    return fit_binary()


@pytest.fixture(scope="module")
def test_rows() -> tuple[pl.DataFrame, np.ndarray]:
    _, frame, y = binary_data()
    return frame, y


# -- learning ---------------------------------------------------------------------------
def test_binary_model_learns_signal_on_held_out_rows(reference, test_rows):
    frame, y = test_rows
    p = reference.predict(frame)
    assert p.shape == (N_TEST,) and p.dtype == np.float64
    assert ((p > 0) & (p < 1)).all()
    assert roc_auc_score(y, p) > 0.8


def test_summary_reports_trees_and_gain_importance(reference):
    summary = reference.summary()
    assert summary["n_trees"] == 40 and summary["best_iteration"] == 40
    gain = summary["feature_importance"]
    assert list(gain) == FEATURES
    assert all(isinstance(v, float) for v in gain.values())
    assert gain["x1"] > 3 * gain["noise"] and gain["cat"] > gain["noise"]


def test_categorical_levels_are_sorted_training_levels_used_natively(reference):
    data = binary_data()[0]
    meta = reference.metadata()
    expected = sorted(set(data.train["cat"].drop_nulls().to_list()))
    assert meta["categorical"] == {"cat": expected, "flag": ["false", "true"],
                                   "tier": ["high", "low", "mid"]}
    text = reference.dumps().decode()
    assert re.search(r"^num_cat=[1-9]", text, re.M), "no categorical split in any tree"
    assert "feature_names=x1 x2 count noise cat flag tier\n" in text


def test_unseen_level_and_null_both_predict_as_missing(reference, test_rows):
    frame = test_rows[0][:50]
    unseen = reference.predict(frame.with_columns(cat=pl.lit("never-seen")))
    null = reference.predict(frame.with_columns(cat=pl.lit(None, dtype=pl.String)))
    known = reference.predict(frame.with_columns(cat=pl.lit("b")))
    assert np.array_equal(unseen, null)
    assert not np.array_equal(unseen, known)


def test_predict_matches_lightgbm_on_a_hand_encoded_matrix(reference, test_rows):
    frame = test_rows[0][:40].with_columns(
        cat=pl.Series(["never-seen", None, *test_rows[0]["cat"][2:40]]))
    levels = {"cat": sorted(LEVEL_EFFECT), "flag": ["false", "true"],
              "tier": ["high", "low", "mid"]}

    def encode(name: str, value: object) -> float:
        if name not in levels:
            return np.nan if value is None else float(value)
        text = str(value).lower() if isinstance(value, bool) else value
        return float(levels[name].index(text)) if text in levels[name] else np.nan

    rows = frame.select(FEATURES).rows()
    matrix = np.array([[encode(n, v) for n, v in zip(FEATURES, row)] for row in rows])
    assert np.isnan(matrix[:2, FEATURES.index("cat")]).all()
    booster = lgb.Booster(model_str=reference.dumps().decode())
    assert np.array_equal(reference.predict(frame), booster.predict(matrix))


def test_predict_accepts_other_string_like_dtypes(reference, test_rows):
    frame = test_rows[0]
    recast = frame.with_columns(pl.col("cat").cast(pl.Categorical), pl.col("tier").cast(pl.String))
    assert np.array_equal(reference.predict(recast), reference.predict(frame))


def test_multiclass_predicts_probabilities_per_class():
    frame, score = make_frame(N_TRAIN + N_TEST, seed=5)
    y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    model = build(num_boost_round=20)
    model.fit(split(frame, y, "multiclass", 3), ctx())
    p = model.predict(frame[-N_TEST:])
    assert p.shape == (N_TEST, 3)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert (p.argmax(axis=1) == y[-N_TEST:]).mean() > 0.6
    assert model.summary()["n_trees"] == 20 * 3
    assert model.metadata()["n_classes"] == 3 and model.metadata()["objective"] == "multiclass"


def test_regression_predicts_values():
    frame, score = make_frame(N_TRAIN + N_TEST, seed=6)
    y = 10 * score + np.random.default_rng(0).normal(size=len(score))
    model = build(num_boost_round=60)
    model.fit(split(frame, y, "regression"), ctx())
    p = model.predict(frame[-N_TEST:])
    assert p.shape == (N_TEST,)
    assert np.corrcoef(p, y[-N_TEST:])[0, 1] > 0.9


def test_date_and_integer_features_are_numeric():
    frame = pl.DataFrame({"day": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(200)],
                          "n": pl.Series(range(200), dtype=pl.Int32)})
    y = (np.arange(200) >= 100).astype(int)
    model = build(num_boost_round=5, params={"min_data_in_leaf": 5})
    model.fit(TrainingData(frame, y, ["day", "n"], [], "binary", 2), ctx())
    p = model.predict(frame)
    assert p[:100].max() < p[100:].min()


# -- early stopping and progress ---------------------------------------------------------
def test_early_stopping_on_valid_keeps_best_round(test_rows):
    data = binary_data(with_valid=True)[0]
    model = build(num_boost_round=150, early_stopping_rounds=5, params={"learning_rate": 0.5})
    model.fit(data, ctx())
    summary = model.summary()
    assert summary["n_trees"] < 150
    assert summary["best_iteration"] == summary["n_trees"]
    assert model.metadata()["best_iteration"] == summary["n_trees"]
    reloaded = LightGBMModel.loads(model.dumps(), model.metadata())
    assert np.array_equal(reloaded.predict(test_rows[0]), model.predict(test_rows[0]))


def test_without_early_stopping_every_round_is_kept():
    model = build(num_boost_round=30, early_stopping_rounds=None, params={"learning_rate": 0.5})
    model.fit(binary_data(with_valid=True)[0], ctx())
    assert model.summary()["n_trees"] == 30


def test_progress_is_reported_at_most_50_times():
    calls: list[tuple] = []
    model = build(num_boost_round=120, early_stopping_rounds=None)
    model.fit(binary_data()[0], ctx(progress=lambda *a: calls.append(a)))
    assert len(calls) <= 50
    assert calls[-1] == (120, 120, "train")
    done = [c[0] for c in calls]
    assert done == sorted(set(done)) and all(c[1:] == (120, "train") for c in calls)


def test_early_stopping_is_reported_as_such_not_as_a_finished_count(caplog):
    calls: list[tuple] = []
    model = build(num_boost_round=150, early_stopping_rounds=5, params={"learning_rate": 0.5})
    with caplog.at_level(logging.INFO, logger="driftline"):
        model.fit(binary_data(with_valid=True)[0], ctx(progress=lambda *a: calls.append(a)))
    assert len(calls) <= 50 and all(done < 150 for done, _, _ in calls)
    best = model.summary()["best_iteration"]
    stopped = [r.getMessage() for r in caplog.records if "stopped early" in r.getMessage()]
    assert len(stopped) == 1 and "of 150" in stopped[0] and f"keeps round {best}" in stopped[0]


# -- determinism and saving ---------------------------------------------------------------
def test_two_fits_give_identical_bytes(reference):
    again = fit_binary()
    assert again.dumps() == reference.dumps()


def test_seed_comes_from_the_run(reference):
    other = fit_binary(seed=8)
    assert other.dumps() != reference.dumps()
    assert "[seed: 7]" in reference.dumps().decode()


def test_identical_bytes_in_another_process(reference):
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, __file__], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    assert out.stdout.strip() == hashlib.sha256(reference.dumps()).hexdigest()


def test_training_is_deterministic_and_quiet_by_default(reference):
    text = reference.dumps().decode()
    for line in ("[deterministic: 1]", "[force_col_wise: 1]", "[verbosity: -1]"):
        assert line in text


def test_round_trip_predicts_identically(reference, test_rows):
    metadata = json.loads(json.dumps(reference.metadata()))
    loaded = LightGBMModel.loads(reference.dumps(), metadata)
    assert np.array_equal(loaded.predict(test_rows[0]), reference.predict(test_rows[0]))
    assert loaded.dumps() == reference.dumps()
    assert loaded.summary() == reference.summary()
    assert loaded.metadata() == reference.metadata()


def test_model_is_lightgbm_text_not_pickle(reference):
    data = reference.dumps()
    assert data.startswith(b"tree\nversion=v4\n")
    assert LightGBMModel.format == "lightgbm-text" and LightGBMModel.file_name == "model.txt"


def test_empty_frame_predicts_empty(reference, test_rows):
    assert reference.predict(test_rows[0][:0]).shape == (0,)


# -- errors -------------------------------------------------------------------------------
@pytest.mark.parametrize(("node", "message"), [
    pytest.param({"params": {"num_leavs": 63}},
                 r"unknown parameter 'num_leavs' \(key: model\.params\.num_leavs\)\. "
                 r"Did you mean: num_leaves\?", id="typo"),
    pytest.param({"params": {"num_leaves": 1}},
                 r"out of range: model\.params\.num_leaves=1, must be >= 2", id="range"),
    pytest.param({"num_boost_round": 0}, r"model\.num_boost_round=0, must be >= 1", id="rounds"),
    pytest.param({"params": {"learning_rate": "fast"}},
                 r"wrong type for model\.params\.learning_rate", id="type"),
    pytest.param({"params": {"extra": {"boostin": "dart"}}},
                 r"unknown LightGBM parameter 'boostin' \(key: model\.params\.extra\.boostin\)\. "
                 r"Did you mean: boosting\?", id="extra-typo"),
    pytest.param({"params": {"extra": {"num_leaf": 8}}},
                 r"'num_leaf' is LightGBM's num_leaves, which has its own key: set "
                 r"model\.params\.num_leaves instead", id="extra-duplicate"),
    pytest.param({"params": {"extra": {"random_state": 3}}},
                 r"cannot be set in model\.params\.extra\.random_state: it is set from seed",
                 id="extra-owned"),
])
def test_bad_parameters_are_config_errors(node, message):
    with pytest.raises(ConfigError, match=message):
        build(**node)


@pytest.mark.parametrize(("extra", "message"), [
    pytest.param({"boosting": "nope"}, r"LightGBM could not train the model: Unknown boosting "
                 r"type nope \(key: model\.params\.extra\.boosting\)\. Fix or remove", id="named"),
    pytest.param({"tree_learner": "xx"}, r"Unknown tree learner type xx \(key: "
                 r"model\.params\.extra\.tree_learner\)", id="found-by-value"),
])
def test_lightgbm_rejections_are_one_line_model_errors(extra, message):
    model = build(num_boost_round=2, params={"extra": extra})
    with pytest.raises(ModelError, match=message) as info:
        model.fit(binary_data()[0], ctx())
    assert "\n" not in str(info.value) and " line " not in str(info.value)


def test_objective_that_does_not_fit_the_task_is_config_error():
    model = build(params={"objective": "regression"})
    with pytest.raises(ConfigError, match=r"objective 'regression' does not fit task 'binary' "
                                          r"\(key: model\.params\.objective\)"):
        model.fit(binary_data()[0], ctx())


def test_bad_target_is_data_error():
    data = binary_data()[0]
    data.y_train = data.y_train * 3
    with pytest.raises(DataError, match=r"train target of a binary task must be class codes "
                                        r"0\.\.1; found 3 in \d+ row"):
        build(num_boost_round=2).fit(data, ctx())


@pytest.mark.parametrize(("change", "message"), [
    pytest.param(lambda f: f.drop("x2", "flag"),
                 r"feature column\(s\) missing from the data to predict: x2, flag", id="missing"),
    pytest.param(lambda f: f.with_columns(pl.col("x1").cast(pl.String)),
                 r"feature column 'x1' in the data to predict has dtype String", id="dtype"),
])
def test_bad_predict_frames_are_data_errors(reference, test_rows, change, message):
    with pytest.raises(DataError, match=message):
        reference.predict(change(test_rows[0]))


@pytest.mark.parametrize(("data", "metadata", "message"), [
    pytest.param(b"garbage", None, r"not a valid LightGBM model", id="not-a-model"),
    pytest.param(b"\xff\xfe", None, r"not LightGBM text \(not UTF-8 at byte 0\)", id="binary"),
    pytest.param(None, {"features": ["x1"]}, r"metadata lacks categorical, task", id="metadata"),
])
def test_damaged_saved_models_are_model_errors(reference, data, metadata, message):
    with pytest.raises(ModelError, match=message):
        LightGBMModel.loads(data or reference.dumps(), metadata or reference.metadata())


def test_metadata_from_another_model_is_model_error(reference):
    metadata = {**reference.metadata(), "features": ["x1"], "categorical": {}}
    with pytest.raises(ModelError, match=r"has 7 features but its metadata lists 1"):
        LightGBMModel.loads(reference.dumps(), metadata)


def test_untrained_model_is_model_error():
    with pytest.raises(ModelError, match=r"not trained"):
        LightGBMModel().dumps()


# -- config group option ------------------------------------------------------------------
def test_yaml_option_matches_declared_defaults():
    node = OmegaConf.to_container(OmegaConf.load(CONF))
    assert node["kind"] == "lightgbm"
    model = build(**{k: v for k, v in node.items() if k != "kind"})
    assert model.params == LightGBMModel.Params()
    declared = LightGBMModel.Params()
    assert set(node) - {"kind"} == set(vars(declared))
    assert set(node["params"]) == set(vars(declared.params))


def test_yaml_option_comments_every_key():
    lines = CONF.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() and not line.strip().startswith("#"):
            assert lines[i - 1].strip().startswith("#"), f"no comment above: {line}"


if __name__ == "__main__":
    sys.stdout.write(hashlib.sha256(fit_binary().dumps()).hexdigest() + "\n")


def test_model_file_does_not_depend_on_thread_count():
    """A sweep job capped to one thread writes the same file as a run on all cores."""
    digests = set()
    for threads in (1, 2):
        data, _, _ = binary_data()
        model = build()
        model.fit(data, RunContext(seed=7, num_threads=threads))
        digests.add(hashlib.sha256(model.dumps()).hexdigest())
        assert "[num_threads:" not in model.dumps().decode()
    assert len(digests) == 1


# -- training predictions ----------------------------------------------------------------
def _fitted(task: str, **node) -> tuple[LightGBMModel, TrainingData]:
    frame, score = make_frame(N_TRAIN, seed=8)
    if task == "binary":
        y, n_classes = binary_target(score, seed=9), 2
    elif task == "multiclass":
        y, n_classes = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3])), 3
    else:
        y, n_classes = 10 * score, 1
    data = split(frame, y, task, n_classes)
    model = build(**{**REFERENCE_PARAMS, **node})
    model.fit(data, ctx())
    return model, data


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_training_predictions_are_exactly_predict_on_the_training_rows(task):
    # Bagging is on: rows left out of a round's bag must be scored by its tree too.
    model, data = _fitted(task)
    kept = model.training_predictions()
    assert kept is not None
    assert np.array_equal(kept, model.predict(data.train))
    reloaded = LightGBMModel.loads(model.dumps(), model.metadata())
    assert np.array_equal(kept, reloaded.predict(data.train))


@pytest.mark.parametrize("extra", [
    {"boosting": "dart"},
    {"boosting": "rf"},
    {"linear_tree": True},
], ids=["dart", "rf", "linear-trees"])
def test_no_training_predictions_where_they_differ_from_predict(extra):
    model, _ = _fitted("regression", params={**REFERENCE_PARAMS["params"], "extra": extra})
    assert model.training_predictions() is None


def test_no_training_predictions_when_early_stopping_drops_rounds():
    data = binary_data(with_valid=True)[0]
    model = build(num_boost_round=150, early_stopping_rounds=5, params={"learning_rate": 0.5})
    model.fit(data, ctx())
    assert model.summary()["n_trees"] < 150
    assert model.training_predictions() is None


def test_a_loaded_model_has_no_training_predictions(reference):
    loaded = LightGBMModel.loads(reference.dumps(), reference.metadata())
    assert loaded.training_predictions() is None
