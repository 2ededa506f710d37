"""The lineage store's tables, column by column (SQLModel classes; the schema's source of truth).

The tables are plain and meant to be queried by people, e.g. with the sqlite3 shell::

    sqlite3 runs/lineage.db "SELECT id, experiment, status, started_at FROM runs
                             ORDER BY started_at DESC LIMIT 10"
    sqlite3 runs/lineage.db "SELECT r.id, m.value FROM runs r JOIN metrics m ON m.run_id = r.id
                             WHERE m.split = 'test' AND m.slice = '' AND m.name = 'auc'"
    sqlite3 runs/lineage.db "SELECT run_id, role FROM run_datasets WHERE dataset_hash = '...'"

Conventions that hold in every table:

- times are UTC ISO-8601 text of fixed width, ``2025-01-31T12:00:00.000000Z``, so that text
  order is time order on every database;
- ``*_json`` columns hold JSON text (strict JSON: NaN and infinities are written as null),
  readable with ``json_extract(config_json, '$.model.kind')`` in SQLite or ``::json`` in
  PostgreSQL;
- hashes are lower-case hex text.

``meta`` holds ``schema_version``; changing any table here means adding a step to
``engine/store/migrations.py`` and bumping ``SCHEMA_VERSION``.  Tables planned for later
versions: column_profiles, checks, aliases, drift_checks, drift_results, monitor_windows.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, Text, text
from sqlmodel import Field, SQLModel


class MetaRow(SQLModel, table=True):
    """Facts about the store itself, one per key (``schema_version`` = integer as text)."""

    __tablename__ = "meta"

    # Name of the fact, e.g. 'schema_version'.
    key: str = Field(primary_key=True)
    # Its value, as text.
    value: str


class RunRow(SQLModel, table=True):
    """One run of the pipeline: what was asked for, with which code, where, and how it ended."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_experiment_started_at", "experiment", "started_at"),
        # Newest-first listing and `latest` read this index in order (id breaks ties).
        Index("ix_runs_started_at_id", "started_at", "id"),
        Index("ix_runs_status", "status"),
    )

    # Run id: 32 lower-case hex characters (a uuid4 without dashes).
    id: str = Field(primary_key=True)
    # Experiment name from the config (groups runs for listing and comparison).
    experiment: str
    # running | succeeded | failed | rejected (a model check failed) | interrupted (the
    # process ended without finishing: killed or crashed).
    status: str
    # When the run was recorded as started (UTC ISO-8601 text, fixed width).
    started_at: str
    # When the run finished (same format); NULL while running, and for interrupted runs,
    # whose end time is unknown.
    ended_at: str | None = None
    # The fully resolved config of the run (JSON object); enough to re-execute it.
    config_json: str = Field(sa_type=Text)
    # The command-line overrides as given, e.g. ["model.num_leaves=63"] (JSON list).
    overrides_json: str = Field(sa_type=Text)
    # Hex hash of the resolved config (equal hash = equal config).
    config_hash: str
    # Commit of the project's git checkout; NULL outside git.
    git_commit: str | None = None
    # True when the checkout had uncommitted changes; NULL outside git.
    git_dirty: bool | None = None
    # Hex hash of the uncommitted diff (NULL when clean or outside git).
    git_diff_hash: str | None = None
    # Versions of the software used (JSON object): python, driftline, lightgbm, polars,
    # pandera, ..., and plugins: {distribution: version}.
    versions_json: str = Field(sa_type=Text)
    # Host name of the machine that ran it.
    host: str
    # Process id on that host (used to detect runs whose process died).
    pid: int = Field(sa_type=BigInteger)
    # Seed every random choice of the run derives from.  Seed, task and target are NULL
    # only for a run whose config lacked them (it is then recorded as failed).
    seed: int | None = Field(default=None, sa_type=BigInteger)
    # binary | multiclass | regression
    task: str | None = None
    # Name of the target column.
    target: str | None = None
    # Folder holding the run's artifacts (model file, validation failures, reports).
    run_dir: str
    # Id shared by the runs of one sweep (`driftline run -m`); NULL for a single run.
    sweep_id: str | None = None
    # For a rerun: id of the run it re-executes (not enforced as a foreign key).
    parent_run_id: str | None = None
    # Why the run failed or was rejected (one line); NULL when it succeeded or is running.
    error: str | None = Field(default=None, sa_type=Text)
    # Free-form summary (JSON object), e.g. model path and primary metric; NULL until finished.
    summary_json: str | None = Field(default=None, sa_type=Text)


class DatasetRow(SQLModel, table=True):
    """One distinct table of data, identified by its content hash (stored once)."""

    __tablename__ = "datasets"

    # Content hash of the logical table (hex sha256): names, dtypes, values, nulls, order.
    hash: str = Field(primary_key=True)
    # Name and version of the hashing scheme; hashes compare only within one scheme.
    hash_scheme: str
    # Where it was read from the first time it was seen (JSON object: kind, path, ...).
    source_json: str = Field(sa_type=Text)
    # Number of rows.
    n_rows: int = Field(sa_type=BigInteger)
    # Number of columns.
    n_cols: int
    # Columns in order (JSON list of {"name", "dtype", "hash"}); hash is the column's own.
    columns_json: str = Field(sa_type=Text)
    # When a run first recorded it (UTC ISO-8601 text).
    first_seen_at: str


class RunDatasetRow(SQLModel, table=True):
    """Which data a run used, in which role (one dataset per role per run)."""

    __tablename__ = "run_datasets"
    __table_args__ = (Index("ix_run_datasets_dataset_hash", "dataset_hash"),)

    # The run.
    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    # source (as loaded) | train | valid | test | batch (scored or drift-checked data).
    role: str = Field(primary_key=True)
    # The data (datasets.hash).
    dataset_hash: str = Field(foreign_key="datasets.hash")


class ModelRow(SQLModel, table=True):
    """The model a run trained (at most one per run)."""

    __tablename__ = "models"

    # The run that trained it.
    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    # Path of the model file.
    path: str
    # Hex sha256 of the model file's bytes.
    sha256: str
    # File format, e.g. 'lightgbm-text'.
    format: str
    # Size of the model file in bytes.
    size_bytes: int = Field(sa_type=BigInteger)
    # Input feature names in the order the model expects them (JSON list).
    feature_names_json: str = Field(sa_type=Text)
    # Model-specific facts, e.g. number of trees, best iteration (JSON object).
    summary_json: str = Field(sa_type=Text)


class MetricRow(SQLModel, table=True):
    """One metric value of a run, on one split, overall or on one slice of the data."""

    __tablename__ = "metrics"
    __table_args__ = (
        # Covers `driftline runs` (overall metrics of many runs) without touching slice rows.
        # Partial on SQLite and PostgreSQL; a plain index on other databases.
        Index(
            "ix_metrics_overall", "run_id", "split", "name", "value",
            sqlite_where=text("slice = ''"), postgresql_where=text("slice = ''"),
        ),
    )

    # The run.
    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    # train | valid | test (or another evaluation split).
    split: str = Field(primary_key=True)
    # '' for the whole split; otherwise the slice, e.g. 'grade=A'.
    slice: str = Field(primary_key=True)
    # Metric name, e.g. 'auc'.
    name: str = Field(primary_key=True)
    # The value; NULL when it was NaN (undefined, e.g. AUC on a slice with one class).
    value: float | None = Field(default=None, sa_type=Float)


#: Tables of the current schema, parents before children (creation order).
ALL_TABLES = (MetaRow, RunRow, DatasetRow, RunDatasetRow, ModelRow, MetricRow)
