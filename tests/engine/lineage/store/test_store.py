"""LineageStore: recording runs and reading them back, through both ways of reading."""

from __future__ import annotations

import math
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from driftline.engine.errors import StoreError
from driftline.engine.lineage.store import SCHEMA_VERSION, LineageStore, default_store_url

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
INTERRUPTED = "process ended without finishing (killed or crashed)"

H_SOURCE, H_TRAIN, H_TEST = "a" * 64, "b" * 64, "c" * 64
MODEL_SHA = "d" * 64


def _record_full_run(store: LineageStore, fields: dict, dataset_fields) -> None:
    store.create_run(**fields)
    store.record_dataset(fields["id"], "source", **dataset_fields(H_SOURCE, n_rows=1000))
    store.record_dataset(fields["id"], "train", **dataset_fields(H_TRAIN, n_rows=700))
    store.record_dataset(fields["id"], "test", **dataset_fields(H_TEST, n_rows=300))
    store.record_model(
        fields["id"], path="runs/x/model.txt", sha256=MODEL_SHA, format="lightgbm-text",
        size_bytes=4242, feature_names=["age"], summary={"num_trees": 12},
    )
    store.record_metrics(fields["id"], [
        ("test", "", "auc", 0.8125),
        ("test", "grade=A", "auc", 0.75),
        ("train", "", "auc", 0.9),
        ("train", "", "logloss", 0.25),
    ])


def _columns() -> list[dict]:
    return [
        {"name": "age", "dtype": "Int64", "hash": "1" * 64},
        {"name": "default", "dtype": "Int64", "hash": "2" * 64},
    ]


def test_full_run_round_trips_through_get_run_and_list_runs(any_store, run_fields, dataset_fields):
    fields = run_fields(sweep_id="sw1", parent_run_id="f" * 32, seed=2**40)
    before = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    _record_full_run(any_store, fields, dataset_fields)
    any_store.finish_run(fields["id"], "succeeded", summary={"primary": {"auc": 0.8125}})
    after = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    run = any_store.get_run(fields["id"])
    started, ended = run.pop("started_at"), run.pop("ended_at")
    assert ISO.fullmatch(started) and ISO.fullmatch(ended)
    assert before <= started <= ended <= after
    source = {"kind": "csv", "path": "data/loans.csv"}
    assert run == {
        "id": fields["id"], "experiment": "loans", "status": "succeeded",
        "config": {"model": {"kind": "lightgbm", "num_leaves": 31}, "seed": 7},
        "overrides": ["model.num_leaves=31"], "config_hash": "c0" * 32,
        "git": {"commit": "ab" * 20, "dirty": False, "diff_hash": None},
        "versions": {"python": "3.11.7", "driftline": "0.1.0", "plugins": {"driftline": "0.1.0"}},
        "host": socket.gethostname(), "pid": os.getpid(), "seed": 2**40, "task": "binary",
        "target": "default", "run_dir": "runs/x", "sweep_id": "sw1", "parent_run_id": "f" * 32,
        "error": None, "summary": {"primary": {"auc": 0.8125}},
        "datasets": [
            {"role": "source", "hash": H_SOURCE, "hash_scheme": "dl1", "n_rows": 1000,
             "n_cols": 2, "columns": _columns(), "source": source},
            {"role": "train", "hash": H_TRAIN, "hash_scheme": "dl1", "n_rows": 700,
             "n_cols": 2, "columns": _columns(), "source": source},
            {"role": "test", "hash": H_TEST, "hash_scheme": "dl1", "n_rows": 300,
             "n_cols": 2, "columns": _columns(), "source": source},
        ],
        "model": {"hash": MODEL_SHA, "path": "runs/x/model.txt", "format": "lightgbm-text",
                  "size_bytes": 4242, "feature_names": ["age"], "summary": {"num_trees": 12}},
        "metrics": [
            {"split": "test", "slice": "", "name": "auc", "value": 0.8125},
            {"split": "test", "slice": "grade=A", "name": "auc", "value": 0.75},
            {"split": "train", "slice": "", "name": "auc", "value": 0.9},
            {"split": "train", "slice": "", "name": "logloss", "value": 0.25},
        ],
        "aliases": [], "has_profiles": False, "warnings": [],
    }
    assert any_store.list_runs() == [{
        "id": fields["id"], "experiment": "loans", "status": "succeeded",
        "started_at": started, "ended_at": ended, "data_hash": H_TRAIN, "model_hash": MODEL_SHA,
        "metrics": {"test/auc": 0.8125, "train/auc": 0.9, "train/logloss": 0.25},
        "aliases": [],
    }]


