"""``brier``: mean squared error of predicted probabilities (lower is better).

Binary: ``mean((p - y)^2)`` with ``p = P(class 1)``, in 0..1.  Multiclass: the sum over
classes of the squared error, averaged over rows, in 0..2 (scikit-learn's convention).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.metrics import brier_score_loss

from driftline.engine import DataError, Metric


class Brier(Metric):
    """Brier score of probabilistic predictions, computed by scikit-learn."""

    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass"})
    higher_is_better: ClassVar[bool] = False

    def compute(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        y_true = np.asarray(y_true)
        y_score = np.asarray(y_score, dtype=np.float64)
        if len(y_true) == 0:
            return float("nan")
        want = 2 if task == "multiclass" else 1
        if y_score.ndim != want or len(y_score) != len(y_true):
            raise DataError(f"metric 'brier' on a {task} task needs y_score with {want} "
                            f"dimension(s) and one row per target; got {y_score.shape} for "
                            f"{len(y_true)} targets.")
        if task == "binary":
            return float(brier_score_loss(y_true, y_score, labels=[0, 1]))
        labels = list(range(y_score.shape[1]))
        return float(brier_score_loss(y_true, y_score, labels=labels))
