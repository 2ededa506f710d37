"""Built-in metrics, each one number computed by ``sklearn.metrics``.

Inputs follow the model protocol: ``y_true`` is the encoded target (0/1 for binary,
0..k-1 for multiclass, numbers for regression) and ``y_score`` is what the model
predicted: binary -> P(class 1), shape (n,); multiclass -> class probabilities, shape
(n, k); regression -> predicted values, shape (n,).

A metric that is *undefined on the data* returns ``float('nan')`` instead of raising, so
one odd split or slice never fails a run: no rows at all; AUC when ``y_true`` holds a
single class; precision (recall) when nothing is predicted (present) in the positive class;
R2 with fewer than two rows or a constant ``y_true``.  For multiclass averages, classes
whose score is undefined are left out of the average (scikit-learn's ``zero_division=nan``).
Inputs that are wrong (shapes, NaN scores, labels outside the classes, a metric used for a
task it does not apply to) raise a DataError or ConfigError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from sklearn import metrics as skm

from driftline.engine import ConfigError, DataError, Metric

#: The values of ``average`` for multiclass precision, recall and F1.
AVERAGES = ("macro", "micro", "weighted")
CLASSIFICATION = frozenset({"binary", "multiclass"})
REGRESSION = frozenset({"regression"})


@dataclass(frozen=True)
class ThresholdParams:
    """Parameters of metrics that turn binary probabilities into labels."""

    # Binary task: a row is predicted positive when P(class 1) >= threshold.
    threshold: float = field(default=0.5, metadata={"ge": 0.0, "le": 1.0})


@dataclass(frozen=True)
class AveragedParams:
    """Parameters of precision, recall and F1."""

    # Binary task: a row is predicted positive when P(class 1) >= threshold.
    threshold: float = field(default=0.5, metadata={"ge": 0.0, "le": 1.0})
    # Multiclass task: macro = unweighted mean over classes; micro = from the pooled counts
    # of all classes; weighted = mean weighted by each class's number of true rows.
    average: str = field(default="macro", metadata={"choices": AVERAGES})


class _SklearnMetric(Metric):
    """Shared checks; a subclass implements :meth:`_score` on validated arrays."""

    def compute(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        y_true, y_score = self._validate(y_true, y_score, task)
        if len(y_true) == 0:
            return float("nan")
        return float(self._score(y_true, y_score, task))

    def _score(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        raise NotImplementedError

    @property
    def _name(self) -> str:
        return self.registered_name or type(self).__name__.lower()

    def _validate(self, y_true: np.ndarray, y_score: np.ndarray, task: str
                  ) -> tuple[np.ndarray, np.ndarray]:
        if task not in self.tasks:
            raise ConfigError(f"metric '{self._name}' does not apply to task '{task}'; it "
                              f"applies to: {', '.join(sorted(self.tasks))}. Remove it from "
                              f"metrics.{task}.", key=f"metrics.{task}.{self._name}")
        y_true = np.asarray(y_true, dtype=np.float64)
        y_score = np.asarray(y_score, dtype=np.float64)
        want, ndim = ("(n, k)", 2) if task == "multiclass" else ("(n,)", 1)
        if y_true.ndim != 1 or y_score.ndim != ndim or len(y_score) != len(y_true):
            raise DataError(f"metric '{self._name}' on a {task} task needs y_true of shape (n,) "
                            f"and y_score of shape {want}; got {y_true.shape} and {y_score.shape}.")
        for label, values in (("y_true", y_true), ("y_score", y_score)):
            if not np.isfinite(values).all():
                raise DataError(f"metric '{self._name}': {label} has "
                                f"{int((~np.isfinite(values)).sum())} NaN or infinite values.")
        if task in CLASSIFICATION:
            k = y_score.shape[1] if task == "multiclass" else 2
            bad = (y_true != np.round(y_true)) | (y_true < 0) | (y_true >= k)
            if bad.any():
                raise DataError(f"metric '{self._name}': y_true of a {task} task must be class "
                                f"codes 0..{k - 1}; found {float(y_true[bad][0]):g}.")
            # The smallest integer type that holds the codes: scikit-learn finds the labels
            # with np.unique, whose sort is a fast radix sort for 1- and 2-byte integers.
            y_true = y_true.astype(np.min_scalar_type(k - 1))
        return y_true, y_score


def _labels(y_score: np.ndarray, task: str, threshold: float) -> np.ndarray:
    """Predicted classes: P(1) >= threshold for binary, the most probable class otherwise
    (in the smallest integer type that holds them, as ``y_true``)."""
    if task == "binary":
        return (y_score >= threshold).astype(np.uint8)
    return np.argmax(y_score, axis=1).astype(np.min_scalar_type(y_score.shape[1] - 1))


class AUC(_SklearnMetric):
    """Area under the ROC curve; multiclass: one-vs-rest, macro-averaged.

    Multiclass averages over the classes present in ``y_true`` (a class with no rows has
    no one-vs-rest AUC); NaN when fewer than two classes are present.
    """

    tasks: ClassVar[frozenset[str]] = CLASSIFICATION
    higher_is_better: ClassVar[bool] = True

    def _score(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        present = np.unique(y_true)
        if len(present) < 2:
            return float("nan")
        if task == "binary":
            return skm.roc_auc_score(y_true, y_score)
        one_hot = (y_true[:, None] == present[None, :]).astype(np.int64)
        return skm.roc_auc_score(one_hot, y_score[:, present], average="macro")


class LogLoss(_SklearnMetric):
    """Mean negative log-likelihood of the true class (natural log)."""

    tasks: ClassVar[frozenset[str]] = CLASSIFICATION
    higher_is_better: ClassVar[bool] = False

    def _score(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        k = 2 if task == "binary" else y_score.shape[1]
        return skm.log_loss(y_true, y_score, labels=list(range(k)))


class Accuracy(_SklearnMetric):
    """Share of rows whose predicted class is the true class."""

    Params: ClassVar[type] = ThresholdParams
    tasks: ClassVar[frozenset[str]] = CLASSIFICATION
    higher_is_better: ClassVar[bool] = True

    def _score(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        return skm.accuracy_score(y_true, _labels(y_score, task, self.params.threshold))


class _AveragedMetric(_SklearnMetric):
    """Precision, recall or F1: the positive class (binary) or averaged over classes."""

    Params: ClassVar[type] = AveragedParams
    tasks: ClassVar[frozenset[str]] = CLASSIFICATION
    higher_is_better: ClassVar[bool] = True
    _function: ClassVar = staticmethod(skm.f1_score)

    def _score(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        y_pred = _labels(y_score, task, self.params.threshold)
        if task == "binary":
            return self._function(y_true, y_pred, average="binary", pos_label=1,
                                  labels=[0, 1], zero_division=np.nan)
        labels = list(range(y_score.shape[1]))
        return self._function(y_true, y_pred, average=self.params.average, labels=labels,
                              zero_division=np.nan)


class F1(_AveragedMetric):
    """F1 score: harmonic mean of precision and recall."""

    _function: ClassVar = staticmethod(skm.f1_score)


class Precision(_AveragedMetric):
    """Precision: share of predicted positives that are positive."""

    _function: ClassVar = staticmethod(skm.precision_score)


class Recall(_AveragedMetric):
    """Recall: share of positives that are predicted positive."""

    _function: ClassVar = staticmethod(skm.recall_score)


class RMSE(_SklearnMetric):
    """Root mean squared error, in the target's units."""

    tasks: ClassVar[frozenset[str]] = REGRESSION
    higher_is_better: ClassVar[bool] = False

    def _score(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        return skm.root_mean_squared_error(y_true, y_score)


class MAE(_SklearnMetric):
    """Mean absolute error, in the target's units."""

    tasks: ClassVar[frozenset[str]] = REGRESSION
    higher_is_better: ClassVar[bool] = False

    def _score(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        return skm.mean_absolute_error(y_true, y_score)


class R2(_SklearnMetric):
    """Coefficient of determination; NaN for fewer than two rows or a constant ``y_true``."""

    tasks: ClassVar[frozenset[str]] = REGRESSION
    higher_is_better: ClassVar[bool] = True

    def _score(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        if len(y_true) < 2 or np.ptp(y_true) == 0:
            return float("nan")
        return skm.r2_score(y_true, y_score)
