"""Resolving RUN references: full id, unique prefix, latest, latest~N, and the failures."""

from __future__ import annotations

import pytest

from driftline.engine.errors import RunNotFoundError, StoreError

# Created oldest first; the first two share the prefix "abcd1".
IDS = ["abcd1" + "0" * 27, "abcd1" + "1" * 27, "abce" + "2" * 28, "0123" + "3" * 28]
HINT = "List runs with: driftline runs"


@pytest.fixture
def runs_store(store, run_fields):
    for run_id in IDS:
        store.create_run(**run_fields(id=run_id))
    return store


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        pytest.param(IDS[0], IDS[0], id="full-id"),
        pytest.param(IDS[0].upper(), IDS[0], id="full-id-upper-case"),
        pytest.param(" abce ", IDS[2], id="prefix-4-padded"),
        pytest.param("abcd11", IDS[1], id="longer-prefix"),
        pytest.param("latest", IDS[3], id="latest"),
        pytest.param("latest~0", IDS[3], id="latest~0"),
        pytest.param("latest~1", IDS[2], id="latest~1"),
        pytest.param("latest~3", IDS[0], id="latest~3-oldest"),
    ],
)
def test_resolves(runs_store, ref, expected):
    assert runs_store.resolve(ref) == expected


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        pytest.param("ffff", f"no run matches 'ffff'. {HINT}", id="unknown-prefix"),
        pytest.param("production", "no run matches 'production' (not an alias, a run id or "
                     f"latest~N). {HINT}", id="not-an-id"),
        pytest.param("latest~x", f"no run matches 'latest~x'. {HINT}", id="bad-latest"),
        pytest.param(
            "abc",
            f"no run matches 'abc' (a run id prefix needs at least 4 characters). {HINT}",
            id="short-prefix",
        ),
        pytest.param(
            "latest~4", f"no run matches 'latest~4' (the store has 4 runs). {HINT}", id="too-far"
        ),
        pytest.param(
            "abcd",
            f"run reference 'abcd' is ambiguous: it matches 2 runs: {IDS[1]}, {IDS[0]}. "
            "Give more characters of the run id.",
            id="ambiguous",
        ),
    ],
)
def test_refuses(runs_store, ref, message):
    with pytest.raises(RunNotFoundError) as info:
        runs_store.resolve(ref)
    assert str(info.value) == message
    assert isinstance(info.value, StoreError)


def test_get_run_resolves_its_reference(runs_store):
    assert runs_store.get_run("latest~1")["id"] == IDS[2]
    with pytest.raises(RunNotFoundError):
        runs_store.get_run("9999")


def test_latest_in_an_empty_store(store):
    with pytest.raises(RunNotFoundError) as info:
        store.resolve("latest")
    assert str(info.value) == f"no run matches 'latest' (the store has 0 runs). {HINT}"


def test_ambiguous_listing_is_bounded(store, run_fields):
    ids = [f"beef{i:028x}" for i in range(15)]
    for run_id in ids:
        store.create_run(**run_fields(id=run_id))
    with pytest.raises(RunNotFoundError) as info:
        store.resolve("beef")
    message = str(info.value)
    assert message.startswith("run reference 'beef' is ambiguous: it matches 15 runs: ")
    assert "... and 3 more." in message
    assert sum(run_id in message for run_id in ids) == 12


@pytest.mark.parametrize(
    ("ref", "expected", "selects"),
    [
        pytest.param("production", IDS[1], 1, id="alias-one-query"),
        pytest.param("latest~1", IDS[2], 1, id="latest-skips-aliases"),
        pytest.param("abce", IDS[2], 1, id="prefix-skips-aliases"),
    ],
)
def test_each_form_costs_one_query(runs_store, ref, expected, selects):
    runs_store.finish_run(IDS[1], "succeeded")
    runs_store.set_alias("production", IDS[1])
    statements: list[str] = []
    runs_store._db.reader._conn.set_trace_callback(statements.append)
    assert runs_store.resolve(ref) == expected
    runs_store._db.reader._conn.set_trace_callback(None)
    assert sum(s.lstrip().upper().startswith("SELECT") for s in statements) == selects
