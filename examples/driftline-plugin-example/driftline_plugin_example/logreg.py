"""Logistic regression (scikit-learn) as a driftline model, saved as JSON, never pickled.

Features become one float64 matrix, built column-wise by polars from an encoding learnt on
the training split only:

* numeric columns are standardised with the training mean and standard deviation (a
  constant column is only centred); a null becomes the training mean, i.e. 0;
* categorical columns are one-hot encoded (one 0/1 column per training level, sorted; a
  null or a level never seen in training is all zeros) or, with
  ``categorical_encoding: ordinal``, replaced by the index of their level and then
  standardised like a number (null and unseen levels become the mean code, i.e. 0).

:meth:`LogisticModel.dumps` writes the encoding, the classes, the coefficients and the
intercepts as canonical JSON (sorted keys, shortest round-tripping float text), so the
same training gives the same bytes and :meth:`LogisticModel.loads` rebuilds an estimator
whose predictions are bit-identical.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np
import polars as pl
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from driftline.engine import ConfigError, DataError, Model, ModelError, RunContext, TrainingData

#: Serialisation format name, recorded in the store and checked on load.
FORMAT = "driftline-logreg-json"
#: Version of the JSON layout; bump it when the layout changes, and keep reading old ones.
LAYOUT_VERSION = 1
#: Tasks this model can be trained for.
TASKS = frozenset({"binary", "multiclass"})
ENCODINGS = ("onehot", "ordinal")


@dataclass(frozen=True)
class LogisticParams:
    """Parameters of the ``logreg`` model."""

    # Inverse of the L2 regularisation strength (> 0); smaller means stronger regularisation.
    C: float = field(default=1.0, metadata={"gt": 0.0})
    # Maximum number of L-BFGS iterations.
    max_iter: int = field(default=200, metadata={"ge": 1})
    # Stop when the largest gradient component falls below this tolerance.
    tol: float = field(default=1e-4, metadata={"gt": 0.0})
    # Learn an intercept (bias) per class.
    fit_intercept: bool = True
    # Class weights: null = every row weighs 1; balanced = inversely to class frequency.
    class_weight: str | None = field(default=None, metadata={"choices": ("balanced",)})
    # How categorical features are encoded: onehot (one column per level) or ordinal.
    categorical_encoding: str = field(default="onehot", metadata={"choices": ENCODINGS})


class LogisticModel(Model):
    """L2-regularised logistic regression for binary and multiclass (softmax) tasks."""

    Params: ClassVar[type] = LogisticParams
    format: ClassVar[str] = FORMAT
    file_name: ClassVar[str] = "logreg.json"
    #: Tasks this model supports (read by the contract suite and by ``fit``).
    tasks: ClassVar[frozenset[str]] = TASKS

    def __init__(self, params: LogisticParams | None = None):
        super().__init__(params)
        self._estimator: LogisticRegression | None = None
        self._encoding: Encoding | None = None
        self._facts: dict[str, Any] = {}

    # -- training ---------------------------------------------------------------------
    def fit(self, data: TrainingData, ctx: RunContext) -> None:
        if data.task not in TASKS:
            raise ConfigError(f"model 'logreg' does not support task={data.task}; it supports "
                              f"{', '.join(sorted(TASKS))}. Choose another model (key: model).",
                              key="model.kind")
        p = self.params
        encoding = Encoding.learn(data.train, data.features, data.categorical,
                                  p.categorical_encoding)
        x = encoding.matrix(data.train)
        y = np.asarray(data.y_train).astype(np.int64)
        estimator = LogisticRegression(C=p.C, max_iter=p.max_iter, tol=p.tol,
                                       fit_intercept=p.fit_intercept, class_weight=p.class_weight,
                                       random_state=ctx.seed % 2**32)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            try:
                estimator.fit(x, y)
            except ValueError as exc:
                raise DataError(f"logreg could not be trained on the train split: {exc}") from exc
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        n_classes = max(int(data.n_classes), 2)
        self._facts = {"task": data.task, "n_classes": n_classes,
                       "n_iter": int(np.max(estimator.n_iter_)), "converged": converged}
        self._estimator, self._encoding = estimator, encoding

    # -- using ------------------------------------------------------------------------
    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        estimator, encoding = self._trained()
        x = encoding.matrix(frame)
        n_classes = self._facts["n_classes"]
        if len(x) == 0:
            return np.empty((0, n_classes) if self._facts["task"] == "multiclass" else (0,))
        proba = estimator.predict_proba(x)
        # Classes absent from the training split get probability 0.
        full = np.zeros((len(x), n_classes))
        full[:, estimator.classes_.astype(np.int64)] = proba
        return full[:, 1].copy() if self._facts["task"] == "binary" else full

    def dumps(self) -> bytes:
        estimator, encoding = self._trained()
        doc = {
            "format": FORMAT, "layout_version": LAYOUT_VERSION, **self._facts,
            "classes": [int(c) for c in estimator.classes_],
            "coef": estimator.coef_.tolist(), "intercept": estimator.intercept_.tolist(),
            "encoding": encoding.as_dict(), "params": asdict(self.params),
        }
        try:
            text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)
        except ValueError as exc:
            raise ModelError("logreg has non-finite coefficients and cannot be saved; scale "
                             "the features or lower C (key: model.C).") from exc
        return text.encode("utf-8")

    def metadata(self) -> dict[str, Any]:
        _, encoding = self._trained()
        return {"format": FORMAT, "features": list(encoding.features), **self._facts}

    @classmethod
    def loads(cls, data: bytes, metadata: dict[str, Any], params: Any = None) -> LogisticModel:
        try:
            doc = json.loads(bytes(data).decode("utf-8"))
            if doc.get("format") != FORMAT or doc.get("layout_version") != LAYOUT_VERSION:
                raise ValueError(f"format {doc.get('format')!r} layout {doc.get('layout_version')!r}")
            model = cls(params if params is not None else LogisticParams(**doc["params"]))
            model._encoding = Encoding.from_dict(doc["encoding"])
            model._estimator = _estimator_from(doc)
            model._facts = {k: doc[k] for k in ("task", "n_classes", "n_iter", "converged")}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"the saved model is not a {FORMAT} file ({exc}); it is damaged "
                             f"or of another format. Retrain or restore it.") from exc
        return model

    def summary(self) -> dict[str, Any]:
        estimator, encoding = self._trained()
        return {**self._facts, "n_inputs": int(estimator.coef_.shape[1]),
                "inputs": encoding.input_names()}

    def _trained(self) -> tuple[LogisticRegression, Encoding]:
        if self._estimator is None or self._encoding is None:
            raise ModelError("the logreg model is not trained: call fit() or loads() first.")
        return self._estimator, self._encoding


def _estimator_from(doc: dict[str, Any]) -> LogisticRegression:
    """A fitted LogisticRegression from saved arrays (what predict_proba reads)."""
    estimator = LogisticRegression()
    estimator.classes_ = np.asarray(doc["classes"], dtype=np.int64)
    estimator.coef_ = np.asarray(doc["coef"], dtype=np.float64)
    estimator.intercept_ = np.asarray(doc["intercept"], dtype=np.float64)
    estimator.n_features_in_ = int(estimator.coef_.shape[1])
    estimator.n_iter_ = np.asarray([doc["n_iter"]], dtype=np.int32)
    return estimator


@dataclass
class Column:
    """How one feature becomes one or more matrix columns."""

    name: str
    # numeric | onehot | ordinal
    how: str
    # Training levels, sorted (onehot, ordinal).
    levels: list[str] = field(default_factory=list)
    # Subtracted, then divided by (numeric, ordinal).
    center: float = 0.0
    scale: float = 1.0


class Encoding:
    """Feature columns -> float64 matrix; learnt on the training split only."""

    def __init__(self, columns: list[Column]):
        self.columns = columns
        self.features = [c.name for c in columns]

    @classmethod
    def learn(cls, frame: pl.DataFrame, features: list[str], categorical: list[str],
              how: str) -> Encoding:
        _check_columns(frame, features, "the train split")
        columns = []
        for name in features:
            if name in categorical:
                levels = sorted(frame[name].cast(pl.String).drop_nulls().unique().to_list())
                columns.append(Column(name, how, levels))
            else:
                columns.append(Column(name, "numeric"))
        encoding = cls(columns)
        raw = encoding._raw(frame)
        for column in (c for c in columns if c.how != "onehot"):
            values = raw[column.name]
            mean, std = values.mean(), values.std(ddof=0)
            column.center = float(mean) if mean is not None else 0.0
            column.scale = float(std) if std else 1.0
        return encoding

    def matrix(self, frame: pl.DataFrame) -> np.ndarray:
        _check_columns(frame, self.features, "the data to predict")
        raw = self._raw(frame)
        exprs: list[pl.Expr] = []
        for c in self.columns:
            if c.how == "onehot":
                text = pl.col(c.name)
                exprs += [(text == level).fill_null(False).cast(pl.Float64).alias(f"{c.name}={level}")
                          for level in c.levels]
            else:
                exprs.append(((pl.col(c.name) - c.center) / c.scale).fill_null(0.0).alias(c.name))
        if not exprs:
            return np.empty((frame.height, 0))
        return raw.select(exprs).to_numpy().astype(np.float64, copy=False)

    def _raw(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Numeric values as Float64, onehot columns as text, ordinal columns as level codes."""
        exprs = []
        for c in self.columns:
            col = pl.col(c.name)
            if c.how == "numeric":
                exprs.append(_numeric(col, frame.schema[c.name], c.name))
            elif c.how == "onehot":
                exprs.append(col.cast(pl.String))
            else:
                codes = {level: float(i) for i, level in enumerate(c.levels)}
                exprs.append(col.cast(pl.String).replace_strict(codes, default=None,
                                                                return_dtype=pl.Float64))
        return frame.select(exprs)

    def input_names(self) -> list[str]:
        names = []
        for c in self.columns:
            names += [f"{c.name}={lv}" for lv in c.levels] if c.how == "onehot" else [c.name]
        return names

    def as_dict(self) -> dict[str, Any]:
        return {"columns": [asdict(c) for c in self.columns]}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Encoding:
        return cls([Column(**c) for c in doc["columns"]])


def _numeric(col: pl.Expr, dtype: pl.DataType, name: str) -> pl.Expr:
    if dtype == pl.Boolean or dtype.is_numeric():
        return col.cast(pl.Float64)
    raise DataError(f"logreg: feature '{name}' is {dtype}, which is neither numeric nor "
                    f"categorical; cast it (transforms) or exclude it (key: exclude).")


def _check_columns(frame: pl.DataFrame, features: list[str], what: str) -> None:
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise DataError(f"logreg: {what} lacks feature column(s) {', '.join(missing)}; it must "
                        f"have every column the model was trained on.")
