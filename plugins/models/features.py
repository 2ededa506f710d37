"""Feature columns as LightGBM's float64 matrix, and the category levels learnt from training.

Features become one float64 matrix built column-wise by polars (no per-row Python):
numeric columns are cast to float64 (nulls -> NaN); Date/Datetime/Duration columns become
days / microseconds since the epoch; categorical columns (``TrainingData.categorical``)
become integer codes of their levels, learnt from the training split and sorted, and are
declared to LightGBM as ``categorical_feature``.  A level never seen in training and a null
are both *missing* (NaN) at predict time.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from driftline.engine import DataError


# Characters LightGBM rejects (or rewrites) in feature names written to the model text.
_UNSAFE_NAME = re.compile(r"[\s\"',:\[\]{}]")


class FeatureEncoder:
    """Turns feature columns into LightGBM's float64 matrix; knows the category levels."""

    def __init__(self, features: list[str], levels: dict[str, list[str]]):
        self.features = features
        # Categorical feature -> its sorted training levels (code = position).
        self.levels = levels

    @classmethod
    def learn(cls, frame: pl.DataFrame, features: list[str], categorical: list[str]) -> FeatureEncoder:
        if not features:
            raise DataError("no feature columns to train on: the table has only the target "
                            "(and dropped columns). Keep at least one feature column.")
        check_columns(frame, features, "train")
        unknown = [c for c in categorical if c not in features]
        if unknown:
            raise DataError(f"categorical column(s) {', '.join(unknown)} are not among the "
                            f"features ({', '.join(features)}).")
        wanted = set(categorical)
        levels = {}
        for name in (c for c in features if c in wanted):
            try:
                values = frame.get_column(name).cast(pl.String).drop_nulls().unique()
            except pl.exceptions.PolarsError as exc:
                raise DataError(f"categorical column '{name}' (dtype {frame.schema[name]}) "
                                f"cannot be read as categories: {_first_line(exc)}. Cast it to "
                                f"a string or drop it from the features.") from exc
            levels[name] = values.sort().to_list()
        return cls(list(features), levels)

    def matrix(self, frame: pl.DataFrame, role: str) -> np.ndarray:
        check_columns(frame, self.features, role)
        exprs = [self._expr(name, frame.schema[name], role) for name in self.features]
        try:
            # Row-major: LightGBM reads rows, and copies a column-major matrix first.
            return frame.select(exprs).to_numpy(order="c")
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"the feature columns of the {role} cannot be turned into numbers: "
                            f"{_first_line(exc)}. Check the columns' dtypes.") from exc

    def _expr(self, name: str, dtype: pl.DataType, role: str) -> pl.Expr:
        col = pl.col(name)
        if name in self.levels:
            levels = self.levels[name]
            return col.cast(pl.String).replace_strict(
                levels, list(range(len(levels))), default=None, return_dtype=pl.Float64)
        if dtype == pl.Date:
            return col.dt.epoch("d").cast(pl.Float64)
        if isinstance(dtype, pl.Datetime):
            return col.dt.epoch("us").cast(pl.Float64)
        if isinstance(dtype, pl.Duration):
            return col.dt.total_microseconds().cast(pl.Float64)
        if dtype.is_numeric() or dtype in (pl.Boolean, pl.Null):
            return col.cast(pl.Float64)
        raise DataError(
            f"feature column '{name}' in the {role} has dtype {dtype}, but the model was "
            f"trained with it as a number; cast it to a number, or drop it from the features.")

    def categorical_indices(self) -> list[int]:
        return [i for i, name in enumerate(self.features) if name in self.levels]

    def lgb_names(self) -> list[str]:
        """Feature names for the model text (LightGBM rejects some characters)."""
        names = [n if n and not _UNSAFE_NAME.search(n) else f"Column_{i}"
                 for i, n in enumerate(self.features)]
        if len(set(names)) < len(names):
            names = [f"Column_{i}" for i in range(len(names))]
        return names


def check_columns(frame: pl.DataFrame, features: list[str], role: str) -> None:
    missing = [c for c in features if c not in frame.schema]
    if missing:
        raise DataError(
            f"feature column(s) missing from the {role}: {', '.join(missing)}. The model "
            f"needs: {', '.join(features)}.")


def _first_line(exc: Exception) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__
