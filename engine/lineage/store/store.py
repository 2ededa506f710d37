"""The lineage store: what each run was asked to do, with which code and data, what it produced.

Every method is one short transaction and returns plain dicts; no session or ORM object
escapes.  Database errors become one-line :class:`StoreError` s here, at the boundary.
Reads (``list_runs``, ``get_run``, ``resolve``, ``get_profiles``, ``list_aliases``, the
drift checks) and writes of a SQLite file use the standard library only (see ``backend``
and ``connections``), so neither listing runs nor recording one imports SQLAlchemy.  Aliases, profiles, drift
checks and finding runs (filters, metric order, data use) live in modules of their own (``aliases``,
``profiles``, ``drift_records``, ``search``).

A run left ``running`` by a process of this host that no longer exists is reported and
persisted as ``interrupted`` whenever runs are read: a crash never looks like success.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from driftline.engine.errors import StoreError, did_you_mean, format_options
from driftline.engine.lineage.store import (
    aliases,
    backend,
    drift_records,
    migrations,
    queries,
    run_warnings,
    runref,
    search,
)
from driftline.engine.lineage.store import profiles as column_profiles
from driftline.engine.lineage.store.liveness import process_gone
from driftline.engine.lineage.store.queries import DATASET_ROLES, INTERRUPTED_ERROR
from driftline.engine.lineage.store.backend import WriteConn
from driftline.engine.lineage.store.connections import Connections, boundary
from driftline.engine.lineage.store.rows import metric_row, run_status, to_json, utc_now

T = TypeVar("T")

#: Every status a run can have; all but the first are final.
RUN_STATUSES = ("running", "succeeded", "failed", "rejected", "interrupted")
FINAL_STATUSES = RUN_STATUSES[1:]

_RUN_ID = re.compile(r"[0-9a-f]{32}")


class LineageStore:
    """Runs, the datasets they used, the models they trained, their metrics and column
    profiles; aliases that point at runs; drift checks against a run's profiles.

    Open with :meth:`open`; use as a context manager or call :meth:`close`.
    """

    def __init__(self, url: str, connections: Connections):
        """Internal: use :meth:`LineageStore.open`."""
        self.url = url
        self._db = connections
        self._where = connections.where
        self._host = socket.gethostname()

    # -- opening ------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str) -> LineageStore:
        """Open the store at ``url``; create it if new, upgrade it if older (keeping data).

        Raises StoreError when the URL does not lead to a usable driftline store: a folder,
        a file that is not a driftline store, a store written by a newer driftline.
        """
        store = cls(url, Connections.open(url))
        try:
            store._ensure_schema()
        except BaseException:
            store.close()
            raise
        return store

    def _ensure_schema(self) -> None:
        action = f"open lineage store {self._where}"
        with boundary(action):
            tables = self._db.reader.table_names()
            raw = None
            if "meta" in tables:
                with self._db.reader.session() as query:
                    rows = query(migrations.VERSION_SQL, {"key": migrations.VERSION_KEY})
                raw = rows[0][0] if rows else None
            version = migrations.stored_version(tables, raw, self._where)
        if version < migrations.SCHEMA_VERSION:
            self._write(
                "create or upgrade the schema", lambda conn: migrations.upgrade(conn, self._where),
                schema=True,
            )

    def close(self) -> None:
        """Release the store's connections (safe to call twice)."""
        self._db.close()

    def __enter__(self) -> LineageStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"LineageStore({self._where!r})"

    # -- writing ------------------------------------------------------------------------
    def create_run(
        self,
        *,
        id: str,
        experiment: str,
        config: dict[str, Any],
        overrides: list[str],
        config_hash: str,
        git: dict[str, Any],
        versions: dict[str, Any],
        host: str,
        pid: int,
        seed: int | None,
        task: str | None,
        target: str | None,
        run_dir: str | Path,
        sweep_id: str | None = None,
        parent_run_id: str | None = None,
    ) -> None:
        """Record a new run as ``running``, started now."""
        if _RUN_ID.fullmatch(id) is None:
            raise ValueError(f"run id must be 32 lower-case hex characters, got {id!r}")
        row = {
            "id": id, "experiment": experiment, "status": "running", "started_at": utc_now(),
            "ended_at": None, "config_json": to_json(config),
            "overrides_json": to_json(list(overrides)), "config_hash": config_hash,
            "git_commit": git.get("commit"), "git_dirty": git.get("dirty"),
            "git_diff_hash": git.get("diff_hash"), "versions_json": to_json(versions),
            "host": host, "pid": pid, "seed": seed, "task": task, "target": target,
            "run_dir": str(run_dir), "sweep_id": sweep_id, "parent_run_id": parent_run_id,
            "error": None, "summary_json": None,
        }

        def write(conn: WriteConn) -> None:
            if _run_exists(conn, id):
                raise self._error(f"record run {id}", "a run with this id already exists")
            conn.insert("runs", row)

        self._write(f"record run {id}", write)

    def record_dataset(
        self,
        run_id: str,
        role: str,
        *,
        hash: str,
        hash_scheme: str,
        source: dict[str, Any],
        n_rows: int,
        n_cols: int,
        columns: list[dict[str, Any]],
    ) -> None:
        """Record that ``run_id`` used the data with content ``hash`` as ``role``.

        The dataset row is stored once per hash (the first source seen is kept).
        """
        if role not in DATASET_ROLES:
            raise ValueError(f"dataset role must be one of {DATASET_ROLES}, got {role!r}")
        action = f"record the {role} dataset of run {run_id}"
        dataset = {
            "hash": hash, "hash_scheme": hash_scheme, "source_json": to_json(source),
            "n_rows": n_rows, "n_cols": n_cols, "columns_json": to_json(columns),
            "first_seen_at": utc_now(),
        }

        def write(conn: WriteConn) -> None:
            self._require_run(conn, run_id, action)
            # Another process may record the same content meanwhile (PostgreSQL): keep one.
            conn.insert("datasets", dataset, ignore_conflict_on="hash")
            used = "SELECT role FROM run_datasets WHERE run_id = :run_id AND role = :role"
            if conn.first(used, {"run_id": run_id, "role": role}) is not None:
                raise self._error(action, f"the run already has a {role} dataset")
            conn.insert("run_datasets", {"run_id": run_id, "role": role, "dataset_hash": hash})

        self._write(action, write)

    def record_model(
        self,
        run_id: str,
        *,
        path: str | Path,
        sha256: str,
        format: str,
        size_bytes: int,
        feature_names: list[str],
        summary: dict[str, Any],
    ) -> None:
        """Record the model file ``run_id`` trained (one per run)."""
        action = f"record the model of run {run_id}"
        row = {
            "run_id": run_id, "path": str(path), "sha256": sha256, "format": format,
            "size_bytes": size_bytes, "feature_names_json": to_json(list(feature_names)),
            "summary_json": to_json(summary),
        }

        def write(conn: WriteConn) -> None:
            self._require_run(conn, run_id, action)
            if conn.first("SELECT run_id FROM models WHERE run_id = :id", {"id": run_id}):
                raise self._error(action, "the run already has a model")
            conn.insert("models", row)

        self._write(action, write)

    def record_metrics(self, run_id: str, rows: Iterable[tuple[str, str, str, float]]) -> None:
        """Record metric values as (split, slice, name, value); slice '' is the whole split.

        NaN is stored as NULL (and read back as NaN).  Recording a key twice is an error.
        """
        action = f"record metrics of run {run_id}"
        records = [metric_row(run_id, row) for row in rows]
        keys = [(r["split"], r["slice"], r["name"]) for r in records]
        if len(set(keys)) != len(keys):
            dupes = sorted({"/".join(k) for k in keys if keys.count(k) > 1})
            raise ValueError(f"metrics given twice for run {run_id}: {format_options(dupes)}")
        if not records:
            return

        def write(conn: WriteConn) -> None:
            self._require_run(conn, run_id, action)
            have = conn.fetch('SELECT split, "slice", name FROM metrics WHERE run_id = :id',
                              {"id": run_id})
            again = sorted("/".join(k) for k in set(map(tuple, have)) & set(keys))
            if again:
                raise self._error(action, f"already recorded: {format_options(again)}")
            conn.insert("metrics", records)

        self._write(action, write)

    def record_warnings(self, run_id: str, warnings: Sequence[dict[str, Any]]) -> None:
        """Add warnings (dicts: code, message, column, stage) after those already recorded."""
        action = f"record warnings of run {run_id}"

        def write(conn: WriteConn) -> None:
            self._require_run(conn, run_id, action)
            rows = run_warnings.warning_rows(run_id, run_warnings.next_position(conn, run_id),
                                             warnings)
            if rows:
                conn.insert("run_warnings", rows)

        if warnings:
            self._write(action, write)

    def finish_run(
        self,
        run_id: str,
        status: str,
        *,
        error: str | None = None,
        summary: dict[str, Any] | None = None,
    ) -> None:
        """Record how the run ended: status, end time, error line and (if given) summary."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"final run status must be one of {FINAL_STATUSES}, got {status!r}")
        action = f"record the end of run {run_id}"
        values: dict[str, Any] = {"status": status, "ended_at": utc_now(), "error": error}
        if summary is not None:
            values["summary_json"] = to_json(summary)

        def write(conn: WriteConn) -> None:
            assignments = ", ".join(f"{key} = :{key}" for key in values)
            done = conn.execute(f"UPDATE runs SET {assignments} WHERE id = :run_id",
                                {**values, "run_id": run_id})
            if done == 0:
                raise self._error(action, "no such run")

        self._write(action, write)

    def record_profiles(self, run_id: str, role: str, profiles: Sequence[dict[str, Any]]) -> None:
        """Record column profiles of ``run_id``: role 'train' (features and target of the
        training split) or 'output' (the model's predictions on the test split).

        Each profile is a JSON-able dict with at least name, dtype and kind
        ('numeric' | 'categorical'); the whole dict is stored and returned by
        :meth:`get_profiles`.  Recording a role twice is an error.
        """
        rows = column_profiles.profile_rows(run_id, role, profiles)
        if not rows:
            return
        action = f"record the {role} profiles of run {run_id}"
        where = f"{action} in lineage store {self._where}"

        def write(conn: WriteConn) -> None:
            self._require_run(conn, run_id, action)
            column_profiles.write(conn, run_id, role, rows, where)

        self._write(action, write)

    def set_alias(self, name: str, ref: str) -> dict[str, Any]:
        """Point alias ``name`` at the succeeded run ``ref`` names; record the change.

        Returns name, run_id, previous_run_id (None for a new alias), updated_at and
        changed (False when the alias already pointed at that run: nothing is recorded).
        StoreError for a malformed name or a run that did not succeed.
        """
        aliases.check_name(name)
        run_id = self.resolve(ref)
        self._mark_interrupted(run_id)
        now = utc_now()
        return self._write(
            f"promote run {run_id} to alias '{name}'",
            lambda conn: aliases.promote(conn, name, run_id, now),
        )

    def delete_alias(self, name: str) -> dict[str, Any]:
        """Remove alias ``name`` (the deletion is kept in its history); returns name, run_id."""
        now = utc_now()
        return self._write(f"delete alias '{name}'", lambda conn: aliases.delete(conn, name, now))

    def record_drift_check(self, check: dict[str, Any], results: Sequence[dict[str, Any]]) -> str:
        """Record a drift check and its per-column results; return the check's id.

        ``check``: baseline_run_id, batch_hash, n_rows, drifted, share, settings (dict), and
        optionally id, created_at (default now), batch_source, output, report (dicts).
        Each result: column, type, test, drifted, and optionally statistic, p_value,
        p_adjusted, effect_size, effect_measure, threshold, definition, details (dict).
        """
        row = drift_records.check_row(check, utc_now())
        results_rows = drift_records.result_rows(row["id"], results)
        action = f"record drift check {row['id']}"
        where = f"{action} in lineage store {self._where}"
        self._write(action, lambda conn: drift_records.write(conn, row, results_rows, where))
        return row["id"]

    # -- reading ------------------------------------------------------------------------
    def resolve(self, ref: str) -> str:
        """The run id that ``ref`` names: an alias, latest, latest~N, a full id or a unique
        prefix of one (>= 4 characters), tried in that order (see ``runref``)."""
        return self._read(f"resolve run '{ref}'", lambda query: runref.resolve(ref, query))

    def get_profiles(self, ref: str, role: str) -> dict[str, dict[str, Any]]:
        """The profiles recorded for run ``ref`` in ``role``, by column, in recorded order.

        {} when none were recorded; RunNotFoundError when ``ref`` names no run.
        """
        roles = column_profiles.PROFILE_ROLES
        if role not in roles:
            raise ValueError(f"profile role must be one of {roles}, got {role!r}")
        run_id = self.resolve(ref)
        return self._read(
            f"read the {role} profiles of run {run_id}",
            lambda query: column_profiles.read(query, run_id, role),
        )

    def list_aliases(self) -> list[dict[str, Any]]:
        """Aliases by name: name, run_id, updated_at, run_status (None when the run is gone)
        and history (run_id, previous_run_id, at; newest first; run_id None = deleted)."""
        return self._read("list aliases", aliases.list_aliases)

    def get_drift_check(self, ref: str) -> dict[str, Any]:
        """The drift check ``ref`` (id or unique prefix) names, with its ``results``."""

        def read(query: backend.Query) -> dict[str, Any]:
            return drift_records.get(query, drift_records.resolve(query, ref))

        return self._read(f"read drift check '{ref}'", read)

    def list_drift_checks(
        self, baseline_run_id: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Drift checks newest first (of one baseline run id if given), without results but
        with n_columns and n_drifted."""
        return self._read(
            "list drift checks",
            lambda query: drift_records.listing(query, baseline_run_id, limit),
        )

    def list_runs(
        self,
        *,
        experiment: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        data_hash: str | None = None,
        sweep_id: str | None = None,
        since: str | date | None = None,
        until: str | date | None = None,
        sort: str | None = None,
        descending: bool = True,
        metric_splits: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Runs, newest first, each with its data and model hash and overall metrics.

        ``metrics`` maps "split/name" to the value on the whole split (NaN when undefined).
        Filters: ``data_hash`` (a hash or a prefix of >= 6 hex digits: runs that used that
        data in any role; [] when no recorded data has it), ``sweep_id`` (an id, a unique
        prefix or ``latest``), ``since``/``until`` (ISO date or date-time, or date/datetime;
        a date covers its whole day, naive times are UTC).  ``sort`` ("split/name", e.g.
        "test/auc") orders by that metric, highest first (lowest with ``descending=False``;
        runs without it last); without it ``descending=False`` lists oldest first.
        ``limit`` applies after ordering.  ``metric_splits`` (e.g. ["test"]) keeps only those
        splits' metrics in ``metrics``.  StoreError for malformed or unknown values.
        """
        if status is not None and status not in RUN_STATUSES:
            raise StoreError(f"unknown run status '{status}'.{did_you_mean(status, RUN_STATUSES)}")
        bounds = search.time_bounds(since, until)
        key = search.metric_key(sort) if sort is not None else None
        unsaved = self._mark_interrupted()

        flt = search.RunFilter(
            experiment=experiment, status=status, data_hash=data_hash, sweep_id=sweep_id,
            since=bounds[0], until=bounds[1], sort=key, descending=descending, limit=limit,
            metric_splits=None if metric_splits is None else tuple(metric_splits),
        )
        listed = self._read("list runs", lambda query: search.find_runs(query, flt))
        if status == "running":  # dead runs that could not be saved as interrupted
            listed = [run for run in listed if run["id"] not in unsaved]
        return [queries.as_interrupted(r) if r["id"] in unsaved else r for r in listed]

    def recorded_sources(self) -> list[dict[str, Any]]:
        """Every source a run read its data from: {"hash", "source"} (the source's describe())."""
        return self._read("list the recorded data sources", search.recorded_sources)

    def data_usage(self, hash_or_prefix: str) -> dict[str, Any]:
        """Where the data with this hash (or unique prefix of >= 6 hex digits) was used.

        Returns query, hash (None when no recorded data matches a prefix), dataset (rows,
        columns, first source; None when no run recorded it), runs (newest first: id,
        experiment, status, started_at, ended_at, sweep_id, roles) and drift_checks of it as
        a batch.  An unused hash is an empty answer; a malformed or ambiguous one StoreError.
        """
        unsaved = self._mark_interrupted()
        usage = self._read(
            f"find the runs that used data '{hash_or_prefix}'",
            lambda query: search.data_usage(query, hash_or_prefix),
        )
        usage["runs"] = [
            queries.as_interrupted(r) if r["id"] in unsaved else r for r in usage["runs"]
        ]
        return usage

    def runs_using_data(self, hash_or_prefix: str) -> list[dict[str, Any]]:
        """The runs that used this data, newest first, with their roles (see data_usage)."""
        return self.data_usage(hash_or_prefix)["runs"]

    def latest_sweep_id(self) -> str | None:
        """The sweep of the most recently started run that belongs to one; None if none."""
        return self._read("find the latest sweep", search.latest_sweep_id)

    def get_run(self, ref: str) -> dict[str, Any]:
        """Everything recorded about the run ``ref`` names (see :meth:`resolve`), including
        its ``aliases`` (names) and ``has_profiles``."""
        run_id = self.resolve(ref)
        unsaved = self._mark_interrupted(run_id)
        run = self._read(f"read run {run_id}", lambda query: queries.run_details(query, run_id))
        return queries.as_interrupted(run) if run_id in unsaved else run

    # -- interrupted runs ---------------------------------------------------------------
    def _mark_interrupted(self, run_id: str | None = None) -> set[str]:
        """Persist `interrupted` for dead `running` runs of this host; return those not saved."""
        rows = self._read("list running runs", lambda query: queries.running_runs(query, run_id))
        dead = [
            rid for rid, host, pid, started in rows
            if host == self._host and process_gone(pid, started)
        ]
        if not dead:
            return set()

        def write(conn: WriteConn) -> None:
            ids = {f"id{i}": rid for i, rid in enumerate(dead)}
            conn.execute(
                "UPDATE runs SET status = 'interrupted', error = :error WHERE status = 'running' "
                f"AND id IN ({', '.join(':' + key for key in ids)})",
                {"error": INTERRUPTED_ERROR, **ids},
            )

        try:
            self._write("mark runs interrupted", write)
        except StoreError:
            return set(dead)  # e.g. a read-only store: still report them as interrupted
        return set()

    # -- plumbing -----------------------------------------------------------------------
    def _read(self, what: str, fn: Callable[[backend.Query], T]) -> T:
        return self._db.read(what, fn)

    def _write(self, what: str, fn: Callable[[Any], T], *, schema: bool = False) -> T:
        return self._db.write(what, fn, schema=schema)

    def _require_run(self, conn: WriteConn, run_id: str, action: str) -> None:
        if not _run_exists(conn, run_id):
            raise self._error(action, "no such run; record it first with create_run")

    def _error(self, action: str, why: str) -> StoreError:
        return StoreError(f"cannot {action} in lineage store {self._where}: {why}")


# -- helpers ------------------------------------------------------------------------------
def _run_exists(conn: WriteConn, run_id: str) -> bool:
    return run_status(conn, run_id) is not None
