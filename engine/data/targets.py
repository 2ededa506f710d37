"""Turning the target column into what models expect, and choosing the feature columns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from driftline.engine.errors import DataError, did_you_mean

# More distinct values than this in a binary/multiclass target is almost surely a mistake.
MAX_CLASSES = 100


@dataclass(frozen=True)
class TargetEncoding:
    """How target values map to model labels: classes[i] is label i (classification)."""

    task: str
    classes: tuple[Any, ...] = ()

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.task != "regression" else 1

    def encode(self, values: pl.Series) -> np.ndarray:
        if values.null_count():
            raise DataError(f"target column '{values.name}' has {values.null_count()} null "
                            f"values; drop or fill them (transforms) before training.")
        if self.task == "regression":
            return values.cast(pl.Float64).to_numpy()
        lookup = {c: i for i, c in enumerate(self.classes)}
        codes = values.replace_strict(lookup, default=-1, return_dtype=pl.Int64).to_numpy()
        if (codes < 0).any():
            unseen = values.filter(pl.Series(codes < 0)).unique().head(3).to_list()
            raise DataError(f"target column '{values.name}' has values not seen in training: "
                            f"{unseen}. Known classes: {list(self.classes)}.")
        return codes

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "classes": [_plain(c) for c in self.classes]}


def fit_target(values: pl.Series, task: str) -> TargetEncoding:
    """Check the target fits the task; learn the class order (sorted) for classification."""
    name = values.name
    if task == "regression":
        if not values.dtype.is_numeric():
            raise DataError(f"target column '{name}' is {values.dtype}, but task=regression "
                            f"needs numbers. Cast it (transforms) or set task=binary|multiclass.")
        return TargetEncoding(task)
    classes = values.drop_nulls().unique().sort().to_list()
    if task == "binary" and len(classes) != 2:
        raise DataError(f"target column '{name}' has {len(classes)} distinct values "
                        f"{_preview(classes)}, but task=binary needs exactly 2. "
                        f"Set task=multiclass or task=regression, or fix the target.")
    if task == "multiclass" and not 2 <= len(classes) <= MAX_CLASSES:
        raise DataError(f"target column '{name}' has {len(classes)} distinct values, but "
                        f"task=multiclass needs 2..{MAX_CLASSES}. Did you mean task=regression?")
    return TargetEncoding(task, tuple(classes))


def choose_features(frame: pl.DataFrame, *, target: str, exclude: list[str],
                    features: list[str] | None) -> tuple[list[str], list[str]]:
    """(features, categorical features).  Temporal columns are never features."""
    columns = frame.columns
    if target not in columns:
        raise DataError(f"target column '{target}' is not in the data (key: target)."
                        f"{did_you_mean(target, columns)}")
    for name in [*exclude, *(features or [])]:
        if name not in columns:
            raise DataError(f"column '{name}' named in exclude/features is not in the data."
                            f"{did_you_mean(name, columns)}")
    if features is None:
        features = [c for c in columns if c != target and c not in exclude
                    and not frame.schema[c].is_temporal()]
    elif target in features:
        raise DataError(f"the target '{target}' is listed in features (key: features); remove it.")
    if not features:
        raise DataError("no feature columns left (keys: features, exclude); keep at least one.")
    categorical = [c for c in features if _is_categorical(frame.schema[c])]
    unsupported = [c for c in features if frame.schema[c].is_temporal() or
                   not (frame.schema[c].is_numeric() or c in categorical)]
    if unsupported:
        c = unsupported[0]
        raise DataError(f"feature column '{c}' has dtype {frame.schema[c]}, which models cannot "
                        f"use; add it to `exclude` or cast it (transforms).")
    return features, categorical


def _is_categorical(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical, pl.Boolean) or isinstance(dtype, (pl.Enum, pl.Categorical))


def _preview(values: list[Any], n: int = 5) -> str:
    shown = ", ".join(map(repr, values[:n]))
    return f"[{shown}{', ...' if len(values) > n else ''}]"


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
