"""Finding runs (engine/lineage/store/search.py through LineageStore): filters, metric order, data use."""

from __future__ import annotations

import math
import sqlite3
from datetime import date, datetime, timedelta, timezone

import pytest

from driftline.engine.errors import StoreError
from driftline.engine.lineage.store.search import time_bound

H_A, H_B, H_C = "aa11" + "0" * 60, "aa22" + "0" * 60, "bb33" + "0" * 60
SWEEP_1, SWEEP_2 = "5e1" + "0" * 29, "5e2" + "0" * 29


def _set_started(db_path, run_id: str, when: str) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE runs SET started_at = ? WHERE id = ?", (when, run_id))


@pytest.fixture
def five(any_store, make_run, dataset_fields):
    """Five runs, oldest first: experiments, statuses, sweeps, data and test/auc chosen so
    each filter and order picks a different, hand-known set."""
    spec = [  # (experiment, status, sweep, {role: hash}, test/auc or None (absent) or nan)
        ("loans", "succeeded", SWEEP_1, {"source": H_A, "train": H_B}, 0.70),
        ("loans", "succeeded", SWEEP_1, {"source": H_A, "train": H_C}, 0.90),
        ("cards", "failed", None, {"source": H_C}, None),
        ("loans", "succeeded", SWEEP_2, {"source": H_B}, math.nan),
        ("cards", "succeeded", SWEEP_2, {"source": H_A}, 0.80),
    ]
    ids = []
    for experiment, status, sweep, data, auc in spec:
        run_id = make_run(any_store, status, experiment=experiment, sweep_id=sweep)
        for role, hash_ in data.items():
            any_store.record_dataset(run_id, role, **dataset_fields(hash_))
        metrics = [("test", "", "logloss", 0.5)]
        if auc is not None:
            metrics += [("test", "", "auc", auc), ("test", "grade=A", "auc", 0.1)]
        any_store.record_metrics(run_id, metrics)
        ids.append(run_id)
    return any_store, ids


def _ids(runs) -> list[str]:
    return [r["id"] for r in runs]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, [4, 3, 2, 1, 0], id="newest-first"),
        pytest.param({"descending": False}, [0, 1, 2, 3, 4], id="oldest-first"),
        pytest.param({"experiment": "loans", "status": "succeeded"}, [3, 1, 0], id="exp-status"),
        pytest.param({"data_hash": H_A}, [4, 1, 0], id="data-full-hash"),
        pytest.param({"data_hash": "AA22" + "0" * 4}, [3, 0], id="data-prefix-any-role"),
        pytest.param({"data_hash": "cc" * 32}, [], id="data-unused-full-hash"),
        pytest.param({"data_hash": "abcdef"}, [], id="data-unused-prefix"),
        pytest.param({"sweep_id": SWEEP_1}, [1, 0], id="sweep-full"),
        pytest.param({"sweep_id": "5e2"[:3] + "0"}, [4, 3], id="sweep-prefix"),
        pytest.param({"sweep_id": "latest"}, [4, 3], id="sweep-latest"),
        # Highest first; the NaN run (stored NULL) and runs without the metric last, newest
        # first among themselves; the slice value 0.1 is not the run's metric.
        pytest.param({"sort": "test/auc"}, [1, 4, 0, 3, 2], id="sort-desc"),
        pytest.param({"sort": "test/auc", "descending": False}, [0, 4, 1, 3, 2], id="sort-asc"),
        pytest.param({"sort": "test/auc", "limit": 2}, [1, 4], id="sort-then-limit"),
        pytest.param({"sort": "test/auc", "experiment": "cards"}, [4, 2], id="sort-filtered"),
        pytest.param({"sort": "test/logloss", "limit": 3}, [4, 3, 2], id="sort-ties-newest"),
    ],
)
def test_filters_and_orders(five, kwargs, expected):
    store, ids = five
    assert _ids(store.list_runs(**kwargs)) == [ids[i] for i in expected]


