"""Schema versions: stores built by hand at an older version are upgraded in place, data kept;
newer or foreign databases are refused with one clear line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Column, Text

from driftline.engine.errors import StoreError
from driftline.engine.lineage.store import LineageStore, migrations
from driftline.engine.lineage.store.tables import V2_TABLES

RUN_ID = "5" * 32

# The version-1 schema as documented in engine/lineage/store/tables.py, typed by hand.
V1_DDL = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE runs (
    id VARCHAR PRIMARY KEY, experiment VARCHAR NOT NULL, status VARCHAR NOT NULL,
    started_at VARCHAR NOT NULL, ended_at VARCHAR, config_json TEXT NOT NULL,
    overrides_json TEXT NOT NULL, config_hash VARCHAR NOT NULL, git_commit VARCHAR,
    git_dirty BOOLEAN, git_diff_hash VARCHAR, versions_json TEXT NOT NULL, host VARCHAR NOT NULL,
    pid BIGINT NOT NULL, seed BIGINT, task VARCHAR, target VARCHAR,
    run_dir VARCHAR NOT NULL, sweep_id VARCHAR, parent_run_id VARCHAR, error TEXT,
    summary_json TEXT);
CREATE TABLE datasets (
    hash VARCHAR PRIMARY KEY, hash_scheme VARCHAR NOT NULL, source_json TEXT NOT NULL,
    n_rows BIGINT NOT NULL, n_cols INTEGER NOT NULL, columns_json TEXT NOT NULL,
    first_seen_at VARCHAR NOT NULL);
CREATE TABLE run_datasets (
    run_id VARCHAR NOT NULL REFERENCES runs (id), role VARCHAR NOT NULL,
    dataset_hash VARCHAR NOT NULL REFERENCES datasets (hash), PRIMARY KEY (run_id, role));
CREATE TABLE models (
    run_id VARCHAR PRIMARY KEY REFERENCES runs (id), path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL, format VARCHAR NOT NULL, size_bytes BIGINT NOT NULL,
    feature_names_json TEXT NOT NULL, summary_json TEXT NOT NULL);
CREATE TABLE metrics (
    run_id VARCHAR NOT NULL REFERENCES runs (id), split VARCHAR NOT NULL,
    slice VARCHAR NOT NULL, name VARCHAR NOT NULL, value FLOAT,
    PRIMARY KEY (run_id, split, slice, name));
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO runs VALUES ('55555555555555555555555555555555', 'loans', 'succeeded',
    '2025-01-01T00:00:00.000000Z', '2025-01-01T00:01:00.000000Z', '{"seed": 1}', '[]', 'h',
    NULL, NULL, NULL, '{}', 'elsewhere', 1, 1, 'binary', 'default', 'runs/x',
    NULL, NULL, NULL, NULL);
INSERT INTO datasets VALUES ('aaaa', 'dl1', '{}', 10, 1, '[]', '2025-01-01T00:00:00.000000Z');
INSERT INTO run_datasets VALUES ('55555555555555555555555555555555', 'train', 'aaaa');
INSERT INTO metrics VALUES ('55555555555555555555555555555555', 'test', '', 'auc', 0.75);
"""


def _hand_built_v1(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    conn.close()


def _raw(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _add_note_and_aliases(conn) -> None:
    migrations.add_column(conn, "runs", Column("note", Text, nullable=True))
    conn.exec_driver_sql("CREATE TABLE aliases_v2 (alias VARCHAR PRIMARY KEY, run_id VARCHAR)")


def test_hand_built_version_1_store_is_read_as_is(db_path):
    _hand_built_v1(db_path)
    with LineageStore.open(f"sqlite:///{db_path}") as store:
        run = store.get_run("5555")
        listed = store.list_runs()
    assert (run["id"], run["config"], run["metrics"]) == (
        RUN_ID, {"seed": 1}, [{"split": "test", "slice": "", "name": "auc", "value": 0.75}])
    assert [(r["id"], r["data_hash"], r["metrics"]) for r in listed] == [
        (RUN_ID, "aaaa", {"test/auc": 0.75})]


def test_older_store_is_upgraded_in_place_keeping_its_data(db_path, monkeypatch, run_fields):
    _hand_built_v1(db_path)
    nxt = migrations.SCHEMA_VERSION + 1
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", nxt)
    monkeypatch.setitem(migrations.STEPS, nxt, _add_note_and_aliases)

    with LineageStore.open(f"sqlite:///{db_path}") as store:
        assert store.get_run(RUN_ID)["metrics"][0]["value"] == 0.75
        store.create_run(**run_fields())  # and it still takes new runs
    assert _raw(db_path, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(nxt),)]
    assert "note" in [row[1] for row in _raw(db_path, "PRAGMA table_info(runs)")]
    assert _raw(db_path, "SELECT name FROM sqlite_master WHERE name = 'aliases_v2'") == [
        ("aliases_v2",)]
    assert _raw(db_path, "SELECT id, experiment FROM runs WHERE id = '" + RUN_ID + "'") == [
        (RUN_ID, "loans")]
    assert _raw(db_path, "PRAGMA integrity_check") == [("ok",)]


def _schema_sql(path: Path, tables: tuple[str, ...]) -> list[tuple]:
    marks = ", ".join("?" for _ in tables)
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            f"SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) "
            "ORDER BY name", tables).fetchall()
    finally:
        conn.close()


