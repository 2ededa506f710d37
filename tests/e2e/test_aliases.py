"""`driftline promote` and `driftline aliases`: moving names between runs, with history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, store_rows

QUICK = ["data.rows=500", "model.num_boost_round=5"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Two succeeded runs and a failed one (oldest first), shared by the tests below; each
    test uses alias names of its own."""
    folder = tmp_path_factory.mktemp("aliases")
    cli = Cli(folder)
    for extra in (["seed=1"], ["seed=2"], ["target=nope"]):
        out = cli("run", *QUICK, *extra)
        assert out.returncode == (2 if extra == ["target=nope"] else 0), out.stderr
    runs = cli.json("runs")
    ok2, ok1 = (r["id"] for r in runs if r["status"] == "succeeded")
    (failed,) = (r["id"] for r in runs if r["status"] == "failed")
    return cli, {"ok1": ok1, "ok2": ok2, "failed": failed}


def _one_error_line(out) -> str:
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("driftline: error: ") and "Traceback" not in out.stderr
    return lines[0].removeprefix("driftline: error: ")


def test_promote_prints_what_changed(project):
    cli, ids = project
    ok1, ok2 = ids["ok1"], ids["ok2"]
    steps = [
        ((ok1[:8], "production"), f"production: (new) -> {ok1[:12]}"),
        (("latest~1", "production"), f"production: {ok1[:12]} -> {ok2[:12]}"),
        ((ok2, "production"),
         f"production: {ok2[:12]} (unchanged: it already pointed at this run)"),
    ]
    for args, line in steps:
        out = cli("promote", *args)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == line
    shown = cli.json("promote", ok1, "production")
    assert (shown["run_id"], shown["previous_run_id"], shown["changed"]) == (ok1, ok2, True)


def test_aliases_lists_history_newest_first_with_previous_run(project, tmp_path):
    cli, ids = project
    ok1, ok2 = ids["ok1"], ids["ok2"]
    for run in (ok1, ok2, ok1):
        assert cli("promote", run, "history-test").returncode == 0
    (alias,) = [a for a in cli.json("aliases") if a["name"] == "history-test"]
    assert (alias["run_id"], alias["run_status"]) == (ok1, "succeeded")
    assert [(h["run_id"], h["previous_run_id"]) for h in alias["history"]] == [
        (ok1, ok2), (ok2, ok1), (ok1, None)]
    # The same history, read independently from the table with the sqlite3 module.
    rows = store_rows(cli.cwd / "runs" / "lineage.db",
                      "SELECT run_id, previous_run_id, at FROM alias_history "
                      "WHERE name = 'history-test' ORDER BY id DESC")
    assert [(r, p) for r, p, _ in rows] == [(ok1, ok2), (ok2, ok1), (ok1, None)]
    assert [h["at"] for h in alias["history"]] == [at for _, _, at in rows]
    text = cli("aliases")
    assert text.returncode == 0, text.stderr
    block = text.stdout.split("history-test -> ", 1)[1].split("\n\n")[0].splitlines()
    assert block[0].startswith(f"{ok1[:12]}  (succeeded, since {rows[0][2][:10]}")
    assert block[1].split() == ["when", "run", "previous"]
    assert [line.split()[2:] for line in block[3:]] == [
        [ok1[:12], ok2[:12]], [ok2[:12], ok1[:12]], [ok1[:12], "(new)"]]


def test_every_run_argument_accepts_an_alias(project):
    cli, ids = project
    assert cli("promote", ids["ok2"], "show-test").returncode == 0
    assert cli.json("show", "show-test")["id"] == ids["ok2"]
    out = cli("promote", "show-test", "show-test-copy")  # RUN given as an alias
    assert out.stdout.strip() == f"show-test-copy: (new) -> {ids['ok2'][:12]}"
    listed = {r["id"]: r["aliases"] for r in cli.json("runs")}
    assert {"show-test", "show-test-copy"} <= set(listed[ids["ok2"]])


def test_delete_keeps_the_history(project):
    cli, ids = project
    assert cli("promote", ids["ok1"], "delete-test").returncode == 0
    out = cli("aliases", "delete", "delete-test")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"delete-test: {ids['ok1'][:12]} -> (deleted)"
    assert "delete-test" not in {a["name"] for a in cli.json("aliases")}
    rows = store_rows(cli.cwd / "runs" / "lineage.db",
                      "SELECT run_id, previous_run_id FROM alias_history "
                      "WHERE name = 'delete-test' ORDER BY id")
    assert rows == [(ids["ok1"], None), (None, ids["ok1"])]
    again = _one_error_line(cli("aliases", "delete", "delete-test"))
    assert again.startswith("cannot delete alias 'delete-test': no such alias.")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(("{failed}", "refuse-test"),
                     "run {failed} is failed; only succeeded runs can be promoted (alias "
                     "'refuse-test' unchanged). List them with: driftline runs --status succeeded",
                     id="failed-run"),
        pytest.param(("{ok1}", "prod/eu"), "invalid alias name 'prod/eu': use a letter, then up to "
                     "63 letters, digits, '_', '.' or '-' (e.g. production)", id="slash"),
        pytest.param(("{ok1}", "9lives"), "invalid alias name '9lives': use a letter", id="digit"),
        pytest.param(("{ok1}", "Latest"), "invalid alias name 'Latest': 'latest' is reserved",
                     id="reserved"),
        pytest.param(("{ok1}", "beef1234"), "invalid alias name 'beef1234': 4-32 hex digits read "
                     "as a run id prefix", id="hex"),
        pytest.param(("ffffffff", "refuse-test"),
                     "no run matches 'ffffffff'. List runs with: driftline runs", id="unknown-run"),
    ],
)
def test_promote_refusals_are_one_line_exit_2(project, args, expected):
    cli, ids = project
    out = cli("promote", *(a.format(**ids) for a in args))
    assert _one_error_line(out).startswith(expected.format(**ids))
    assert "refuse-test" not in {a["name"] for a in cli.json("aliases")}


def test_alias_to_a_run_no_longer_in_the_store(project, tmp_path):
    cli, ids = project
    assert cli("promote", ids["ok1"], "gone").returncode == 0
    copy = tmp_path / "copy.db"
    with sqlite3.connect(cli.cwd / "runs" / "lineage.db") as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    with sqlite3.connect(copy) as conn:  # a run removed by hand (children first)
        for table in ("metrics", "column_profiles", "models", "run_datasets"):
            conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (ids["ok1"],))
        conn.execute("DELETE FROM runs WHERE id = ?", (ids["ok1"],))
    store = ["--store", f"sqlite:///{copy}"]
    line = _one_error_line(cli("show", "gone", *store))
    assert line == (f"alias 'gone' points to run {ids['ok1']}, which is no longer in the store. "
                    "Point it at another run: driftline promote RUN gone")
    listed = cli("aliases", *store)
    assert listed.returncode == 0
    assert f"gone -> {ids['ok1'][:12]}  (run no longer in the store, since" in listed.stdout
    moved = cli("promote", ids["ok2"], "gone", *store)
    assert moved.stdout.strip() == f"gone: {ids['ok1'][:12]} -> {ids['ok2'][:12]}"
    assert Path(copy).is_file()
