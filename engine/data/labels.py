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

from collections.abc import Sequence
from typing import Any

import polars as pl

from driftline.engine.components.kinds.base import RunContext
from driftline.engine.errors import DriftlineError


def apply_transforms(lazy: pl.LazyFrame, transforms: Sequence[Any], ctx: RunContext
                     ) -> pl.LazyFrame:
    """``lazy`` through each transform in order (planned, not collected)."""
    for transform in transforms:
        lazy = transform.apply(lazy, ctx)
    return lazy


def plans(lazy: pl.LazyFrame, transforms: Sequence[Any], ctx: RunContext) -> bool:
    """True when the transforms can be planned on ``lazy``'s columns (no data is read)."""
    try:
        apply_transforms(lazy, transforms, ctx).collect_schema()
    except (DriftlineError, pl.exceptions.PolarsError):
        return False
    return True


def label_inputs(lazy: pl.LazyFrame, label_transforms: Sequence[Any], ctx: RunContext,
                 *, target: str) -> list[str]:
    """The columns of ``lazy`` the label transforms cannot do without, in column order."""
    if not label_transforms:
        return []
    columns = [c for c in lazy.collect_schema() if c != target]
    return [c for c in columns if not plans(lazy.drop(c), label_transforms, ctx)]


def is_labelled(columns: Sequence[str], inputs: Sequence[str]) -> bool:
    """Whether a frame with ``columns`` has every label input (so its label can be built)."""
    return all(c in columns for c in inputs)
