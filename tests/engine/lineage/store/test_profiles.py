"""Column profiles: recorded whole, returned in recorded order, queryable with sqlite3."""

from __future__ import annotations

import json
import math

import pytest

from driftline.engine.errors import RunNotFoundError, StoreError

# Hand-built profiles in a non-alphabetical order, with the values a real profile holds:
# -inf/+inf outer bin edges, an undefined (NaN) statistic, strings that look like numbers.
INCOME = {
    "name": "income", "dtype": "Float64", "kind": "numeric", "count": 5, "nulls": 1,
    "mean": 2.5, "std": math.nan, "min": 1.0, "max": 4.0,
    "quantiles": [1.0, 2.5, 4.0], "psi_edges": [-math.inf, 2.5, math.inf],
    "psi_counts": [2, 2], "sample": [1.0, 4.0, 2.5],
}
GRADE = {
    "name": "grade", "dtype": "String", "kind": "categorical", "count": 5, "nulls": 0,
    "categories": {"A": 3, "Infinity": 1, "__other__": 1}, "sample": ["A", "NaN", "Infinity"],
}
AGE = {"name": "age", "dtype": "Int64", "kind": "numeric", "count": 5, "nulls": 0, "mean": 40}
PROBA = {"name": "proba_1", "dtype": "Float64", "kind": "numeric", "count": 3, "nulls": 0}


def _expected(profile: dict) -> dict:
    """What comes back: the same dict, with NaN (undefined) as None."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in profile.items()}


def test_profiles_round_trip_in_recorded_order(any_store, make_run):
    run_id = make_run(any_store)
    any_store.record_profiles(run_id, "train", [INCOME, GRADE, AGE])
    any_store.record_profiles(run_id, "output", [PROBA])

    train = any_store.get_profiles(run_id, "train")
    assert list(train) == ["income", "grade", "age"]
    assert train == {"income": _expected(INCOME), "grade": GRADE, "age": AGE}
    assert train["income"]["psi_edges"] == [-math.inf, 2.5, math.inf]
    assert any_store.get_profiles("latest", "output") == {"proba_1": PROBA}
    assert any_store.get_run(run_id)["has_profiles"] is True


def test_no_profiles_is_an_empty_dict(any_store, make_run):
    run_id = make_run(any_store)
    any_store.record_profiles(run_id, "train", [])  # nothing to record
    assert any_store.get_profiles(run_id, "train") == {}
    assert any_store.get_profiles(run_id, "output") == {}
    assert any_store.get_run(run_id)["has_profiles"] is False


def test_profiles_of_one_run_do_not_leak_into_another(store, make_run):
    first, second = make_run(store), make_run(store)
    store.record_profiles(first, "train", [AGE])
    store.record_profiles(second, "train", [GRADE])
    assert store.get_profiles(first, "train") == {"age": AGE}
    assert store.get_profiles(second, "train") == {"grade": GRADE}


def test_profile_table_is_queryable_with_sqlite3(store, make_run, raw):
    run_id = make_run(store)
    store.record_profiles(run_id, "train", [INCOME, GRADE])
    assert raw(
        "SELECT column_name, position, dtype, kind, json_extract(profile_json, '$.mean'), "
        "json_extract(profile_json, '$.psi_edges[0]'), "
        "json_extract(profile_json, '$.categories.A') "
        "FROM column_profiles WHERE run_id = ? AND role = 'train' ORDER BY position", (run_id,)
    ) == [
        ("income", 0, "Float64", "numeric", 2.5, -math.inf, None),
        ("grade", 1, "String", "categorical", None, None, 3),
    ]
    (text,) = raw("SELECT profile_json FROM column_profiles WHERE column_name = 'grade'")[0]
    assert json.loads(text) == GRADE


def test_recording_twice_or_for_a_missing_run_is_refused(store, make_run):
    run_id = make_run(store)
    store.record_profiles(run_id, "train", [AGE])
    where = f"in lineage store {store.url}"
    with pytest.raises(StoreError) as info:
        store.record_profiles(run_id, "train", [GRADE])
    assert str(info.value) == (
        f"cannot record the train profiles of run {run_id} {where}: "
        "the run already has train profiles")
    with pytest.raises(StoreError) as info:
        store.record_profiles("0" * 32, "train", [AGE])
    assert str(info.value) == (
        f"cannot record the train profiles of run {'0' * 32} {where}: "
        "no such run; record it first with create_run")
    assert store.get_profiles(run_id, "train") == {"age": AGE}  # the refused one left nothing


def test_profiles_of_an_unknown_run(store):
    with pytest.raises(RunNotFoundError, match="no run matches 'feed'"):
        store.get_profiles("feed", "train")


@pytest.mark.parametrize(
    ("role", "profiles", "message"),
    [
        pytest.param("features", [AGE], "profile role must be one of", id="bad-role"),
        pytest.param("train", [{"name": "x", "dtype": "Int64"}], "lacks keys ['kind']",
                     id="missing-kind"),
        pytest.param("train", [{**AGE, "kind": "date"}], "kind must be one of", id="bad-kind"),
        pytest.param("train", [AGE, AGE], "column 'age' profiled twice", id="twice"),
    ],
)
def test_malformed_profiles_are_programming_errors(store, make_run, role, profiles, message):
    run_id = make_run(store)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        store.record_profiles(run_id, role, profiles)
    assert store.get_run(run_id)["has_profiles"] is False


def test_get_profiles_checks_its_role(store, make_run):
    with pytest.raises(ValueError, match="profile role must be one of"):
        store.get_profiles(make_run(store), "features")
