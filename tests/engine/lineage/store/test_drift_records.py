"""Drift checks and their per-column results: round trips, listing, references, bad input."""

from __future__ import annotations

import math
import re

import pytest

from driftline.engine.errors import StoreError

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
BATCH_HASH = "e" * 64


def _check(baseline: str, **overrides) -> dict:
    check = {
        "baseline_run_id": baseline, "batch_hash": BATCH_HASH,
        "batch_source": {"kind": "parquet", "path": "data/loans_2026_11.parquet"},
        "n_rows": 1_000_000, "drifted": True, "share": 2 / 3,
        "settings": {"alpha": 0.05, "numeric_margin": 0.05, "critical": ["income"]},
        "output": {"column": "proba_1", "psi": 0.02, "drifted": False},
        "report": {"html": "runs/x/drift.html"},
    }
    check.update(overrides)
    return check


# Listed in a non-alphabetical order, which must be kept.
INCOME = {
    "column": "income", "type": "numeric", "test": "ks", "statistic": 0.125,
    "p_value": 1e-300, "p_adjusted": 3e-300, "effect_size": 0.31,
    "effect_measure": "wasserstein_norm", "threshold": 0.05, "drifted": True,
    "definition": "p_adj < 0.05 and W/std >= 0.05",
    "details": {"psi": 0.4, "null_rate": [0.0, 0.01]},
}
GRADE = {
    "column": "grade", "type": "categorical", "test": "chi2", "statistic": 12.5,
    "p_value": 0.002, "p_adjusted": 0.003, "effect_size": 0.15, "effect_measure": "psi",
    "threshold": 0.1, "drifted": True, "definition": "p_adj < 0.05 and PSI >= 0.1",
    "details": {"unseen_share": 0.0, "unseen": []},
}
AGE = {  # only the required keys: the rest defaults
    "column": "age", "type": "numeric", "test": "ks", "drifted": False,
}
AGE_BACK = {**AGE, "statistic": None, "p_value": None, "p_adjusted": None, "effect_size": None,
            "effect_measure": None, "threshold": None, "definition": None, "details": {}}


def test_check_round_trips_with_results_in_order(any_store, make_run):
    baseline = make_run(any_store)
    check = _check(baseline)
    check_id = any_store.record_drift_check(check, [INCOME, GRADE, AGE])

    got = any_store.get_drift_check(check_id)
    created = got.pop("created_at")
    assert ISO.fullmatch(created)
    results = got.pop("results")
    assert got == {**check, "id": check_id}
    assert results == [INCOME, GRADE, AGE_BACK]
    assert re.fullmatch(r"[0-9a-f]{32}", check_id)


def test_nan_reads_back_as_none_and_infinity_is_kept(any_store, make_run):
    baseline = make_run(any_store)
    odd = {**AGE, "statistic": math.nan, "effect_size": math.inf, "p_value": None,
           "details": {"ref_std": 0.0, "w": math.inf, "q": math.nan}}
    check_id = any_store.record_drift_check(
        _check(baseline, output=None, report=None, batch_source={}), [odd])
    got = any_store.get_drift_check(check_id)
    assert (got["output"], got["report"], got["batch_source"]) == (None, None, {})
    (result,) = got["results"]
    assert (result["statistic"], result["effect_size"], result["p_value"]) == (
        None, math.inf, None)
    assert result["details"] == {"ref_std": 0.0, "w": math.inf, "q": None}


def test_given_id_and_time_are_kept_and_prefixes_resolve(store, make_run):
    baseline = make_run(store)
    first = store.record_drift_check(
        _check(baseline, id="abcd" + "0" * 28, created_at="2026-01-01T00:00:00.000000Z"), [])
    store.record_drift_check(_check(baseline, id="abcd" + "1" * 28), [])
    assert first == "abcd" + "0" * 28
    got = store.get_drift_check("ABCD0 ")
    assert (got["id"], got["created_at"], got["results"]) == (
        first, "2026-01-01T00:00:00.000000Z", [])


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        pytest.param("abcd", "drift check reference 'abcd' is ambiguous: it matches 2 checks: "
                     f"{'abcd' + '1' * 28}, {'abcd' + '0' * 28}. Give more characters of the id.",
                     id="ambiguous"),
        pytest.param("ffff", "no drift check matches 'ffff' (the store has 2)", id="unknown"),
        pytest.param("abc", "no drift check matches 'abc': give its id or a prefix of at least 4 "
                     "hex characters", id="short"),
        pytest.param("latest", "no drift check matches 'latest': give its id or a prefix of at "
                     "least 4 hex characters", id="not-hex"),
    ],
)
def test_bad_check_references(store, make_run, ref, message):
    baseline = make_run(store)
    store.record_drift_check(
        _check(baseline, id="abcd" + "0" * 28, created_at="2026-01-01T00:00:00.000000Z"), [])
    store.record_drift_check(
        _check(baseline, id="abcd" + "1" * 28, created_at="2026-01-02T00:00:00.000000Z"), [])
    with pytest.raises(StoreError) as info:
        store.get_drift_check(ref)
    assert str(info.value) == message


