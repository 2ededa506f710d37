"""Warnings about the feature columns a run is about to train on.

Training can go on with each of these, so they are warnings, not errors: each one is a line
in the run's output and a row in the store's ``run_warnings`` table (``driftline show``
lists them).  What is looked for, per feature column of the prepared data:

- ``infinite_values``: +-inf in a float column (models treat it as an extreme number, and
  drift statistics of the column are undefined);
- ``all_null``: no value at all (the column cannot help the model);
- ``constant``: one value in every row (one value and nulls is left alone: whether a value
  is there can carry signal);
- ``id_like``: an identifier, by name (a word ``id``, ``uuid``, ``guid``, ``key``, ``index``,
  ``Unnamed: 0``; not ``body_mass_index``) or by values (a string column unique in every row, or an integer column
  unique in every row and sorted: a row number);
- ``prediction_like``: named like a model's output (``prediction``, ``score``, ``proba_1``,
  ``y_pred``, ...; not ``credit_score``), which usually leaks the label;
- ``many_categories``: a categorical column with more than ``MANY_CATEGORIES`` levels.

All facts come from one pass of cheap polars expressions over the frame (null counts, min
and max, sortedness; distinct values only of text columns and of sorted integers).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import polars as pl

#: More levels than this in a categorical feature earns a warning.
MANY_CATEGORIES = 1000
#: Fewer rows than this: values-based identifier checks say nothing.
ID_MIN_ROWS = 50

#: A column with one of these words in its name is named like an identifier ...
_ID_WORDS = {"id", "ids", "uuid", "guid", "rowid"}
#: ... and so is one with one of these names.
_ID_NAMES = {"index", "idx", "key", "pk", "row", "row_number", "rownum"}
#: Names (or name prefixes, before ``_``) of a model's output.
_PREDICTION_NAMES = {"pred", "preds", "prediction", "predictions", "predicted", "score",
                     "scores", "proba", "probability", "prob", "yhat", "y_hat", "y_pred",
                     "ypred", "y_score", "y_proba"}
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@dataclass(frozen=True)
class FeatureWarning:
    """One warning: a code (see the module docstring), the column, and a line for people."""

    code: str
    column: str
    message: str
    stage: str = "transform and validate"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def feature_warnings(frame: pl.DataFrame, features: list[str],
                     categorical: list[str]) -> list[FeatureWarning]:
    """The warnings about ``features`` of ``frame``, in feature order."""
    if not features or frame.height == 0:
        return []
    stats = frame.select(_expressions(frame, features)).row(0, named=True)
    # Distinct values of a sorted integer column: only those can be row numbers (rare).
    sorted_ints = [c for c in features if stats.get(f"{c}\0sorted")]
    if sorted_ints:
        stats.update(frame.select(pl.col(c).drop_nulls().n_unique().alias(f"{c}\0unique")
                                  for c in sorted_ints).row(0, named=True))
    found: list[FeatureWarning] = []
    for name in features:
        found += _column_warnings(name, frame.schema[name], stats, frame.height,
                                  name in categorical)
    return found


def _expressions(frame: pl.DataFrame, features: list[str]) -> list[pl.Expr]:
    """Cheap per-column facts: null counts; min and max of numbers (a constant one has
    min == max); whether integers are sorted; infinities; distinct values of text only."""
    exprs = []
    for name in features:
        col = pl.col(name)
        dtype = frame.schema[name]
        exprs.append(col.null_count().alias(f"{name}\0nulls"))
        if dtype.is_numeric():
            exprs += [col.min().alias(f"{name}\0min"), col.max().alias(f"{name}\0max")]
        else:
            exprs.append(col.drop_nulls().n_unique().alias(f"{name}\0unique"))
        if dtype.is_float():
            exprs.append(col.is_infinite().sum().alias(f"{name}\0inf"))
        if dtype.is_integer():
            exprs.append((col.is_sorted() | col.is_sorted(descending=True)).alias(f"{name}\0sorted"))
    return exprs


def _column_warnings(name: str, dtype: pl.DataType, stats: dict, rows: int,
                     is_categorical: bool) -> list[FeatureWarning]:
    nulls = stats[f"{name}\0nulls"]
    if f"{name}\0unique" in stats:
        unique = stats[f"{name}\0unique"]
    else:  # a number: one value when min == max (NaN-free floats; a NaN max is not equal)
        lo, hi = stats[f"{name}\0min"], stats[f"{name}\0max"]
        unique = 1 if lo is not None and lo == hi else 2
    override = name if re.fullmatch(r"[A-Za-z_][\w.-]*", name) else "'" + name.replace("'", "\\'") + "'"
    exclude = f"exclude it (exclude=[{override}])"
    if nulls == rows:
        return [FeatureWarning("all_null", name, f"feature '{name}' is null in all {rows} rows; "
                               f"it cannot help the model: fix the source or {exclude}.")]
    found = []
    infinite = stats.get(f"{name}\0inf") or 0
    if infinite:
        found.append(FeatureWarning(
            "infinite_values", name, f"feature '{name}' has {infinite} infinite value"
            f"{'s' if infinite != 1 else ''} (of {rows} rows); models treat them as extreme "
            f"numbers and drift statistics of the column are undefined: replace them in a "
            f"transform (e.g. with null) or exclude the column."))
    if unique == 1 and nulls == 0:
        found.append(FeatureWarning("constant", name, f"feature '{name}' has the same value in "
                                    f"every row; it cannot help the model: {exclude}."))
    words = _words(name)
    sorted_ints = bool(stats.get(f"{name}\0sorted"))
    unique_per_row = nulls == 0 and unique == rows and rows >= ID_MIN_ROWS
    lower = name.lower().replace("-", "_").replace(" ", "_")
    if words & _ID_WORDS or lower in _ID_NAMES or lower.startswith("unnamed"):
        found.append(FeatureWarning("id_like", name, f"feature '{name}' is named like an "
                                    f"identifier; an id tells the model nothing about new "
                                    f"rows: {exclude} unless it carries real signal."))
    elif unique_per_row and (dtype == pl.String or (dtype.is_integer() and sorted_ints)):
        what = "a row number (unique and sorted)" if dtype.is_integer() else "unique in every row"
        found.append(FeatureWarning("id_like", name, f"feature '{name}' looks like an "
                                    f"identifier: {what}; {exclude} unless it carries real signal."))
    elif is_categorical and unique > MANY_CATEGORIES:
        found.append(FeatureWarning("many_categories", name, f"categorical feature '{name}' has "
                                    f"{unique} distinct values; check that it is not a number "
                                    f"read as text (data.null_values) or an identifier."))
    if lower in _PREDICTION_NAMES or lower.split("_", 1)[0] in _PREDICTION_NAMES - {"score"}:
        found.append(FeatureWarning("prediction_like", name, f"feature '{name}' is named like a "
                                    f"model's output; a prediction or score as a feature "
                                    f"usually leaks the label: {exclude} unless it is known when predicting."))
    return found


def _words(name: str) -> set[str]:
    """Lower-case words of a column name: ``customerID`` -> {customer, id}."""
    return {w.lower() for w in _WORD.findall(name)}
