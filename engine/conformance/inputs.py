"""The seeded inputs checks run components on: the contract frame, metric inputs, drift batches."""

from __future__ import annotations

from typing import Any


#: Tasks a model or metric may claim.
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")
#: Rows of the contract frame.
CONTRACT_ROWS = 240
#: Columns of the contract frame that are never features.
ROW_ID = "row_id"
TARGETS: dict[str, str] = {"binary": "y_binary", "multiclass": "y_multiclass",
                           "regression": "y_regression"}
#: Classes of the multiclass target.
N_CLASSES = 3
#: Seed of the contract data and runs.
SEED = 7


# -- the contract frame ------------------------------------------------------------------
def contract_frame(seed: int = SEED, rows: int = CONTRACT_ROWS) -> Any:
    """A small seeded table: numeric, categorical, boolean and date columns, three targets.

    Columns: ``row_id`` (Int64, 0..rows-1), ``num_a`` (Float64, ~5% null), ``num_b``
    (Int64 counts), ``cat`` (String a/b/c, ~5% null), ``flag`` (Boolean), ``day`` (Date),
    ``y_binary`` (0/1), ``y_multiclass`` (0..2), ``y_regression`` (Float64).
    """
    import datetime as dt

    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    row_id = np.arange(rows)
    num_a = rng.normal(0.0, 1.0, rows)
    num_b = rng.poisson(3.0, rows)
    cat = rng.choice(np.array(["a", "b", "c"]), rows, p=[0.5, 0.3, 0.2])
    flag = rng.random(rows) < 0.4
    signal = 1.5 * num_a + 1.0 * (cat == "a") - 0.3 * (num_b - 3) + 0.6 * flag
    y_binary = (rng.random(rows) < 1.0 / (1.0 + np.exp(-signal))).astype(np.int64)
    noisy = signal + rng.normal(0.0, 0.5, rows)
    y_multiclass = np.digitize(noisy, np.quantile(noisy, [1 / 3, 2 / 3])).astype(np.int64)
    y_regression = 2.0 * signal + rng.normal(0.0, 0.3, rows)
    null_a, null_cat = rng.random(rows) < 0.05, rng.random(rows) < 0.05
    return pl.DataFrame({
        ROW_ID: row_id.astype(np.int64),
        "num_a": pl.Series(num_a).set(pl.Series(null_a), None),
        "num_b": num_b.astype(np.int64),
        "cat": pl.Series(cat).set(pl.Series(null_cat), None),
        "flag": flag,
        "day": [dt.date(2024, 1, 1) + dt.timedelta(days=int(i)) for i in row_id],
        TARGETS["binary"]: y_binary,
        TARGETS["multiclass"]: y_multiclass,
        TARGETS["regression"]: y_regression,
    })


# -- metric, transform, source, splitter, schema ------------------------------------------
def metric_inputs(task: str) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(SEED)
    n = 60
    if task == "regression":
        y = rng.normal(0.0, 1.0, n)
        return y, y + rng.normal(0.0, 0.5, n)
    k = 2 if task == "binary" else N_CLASSES
    y = np.arange(n) % k
    if task == "binary":
        return y, np.clip(0.3 * y + 0.7 * rng.random(n), 0.0, 1.0)
    scores = rng.random((n, k)) + np.eye(k)[y]
    return y, scores / scores.sum(axis=1, keepdims=True)


# -- drift test -------------------------------------------------------------------------------
#: How far the shifted contract batch moves: numbers by this many standard deviations,
#: and this share of categorical rows is redrawn as the rarest level.
DRIFT_SHIFT = 2.0
DRIFT_SHARE = 0.6
# Contract frame column used per column kind of a drift test.
_DRIFT_COLUMNS = {"numeric": "num_a", "categorical": "cat"}


def drift_inputs(column_kind: str) -> dict[str, tuple[Any, Any]]:
    """(reference profile, current view) of a contract column: for a batch from the same
    distribution (``same``) and for a clearly shifted one (``shifted``)."""
    import numpy as np
    import polars as pl

    from driftline.engine.drift.profile import profile_frame
    from driftline.engine.drift.view import view_frame

    column = _DRIFT_COLUMNS[column_kind]
    reference = profile_frame(contract_frame(), {column: column_kind}, seed=SEED)
    batch = contract_frame(seed=SEED + 1).select(column)
    if column_kind == "numeric":
        std = float(batch[column].std() or 1.0)
        shifted = batch.with_columns(pl.col(column) + DRIFT_SHIFT * std)
    else:
        move = pl.Series(np.random.default_rng(SEED).random(batch.height) < DRIFT_SHARE)
        shifted = batch.with_columns(pl.when(move).then(pl.lit("c")).otherwise(pl.col(column))
                                     .alias(column))
    ref = reference[column]
    return {label: (ref, view_frame(frame, reference)[column])
            for label, frame in (("same", batch), ("shifted", shifted))}
