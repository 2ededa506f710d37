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
- ``*_json`` columns hold JSON text (strict JSON: NaN is written as null, +-infinity as
  +-1e999, a valid number that reads back as infinity), readable with
  ``json_extract(config_json, '$.model.kind')`` in SQLite or ``::jsonb`` in PostgreSQL;
- hashes are lower-case hex text;
- a column of the user's data is named in a column called ``column_name`` (``COLUMN`` is a
  reserved word in SQL); the dicts the store takes and returns call it ``column``;
- rows that describe a run (datasets used, model, metrics, profiles) reference it with a
  foreign key; records of events (aliases, their history, drift checks) keep run ids as
  plain text, so they outlive a run removed by hand and report it as missing.

More examples (schema version 2)::

    sqlite3 runs/lineage.db "SELECT name, run_id, updated_at FROM aliases"
    sqlite3 runs/lineage.db "SELECT created_at, drifted, share FROM drift_checks
                             WHERE baseline_run_id = '...' ORDER BY created_at DESC"
    sqlite3 runs/lineage.db "SELECT column_name, test, statistic, p_adjusted, effect_size
                             FROM drift_results WHERE check_id = '...' AND drifted"
    sqlite3 runs/lineage.db "SELECT column_name, json_extract(profile_json, '$.mean')
                             FROM column_profiles WHERE run_id = '...' AND role = 'train'"

``meta`` holds ``schema_version``; changing any table here means adding a step to
``engine/lineage/store/migrations.py`` and bumping ``SCHEMA_VERSION``.  Tables planned for later
versions: checks, monitor_windows.

Schema version 3 adds ``run_warnings``::

    sqlite3 runs/lineage.db "SELECT run_id, code, column_name, message FROM run_warnings
                             WHERE code = 'constant'"
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
    # Metric name, e.g. 'auc'; on a slice, 'n_rows' is the number of rows its metrics were
    # computed on.
    name: str = Field(primary_key=True)
    # The value; NULL when it was NaN (undefined, e.g. AUC on a slice with one class).
    value: float | None = Field(default=None, sa_type=Float)


# -- schema version 2 -------------------------------------------------------------------
class ColumnProfileRow(SQLModel, table=True):
    """The summary of one column's distribution in a run (the reference for drift checks)."""

    __tablename__ = "column_profiles"

    # The run.
    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    # train | valid | test (that split's features and target) | all (the whole development
    # data, before the split) | output (the model's predictions on the held-out split:
    # P(class 1), proba_<class> per class, or the predicted value).
    role: str = Field(primary_key=True)
    # The column's name (dict key 'column'; the profile's 'name').
    column_name: str = Field(primary_key=True)
    # 0-based position of the column among the profiles recorded for (run, role).
    position: int
    # Data type of the column (polars dtype string, e.g. 'Float64', 'String').
    dtype: str
    # numeric | categorical: which statistics the profile holds.
    kind: str
    # The whole profile (JSON object, as ColumnProfile.to_dict() gives it): counts, nulls,
    # mean, std, min, max, quantiles, PSI bins, category counts, a bounded sample of values.
    profile_json: str = Field(sa_type=Text)


class AliasRow(SQLModel, table=True):
    """A name pointing at one run, e.g. 'production' (moved with `driftline promote`)."""

    __tablename__ = "aliases"
    __table_args__ = (Index("ix_aliases_run_id", "run_id"),)

    # The alias: a letter, then up to 63 letters, digits, '_', '.', '-'; never 'latest' nor
    # 4-32 hex digits (it would read as a run id prefix).
    name: str = Field(primary_key=True)
    # The run it points at (not a foreign key: see the module docstring).
    run_id: str
    # When it was last pointed at this run (UTC ISO-8601 text).
    updated_at: str


class AliasHistoryRow(SQLModel, table=True):
    """Every change of every alias, oldest first by id (never updated or deleted)."""

    __tablename__ = "alias_history"
    __table_args__ = (Index("ix_alias_history_name", "name"),)

    # Increasing number of the change (orders changes made within the same microsecond).
    id: int | None = Field(default=None, primary_key=True)
    # The alias.
    name: str
    # The run it was pointed at; NULL when the alias was deleted.
    run_id: str | None = None
    # The run it pointed at before; NULL when it was created.
    previous_run_id: str | None = None
    # When (UTC ISO-8601 text).
    at: str