def test_a_sorted_limited_listing_carries_each_runs_own_metrics(five):
    store, ids = five
    top = store.list_runs(sort="test/auc", limit=2)
    assert [r["metrics"] for r in top] == [
        {"test/auc": 0.90, "test/logloss": 0.5}, {"test/auc": 0.80, "test/logloss": 0.5}]
    assert top[0]["data_hash"] == H_C  # the train split's hash, not the source's


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"data_hash": "aa"}, "invalid data hash 'aa': give the full data hash or a "
                     "prefix of at least 6 hex digits (0-9, a-f), as driftline runs and driftline "
                     "show print it", id="data-prefix-too-short"),
        pytest.param({"data_hash": "data/x.csv"}, "invalid data hash 'data/x.csv'", id="data-path"),
        pytest.param({"data_hash": "aa" * 33}, "invalid data hash", id="data-too-long"),
        pytest.param({"data_hash": "aa11"}, "invalid data hash 'aa11'", id="data-four-digits"),
        pytest.param({"sweep_id": "5e"}, "invalid sweep id '5e'", id="sweep-too-short"),
        pytest.param({"sweep_id": "ffff"}, f"no sweep matches 'ffff' (the latest sweep is "
                     f"{SWEEP_2}). List runs with: driftline runs", id="sweep-unknown"),
        pytest.param({"sort": "auc"}, "invalid metric 'auc' to sort by: give SPLIT/METRIC as "
                     "driftline runs shows it, e.g. test/auc", id="sort-no-split"),
        pytest.param({"sort": "test/acu"}, "no run has the metric 'test/acu' to sort by. Did you "
                     "mean: test/auc? Available: test/auc, test/logloss.", id="sort-unknown"),
        pytest.param({"since": "last week"}, "invalid since time 'last week': expected an ISO "
                     "date (2026-11-27) or date-time", id="since-words"),
        pytest.param({"until": "2026-02-30"}, "invalid until time '2026-02-30'", id="until-no-day"),
        pytest.param({"since": "2026-12-01", "until": "2026-11-01"}, "since 2026-12-01 is not "
                     "before until 2026-11-01: no run can match; swap them?",
                     id="since-after-until"),
        pytest.param({"status": "sucess"}, "unknown run status 'sucess'", id="status"),
    ],
)
def test_bad_filters_are_one_line_store_errors(five, kwargs, message):
    store, _ = five
    with pytest.raises(StoreError) as info:
        store.list_runs(**kwargs)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_ambiguous_prefixes(store, make_run, dataset_fields):
    first = make_run(store, sweep_id=SWEEP_1)
    make_run(store, sweep_id="5e10" + "f" * 28)
    store.record_dataset(first, "source", **dataset_fields("abcdef01" + "0" * 56))
    store.record_dataset(first, "train", **dataset_fields("abcdef02" + "0" * 56))
    with pytest.raises(StoreError) as info:
        store.list_runs(data_hash="ABCDEF")
    assert str(info.value) == (
        "data hash prefix 'ABCDEF' is ambiguous: it matches 2 recorded tables: "
        f"{'abcdef01' + '0' * 56}, {'abcdef02' + '0' * 56}. Give more characters of the hash.")
    with pytest.raises(StoreError) as info:
        store.list_runs(sweep_id="5e10")
    assert str(info.value).startswith("sweep reference '5e10' is ambiguous: it matches 2 sweeps: ")


def test_since_and_until_select_by_start_time(store, db_path, make_run):
    times = ["2026-11-26T23:59:59.999999Z", "2026-11-27T00:00:00.000000Z",
             "2026-11-27T14:30:00.000000Z", "2026-11-27T14:30:00.000001Z",
             "2026-11-28T00:00:00.000000Z"]
    ids = [make_run(store) for _ in times]
    for run_id, when in zip(ids, times):
        _set_started(db_path, run_id, when)

    def picked(**kwargs) -> list[int]:
        return sorted(ids.index(r["id"]) for r in store.list_runs(**kwargs))

    assert picked(since="2026-11-27") == [1, 2, 3, 4]
    assert picked(until="2026-11-27") == [0, 1, 2, 3]  # a date covers its whole day
    assert picked(since="2026-11-27", until="2026-11-27T14:30") == [1, 2]  # the instant included
    # 15:30+01:00 is 14:30 UTC; naive times are UTC
    assert picked(until="2026-11-27T15:30:00+01:00") == [0, 1, 2]
    assert picked(since=datetime(2026, 11, 27, 14, 30, 0, 1)) == [3, 4]
    assert picked(since=date(2026, 11, 28)) == [4]