def test_a_failed_run_keeps_its_error_and_a_running_run_has_no_end(any_store, run_fields):
    # a config without seed, task or target is still recorded (and then fails)
    failed = run_fields(git={"commit": None, "dirty": None}, seed=None, task=None, target=None)
    running = run_fields()
    any_store.create_run(**failed)
    any_store.finish_run(failed["id"], "failed", error="DataError: column 'age' missing")
    any_store.create_run(**running)

    got = any_store.get_run(failed["id"])
    assert (got["status"], got["error"], got["summary"]) == (
        "failed", "DataError: column 'age' missing", {})
    assert got["git"] == {"commit": None, "dirty": None, "diff_hash": None}
    assert (got["seed"], got["task"], got["target"]) == (None, None, None)
    assert (got["datasets"], got["model"], got["metrics"]) == ([], None, [])
    listed = {r["id"]: r for r in any_store.list_runs()}
    assert listed[running["id"]]["status"] == "running"
    assert listed[running["id"]]["ended_at"] is None
    assert listed[failed["id"]]["data_hash"] is None and listed[failed["id"]]["metrics"] == {}


def test_list_runs_newest_first_with_filters_and_limit(any_store, run_fields, dataset_fields):
    ids = []
    for i, exp in enumerate(["a", "b", "a", "a"]):
        fields = run_fields(experiment=exp)
        any_store.create_run(**fields)
        any_store.record_metrics(fields["id"], [("test", "", "auc", i / 10)])
        if i != 1:
            any_store.finish_run(fields["id"], "succeeded")
        ids.append(fields["id"])

    assert [r["id"] for r in any_store.list_runs()] == ids[::-1]
    assert [r["id"] for r in any_store.list_runs(experiment="a")] == [ids[3], ids[2], ids[0]]
    assert [r["id"] for r in any_store.list_runs(status="running")] == [ids[1]]
    limited = any_store.list_runs(experiment="a", limit=2)
    assert [(r["id"], r["metrics"]) for r in limited] == [
        (ids[3], {"test/auc": 0.3}), (ids[2], {"test/auc": 0.2})]
    assert any_store.list_runs(limit=0) == []
    assert any_store.list_runs(experiment="nope") == []
    with pytest.raises(StoreError) as info:
        any_store.list_runs(status="succeded")
    assert str(info.value) == (
        "unknown run status 'succeded'. Did you mean: succeeded? "
        "Available: failed, interrupted, rejected, running, succeeded.")


def test_data_hash_falls_back_to_the_source_dataset(store, run_fields, dataset_fields):
    fields = run_fields()
    store.create_run(**fields)
    store.record_dataset(fields["id"], "source", **dataset_fields(H_SOURCE))
    assert store.list_runs()[0]["data_hash"] == H_SOURCE
    assert store.list_runs()[0]["model_hash"] is None


def test_same_data_is_stored_once_and_linked_to_both_runs(store, run_fields, dataset_fields, raw):
    first, second = run_fields(), run_fields()
    store.create_run(**first)
    store.create_run(**second)
    store.record_dataset(first["id"], "train", **dataset_fields(H_TRAIN))
    store.record_dataset(
        second["id"], "train", **dataset_fields(H_TRAIN, source={"kind": "parquet"}))

    assert raw("SELECT hash, source_json FROM datasets") == [
        (H_TRAIN, '{"kind": "csv", "path": "data/loans.csv"}')]  # the first source is kept
    assert sorted(raw("SELECT run_id, role, dataset_hash FROM run_datasets")) == sorted(
        [(first["id"], "train", H_TRAIN), (second["id"], "train", H_TRAIN)])


def test_nan_metric_is_null_in_the_table_and_nan_when_read(store, run_fields, raw):
    fields = run_fields()
    store.create_run(**fields)
    store.record_metrics(fields["id"], [("test", "", "auc", float("nan")),
                                        ("test", "grade=G", "auc", math.nan)])
    assert raw("SELECT slice, value FROM metrics ORDER BY slice") == [("", None), ("grade=G", None)]
    values = [m["value"] for m in store.get_run(fields["id"])["metrics"]]
    assert len(values) == 2 and all(math.isnan(v) for v in values)
    assert math.isnan(store.list_runs()[0]["metrics"]["test/auc"])


