"""Column profiles: what a training run keeps of each column.

A :class:`ColumnProfile` is the drift baseline of one column (JSON-able, stored in the
lineage store), so a drift check works after the training data is gone:

* every column: ``count`` (rows, nulls included), ``nulls``, and ``sample``: up to
  :data:`SAMPLE_SIZE` non-null values drawn at random (seeded, without replacement) for
  tests that need raw values;
* numeric (integer, float and decimal dtypes): ``mean``, ``std`` (ddof=1, two-pass;
  None for fewer than two values), ``min``, ``max``; ``quantiles`` at
  :data:`QUANTILE_LEVELS` (0, 0.005, ..., 1, plus 0.0001, 0.0005, 0.001 ... 0.004 and
  their mirrors in the tails: 213 levels), linear interpolation between order
  statistics (numpy's default, Hyndman-Fan type 7) of a seeded random subset of
  :data:`GRID_ROWS` rows (all rows when there are fewer), with the exact min and max as
  the 0 and 1 quantiles; ``cdf_le`` / ``cdf_lt``: the *exact*
  number of non-null values ``<=`` / ``<`` each quantile value, counted over every row.
  The estimators in :mod:`driftline.engine.drift.stats` use only those exact counts, so the subset
  affects where the grid points sit, never the counts at them.  ``psi_edges`` (-inf, the
  distinct deciles, +inf) and ``psi_counts``: the histogram on the decile bins
  (right-closed: ``(e[i-1], e[i]]``);
* categorical (String, Categorical, Enum, Boolean; values as strings, booleans as
  "true"/"false"): ``categories``, counts of the :data:`MAX_CATEGORIES` most frequent
  values (ties by value), the rest summed under the key :data:`OTHER`.

NaN and +-infinity count as nulls (they have no place on a distribution).  Date, time,
duration, nested and binary columns are not profiled: a date column drifts by
construction (new batches are later), so it would only raise alarms.

A batch is seen against a profile in :mod:`driftline.engine.drift.view`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from driftline.engine.drift.counting import (
    Counter,
    Scratch,
    counted_values,
    counter_for,
    moments,
    per_thread,
    worker_threads,
)
from driftline.engine.drift.stats import GridCdf
from driftline.engine.errors import DataError


#: Version of the profile format written by :meth:`ColumnProfile.to_dict`.
PROFILE_VERSION = 2
#: Extra levels in each tail (mirrored at the top): a long tail's last 0.5% holds most of
#: its Wasserstein distance, so the grid resolves it finer.
TAIL_LEVELS = (0.0001, 0.0005, 0.001, 0.002, 0.003, 0.004)
#: Levels of the quantile grid: 0, 0.005, ..., 1 (201 levels) and the tail levels.
QUANTILE_LEVELS: tuple[float, ...] = tuple(sorted(
    {i / 200 for i in range(201)} | set(TAIL_LEVELS) | {round(1 - t, 6) for t in TAIL_LEVELS}))
#: Position in QUANTILE_LEVELS of a level.
LEVEL_POSITION: dict[float, int] = {level: i for i, level in enumerate(QUANTILE_LEVELS)}
#: Positions of the deciles 0.1 .. 0.9 (the PSI bin edges).
DECILE_POSITIONS: tuple[int, ...] = tuple(LEVEL_POSITION[i / 10] for i in range(1, 10))
#: Positions of the levels that bound the uniform counting cells (the central 99%).
WINDOW_POSITIONS = (LEVEL_POSITION[0.005], LEVEL_POSITION[0.995])
#: Rows (a seeded random subset) whose quantiles place the grid of a large column.
GRID_ROWS = 65_536
#: Size of the seeded sample of raw values kept for exact small-batch tests.
SAMPLE_SIZE = 1000
#: Categories kept by count; the rest are summed under OTHER.
MAX_CATEGORIES = 200
#: Key of the summed count of the categories beyond MAX_CATEGORIES.  A real category with
#: this exact name would be merged with that bucket.
OTHER = "__other__"
#: Label of the bin of batch categories that the reference never had.
UNSEEN = "__unseen__"
#: Most unseen categories named in a view (the most frequent first).
MAX_UNSEEN_EXAMPLES = 5
KINDS = ("numeric", "categorical")


def column_kind(dtype: pl.DataType) -> str | None:
    """'numeric', 'categorical', or None for a dtype that is not profiled."""
    if dtype.is_numeric():
        return "numeric"
    if dtype == pl.String or dtype == pl.Boolean or isinstance(dtype, (pl.Categorical, pl.Enum)):
        return "categorical"
    return None


@dataclass(frozen=True)
class ColumnProfile:
    """The recorded distribution of one column (see the module docstring)."""

    name: str
    # Polars dtype of the profiled column, e.g. "Float64", "String".
    dtype: str
    # "numeric" or "categorical".
    kind: str
    # Rows, nulls included.
    count: int
    # Nulls (NaN and +-infinity included).
    nulls: int
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    # Values at QUANTILE_LEVELS, and exact counts of values <= / < each of them.
    quantiles: tuple[float, ...] = ()
    cdf_le: tuple[int, ...] = ()
    cdf_lt: tuple[int, ...] = ()
    # E[(q - X)+] at each quantile value q (the integral of the CDF up to q).
    lpm: tuple[float, ...] = ()
    # Decile bins: edges (-inf, d1, ..., +inf) and the count in each bin.
    psi_edges: tuple[float, ...] = ()
    psi_counts: tuple[int, ...] = ()
    # Category -> count, the most frequent MAX_CATEGORIES; OTHER -> the rest.
    categories: dict[str, int] = field(default_factory=dict)
    # Seeded sample of non-null values (floats or strings).
    sample: tuple[Any, ...] = ()

    @property
    def values(self) -> int:
        """Non-null values."""
        return self.count - self.nulls

    @property
    def null_rate(self) -> float:
        return self.nulls / self.count if self.count else 0.0

    @property
    def capped(self) -> bool:
        """True when categories beyond MAX_CATEGORIES were summed under OTHER."""
        return self.categories.get(OTHER, 0) > 0

    def grid(self) -> GridCdf:
        """The exact reference CDF at the distinct quantile values."""
        q = np.asarray(self.quantiles, dtype=np.float64)
        points, first = np.unique(q, return_index=True)
        n = max(self.values, 1)
        return GridCdf(points, np.asarray(self.cdf_le, dtype=np.float64)[first] / n,
                       np.asarray(self.cdf_lt, dtype=np.float64)[first] / n,
                       np.asarray(self.lpm, dtype=np.float64)[first])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (NaN std of a single value becomes None)."""
        out: dict[str, Any] = {"version": PROFILE_VERSION, "name": self.name, "dtype": self.dtype,
                               "kind": self.kind, "count": self.count, "nulls": self.nulls}
        if self.kind == "numeric":
            out.update(mean=_num(self.mean), std=_num(self.std), min=_num(self.min),
                       max=_num(self.max), quantiles=list(self.quantiles),
                       cdf_le=list(self.cdf_le), cdf_lt=list(self.cdf_lt), lpm=list(self.lpm),
                       psi_edges=list(self.psi_edges), psi_counts=list(self.psi_counts))
        else:
            out["categories"] = dict(self.categories)
        out["sample"] = list(self.sample)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnProfile:
        """Rebuild a profile from :meth:`to_dict` output (as read back from the store)."""
        version = data.get("version")
        if version != PROFILE_VERSION:
            raise DataError(f"profile of column '{data.get('name')}' has format version "
                            f"{version!r}; this driftline reads version {PROFILE_VERSION}. "
                            f"Re-run the baseline training with this version.")
        kind = data["kind"]
        kw: dict[str, Any] = {"name": str(data["name"]), "dtype": str(data["dtype"]),
                              "kind": kind, "count": int(data["count"]),
                              "nulls": int(data["nulls"]),
                              "sample": tuple(data.get("sample") or ())}
        if kind == "numeric":
            kw.update(mean=_opt(data.get("mean")), std=_opt(data.get("std")),
                      min=_opt(data.get("min")), max=_opt(data.get("max")),
                      quantiles=tuple(map(float, data.get("quantiles") or ())),
                      cdf_le=tuple(map(int, data.get("cdf_le") or ())),
                      cdf_lt=tuple(map(int, data.get("cdf_lt") or ())),
                      lpm=tuple(map(float, data.get("lpm") or ())),
                      psi_edges=tuple(map(float, data.get("psi_edges") or ())),
                      psi_counts=tuple(map(int, data.get("psi_counts") or ())))
        else:
            kw["categories"] = {str(k): int(v) for k, v in (data.get("categories") or {}).items()}
        return cls(**kw)