@pytest.mark.parametrize(
    ("value", "upper", "expected"),
    [
        ("2026-11-27", False, datetime(2026, 11, 27, tzinfo=timezone.utc)),
        ("2026-11-27", True, datetime(2026, 11, 28, tzinfo=timezone.utc)),
        ("2026-12-31", True, datetime(2027, 1, 1, tzinfo=timezone.utc)),
        ("2026-11-27T14:30", False, datetime(2026, 11, 27, 14, 30, tzinfo=timezone.utc)),
        ("2026-11-27 14:30:00Z", True,
         datetime(2026, 11, 27, 14, 30, tzinfo=timezone.utc) + timedelta(microseconds=1)),
        ("2026-11-27T01:00:00-02:00", False, datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)),
    ],
)
def test_time_bound_is_the_stored_text_of_the_utc_instant(value, upper, expected):
    assert time_bound(value, what="since", upper=upper) == expected.strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def test_listing_costs_the_same_statements_for_2_and_40_runs(store, make_run, dataset_fields):
    statements: list[str] = []
    store._db.reader._conn.set_trace_callback(statements.append)
    kwargs = {"data_hash": H_A[:8], "sweep_id": "latest", "sort": "test/auc", "limit": 50,
              "since": "2000-01-01"}

    def count() -> int:
        statements.clear()
        store.list_runs(**kwargs)
        return sum(s.lstrip().upper().startswith("SELECT") for s in statements)

    counts = []
    for n_runs in (2, 40):
        while len(store.list_runs()) < n_runs:
            run_id = make_run(store, sweep_id=SWEEP_1)
            store.record_dataset(run_id, "source", **dataset_fields(H_A))
            store.record_metrics(run_id, [("test", "", "auc", 0.5), ("valid", "", "f1", 0.6)])
        assert len(store.list_runs(**kwargs)) == n_runs
        counts.append(count())
    # running check, data hash, latest sweep, metric check, runs, their metrics, aliases
    assert counts == [7, 7]


def test_data_usage_lists_runs_newest_first_with_roles(five, dataset_fields):
    store, ids = five
    usage = store.data_usage(H_A[:6])
    assert usage["hash"] == H_A and usage["query"] == H_A[:6]
    assert usage["dataset"]["n_rows"] == dataset_fields(H_A)["n_rows"]
    assert usage["dataset"]["source"] == {"kind": "csv", "path": "data/loans.csv"}
    assert [(r["id"], r["roles"], r["experiment"], r["status"]) for r in usage["runs"]] == [
        (ids[4], ["source"], "cards", "succeeded"),
        (ids[1], ["source"], "loans", "succeeded"),
        (ids[0], ["source"], "loans", "succeeded"),
    ]
    assert store.runs_using_data(H_A) == usage["runs"]
    assert [(r["id"], r["roles"]) for r in store.runs_using_data(H_C)] == [
        (ids[2], ["source"]), (ids[1], ["train"])]
    assert usage["drift_checks"] == []


def test_data_usage_groups_roles_of_one_run_in_pipeline_order(store, make_run, dataset_fields):
    run_id = make_run(store)
    for role in ("test", "source", "train"):  # recorded out of order, same table
        store.record_dataset(run_id, role, **dataset_fields(H_B))
    assert [r["roles"] for r in store.runs_using_data(H_B)] == [["source", "train", "test"]]


def test_data_usage_of_unused_data_is_an_empty_answer(five):
    store, _ = five
    full = "cd" * 32
    assert store.data_usage(full) == {"query": full, "hash": full, "dataset": None, "runs": [],
                                      "drift_checks": []}
    assert store.data_usage("cdcdcd")["hash"] is None
    assert store.runs_using_data("cdcdcd") == []
    with pytest.raises(StoreError):
        store.data_usage("cdcd")


def test_data_usage_includes_drift_checks_of_the_data_as_a_batch(store, make_run):
    run_id = make_run(store)
    batch = "ee" * 32
    check_id = store.record_drift_check(
        {"baseline_run_id": run_id, "batch_hash": batch, "n_rows": 10, "drifted": True,
         "share": 0.5, "settings": {}}, [])
    usage = store.data_usage(batch[:10])
    assert usage["hash"] == batch and usage["runs"] == [] and usage["dataset"] is None
    assert [(c["id"], c["baseline_run_id"], c["drifted"], c["share"])
            for c in usage["drift_checks"]] == [(check_id, run_id, True, 0.5)]


def test_latest_sweep_id(store, make_run):
    assert store.latest_sweep_id() is None
    make_run(store, sweep_id=SWEEP_2)
    make_run(store, sweep_id=SWEEP_1)
    make_run(store)  # a single run after the sweeps does not hide them
    assert store.latest_sweep_id() == SWEEP_1


def test_metric_splits_keep_only_those_splits_metrics(any_store, make_run):
    run_id = make_run(any_store)
    any_store.record_metrics(run_id, [("test", "", "auc", 0.8), ("train", "", "auc", 0.9),
                                      ("valid", "", "auc", 0.7), ("test", "grade=A", "auc", 0.6)])
    assert any_store.list_runs()[0]["metrics"] == {
        "test/auc": 0.8, "train/auc": 0.9, "valid/auc": 0.7}
    assert any_store.list_runs(metric_splits=["test"])[0]["metrics"] == {"test/auc": 0.8}
    assert any_store.list_runs(metric_splits=("valid", "test"), limit=1)[0]["metrics"] == {
        "test/auc": 0.8, "valid/auc": 0.7}
    assert any_store.list_runs(metric_splits=[])[0]["metrics"] == {}