def test_json_columns_hold_strict_json_readable_by_sqlite(store, run_fields, raw):
    fields = run_fields(config={"model": {"kind": "lightgbm", "alpha": float("inf"),
                                          "beta": float("nan"), "gamma": -math.inf},
                                "path": Path("/data/x.csv")})
    store.create_run(**fields)
    assert raw("SELECT json_extract(config_json, '$.model.kind'), "
               "json_extract(config_json, '$.model.alpha'), "
               "json_extract(config_json, '$.model.beta'), "
               "json_extract(config_json, '$.model.gamma'), json_extract(config_json, '$.path'), "
               "json_valid(config_json) FROM runs") == [
        ("lightgbm", math.inf, None, -math.inf, "/data/x.csv", 1)]
    # infinities come back as infinities, NaN (undefined) as None
    assert store.get_run("latest")["config"]["model"] == {
        "kind": "lightgbm", "alpha": math.inf, "beta": None, "gamma": -math.inf}


def test_store_file_is_in_wal_mode_with_schema_version(store, raw):
    assert raw("PRAGMA journal_mode") == [("wal",)]
    assert raw("SELECT key, value FROM meta") == [("schema_version", str(SCHEMA_VERSION))]
    assert raw("PRAGMA integrity_check") == [("ok",)]


def test_listing_issues_the_same_number_of_queries_for_2_and_40_runs(store, run_fields):
    statements: list[str] = []
    store._db.reader._conn.set_trace_callback(statements.append)

    def count_listing_queries() -> int:
        statements.clear()
        store.list_runs()
        return sum(s.lstrip().upper().startswith("SELECT") for s in statements)

    for n_runs in (2, 40):
        while len(store.list_runs()) < n_runs:
            fields = run_fields()
            store.create_run(**fields)
            store.record_metrics(fields["id"], [("test", "", "auc", 0.5), ("valid", "", "f1", 0.6)])
            store.finish_run(fields["id"], "succeeded")
        assert count_listing_queries() == 4  # running check, runs, their metrics, aliases


def test_records_for_a_missing_run_or_twice_are_refused(store, run_fields, dataset_fields):
    fields = run_fields()
    store.create_run(**fields)
    store.record_metrics(fields["id"], [("test", "", "auc", 0.5)])
    store.record_dataset(fields["id"], "train", **dataset_fields(H_TRAIN))
    where = f"in lineage store {store.url}"
    cases = [
        (lambda: store.create_run(**fields),
         f"cannot record run {fields['id']} {where}: a run with this id already exists"),
        (lambda: store.record_metrics("0" * 32, [("test", "", "auc", 0.5)]),
         f"cannot record metrics of run {'0' * 32} {where}: no such run; "
         "record it first with create_run"),
        (lambda: store.record_metrics(fields["id"], [("test", "", "auc", 0.7)]),
         f"cannot record metrics of run {fields['id']} {where}: already recorded: test//auc"),
        (lambda: store.record_dataset(fields["id"], "train", **dataset_fields(H_TEST)),
         f"cannot record the train dataset of run {fields['id']} {where}: "
         "the run already has a train dataset"),
        (lambda: store.finish_run("0" * 32, "failed"),
         f"cannot record the end of run {'0' * 32} {where}: no such run"),
    ]
    for call, message in cases:
        with pytest.raises(StoreError) as info:
            call()
        assert str(info.value) == message
    # nothing half-written: the refused metric kept its first value
    assert store.get_run(fields["id"])["metrics"][0]["value"] == 0.5


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda s, f: s.create_run(**{**f, "id": "XYZ"}), id="bad-run-id"),
        pytest.param(lambda s, f: s.finish_run(f["id"], "done"), id="bad-status"),
        pytest.param(lambda s, f: s.finish_run(f["id"], "running"), id="not-final-status"),
        pytest.param(lambda s, f: s.record_dataset(f["id"], "holdout", hash="a", hash_scheme="x",
                                                   source={}, n_rows=1, n_cols=1, columns=[]),
                     id="bad-role"),
        pytest.param(lambda s, f: s.record_metrics(f["id"], [("t", "", "auc", 1.0)] * 2),
                     id="repeated-metric"),
    ],
)
def test_programming_errors_raise_value_error(store, run_fields, call):
    fields = run_fields()
    store.create_run(**fields)
    with pytest.raises(ValueError):
        call(store, fields)


def test_closed_store_refuses_work(db_path, run_fields):
    store = LineageStore.open(f"sqlite:///{db_path}")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.create_run(**run_fields())
    with pytest.raises(StoreError):
        store.list_runs()


# -- interrupted runs ----------------------------------------------------------------------
def _finished_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_run_of_a_dead_process_is_reported_and_saved_as_interrupted(store, run_fields, raw):
    dead = run_fields(pid=_finished_pid())
    store.create_run(**dead)

    assert store.list_runs()[0]["status"] == "interrupted"
    assert raw("SELECT status, error, ended_at FROM runs") == [("interrupted", INTERRUPTED, None)]
    got = store.get_run(dead["id"])
    assert (got["status"], got["error"]) == ("interrupted", INTERRUPTED)
    assert store.list_runs(status="running") == []


