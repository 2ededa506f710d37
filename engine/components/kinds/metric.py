"""Protocol of a metric: one number from true targets and model outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from driftline.engine.components.kinds.base import Component

if TYPE_CHECKING:
    import numpy as np


class Metric(Component):
    """``compute`` gets the encoded target and what :meth:`Model.predict` returned.

    ``compute`` must depend only on its arguments: the engine may call it for several
    metrics or slices at once, on different threads.
    """

    #: Tasks this metric applies to.
    tasks: ClassVar[frozenset[str]] = frozenset()
    #: True when larger values are better (auc), False otherwise (logloss).
    higher_is_better: ClassVar[bool] = True

    def compute(self, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
        raise NotImplementedError
