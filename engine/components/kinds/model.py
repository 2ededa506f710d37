"""Protocol of a model: fit, predict, and round-trip through bytes (never pickle).

The engine writes what :meth:`Model.dumps` returns atomically, records its sha256, and
verifies that hash before :meth:`Model.loads` ever sees the bytes again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from driftline.engine.components.kinds.base import Component, RunContext

if TYPE_CHECKING:
    import numpy as np
    import polars as pl


@dataclass
class TrainingData:
    """What a model is trained on; targets are already encoded by the engine."""

    # Training rows (feature columns and possibly others; use ``features``).
    train: pl.DataFrame
    # Encoded training target: 0/1 (binary), 0..k-1 (multiclass) or float (regression).
    y_train: np.ndarray
    # Feature column names, in order.
    features: list[str]
    # The subset of ``features`` that are categorical (string, categorical, enum, boolean).
    categorical: list[str]
    # binary | multiclass | regression
    task: str
    # Number of classes (1 for regression).
    n_classes: int = 1
    # Validation rows and target, for early stopping; None when the split has no valid part.
    valid: pl.DataFrame | None = None
    y_valid: np.ndarray | None = None
    # Anything else a model may want to know.
    extra: dict[str, Any] = field(default_factory=dict)


class Model(Component):
    """A trainable model.

    ``predict`` returns: binary -> P(class 1), shape (n,); multiclass -> probabilities,
    shape (n, k); regression -> values, shape (n,).
    """

    #: Name of the serialisation format recorded in the store (e.g. ``lightgbm-text``).
    format: ClassVar[str] = ""
    #: File name of the saved model inside the run folder (not ``model.json``: the engine
    #: writes the model card there).
    file_name: ClassVar[str] = "model.bin"
    #: Tasks this model can learn.
    tasks: ClassVar[frozenset[str]] = frozenset({"binary", "multiclass", "regression"})

    def fit(self, data: TrainingData, ctx: RunContext) -> None:
        raise NotImplementedError

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def training_predictions(self) -> np.ndarray | None:
        """Optional: what :meth:`predict` returns for the training rows, in their order, if
        training produced it anyway (boosting libraries keep these scores); None otherwise.

        The engine scores the train split with these instead of predicting again, after
        checking on a sample of rows that they equal :meth:`predict` exactly.
        """
        return None

    def dumps(self) -> bytes:
        """The trained model in its own format; identical training gives identical bytes."""
        raise NotImplementedError

    def metadata(self) -> dict[str, Any]:
        """JSON-able facts needed to predict again (features, category levels, classes)."""
        raise NotImplementedError

    @classmethod
    def loads(cls, data: bytes, metadata: dict[str, Any], params: Any = None) -> Model:
        """Rebuild a trained model from :meth:`dumps` bytes and :meth:`metadata`."""
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        """Facts for lineage and diff: e.g. number of trees, feature importance."""
        return {}