def test_list_newest_first_by_baseline_with_counts(any_store, make_run):
    a, b = make_run(any_store), make_run(any_store)
    times = ["2026-01-0%dT00:00:00.000000Z" % day for day in (1, 2, 3)]
    old = any_store.record_drift_check(_check(a, created_at=times[0]), [INCOME, GRADE, AGE])
    new = any_store.record_drift_check(_check(a, created_at=times[2], drifted=False), [AGE])
    other = any_store.record_drift_check(_check(b, created_at=times[1]), [])

    listed = any_store.list_drift_checks()
    assert [(c["id"], c["n_columns"], c["n_drifted"]) for c in listed] == [
        (new, 1, 0), (other, 0, 0), (old, 3, 2)]
    assert listed[0] == {**_check(a, created_at=times[2], drifted=False), "id": new,
                         "n_columns": 1, "n_drifted": 0}
    assert [c["id"] for c in any_store.list_drift_checks(baseline_run_id=a)] == [new, old]
    assert [c["id"] for c in any_store.list_drift_checks(baseline_run_id=a, limit=1)] == [new]
    assert any_store.list_drift_checks(baseline_run_id="0" * 32) == []
    assert any_store.list_drift_checks(limit=0) == []


def test_drift_tables_are_queryable_with_sqlite3(store, make_run, raw):
    baseline = make_run(store)
    check_id = store.record_drift_check(_check(baseline), [INCOME, GRADE, AGE])
    assert raw("SELECT baseline_run_id, batch_hash, n_rows, drifted, share, "
               "json_extract(settings_json, '$.alpha'), json_extract(output_json, '$.psi'), "
               "json_extract(batch_source_json, '$.path') FROM drift_checks") == [
        (baseline, BATCH_HASH, 1_000_000, 1, 2 / 3, 0.05, 0.02, "data/loans_2026_11.parquet")]
    assert raw("SELECT column_name, test, statistic, p_adjusted, effect_size, threshold, "
               "json_extract(details_json, '$.psi') FROM drift_results "
               "WHERE check_id = ? AND drifted ORDER BY position", (check_id,)) == [
        ("income", "ks", 0.125, 3e-300, 0.31, 0.05, 0.4),
        ("grade", "chi2", 12.5, 0.003, 0.15, 0.1, None)]
    assert raw("SELECT c.id, COUNT(*) FROM drift_checks c JOIN drift_results r "
               "ON r.check_id = c.id WHERE NOT r.drifted GROUP BY c.id") == [(check_id, 1)]


def test_store_refuses_a_missing_baseline_or_a_repeated_id(store, make_run, raw):
    baseline = make_run(store)
    check_id = store.record_drift_check(_check(baseline), [AGE])
    where = f"in lineage store {store.url}"
    with pytest.raises(StoreError) as info:
        store.record_drift_check(_check(baseline, id=check_id), [GRADE])
    assert str(info.value) == (
        f"cannot record drift check {check_id} {where}: a drift check with this id already exists")
    with pytest.raises(StoreError) as info:
        store.record_drift_check(_check("0" * 32, id="1" * 32), [GRADE])
    assert str(info.value) == (
        f"cannot record drift check {'1' * 32} {where}: no baseline run {'0' * 32}")
    assert raw("SELECT check_id, column_name FROM drift_results") == [(check_id, "age")]


@pytest.mark.parametrize(
    ("check_changes", "results", "message"),
    [
        pytest.param({"share_": 0.5}, [], r"drift check: missing keys \[\], unknown keys "
                     r"\['share_'\]", id="unknown-check-key"),
        pytest.param({"settings": "DELETE"}, [], r"missing keys \['settings'\]",
                     id="missing-check-key"),
        pytest.param({"id": "XYZ"}, [], "drift check id must be 32 lower-case hex",
                     id="bad-id"),
        pytest.param({}, [{**AGE, "p_val": 0.1}], r"drift result #0: missing keys \[\], "
                     r"unknown keys \['p_val'\]", id="unknown-result-key"),
        pytest.param({}, [{"column": "x", "type": "numeric", "test": "ks"}],
                     r"missing keys \['drifted'\]", id="missing-result-key"),
        pytest.param({}, [AGE, AGE], "drift result for column 'age' given twice", id="twice"),
    ],
)
def test_malformed_checks_are_programming_errors(store, make_run, raw, check_changes, results,
                                                 message):
    check = _check(make_run(store), **check_changes)
    check = {k: v for k, v in check.items() if v != "DELETE"}
    with pytest.raises(ValueError, match=message):
        store.record_drift_check(check, results)
    assert raw("SELECT COUNT(*) FROM drift_checks") == [(0,)]
