"""Aliases: valid names, promotion of succeeded runs only, history, resolution, deletion."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

import pytest

from driftline.engine.errors import RunNotFoundError, StoreError

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
SHAPE = "use a letter, then up to 63 letters, digits, '_', '.' or '-' (e.g. production)"
HEXLIKE = "4-32 hex digits read as a run id prefix; use a name that is not all hex digits"


@pytest.mark.parametrize(
    "name",
    ["production", "p", "Prod_2.v-1", "a" + "x" * 63, "abc", "staging-2025.01",
     "a" * 33, "deadbeefz"],
)
def test_valid_alias_names(store, make_run, name):
    run_id = make_run(store)
    assert store.set_alias(name, run_id)["name"] == name
    assert store.resolve(name) == run_id


@pytest.mark.parametrize(
    ("name", "why"),
    [
        pytest.param("", SHAPE, id="empty"),
        pytest.param("1prod", SHAPE, id="digit-first"),
        pytest.param("_prod", SHAPE, id="underscore-first"),
        pytest.param("pro duction", SHAPE, id="space"),
        pytest.param("prod/x", SHAPE, id="slash"),
        pytest.param("prod~1", SHAPE, id="tilde"),
        pytest.param("a" * 65, SHAPE, id="65-chars"),
        pytest.param("latest", "'latest' is reserved (it names the most recent run)",
                     id="latest"),
        pytest.param("LaTeSt", "'latest' is reserved (it names the most recent run)",
                     id="latest-any-case"),
        pytest.param("beef", HEXLIKE, id="hex-4"),
        pytest.param("DeadBeef", HEXLIKE, id="hex-upper-case"),
        pytest.param("a" * 32, HEXLIKE, id="hex-32"),
    ],
)
def test_malformed_alias_names_are_refused(store, make_run, raw, name, why):
    run_id = make_run(store)
    with pytest.raises(StoreError) as info:
        store.set_alias(name, run_id)
    assert str(info.value) == f"invalid alias name '{name}': {why}"
    assert raw("SELECT COUNT(*) FROM aliases") == [(0,)]


@pytest.mark.parametrize("status", ["failed", "rejected", "running", "interrupted"])
def test_only_succeeded_runs_can_be_promoted(store, make_run, raw, status):
    good = make_run(store)
    store.set_alias("production", good)
    bad = make_run(store, status)
    with pytest.raises(StoreError) as info:
        store.set_alias("production", bad)
    assert str(info.value) == (
        f"run {bad} is {status}; only succeeded runs can be promoted (alias 'production' "
        "unchanged). List them with: driftline runs --status succeeded")
    assert store.resolve("production") == good
    assert raw("SELECT COUNT(*) FROM alias_history") == [(1,)]


def test_a_dead_running_run_is_refused_as_interrupted(store, make_run):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = make_run(store, "running", pid=proc.pid)
    with pytest.raises(StoreError, match=f"run {dead} is interrupted; only succeeded"):
        store.set_alias("production", dead)


def test_history_is_newest_first_with_the_previous_run(store, make_run, raw):
    a, b = make_run(store), make_run(store)
    first = store.set_alias("production", a)
    second = store.set_alias("production", b)
    same = store.set_alias("production", b)  # no change: nothing recorded
    third = store.set_alias("production", a)
    store.set_alias("staging", b)

    assert (first["previous_run_id"], second["previous_run_id"], third["previous_run_id"]) == (
        None, a, b)
    assert [first["changed"], second["changed"], same["changed"], third["changed"]] == [
        True, True, False, True]
    assert same["updated_at"] == second["updated_at"]
    assert first["updated_at"] <= second["updated_at"] <= third["updated_at"]
    assert all(ISO.fullmatch(x["updated_at"]) for x in (first, second, third))

    listed = store.list_aliases()
    assert [x["name"] for x in listed] == ["production", "staging"]
    production = listed[0]
    assert (production["run_id"], production["updated_at"], production["run_status"]) == (
        a, third["updated_at"], "succeeded")
    assert production["history"] == [
        {"run_id": a, "previous_run_id": b, "at": third["updated_at"]},
        {"run_id": b, "previous_run_id": a, "at": second["updated_at"]},
        {"run_id": a, "previous_run_id": None, "at": first["updated_at"]},
    ]
    assert listed[1]["history"] == [
        {"run_id": b, "previous_run_id": None, "at": listed[1]["updated_at"]}]
    # the same story in plain SQL
    assert raw("SELECT name, run_id, previous_run_id FROM alias_history ORDER BY id") == [
        ("production", a, None), ("production", b, a), ("production", a, b),
        ("staging", b, None)]
    assert raw("SELECT name, run_id FROM aliases ORDER BY name") == [
        ("production", a), ("staging", b)]


def test_resolve_get_run_and_list_runs_know_aliases(any_store, make_run):
    a, b = make_run(any_store), make_run(any_store)
    any_store.set_alias("production", a)
    any_store.set_alias("staging", a)
    any_store.set_alias("canary", "latest")  # a RUN reference is accepted

    assert any_store.resolve("production") == a
    assert any_store.resolve(" staging ") == a
    assert any_store.get_run("production")["aliases"] == ["production", "staging"]
    assert any_store.get_run(b)["aliases"] == ["canary"]
    assert {r["id"]: r["aliases"] for r in any_store.list_runs()} == {
        a: ["production", "staging"], b: ["canary"]}
    assert any_store.set_alias("production", "canary")["run_id"] == b


def test_an_alias_to_a_removed_run_says_so(store, make_run, db_path):
    run_id = make_run(store)
    store.set_alias("production", run_id)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
    conn.close()
    message = (f"alias 'production' points to run {run_id}, which is no longer in the store. "
               "Point it at another run: driftline promote RUN production")
    for call in (store.resolve, store.get_run):
        with pytest.raises(RunNotFoundError) as info:
            call("production")
        assert str(info.value) == message
    assert store.list_aliases()[0]["run_status"] is None


def test_an_unknown_alias_suggests_known_ones(store, make_run):
    store.set_alias("production", make_run(store))
    store.set_alias("staging", "latest")
    with pytest.raises(RunNotFoundError) as info:
        store.resolve("prodution")
    assert str(info.value) == (
        "no run matches 'prodution' (not an alias, a run id or latest~N). Did you mean: "
        "production? Aliases: production, staging. List runs with: driftline runs")
    with pytest.raises(RunNotFoundError) as info:
        store.resolve("Production")  # alias names are case-sensitive
    assert "Did you mean: production?" in str(info.value)


def test_delete_alias_keeps_the_history(store, make_run, raw):
    a, b = make_run(store), make_run(store)
    store.set_alias("production", a)
    store.set_alias("staging", a)
    removed = store.delete_alias("production")
    assert (removed["name"], removed["run_id"]) == ("production", a)
    assert ISO.fullmatch(removed["deleted_at"])
    assert [x["name"] for x in store.list_aliases()] == ["staging"]
    with pytest.raises(RunNotFoundError):
        store.resolve("production")

    created = store.set_alias("production", b)  # created anew: nothing before it
    assert created["previous_run_id"] is None
    assert [(h["run_id"], h["previous_run_id"]) for h in store.list_aliases()[0]["history"]] == [
        (b, None), (None, a), (a, None)]
    assert raw("SELECT run_id, previous_run_id FROM alias_history WHERE name = 'production' "
               "ORDER BY id") == [(a, None), (None, a), (b, None)]


def test_deleting_an_unknown_alias(store, make_run):
    with pytest.raises(StoreError) as info:
        store.delete_alias("production")
    assert str(info.value) == (
        "cannot delete alias 'production': no such alias. The store has no aliases; create one "
        "with: driftline promote RUN ALIAS")
    store.set_alias("production", make_run(store))
    with pytest.raises(StoreError) as info:
        store.delete_alias("prodution")
    assert str(info.value) == (
        "cannot delete alias 'prodution': no such alias. Did you mean: production? "
        "Available: production.")


def test_promoting_an_unknown_run(store):
    with pytest.raises(RunNotFoundError, match="no run matches 'feed'"):
        store.set_alias("production", "feed")