def test_hand_built_version_1_store_upgrades_to_version_2(db_path, tmp_path):
    _hand_built_v1(db_path)
    with LineageStore.open(f"sqlite:///{db_path}") as store:
        # the old run keeps its data and takes part in everything version 2 adds
        run = store.get_run(RUN_ID)
        assert (run["config"], run["metrics"][0]["value"], run["aliases"],
                run["has_profiles"]) == ({"seed": 1}, 0.75, [], False)
        assert store.set_alias("production", RUN_ID)["previous_run_id"] is None
        store.record_profiles(RUN_ID, "train", [{"name": "x", "dtype": "Int64",
                                                 "kind": "numeric"}])
        check_id = store.record_drift_check(
            {"baseline_run_id": RUN_ID, "batch_hash": "bb", "n_rows": 3,
             "drifted": False, "share": 0.0, "settings": {}}, [])
        assert store.resolve("production") == RUN_ID
        assert store.get_run("production")["aliases"] == ["production"]
        assert [c["id"] for c in store.list_drift_checks(RUN_ID)] == [check_id]
    assert _raw(db_path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(migrations.SCHEMA_VERSION),)]
    assert _raw(db_path, "SELECT run_id, role, dataset_hash FROM run_datasets") == [
        (RUN_ID, "train", "aaaa")]
    assert _raw(db_path, "PRAGMA integrity_check") == [("ok",)]
    assert _raw(db_path, "PRAGMA foreign_key_check") == []

    # the upgraded tables are exactly those a new store gets
    fresh = tmp_path / "fresh.db"
    LineageStore.open(f"sqlite:///{fresh}").close()
    assert _schema_sql(db_path, V2_TABLES) == _schema_sql(fresh, V2_TABLES)
    assert len(_schema_sql(fresh, V2_TABLES)) >= 2 * len(V2_TABLES)  # tables and indexes