def _num(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


# -- profiling a frame ---------------------------------------------------------------------
def profile_frame(df: pl.DataFrame, columns: Mapping[str, str] | None = None, seed: int = 0,
                  threads: int | None = None) -> dict[str, ColumnProfile]:
    """Profile the columns of ``df``: ``columns`` maps name -> kind (None: every column
    whose dtype is numeric or categorical, by dtype).  Seeded: same data and seed, same
    profile.  Numeric columns are counted on ``threads`` threads (None: one per core; 1:
    in the calling thread, starting none)."""
    kinds = _resolve_kinds(df, columns)
    if not kinds:
        return {}
    rows = rows_subset(df.height, seed)
    numeric = [c for c, k in kinds.items() if k == "numeric"]
    categorical = [c for c, k in kinds.items() if k == "categorical"]
    nulls = null_counts(df, categorical)
    work = per_thread(lambda c, scratch: _numeric_profile(df[c], rows, seed, scratch))
    threads = worker_threads() if threads is None else threads
    if threads <= 1:
        cats = _category_counts(df, categorical)
        num = {c: work(c) for c in numeric}
    else:
        with ThreadPoolExecutor(threads) as pool:
            cat_job = pool.submit(_category_counts, df, categorical)
            num = dict(zip(numeric, pool.map(work, numeric)))
            cats = cat_job.result()
    out = {}
    for name, kind in kinds.items():
        base = {"name": name, "dtype": str(df.schema[name]), "kind": kind, "count": df.height}
        if kind == "numeric":
            out[name] = ColumnProfile(**base, **num[name])
        else:
            sample = _string_sample(df[name], rows, seed)
            out[name] = ColumnProfile(**base, nulls=nulls[name], categories=cats[name],
                                      sample=sample)
    return out


def _resolve_kinds(df: pl.DataFrame, columns: Mapping[str, str] | None) -> dict[str, str]:
    if columns is None:
        return {c: k for c, dt in df.schema.items() if (k := column_kind(dt)) is not None}
    out = {}
    for name, kind in columns.items():
        if name not in df.schema:
            raise DataError(f"cannot profile column '{name}': the data has no such column "
                            f"(columns: {', '.join(df.columns[:20])}).")
        if kind not in KINDS:
            raise ValueError(f"profile kind of '{name}' must be one of {KINDS}, got {kind!r}")
        natural = column_kind(df.schema[name])
        if natural is None or (kind == "numeric" and natural != "numeric"
                               and df.schema[name] != pl.Boolean):
            raise DataError(f"cannot profile column '{name}' as {kind}: its dtype is "
                            f"{df.schema[name]}. Cast it in a transform first.")
        out[name] = kind
    return out


def rows_subset(height: int, seed: int) -> np.ndarray:
    """Seeded random row positions (all rows when few): the grid rows and the sample."""
    rng = np.random.default_rng(seed)
    if height <= GRID_ROWS:
        return rng.permutation(height)
    return rng.choice(height, size=GRID_ROWS, replace=False)


def null_counts(df: pl.DataFrame, names: Sequence[str]) -> dict[str, int]:
    """Nulls per column (polars keeps the count: no pass over the data)."""
    if not names:
        return {}
    return {k: int(v) for k, v in df.select(pl.col(list(names)).null_count()).row(
        0, named=True).items()}


def _numeric_profile(series: pl.Series, rows: np.ndarray, seed: int,
                     scratch: Scratch | None = None) -> dict[str, Any]:
    scratch = scratch or Scratch()
    x, distinct = counted_values(series, scratch)
    stats = moments(x, distinct, scratch)
    nulls = len(series) - x.size
    if x.size == 0:
        return {"nulls": nulls, **stats}
    picked = series.gather(rows).cast(pl.Float64).to_numpy()
    picked = picked[np.isfinite(picked)]
    if picked.size < min(x.size, SAMPLE_SIZE):   # mostly nulls: draw from the values
        picked = x[rows_subset(x.size, seed)].astype(np.float64)
    q = _linear_quantiles(np.sort(picked), QUANTILE_LEVELS)
    q[0], q[-1] = stats["min"], stats["max"]
    np.clip(q, q[0], q[-1], out=q)
    le, lt, lower, _ = grid_counter(q).count(x, scratch, distinct)
    deciles = np.unique(q[list(DECILE_POSITIONS)])
    pos = np.searchsorted(q, deciles, side="left")
    cum = np.concatenate([[0], le[pos], [x.size]])
    return {"nulls": nulls, "mean": stats["mean"], "std": stats["std"],
            "min": float(q[0]), "max": float(q[-1]),
            "quantiles": tuple(float(v) for v in q), "cdf_le": tuple(int(v) for v in le),
            "cdf_lt": tuple(int(v) for v in lt),
            "lpm": tuple(float(v) for v in lower / x.size),
            "psi_edges": (-math.inf, *(float(d) for d in deciles), math.inf),
            "psi_counts": tuple(int(v) for v in np.diff(cum)),
            "sample": tuple(float(v) for v in picked[:SAMPLE_SIZE])}


def grid_counter(quantiles: Sequence[float]) -> Counter:
    """A counter at each quantile value of a profile (counts come back aligned to
    ``quantiles``), its cells over the central 99% (no cells for another grid)."""
    if len(quantiles) != len(QUANTILE_LEVELS):
        return counter_for(quantiles)
    return counter_for(quantiles, WINDOW_POSITIONS)


def _linear_quantiles(sorted_values: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Quantiles by linear interpolation between order statistics (numpy 'linear')."""
    n = sorted_values.size
    pos = np.asarray(levels, dtype=np.float64) * (n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    a, b = sorted_values[lo], sorted_values[hi]
    return a + (b - a) * frac


def _string_sample(series: pl.Series, rows: np.ndarray, seed: int) -> tuple[str, ...]:
    strings = series.cast(pl.String)
    picked = strings.gather(rows).drop_nulls()
    values = len(strings) - strings.null_count()
    if len(picked) < min(values, SAMPLE_SIZE):   # mostly nulls: draw from the values
        present = strings.drop_nulls()
        picked = present.gather(rows_subset(len(present), seed))
    return tuple(picked.head(SAMPLE_SIZE).to_list())


def _category_counts(df: pl.DataFrame, names: Sequence[str]) -> dict[str, dict[str, int]]:
    """Top MAX_CATEGORIES values per column (count desc, value asc), the rest under OTHER."""
    if not names:
        return {}
    queries = [value_counts(df.lazy(), name).sort(["n", "v"], descending=[True, False])
               for name in names]
    out = {}
    for name, counts in zip(names, pl.collect_all(queries)):
        top = counts.head(MAX_CATEGORIES)
        cats = dict(zip(top["v"].to_list(), (int(v) for v in top["n"].to_list())))
        rest = int(counts["n"].sum()) - sum(cats.values())
        if rest:
            cats[OTHER] = cats.get(OTHER, 0) + rest
        out[name] = cats
    return out


def value_counts(lf: pl.LazyFrame, name: str) -> pl.LazyFrame:
    return (lf.select(pl.col(name).cast(pl.String).alias("v")).drop_nulls()
            .group_by("v").agg(pl.len().cast(pl.Int64).alias("n")))


# -- model outputs ------------------------------------------------------------------------
def output_frame(predictions: np.ndarray, task: str, classes: Sequence[Any] = ()) -> pl.DataFrame:
    """Model outputs as columns: ``proba_<class>`` (P(class 1) only, for binary) and
    ``predicted_class`` for classification; ``prediction`` for regression."""
    pred = np.asarray(predictions, dtype=np.float64)
    if task == "regression":
        return pl.DataFrame({"prediction": pred.reshape(-1)})
    labels = [class_label(c) for c in classes]
    if task == "binary":
        labels = labels if len(labels) == 2 else ["0", "1"]
        p1 = pred.reshape(-1)
        winner = np.where(p1 >= 0.5, 1, 0)
        cols: dict[str, Any] = {f"proba_{labels[1]}": p1}
    elif task == "multiclass":
        if pred.ndim != 2:
            raise DataError(f"multiclass predictions must have shape (n, k), got {pred.shape}.")
        labels = labels if len(labels) == pred.shape[1] else [str(i) for i in range(pred.shape[1])]
        cols = {f"proba_{label}": pred[:, i] for i, label in enumerate(labels)}
        winner = np.argmax(pred, axis=1) if pred.shape[0] else np.zeros(0, dtype=np.intp)
    else:
        raise ValueError(f"unknown task {task!r}")
    frame = pl.DataFrame(cols)
    return frame.with_columns(pl.Series("predicted_class", labels, dtype=pl.String)
                              .gather(winner).alias("predicted_class"))


def class_label(value: Any) -> str:
    """A class as it names an output column: a whole float (a 0.0/1.0 target) without its
    ``.0``, so it reads ``proba_1`` and not ``proba_1.0``; no padding around a text class."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()  # ' >50K' (a CSV's padding) names proba_>50K


def output_profile(predictions: np.ndarray, task: str, classes: Sequence[Any] = (),
                   seed: int = 0) -> dict[str, ColumnProfile]:
    """Profiles of :func:`output_frame` (the model's output distribution)."""
    frame = output_frame(predictions, task, classes)
    kinds = {c: ("categorical" if c == "predicted_class" else "numeric") for c in frame.columns}
    return profile_frame(frame, kinds, seed)
