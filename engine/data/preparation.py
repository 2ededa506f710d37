"""Feature preparation and label preparation, kept apart.

A run's ``transforms`` prepare the features: they run on every frame the model sees --
training data, every drift batch, every prediction.  Its ``label_transforms`` build the
target (``CAST(arr_delay > 15 AS INT) AS late``): they run after the feature transforms,
and only where the label's inputs exist -- the training data, and a batch that carries
them.  In production a batch arrives before its labels; a transform that needs a column
the batch cannot have must not make every check fail.

The *label inputs* are the columns the label transforms read: found at training time by
removing each column in turn and asking polars to plan the label transforms without it
(planning reads no data).  They are never features (a model cannot use at prediction time
what only exists once the outcome is known), are recorded with the model, and decide at
check time whether a batch is labelled: it is when it has every label input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import polars as pl

from driftline.engine.components.kinds.base import RunContext
from driftline.engine.errors import DataError, DriftlineError


def apply_transforms(lazy: pl.LazyFrame, steps: Sequence[tuple[str, Any]], ctx: RunContext
                     ) -> pl.LazyFrame:
    """``lazy`` through each (where, transform) step in order (planned, not collected).  A
    failing step is named by ``where`` (its config key), with the columns it reads and their
    dtypes, and the likely fix."""
    for where, transform in steps:
        try:
            after = transform.apply(lazy, ctx)
        except (DataError, pl.exceptions.PolarsError) as exc:
            raise step_error(where, transform, lazy.collect_schema(), exc) from exc
        lazy = after
    return lazy


def collect_steps(lazy: pl.LazyFrame, steps: Sequence[tuple[str, Any]], ctx: RunContext
                  ) -> pl.DataFrame:
    """Collect ``lazy`` through the steps.  When the data makes a step fail (an error
    polars raises only while reading), the steps are collected one by one to name the one
    that failed."""
    try:
        return apply_transforms(lazy, steps, ctx).collect()
    except pl.exceptions.PolarsError as exc:
        frame = lazy
        for where, transform in steps:
            try:
                frame = transform.apply(frame, ctx).collect().lazy()
            except pl.exceptions.PolarsError as step_exc:
                raise step_error(where, transform, frame.collect_schema(), step_exc) from step_exc
        raise DataError(f"the transforms failed: {_first_line(exc)}") from exc


def step_error(where: str, transform: Any, schema: pl.Schema, exc: BaseException) -> DataError:
    """One line: which step failed, on which columns of which dtypes, and the likely fix."""
    message = _first_line(exc)
    params = repr(getattr(transform, "params", ""))
    read = [c for c in schema if re.search(rf"\b{re.escape(c)}\b", params)]
    typed = ", ".join(f"{c} ({schema[c]})" for c in read[:6])
    hint = ""
    text = [c for c in read if schema[c] == pl.String]
    if text and re.search(r"str|utf8|compare|cast|arithmetic|numeric", message, re.I):
        hint = (f"; {text[0]} is text: if it holds numbers with a code for missing values "
                f"(NA, N/A, -), add that code to data.null_values, or cast it in an earlier "
                f"transform")
    columns = f" on {typed}" if typed else ""
    return DataError(f"transform '{where}' failed{columns}: {message}{hint}.")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].rstrip(".") if text else type(exc).__name__


def plans(lazy: pl.LazyFrame, steps: Sequence[tuple[str, Any]], ctx: RunContext) -> bool:
    """True when the steps can be planned on ``lazy``'s columns (no data is read)."""
    try:
        apply_transforms(lazy, steps, ctx).collect_schema()
    except (DriftlineError, pl.exceptions.PolarsError):
        return False
    return True


def label_inputs(lazy: pl.LazyFrame, label_transforms: Sequence[tuple[str, Any]], ctx: RunContext,
                 *, target: str) -> list[str]:
    """The columns of ``lazy`` the label transforms cannot do without, in column order."""
    if not label_transforms:
        return []
    columns = [c for c in lazy.collect_schema() if c != target]
    return [c for c in columns if not plans(lazy.drop(c), label_transforms, ctx)]


def is_labelled(columns: Sequence[str], inputs: Sequence[str]) -> bool:
    """Whether a frame with ``columns`` has every label input (so its label can be built)."""
    return all(c in columns for c in inputs)