def test_store_written_by_the_version_1_code_upgrades_keeping_everything(
    db_path, monkeypatch, run_fields, dataset_fields
):
    url = f"sqlite:///{db_path}"
    fields = run_fields()
    with monkeypatch.context() as v1:  # today's code, stopped at schema version 1
        v1.setattr(migrations, "SCHEMA_VERSION", 1)
        for later in range(2, migrations.SCHEMA_VERSION + 1):
            v1.delitem(migrations.STEPS, later)
        with LineageStore.open(url) as store:
            store.create_run(**fields)
            store.record_dataset(fields["id"], "train", **dataset_fields("ab" * 32))
            store.record_metrics(fields["id"], [("test", "", "auc", 0.625)])
            store.finish_run(fields["id"], "succeeded", summary={"note": "v1"})
    tables = {name for (name,) in _raw(
        db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"meta", "runs", "datasets", "run_datasets", "models", "metrics"}
    assert _raw(db_path, "SELECT value FROM meta") == [("1",)]

    with LineageStore.open(url) as store:
        run = store.get_run(fields["id"])
        assert (run["config"], run["overrides"], run["status"], run["summary"]) == (
            fields["config"], fields["overrides"], "succeeded", {"note": "v1"})
        assert [(d["role"], d["hash"], d["n_rows"]) for d in run["datasets"]] == [
            ("train", "ab" * 32, 1000)]
        assert run["metrics"] == [{"split": "test", "slice": "", "name": "auc", "value": 0.625}]
        assert (run["aliases"], run["has_profiles"]) == ([], False)
        assert [(r["id"], r["metrics"], r["aliases"]) for r in store.list_runs()] == [
            (fields["id"], {"test/auc": 0.625}, [])]
        store.set_alias("production", fields["id"])
        assert store.get_run("production")["id"] == fields["id"]
    assert _raw(db_path, "SELECT value FROM meta") == [(str(migrations.SCHEMA_VERSION),)]


def test_a_failing_upgrade_changes_nothing(db_path, monkeypatch):
    _hand_built_v1(db_path)

    def broken_step(conn) -> None:
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        conn.exec_driver_sql("ALTER TABLE no_such_table ADD COLUMN y INTEGER")

    nxt = migrations.SCHEMA_VERSION + 1
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", nxt)
    monkeypatch.setitem(migrations.STEPS, nxt, broken_step)
    with pytest.raises(StoreError) as info:
        LineageStore.open(f"sqlite:///{db_path}")
    assert str(info.value).startswith(
        f"cannot create or upgrade the schema in lineage store sqlite:///{db_path}: "
        "no such table: no_such_table")
    assert _raw(db_path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    # neither the broken last step nor the good steps before it left anything behind
    assert _raw(db_path, "SELECT name FROM sqlite_master WHERE name IN "
                         "('half_done', 'aliases', 'column_profiles', 'run_warnings')") == []


def test_steps_are_idempotent_on_a_current_store(db_path, store, run_fields):
    fields = run_fields()
    store.create_run(**fields)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    conn.close()
    with LineageStore.open(f"sqlite:///{db_path}") as reopened:
        assert reopened.resolve("latest") == fields["id"]
    assert _raw(db_path, "SELECT value FROM meta") == [(str(migrations.SCHEMA_VERSION),)]


def test_newer_store_is_refused(db_path, store):
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(StoreError) as info:
        LineageStore.open(f"sqlite:///{db_path}")
    assert str(info.value) == (
        f"lineage store sqlite:///{db_path} has schema version 99, newer than this driftline "
        f"understands (up to {migrations.SCHEMA_VERSION}). Upgrade driftline: "
        "pip install -U driftline"
    )


@pytest.mark.parametrize(
    ("ddl", "tables"),
    [
        pytest.param("CREATE TABLE customers (id INTEGER)", "customers", id="other-tables"),
        pytest.param("CREATE TABLE meta (key TEXT, value TEXT)", "meta", id="meta-without-version"),
        pytest.param("CREATE TABLE meta (key TEXT, value TEXT);"
                     "INSERT INTO meta VALUES ('schema_version', 'x')", "meta", id="bad-version"),
    ],
)
def test_foreign_sqlite_database_is_refused_and_left_alone(db_path, ddl, tables):
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.executescript(ddl)
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreError) as info:
        LineageStore.open(f"sqlite:///{db_path}")
    assert str(info.value) == (
        f"sqlite:///{db_path} is not a driftline lineage store (tables: {tables}; no valid "
        "meta.schema_version). Point store.url at a driftline store or at a new file."
    )
    assert db_path.read_bytes() == before


def test_an_empty_file_becomes_a_store(db_path):
    db_path.parent.mkdir(parents=True)
    db_path.touch()
    with LineageStore.open(f"sqlite:///{db_path}") as store:
        assert store.list_runs() == []
    assert _raw(db_path, "SELECT value FROM meta") == [(str(migrations.SCHEMA_VERSION),)]


def test_new_store_has_the_documented_tables_and_indexes(db_path, store):
    tables = {name for (name,) in _raw(
        db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"meta", "runs", "datasets", "run_datasets", "models", "metrics",
                      "column_profiles", "aliases", "alias_history", "drift_checks",
                      "drift_results", "run_warnings"}

    def indexed(table: str) -> set[tuple[str, ...]]:
        found = set()
        for _, name, *_ in _raw(db_path, f"PRAGMA index_list({table})"):
            cols = tuple(row[2] for row in _raw(db_path, f"PRAGMA index_info({name})"))
            found.add(cols)
        return found

    assert {("experiment", "started_at"), ("status",), ("id",)} <= indexed("runs")
    assert {("run_id", "role"), ("dataset_hash",)} <= indexed("run_datasets")
    assert ("run_id", "split", "slice", "name") in indexed("metrics")
    assert ("hash",) in indexed("datasets")
    assert ("run_id", "position") in indexed("run_warnings")
    assert ("run_id", "role", "column_name") in indexed("column_profiles")
    assert {("name",), ("run_id",)} <= indexed("aliases")
    assert ("name",) in indexed("alias_history")
    assert {("id",), ("baseline_run_id", "created_at")} <= indexed("drift_checks")
    assert ("check_id", "column_name") in indexed("drift_results")
