"""The shape of a run's config: the top-level keys, declared once, checked before anything runs.

Component nodes (``data``, ``split``, ``model``, ...) are only checked here for being
mappings; their parameters are checked by the component each one names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from driftline.engine.components.params import parse_params

TASKS = ("binary", "multiclass", "regression")


@dataclass
class MetricsConf:
    # Metrics for binary tasks: metric name -> its parameters (`kind:` to reuse a metric).
    binary: dict[str, Any] = field(default_factory=dict)
    # Metrics for multiclass tasks.
    multiclass: dict[str, Any] = field(default_factory=dict)
    # Metrics for regression tasks.
    regression: dict[str, Any] = field(default_factory=dict)
    # Task -> the metric that ranks runs (and that sweeps optimise), e.g. {binary: auc}.
    primary: dict[str, str] = field(default_factory=dict)
    # Categorical columns whose categories get every metric computed separately (slices).
    slice_by: list[str] = field(default_factory=list)
    # Slices with fewer rows than this (in a split) are not scored; the run warns about
    # each one it leaves out.
    slice_min_rows: int = field(default=20, metadata={"ge": 1})
    # The train split is scored on a seeded sample of at most this many rows; null = all.
    train_rows: int | None = field(default=100_000, metadata={"ge": 1})


@dataclass
class StoreConf:
    # SQLAlchemy URL of the lineage store; null = <project>/runs/lineage.db.
    # $DRIFTLINE_STORE_URL, when set, wins for every command.
    url: str | None = None


@dataclass
class RunConf:
    # Name that groups related runs (filter with `driftline runs --experiment`).
    experiment: str = "default"
    # Seed of every random choice in the run (split, sampling, model).
    seed: int = field(default=0, metadata={"ge": 0})
    # What is predicted.
    task: Literal["binary", "multiclass", "regression"] = "binary"
    # Name of the target column.
    target: str = "target"
    # Columns never used as features (ids, timestamps, leakage). Date/time columns are
    # never features either.
    exclude: list[str] = field(default_factory=list)
    # Feature columns; null = every column except the target and `exclude`.
    features: list[str] | None = None
    # Threads LightGBM and friends may use; 0 = all cores.
    num_threads: int = field(default=0, metadata={"ge": 0})
    # The data source (a `source` component node).
    data: dict[str, Any] = field(default_factory=dict)
    # Feature preparation, applied in order to every frame the model sees (training data,
    # drift batches, predictions): step name -> `transform` component node.
    transforms: dict[str, Any] = field(default_factory=dict)
    # Label preparation: transforms that build the target, applied after `transforms` and
    # only where their inputs are present (training, labelled batches). The columns they
    # read are never features.
    label_transforms: dict[str, Any] = field(default_factory=dict)
    # The schema the transformed data is validated with; null = no validation.
    schema: dict[str, Any] | None = None
    # How rows are split into train / valid / test (a `splitter` component node).
    split: dict[str, Any] = field(default_factory=dict)
    # The model (a `model` component node).
    model: dict[str, Any] = field(default_factory=dict)
    # Metrics per task, the primary metric, slices.
    metrics: MetricsConf = field(default_factory=MetricsConf)
    # Where lineage is recorded.
    store: StoreConf = field(default_factory=StoreConf)
    # How `driftline drift` judges batches against this run (checked by driftline.engine.drift).
    drift: dict[str, Any] = field(default_factory=dict)


def parse_run_conf(config: dict[str, Any]) -> RunConf:
    """Check the resolved config (a plain dict) and return it typed."""
    config = {k: v for k, v in config.items() if k != "hydra"}
    if config.get("schema") == {}:
        config["schema"] = None
    return parse_params(RunConf, config, where="")
