"""Column transforms: drop columns, cast them to named dtypes, fill their nulls.

All three are declarative: the config names columns, dtype names and literal values,
never code.  Column names are checked against the frame's schema when the step is
applied (an unknown one is a DataError with the closest existing name); value-level
problems, such as a string that is not a number, surface when the frame is collected.
``fill_null`` statistics (mean, median, min, max) are computed over the whole frame it is
given, which is the full table when transforms run before the split.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from driftline.engine import ConfigError, DataError, RunContext, Transform
from driftline.engine import did_you_mean, format_options

#: dtype name (as written in config) -> polars dtype.
DTYPES: dict[str, pl.DataType] = {
    "Int8": pl.Int8(), "Int16": pl.Int16(), "Int32": pl.Int32(), "Int64": pl.Int64(),
    "UInt8": pl.UInt8(), "UInt16": pl.UInt16(), "UInt32": pl.UInt32(), "UInt64": pl.UInt64(),
    "Float32": pl.Float32(), "Float64": pl.Float64(),
    "String": pl.String(), "Boolean": pl.Boolean(), "Categorical": pl.Categorical(),
    "Date": pl.Date(), "Datetime": pl.Datetime("us"),
}
#: Strings a String -> Boolean cast accepts (compared case-insensitively).
BOOLEAN_WORDS: dict[str, bool] = {"true": True, "false": False, "1": True, "0": False,
                                  "yes": True, "no": False}
#: fill_null strategies.
FILL_STRATEGIES: tuple[str, ...] = ("mean", "median", "min", "max", "zero", "forward", "backward")
_NUMERIC_ONLY = frozenset({"mean", "median"})


def dtype_from_name(name: str, *, key: str) -> pl.DataType:
    """The polars dtype called ``name`` in config; ConfigError listing valid names."""
    try:
        return DTYPES[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown dtype '{name}' (key: {key}).{did_you_mean(str(name), DTYPES)}",
                          key=key, options=list(DTYPES)) from None


def check_columns(names: Iterable[str], schema: Mapping[str, Any], *, what: str) -> None:
    """DataError for the first name not in ``schema``, with the closest existing column."""
    for name in names:
        if name not in schema:
            raise DataError(f"{what}: column '{name}' is not in the data."
                            f"{did_you_mean(name, schema)}")


def _schema(frame: pl.LazyFrame, what: str) -> pl.Schema:
    try:
        return frame.collect_schema()
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"{what}: the input frame is invalid: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class DropColumns(Transform):
    """Removes the listed columns."""

    # Parameters the conformance suite (`driftline plugins check`) builds it with.
    example_params = {"columns": ["num_b"]}

    @dataclass(frozen=True)
    class Params:
        # Names of the columns to remove (each must exist).
        columns: list[str]

        def __post_init__(self) -> None:
            if not self.columns:
                raise ConfigError("drop_columns needs at least one name in 'columns'.",
                                  key="columns")

    def apply(self, frame: pl.LazyFrame, ctx: RunContext) -> pl.LazyFrame:
        check_columns(self.params.columns, _schema(frame, "drop_columns"), what="drop_columns")
        return frame.drop(self.params.columns)


class Cast(Transform):
    """Casts columns to named dtypes.

    Strings become dates and datetimes by ISO-8601 parsing, and booleans from
    true/false/1/0/yes/no (any case); any other text fails when collected rather than
    turning into nulls.  Float -> integer truncates towards zero, as polars' cast does.
    """

    # Parameters the conformance suite (`driftline plugins check`) builds it with.
    example_params = {"columns": {"num_b": "Float64"}}

    @dataclass(frozen=True)
    class Params:
        # Column name -> dtype name (Int64, Float64, String, Boolean, Date, Categorical, ...).
        columns: dict[str, str]

        def __post_init__(self) -> None:
            if not self.columns:
                raise ConfigError("cast needs at least one 'column: dtype' in 'columns'.",
                                  key="columns")
            for column, name in self.columns.items():
                dtype_from_name(name, key=f"columns.{column}")

    def apply(self, frame: pl.LazyFrame, ctx: RunContext) -> pl.LazyFrame:
        schema = _schema(frame, "cast")
        check_columns(self.params.columns, schema, what="cast")
        exprs = [
            cast_expr(column, schema[column], dtype_from_name(name, key=f"columns.{column}"))
            for column, name in self.params.columns.items()
        ]
        return frame.with_columns(exprs)


def cast_expr(column: str, source: pl.DataType, target: pl.DataType) -> pl.Expr:
    """A strict cast of ``column`` from ``source`` to ``target`` (see :class:`Cast`)."""
    col = pl.col(column)
    if source == target:
        return col
    if source == pl.String:
        if target == pl.Date:
            return col.str.to_date(strict=True)
        if target == pl.Datetime:
            return col.str.to_datetime(time_unit="us", strict=True)
        if target == pl.Boolean:
            return col.str.to_lowercase().replace_strict(BOOLEAN_WORDS, return_dtype=pl.Boolean)
    if target == pl.Categorical and source != pl.String:
        return col.cast(pl.String).cast(pl.Categorical)
    return col.cast(target, strict=True)


class FillNull(Transform):
    """Replaces nulls per column with a literal value or a strategy.

    Strategies: mean/median (numeric columns; integer columns get the rounded value so they
    keep their dtype), min/max, zero (0, 0.0, false or the empty string), forward/backward
    (the previous/next non-null value in row order).  A literal must fit the column's
    dtype: a number for numeric columns, true/false for booleans, text for strings, an
    ISO date string for dates.
    """

    # Parameters the conformance suite (`driftline plugins check`) builds it with.
    example_params = {"strategy": {"num_a": "mean"}}

    @dataclass(frozen=True)
    class Params:
        # Column name -> literal that replaces its nulls.
        values: dict[str, Any] = field(default_factory=dict)
        # Column name -> strategy: mean, median, min, max, zero, forward or backward.
        strategy: dict[str, str] = field(default_factory=dict)

        def __post_init__(self) -> None:
            if not self.values and not self.strategy:
                raise ConfigError("fill_null needs 'values' and/or 'strategy' (column -> what "
                                  "to fill); both are empty.", key="values")
            for column, name in self.strategy.items():
                if name not in FILL_STRATEGIES:
                    raise ConfigError(
                        f"unknown fill_null strategy '{name}' (key: strategy.{column}). "
                        f"Valid: {format_options(FILL_STRATEGIES)}.",
                        key=f"strategy.{column}", options=FILL_STRATEGIES,
                    )
            both = sorted(set(self.values) & set(self.strategy))
            if both:
                raise ConfigError(f"fill_null: column '{both[0]}' is in both 'values' and "
                                  f"'strategy'; keep one.", key=f"values.{both[0]}")

    def apply(self, frame: pl.LazyFrame, ctx: RunContext) -> pl.LazyFrame:
        schema = _schema(frame, "fill_null")
        check_columns([*self.params.values, *self.params.strategy], schema, what="fill_null")
        exprs = [pl.col(c).fill_null(literal_for(c, schema[c], v))
                 for c, v in self.params.values.items()]
        exprs += [strategy_expr(c, schema[c], s) for c, s in self.params.strategy.items()]
        return frame.with_columns(exprs)


def literal_for(column: str, dtype: pl.DataType, value: Any) -> pl.Expr:
    """``value`` as a literal of ``dtype``; DataError when it does not fit."""
    ok = False
    if value is None:
        ok = False
    elif dtype == pl.Boolean:
        ok = isinstance(value, bool)
    elif dtype.is_integer():
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif dtype.is_float():
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif dtype in (pl.String, pl.Categorical, pl.Enum):
        ok = isinstance(value, str)
    elif dtype == pl.Date and isinstance(value, (str, dt.date)):
        try:
            value = dt.date.fromisoformat(value) if isinstance(value, str) else value
            ok = True
        except ValueError:
            ok = False
    if not ok:
        raise DataError(f"fill_null: value {value!r} does not fit column '{column}' of dtype "
                        f"{dtype}; give a value of that type (key: values.{column}).")
    if dtype in (pl.Categorical, pl.Enum):
        return pl.lit(value, dtype=pl.String).cast(dtype)
    return pl.lit(value, dtype=dtype)


def strategy_expr(column: str, dtype: pl.DataType, strategy: str) -> pl.Expr:
    """The fill expression for one strategy (see :class:`FillNull`)."""
    col = pl.col(column)
    if strategy in _NUMERIC_ONLY and not dtype.is_numeric():
        raise DataError(f"fill_null: strategy '{strategy}' needs a numeric column, but "
                        f"'{column}' is {dtype}; use min, max, zero, forward, backward or a "
                        f"literal value (key: strategy.{column}).")
    if strategy in _NUMERIC_ONLY:
        stat = col.mean() if strategy == "mean" else col.median()
        if dtype.is_integer():
            stat = stat.round()
        return col.fill_null(stat.cast(dtype))
    if strategy == "zero" and dtype in (pl.Date, pl.Datetime, pl.Duration):
        raise DataError(f"fill_null: strategy 'zero' does not apply to '{column}' ({dtype}); "
                        f"use min, max, forward, backward or a literal (key: strategy.{column}).")
    return col.fill_null(strategy=strategy)
