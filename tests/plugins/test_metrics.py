"""Tests for plugins/metrics.py: every value against an independent hand computation."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from driftline.engine import ConfigError, DataError, Metric, Registry
from driftline.plugins import metrics as M

CONF = Path(M.__file__).parent / "conf" / "metrics" / "default.yaml"
METRIC_NAMES = ("auc", "logloss", "accuracy", "f1", "precision", "recall", "rmse", "mae", "r2")

# A binary example whose confusion matrix at threshold 0.5 was counted by hand:
# predicted 1 (score >= 0.5) at rows 3, 5, 6, 8 -> tp = 3 (rows 3, 5, 8), fp = 1 (row 6),
# fn = 2 (rows 2, 7), tn = 4 (rows 0, 1, 4, 9).
Y_BIN = np.array([0, 0, 1, 1, 0, 1, 0, 1, 1, 0])
S_BIN = np.array([0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.65, 0.4, 0.5, 0.2])

# A multiclass example: true and predicted classes, per-class counts by hand:
# class 0: tp 2, fp 2 (rows 8, 9), fn 1 (row 2); class 1: tp 3, fp 1 (row 2), fn 1 (row 5);
# class 2: tp 1 (row 7), fp 1 (row 5), fn 2 (rows 8, 9).  Support: 3, 4, 3.
Y_MC = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
PRED_MC = np.array([0, 0, 1, 1, 1, 2, 1, 2, 0, 0])
S_MC = np.full((10, 3), 0.1)
S_MC[np.arange(10), PRED_MC] = 0.8


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_environment()


def make(registry: Registry, name: str, **params) -> Metric:
    return registry.create("metric", {"kind": name, **params}, where=f"metrics.x.{name}")


def pair_count_auc(y: np.ndarray, s: np.ndarray) -> float:
    """Mann-Whitney: share of (positive, negative) pairs ranked right, ties count half."""
    pos, neg = s[y == 1], s[y == 0]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


# -- registration ----------------------------------------------------------------------
def test_every_metric_is_registered_and_declares_tasks(registry):
    assert set(METRIC_NAMES) <= set(registry.names("metric"))
    for name in METRIC_NAMES:
        cls = registry.load("metric", name)
        assert issubclass(cls, Metric)
        assert cls.tasks and cls.tasks <= {"binary", "multiclass", "regression"}
        assert isinstance(cls.higher_is_better, bool)
    assert registry.load("metric", "logloss").higher_is_better is False
    assert registry.load("metric", "rmse").higher_is_better is False
    assert registry.load("metric", "auc").higher_is_better is True


# -- AUC --------------------------------------------------------------------------------
def test_binary_auc_equals_pair_count_with_ties(registry):
    assert make(registry, "auc").compute(Y_BIN, S_BIN, "binary") == pytest.approx(
        pair_count_auc(Y_BIN, S_BIN))
    # By hand: positives .35 .8 .9 .4 .5 vs negatives .1 .4 .4 .65 .2 win
    # 2 + 5 + 5 + (2 + two ties) + 4 = 19 of 25 pairs.
    assert pair_count_auc(Y_BIN, S_BIN) == pytest.approx(19 / 25)


def test_multiclass_auc_is_macro_one_vs_rest(registry):
    rng = np.random.default_rng(3)
    y = np.array([0, 1, 2] * 5)
    s = rng.dirichlet([1, 1, 1], size=len(y))
    expected = np.mean([pair_count_auc((y == c).astype(int), s[:, c]) for c in range(3)])
    assert make(registry, "auc").compute(y, s, "multiclass") == pytest.approx(expected)


def test_multiclass_auc_averages_only_classes_present(registry):
    rng = np.random.default_rng(4)
    y = np.array([0, 2] * 6)
    s = rng.dirichlet([1, 1, 1], size=len(y))
    expected = np.mean([pair_count_auc((y == c).astype(int), s[:, c]) for c in (0, 2)])
    assert make(registry, "auc").compute(y, s, "multiclass") == pytest.approx(expected)


def test_auc_with_one_class_is_nan(registry):
    auc = make(registry, "auc")
    assert math.isnan(auc.compute(np.zeros(4), np.array([0.1, 0.2, 0.3, 0.4]), "binary"))
    assert math.isnan(auc.compute(np.ones(3, int), np.full((3, 3), 1 / 3), "multiclass"))


# -- log loss ---------------------------------------------------------------------------
def test_binary_logloss_matches_formula(registry):
    expected = -np.mean(Y_BIN * np.log(S_BIN) + (1 - Y_BIN) * np.log(1 - S_BIN))
    assert make(registry, "logloss").compute(Y_BIN, S_BIN, "binary") == pytest.approx(expected)


def test_multiclass_logloss_matches_formula(registry):
    expected = -np.mean(np.log(S_MC[np.arange(10), Y_MC]))
    # 6 rows predicted right (p = .8) and 4 wrong (p = .1), by hand.
    assert expected == pytest.approx(-(6 * math.log(0.8) + 4 * math.log(0.1)) / 10)
    assert make(registry, "logloss").compute(Y_MC, S_MC, "multiclass") == pytest.approx(expected)


def test_logloss_is_defined_with_one_class(registry):
    value = make(registry, "logloss").compute(np.zeros(2), np.array([0.2, 0.4]), "binary")
    assert value == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)


# -- thresholded classification -----------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), [
    pytest.param("accuracy", 7 / 10, id="accuracy=(tp+tn)/n"),
    pytest.param("precision", 3 / 4, id="precision=tp/(tp+fp)"),
    pytest.param("recall", 3 / 5, id="recall=tp/(tp+fn)"),
    pytest.param("f1", 6 / 9, id="f1=2tp/(2tp+fp+fn)"),
])
def test_binary_counts_at_default_threshold(registry, name, expected):
    assert make(registry, name).compute(Y_BIN, S_BIN, "binary") == pytest.approx(expected)


@pytest.mark.parametrize(("name", "expected"), [
    # At 0.4 (>=, so the three 0.4 rows are positive): tp 4, fp 3, fn 1, tn 2.
    pytest.param("accuracy", 6 / 10, id="accuracy"),
    pytest.param("precision", 4 / 7, id="precision"),
    pytest.param("recall", 4 / 5, id="recall"),
])
def test_binary_threshold_is_inclusive(registry, name, expected):
    metric = make(registry, name, threshold=0.4)
    assert metric.compute(Y_BIN, S_BIN, "binary") == pytest.approx(expected)


@pytest.mark.parametrize(("name", "average", "expected"), [
    pytest.param("f1", "macro", (4 / 7 + 3 / 4 + 2 / 5) / 3, id="f1-macro"),
    pytest.param("f1", "micro", 6 / 10, id="f1-micro"),
    pytest.param("f1", "weighted", (3 * 4 / 7 + 4 * 3 / 4 + 3 * 2 / 5) / 10, id="f1-weighted"),
    pytest.param("precision", "macro", (2 / 4 + 3 / 4 + 1 / 2) / 3, id="precision-macro"),
    pytest.param("recall", "macro", (2 / 3 + 3 / 4 + 1 / 3) / 3, id="recall-macro"),
])
def test_multiclass_averages_from_hand_confusion_matrix(registry, name, average, expected):
    metric = make(registry, name, average=average)
    assert metric.compute(Y_MC, S_MC, "multiclass") == pytest.approx(expected)


def test_multiclass_accuracy_uses_most_probable_class(registry):
    assert make(registry, "accuracy").compute(Y_MC, S_MC, "multiclass") == pytest.approx(6 / 10)


def test_precision_without_predicted_positives_is_nan(registry):
    y, s = np.array([0, 1, 1]), np.array([0.1, 0.2, 0.3])
    assert math.isnan(make(registry, "precision").compute(y, s, "binary"))
    assert make(registry, "recall").compute(y, s, "binary") == 0.0


# -- regression ---------------------------------------------------------------------------
Y_REG = np.array([3.0, -0.5, 2.0, 7.0, 4.2])
P_REG = np.array([2.5, 0.0, 2.0, 8.0, 3.0])


@pytest.mark.parametrize(("name", "expected"), [
    pytest.param("rmse", math.sqrt(np.mean((Y_REG - P_REG) ** 2)), id="rmse"),
    pytest.param("mae", np.mean(np.abs(Y_REG - P_REG)), id="mae"),
    pytest.param("r2", 1 - np.sum((Y_REG - P_REG) ** 2) / np.sum((Y_REG - Y_REG.mean()) ** 2),
                 id="r2"),
])
def test_regression_metrics_match_formulas(registry, name, expected):
    assert make(registry, name).compute(Y_REG, P_REG, "regression") == pytest.approx(expected)


def test_regression_hand_values():
    # Errors .5 .5 0 1 1.2: squared sum 2.94, absolute sum 3.2 (by hand).
    assert M.RMSE().compute(Y_REG, P_REG, "regression") == pytest.approx(math.sqrt(2.94 / 5))
    assert M.MAE().compute(Y_REG, P_REG, "regression") == pytest.approx(3.2 / 5)


def test_r2_undefined_cases_are_nan():
    assert math.isnan(M.R2().compute(np.array([2.0, 2.0]), np.array([1.0, 3.0]), "regression"))
    assert math.isnan(M.R2().compute(np.array([2.0]), np.array([1.0]), "regression"))


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_no_rows_gives_nan(registry, name):
    metric = make(registry, name)
    task = sorted(metric.tasks)[0]
    y_score = np.empty((0, 3)) if task == "multiclass" else np.empty(0)
    assert math.isnan(metric.compute(np.empty(0), y_score, task))


# -- wrong inputs -------------------------------------------------------------------------
def test_metric_for_wrong_task_is_config_error(registry):
    with pytest.raises(ConfigError, match=r"metric 'rmse' does not apply to task 'binary'; "
                                          r"it applies to: regression"):
        make(registry, "rmse").compute(Y_BIN, S_BIN, "binary")


@pytest.mark.parametrize(("y_true", "y_score", "task", "message"), [
    pytest.param(Y_BIN, np.c_[1 - S_BIN, S_BIN], "binary", r"y_score of shape \(n,\)",
                 id="binary-2d-score"),
    pytest.param(Y_MC, PRED_MC.astype(float), "multiclass", r"y_score of shape \(n, k\)",
                 id="multiclass-1d-score"),
    pytest.param(Y_BIN[:5], S_BIN, "binary", r"got \(5,\) and \(10,\)", id="length-mismatch"),
    pytest.param(Y_BIN, np.where(Y_BIN == 1, np.nan, S_BIN), "binary",
                 r"y_score has 5 NaN or infinite values", id="nan-score"),
    pytest.param(Y_BIN * 2, S_BIN, "binary", r"class codes 0..1; found 2\.", id="bad-label"),
])
def test_bad_inputs_are_data_errors(registry, y_true, y_score, task, message):
    with pytest.raises(DataError, match=message):
        make(registry, "accuracy").compute(y_true, y_score, task)


@pytest.mark.parametrize(("params", "message"), [
    pytest.param({"threshold": 1.5}, r"out of range: metrics\.x\.f1\.threshold=1\.5, must be <= 1",
                 id="threshold-range"),
    pytest.param({"average": "marco"}, r"invalid value 'marco' for metrics\.x\.f1\.average\. "
                                       r"Did you mean: macro\?", id="average-typo"),
    pytest.param({"treshold": 0.3}, r"unknown parameter 'treshold'.*Did you mean: threshold\?",
                 id="param-typo"),
])
def test_bad_params_are_config_errors(registry, params, message):
    with pytest.raises(ConfigError, match=message):
        make(registry, "f1", **params)


# -- config group option -----------------------------------------------------------------
def test_default_metrics_config_names_valid_metrics(registry):
    cfg = OmegaConf.to_container(OmegaConf.load(CONF))
    assert set(cfg) == {"binary", "multiclass", "regression", "primary", "slice_by", "slice_min_rows",
                        "train_rows"}
    for task in ("binary", "multiclass", "regression"):
        for name, node in cfg[task].items():
            metric = registry.create("metric", {"kind": name, **node}, where=f"metrics.{task}")
            assert task in metric.tasks, (task, name)
        assert cfg["primary"][task] in cfg[task]
    assert cfg["slice_by"] == []
    # Every key is one the engine's MetricsConf declares (so the run accepts the file).
    from driftline.engine.components.params import parse_params
    from driftline.engine.config.runconf import MetricsConf

    assert parse_params(MetricsConf, cfg, where="metrics").train_rows == cfg["train_rows"]


def test_default_metrics_config_comments_every_key():
    lines = CONF.read_text().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[i - 1].startswith("#"), f"no comment above: {line}"