def test_get_run_alone_detects_an_interrupted_run(store, run_fields, raw):
    dead = run_fields(pid=_finished_pid())
    store.create_run(**dead)
    assert store.get_run("latest")["status"] == "interrupted"
    assert raw("SELECT status FROM runs") == [("interrupted",)]


def test_live_or_foreign_runs_stay_running(store, run_fields, raw):
    store.create_run(**run_fields())  # this very process
    store.create_run(**run_fields(host="some-other-host", pid=_finished_pid()))
    assert [r["status"] for r in store.list_runs()] == ["running", "running"]
    assert raw("SELECT status FROM runs") == [("running",), ("running",)]


def test_a_reused_pid_does_not_keep_a_run_running(store, run_fields, db_path):
    store.create_run(**run_fields())
    # The run began an hour before the process now holding its pid (this one) was started.
    an_hour_ago = datetime.fromtimestamp(time.time() - 3600, timezone.utc)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE runs SET started_at = ?, pid = ?",
                     (an_hour_ago.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), os.getpid()))
    conn.close()
    assert store.list_runs()[0]["status"] == "interrupted"


def test_finish_after_interrupted_records_the_real_end(store, run_fields):
    dead = run_fields(pid=_finished_pid())
    store.create_run(**dead)
    store.list_runs()
    store.finish_run(dead["id"], "failed", error="late")
    assert (store.get_run(dead["id"])["status"], store.get_run(dead["id"])["error"]) == (
        "failed", "late")


# -- cheap reads ---------------------------------------------------------------------------
def test_reading_a_sqlite_store_never_imports_sqlalchemy(db_path, make_run):
    with LineageStore.open(f"sqlite:///{db_path}") as store:
        run_id = make_run(store)
        store.record_profiles(run_id, "train", [{"name": "x", "dtype": "Int64",
                                                 "kind": "numeric"}])
        store.set_alias("production", run_id)
        check_id = store.record_drift_check(
            {"baseline_run_id": run_id, "batch_hash": "e" * 64, "n_rows": 1, "drifted": False,
             "share": 0.0, "settings": {}},
            [{"column": "x", "type": "numeric", "test": "ks", "drifted": False}])
        make_run(store, "running")
    script = (
        "import sys; from driftline.engine.lineage.store import LineageStore\n"
        f"s = LineageStore.open({f'sqlite:///{db_path}'!r})\n"
        "s.list_runs(); s.get_run('latest'); s.resolve('latest')\n"
        "assert s.get_run('production')['has_profiles']\n"
        "assert s.get_profiles('production', 'train') and s.list_aliases()\n"
        f"assert s.get_drift_check({check_id[:8]!r}) and s.list_drift_checks()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'sqlmodel', 'pydantic')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_default_store_url_points_at_runs_lineage_db(tmp_path):
    url = default_store_url(tmp_path)
    assert url == "sqlite:///" + str(tmp_path / "runs" / "lineage.db")
    with LineageStore.open(url) as store:
        assert store.list_runs() == []
    assert (tmp_path / "runs" / "lineage.db").is_file()


def test_warnings_keep_their_order_across_calls_and_refuse_malformed_ones(any_store, run_fields):
    fields = run_fields()
    any_store.create_run(**fields)
    any_store.record_warnings(fields["id"], [
        {"code": "constant", "column": "x", "message": "feature 'x' is constant",
         "stage": "transform and validate"}])
    any_store.record_warnings(fields["id"], [])  # nothing to add: no write
    any_store.record_warnings(fields["id"], [
        {"code": "small_slice", "message": "slice grade=G dropped", "stage": "evaluate"},
        {"code": "all_null", "column": "y", "message": "feature 'y' is null"}])
    assert any_store.get_run(fields["id"])["warnings"] == [
        {"stage": "transform and validate", "code": "constant", "column": "x",
         "message": "feature 'x' is constant"},
        {"stage": "evaluate", "code": "small_slice", "column": None,
         "message": "slice grade=G dropped"},
        {"stage": "", "code": "all_null", "column": "y", "message": "feature 'y' is null"}]
    with pytest.raises(ValueError, match="needs code and message"):
        any_store.record_warnings(fields["id"], [{"code": "x", "colour": "red", "message": "m"}])
    with pytest.raises(StoreError, match="no such run"):
        any_store.record_warnings("0" * 32, [{"code": "x", "message": "m"}])
