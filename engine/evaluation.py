"""Scoring a trained model: every configured metric on every split, overall and per slice."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from engine.errors import ConfigError, DataError, did_you_mean
from engine.kinds.metric import Metric
from engine.registry import Registry

#: The slice label of metrics computed on a whole split.
OVERALL = ""
# Slices with fewer rows than this are skipped (their metrics would be noise).
MIN_SLICE_ROWS = 20


@dataclass(frozen=True)
class MetricValue:
    split: str
    slice: str
    name: str
    value: float


def build_metrics(registry: Registry, task: str, specs: Mapping[str, Any]) -> dict[str, Metric]:
    """The task's metrics: name -> component (``kind`` defaults to the name itself)."""
    metrics: dict[str, Metric] = {}
    for name, node in specs.items():
        node = dict(node or {})
        node.setdefault("kind", name)
        metric = registry.create("metric", node, where=f"metrics.{task}.{name}")
        if task not in metric.tasks:
            raise ConfigError(f"metric '{name}' does not apply to task={task} "
                              f"(key: metrics.{task}.{name}); it supports {sorted(metric.tasks)}.")
        metrics[name] = metric
    if not metrics:
        raise ConfigError(f"no metrics configured for task={task} (key: metrics.{task}).")
    return metrics


def primary_metric(task: str, primary: Mapping[str, str], metrics: Mapping[str, Metric]) -> str:
    name = primary.get(task) or next(iter(metrics))
    if name not in metrics:
        raise ConfigError(f"primary metric '{name}' (key: metrics.primary.{task}) is not among "
                          f"the task's metrics.{did_you_mean(name, metrics)}")
    return name


def evaluate(metrics: Mapping[str, Metric], split: str, y_true: np.ndarray,
             y_score: np.ndarray, task: str, slices: Mapping[str, pl.Series]) -> list[MetricValue]:
    """Metrics on the whole split, then on each category of each slice column."""
    values = [MetricValue(split, OVERALL, n, _score(m, y_true, y_score, task))
              for n, m in metrics.items()]
    for column, series in slices.items():
        keys = series.cast(pl.String).fill_null("<null>")
        for category in keys.unique().sort().to_list():
            mask = (keys == category).to_numpy()
            if mask.sum() < MIN_SLICE_ROWS:
                continue
            label = f"{column}={category}"
            values += [MetricValue(split, label, n, _score(m, y_true[mask], y_score[mask], task))
                       for n, m in metrics.items()]
    return values


def slice_columns(frame: pl.DataFrame, slice_by: list[str]) -> dict[str, pl.Series]:
    for column in slice_by:
        if column not in frame.columns:
            raise DataError(f"slice column '{column}' (key: metrics.slice_by) is not in the "
                            f"data.{did_you_mean(column, frame.columns)}")
    return {c: frame[c] for c in slice_by}


def _score(metric: Metric, y_true: np.ndarray, y_score: np.ndarray, task: str) -> float:
    value = float(metric.compute(y_true, y_score, task))
    return value if math.isfinite(value) else float("nan")