class DriftCheckRow(SQLModel, table=True):
    """One drift check: a batch of data compared with a run's training profiles."""

    __tablename__ = "drift_checks"
    __table_args__ = (
        Index("ix_drift_checks_baseline_created_at", "baseline_run_id", "created_at"),
        Index("ix_drift_checks_created_at", "created_at"),
    )

    # Check id: 32 lower-case hex characters.
    id: str = Field(primary_key=True)
    # The run whose profiles were the reference (not a foreign key: see the module docstring).
    baseline_run_id: str
    # Content hash of the batch (same scheme as datasets.hash; the batch need not be there).
    batch_hash: str
    # Where the batch was read from (JSON object: kind, path, ...).
    batch_source_json: str = Field(sa_type=Text)
    # Number of rows in the batch.
    n_rows: int = Field(sa_type=BigInteger)
    # When the check was made (UTC ISO-8601 text).
    created_at: str
    # The dataset verdict: True when the batch drifted (share or a critical column).
    drifted: bool
    # Share of the checked columns that drifted (0..1).
    share: float = Field(sa_type=Float)
    # The settings the verdict used (JSON object: alpha, margins, share, critical, ...).
    settings_json: str = Field(sa_type=Text)
    # Drift of the model's predictions (JSON object); NULL when not checked.
    output_json: str | None = Field(default=None, sa_type=Text)
    # Anything else worth keeping (JSON object), e.g. report paths; NULL when none.
    report_json: str | None = Field(default=None, sa_type=Text)


class DriftResultRow(SQLModel, table=True):
    """The result of a drift check for one column."""

    __tablename__ = "drift_results"

    # The check (drift_checks.id).
    check_id: str = Field(primary_key=True, foreign_key="drift_checks.id")
    # The column's name (dict key 'column').
    column_name: str = Field(primary_key=True)
    # 0-based position of the column in the check's results.
    position: int
    # numeric | categorical (or another type the drift tests know).
    type: str
    # Name of the test that decided, e.g. 'ks', 'chi2'.
    test: str
    # The test statistic, e.g. KS D; NULL when not computed.
    statistic: float | None = Field(default=None, sa_type=Float)
    # The test's p-value; NULL when not computed.
    p_value: float | None = Field(default=None, sa_type=Float)
    # The p-value adjusted across columns (Benjamini-Hochberg); NULL when not computed.
    p_adjusted: float | None = Field(default=None, sa_type=Float)
    # The effect size, e.g. Wasserstein distance / reference std, or PSI; NULL when none.
    effect_size: float | None = Field(default=None, sa_type=Float)
    # What effect_size measures, e.g. 'wasserstein_norm', 'psi'.
    effect_measure: str | None = None
    # The margin effect_size had to reach to flag the column.
    threshold: float | None = Field(default=None, sa_type=Float)
    # True when the column drifted.
    drifted: bool
    # The rule that decided, in words (e.g. 'p_adj < 0.05 and W/std >= 0.05').
    definition: str | None = Field(default=None, sa_type=Text)
    # Further numbers (JSON object): other statistics, null rates, unseen categories, ...
    details_json: str = Field(sa_type=Text)


# -- schema version 3 -------------------------------------------------------------------
class RunWarningRow(SQLModel, table=True):
    """Something a run noticed and went on with, e.g. a constant feature or a dropped slice."""

    __tablename__ = "run_warnings"

    # The run.
    run_id: str = Field(primary_key=True, foreign_key="runs.id")
    # 0-based order of the warning within the run.
    position: int = Field(primary_key=True)
    # The stage that noticed it, e.g. 'transform and validate', 'evaluate'.
    stage: str
    # What kind of warning: constant, all_null, infinite_values, id_like, prediction_like,
    # many_categories, small_slice.
    code: str
    # The column of the user's data it is about; NULL when none.
    column_name: str | None = None
    # The warning as printed, one line.
    message: str = Field(sa_type=Text)


#: Tables of the current schema, parents before children (creation order).
ALL_TABLES = (
    MetaRow, RunRow, DatasetRow, RunDatasetRow, ModelRow, MetricRow,
    ColumnProfileRow, AliasRow, AliasHistoryRow, DriftCheckRow, DriftResultRow, RunWarningRow,
)
#: Tables added by schema version 2.
V2_TABLES = ("column_profiles", "aliases", "alias_history", "drift_checks", "drift_results")
