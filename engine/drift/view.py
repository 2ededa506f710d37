"""A batch seen against the reference profiles: what the drift tests compare.

A batch is *not* reduced to quantiles of its own: :func:`view_frame` counts its values
exactly at the reference's grid points (a :class:`CurrentView`), which is what the tests
compare.  The counting (a table look-up per value, block by block, integers of a narrow
range per distinct value; exact) and the moments are :mod:`driftline.engine.drift.counting`'s: each
numeric column is read into numpy once, and its nulls, moments and counts all come from
that array; columns are counted in a small thread pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from driftline.engine.drift.counting import (
    Scratch,
    counted_values,
    moments,
    per_thread,
    worker_threads,
)
from driftline.engine.drift.profile import (
    ColumnProfile,
    MAX_UNSEEN_EXAMPLES,
    OTHER,
    UNSEEN,
    grid_counter,
    null_counts,
    value_counts,
)
from driftline.engine.drift.stats import GridCdf


@dataclass
class CurrentView:
    """One batch column counted against its reference profile (what drift tests get)."""

    name: str
    kind: str
    # Rows of the batch, nulls (NaN and +-inf included), non-null values.
    count: int
    nulls: int
    n: int
    # Numeric: the batch's own moments.
    mean: float | None = None
    std: float | None = None
    min: float | None = None
    max: float | None = None
    # Numeric: the batch's exact CDF and partial moments at the reference grid points
    # (the points of ColumnProfile.grid()).
    grid: GridCdf | None = None
    # Numeric: counts in the reference's decile bins (ColumnProfile.psi_edges).
    psi_counts: np.ndarray | None = None
    # Categorical: bin labels (reference categories, then OTHER / UNSEEN when non-empty
    # on either side) with reference and batch counts aligned to them.
    bins: tuple[str, ...] = ()
    ref_counts: np.ndarray | None = None
    counts: np.ndarray | None = None
    # Categorical: batch values absent from the reference (None: unknown, the reference
    # capped its categories), and the most frequent of them.
    unseen: int | None = None
    unseen_examples: tuple[str, ...] = ()
    # The batch's non-null values when it has fewer than the small-batch limit, else None.
    values: np.ndarray | None = None

    @property
    def null_rate(self) -> float:
        return self.nulls / self.count if self.count else 0.0

    @property
    def unseen_share(self) -> float | None:
        if self.unseen is None:
            return None
        return self.unseen / self.n if self.n else 0.0


def view_frame(batch: pl.DataFrame, reference: Mapping[str, ColumnProfile], *,
               small_rows: int = 1000) -> dict[str, CurrentView]:
    """Count every batch column of ``reference`` against its profile.

    The batch must hold every column, each of the reference's kind (checked by the caller).
    Raw values are kept (``CurrentView.values``) for columns with fewer than ``small_rows``
    non-null values.
    """
    numeric = [c for c, prof in reference.items() if prof.kind == "numeric"]
    categorical = [c for c, prof in reference.items() if prof.kind == "categorical"]
    nulls = null_counts(batch, categorical)
    # The category counts and the numeric columns are counted concurrently (polars and
    # most of numpy's counting run outside the GIL).
    with ThreadPoolExecutor(worker_threads()) as pool:
        cat_job = pool.submit(_batch_categories, batch, {c: reference[c] for c in categorical})
        work = per_thread(lambda c, scratch: _numeric_view(batch[c], reference[c], small_rows,
                                                            scratch))
        num = dict(zip(numeric, pool.map(work, numeric)))
        cats = cat_job.result()
    out = {}
    for name, prof in reference.items():
        base = {"name": name, "kind": prof.kind, "count": batch.height}
        if prof.kind == "numeric":
            view = num[name]
            out[name] = CurrentView(**base, n=batch.height - view["nulls"], **view)
        else:
            extra = cats[name]
            n = batch.height - nulls[name]
            if n < small_rows:
                extra["values"] = batch[name].cast(pl.String).drop_nulls().to_numpy()
            out[name] = CurrentView(**base, nulls=nulls[name], n=n, **extra)
    return out


def _numeric_view(series: pl.Series, ref: ColumnProfile, small_rows: int,
                  scratch: Scratch | None = None) -> dict[str, Any]:
    """Nulls, moments and (when the reference has values) the counts at its grid."""
    scratch = scratch or Scratch()
    x, distinct = counted_values(series, scratch)
    out: dict[str, Any] = {"nulls": len(series) - x.size, **moments(x, distinct, scratch)}
    if not ref.values:
        return out
    q = np.asarray(ref.quantiles, dtype=np.float64)
    points, first = np.unique(q, return_index=True)
    le, lt, lower, upper = grid_counter(q).count(x, scratch, distinct)
    n = max(x.size, 1)
    grid = GridCdf(points, le[first] / n, lt[first] / n, lower[first] / n, upper / n)
    inner = np.asarray(ref.psi_edges[1:-1], dtype=np.float64)
    cum = np.concatenate([[0], le[np.searchsorted(q, inner)], [x.size]])
    return {**out, "grid": grid, "psi_counts": np.diff(cum),
            "values": x.astype(np.float64) if x.size < small_rows else None}


def _batch_categories(batch: pl.DataFrame, refs: Mapping[str, ColumnProfile]
                      ) -> dict[str, dict[str, Any]]:
    """Batch counts per reference category, OTHER/UNSEEN, and unseen examples."""
    if not refs:
        return {}
    queries = []
    for name, prof in refs.items():
        known = pl.Series([c for c in prof.categories if c != OTHER], dtype=pl.String)
        queries.append(
            value_counts(batch.lazy(), name)
            .with_columns(k=pl.col("v").is_in(known.implode()))
            .with_columns(unknown=pl.col("n").filter(~pl.col("k")).sum())
            .sort(["n", "v"], descending=[True, False])
            .filter(pl.col("k") | (pl.int_range(pl.len()).over("k") < MAX_UNSEEN_EXAMPLES)))
    out = {}
    for (name, prof), found in zip(refs.items(), pl.collect_all(queries)):
        out[name] = _aligned_categories(prof, found)
    return out


def _aligned_categories(prof: ColumnProfile, found: pl.DataFrame) -> dict[str, Any]:
    got = dict(zip(found.filter(pl.col("k"))["v"].to_list(),
                   found.filter(pl.col("k"))["n"].to_list()))
    unknown = int(found["unknown"][0]) if found.height and found["unknown"][0] is not None else 0
    labels = [c for c in prof.categories if c != OTHER]
    ref_counts = [prof.categories[c] for c in labels]
    cur_counts = [int(got.get(c, 0)) for c in labels]
    if prof.capped:
        labels.append(OTHER)
        ref_counts.append(prof.categories[OTHER])
        cur_counts.append(unknown)
        unseen, examples = None, ()
    else:
        unseen = unknown
        examples = tuple(found.filter(~pl.col("k"))["v"].to_list())
        if unknown:
            labels.append(UNSEEN)
            ref_counts.append(0)
            cur_counts.append(unknown)
    return {"bins": tuple(labels), "ref_counts": np.asarray(ref_counts, dtype=np.int64),
            "counts": np.asarray(cur_counts, dtype=np.int64), "unseen": unseen,
            "unseen_examples": examples}
