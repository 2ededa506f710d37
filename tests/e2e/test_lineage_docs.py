"""docs/lineage.md cannot go stale: every table and column of the store is documented, and
every SQL block runs in the sqlite3 shell against a store of real runs (several checked
row by row against what the runs recorded)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from driftline.engine.lineage.store import LineageStore
from driftline.engine.lineage.store.tables import ALL_TABLES
from tests.e2e.conftest import Cli

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "lineage.md"
QUICK = ["model.num_boost_round=5"]
ON_FILE = ["data=parquet", "data.path=loans.parquet"]
EDITED_COLUMN = "credit_score"
DRIFTED = ["credit_score", "grade"]


def sql_blocks() -> dict[str, str]:
    """Each ```sql block of the doc by its first line (a `-- title` comment)."""
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    titled = {}
    for block in blocks:
        first = block.splitlines()[0]
        assert first.startswith("-- "), f"an SQL block must start with '-- question': {first}"
        titled[first[3:].strip()] = block
    assert len(titled) == len(blocks), "two SQL blocks have the same title"
    return titled


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A sweep of two runs on loans.parquet (production moved from the first to the second),
    a failed run, then a run of experiment 'other' on a copy with one changed cell; and a
    drift check against production recorded through the store API."""
    folder = tmp_path_factory.mktemp("docs")
    cli = Cli(folder)
    out = cli("data", "synthetic", "--rows", "600", "--seed", "3", "--out", "loans.parquet")
    assert out.returncode == 0, out.stderr
    frame = pl.read_parquet(folder / "loans.parquet")
    edited = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(pl.col(EDITED_COLUMN) + 1)
        .otherwise(pl.col(EDITED_COLUMN)).alias(EDITED_COLUMN))
    edited.write_parquet(folder / "loans_edit.parquet")
    for args, code in ((["-m", *QUICK, *ON_FILE, "seed=1,2"], 0), ([*QUICK, "target=nope"], 2),
                       ([*QUICK, "data=parquet", "data.path=loans_edit.parquet",
                         "experiment=other"], 0)):
        out = cli("run", *args)
        assert out.returncode == code, out.stdout + out.stderr
    runs = [cli.json("show", r["id"]) for r in cli.json("runs")]
    other, failed, second, first = runs
    assert (first["seed"], second["seed"], failed["status"]) == (1, 2, "failed")
    for run in (first, second):
        assert cli("promote", run["id"], "production").returncode == 0
    db = folder / "runs" / "lineage.db"
    with LineageStore.open(f"sqlite:///{db}") as opened:
        results = [{"column": name, "type": "numeric", "test": "ks", "drifted": name in DRIFTED,
                    "statistic": 0.5} for name in ("age", "credit_score", "grade")]
        opened.record_drift_check({"baseline_run_id": second["id"], "batch_hash": "ab" * 32,
                                   "n_rows": 600, "drifted": True, "share": 2 / 3,
                                   "settings": {}}, results)
        history = opened.list_aliases()[0]["history"]
    facts = {"first": first, "second": second, "failed": failed, "other": other,
             "promoted_at": [h["at"] for h in reversed(history)]}
    return db, facts


def _auc(run) -> float:
    (value,) = [m["value"] for m in run["metrics"]
                if (m["split"], m["slice"], m["name"]) == ("test", "", "auc")]
    return value


def _source(run) -> str:
    return next(d["hash"] for d in run["datasets"] if d["role"] == "source")


def _params(facts) -> dict[str, str]:
    return {"experiment": "demo", "hash": _source(facts["first"])[:12],
            "when": facts["promoted_at"][0]}


def _best(facts):
    first, second = facts["first"], facts["second"]
    demo = max((first, second), key=_auc)
    return [("demo", demo["id"]), ("other", facts["other"]["id"])]


# What some queries must return, from what the runs recorded (via `driftline show`).
EXPECTED = {
    "best run per experiment by test AUC":
        lambda rows, f: [(r["experiment"], r["id"]) for r in rows] == _best(f),
    "runs that used a dataset (hash or prefix), in which role":
        lambda rows, f: [(r["id"], r["role"]) for r in rows] == [
            (f["second"]["id"], "source"), (f["first"]["id"], "source")],
    "metric history of an experiment: test AUC and log-loss over time":
        lambda rows, f: [(r["id"], r["auc"]) for r in rows] == [
            (f["first"]["id"], _auc(f["first"])), (f["second"]["id"], _auc(f["second"]))],
    "the runs of the latest sweep, best test AUC first":
        lambda rows, f: [r["id"] for r in rows] == [
            run["id"] for run in sorted((f["first"], f["second"]), key=lambda x: -_auc(x))],
    "which runs production pointed to, and when (oldest first, run_id NULL = deleted)":
        lambda rows, f: [(r["run_id"], r["previous_run_id"]) for r in rows] == [
            (f["first"]["id"], None), (f["second"]["id"], f["first"]["id"])],
    "what production pointed to at a given time":
        lambda rows, f: rows == [{"run_id": f["first"]["id"]}],
    "columns whose content changed between production's source data and the latest run's":
        lambda rows, f: rows == [{"column_name": EDITED_COLUMN, "new_column": 0}],
    "drifted columns of the latest drift check":
        lambda rows, f: [r["column_name"] for r in rows] == DRIFTED,
    "warnings of production's run, in the order they were noticed":
        lambda rows, f: rows and rows == [
            {"stage": w["stage"], "code": w["code"], "column_name": w["column"],
             "message": w["message"]} for w in f["second"]["warnings"]],
    "failed and rejected runs with their error":
        lambda rows, f: [(r["id"], r["status"]) for r in rows] == [
            (f["failed"]["id"][:12], "failed")],
}


def run_sqlite3(db: Path, sql: str, params: dict[str, str]) -> list[dict]:
    sqlite3 = shutil.which("sqlite3")
    assert sqlite3, "the sqlite3 shell is needed (apt-get install sqlite3)"
    # Parameters as the doc says to set them: double quotes keep the single quotes (text).
    setup = "".join(f".parameter set :{name} \"'{value}'\"\n" for name, value in params.items()
                    if f":{name}" in sql)
    out = subprocess.run([sqlite3, "-bail", "-readonly", "-json", str(db)], input=setup + sql,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and not out.stderr, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else []


@pytest.mark.parametrize("title", list(sql_blocks()))
def test_every_sql_block_runs_in_the_sqlite3_shell(store, title):
    db, facts = store
    sql = sql_blocks()[title]
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    assert code.count(";") == 1 and code.rstrip().endswith(";"), "one statement per block"
    rows = run_sqlite3(db, sql, _params(facts))
    if title in EXPECTED:
        assert EXPECTED[title](rows, facts), rows
    else:
        assert rows, "every example returns rows on a store with runs, aliases and a check"


def test_the_questions_the_issue_asks_are_answered():
    assert set(EXPECTED) <= set(sql_blocks())


def _documented_tables() -> dict[str, set[str]]:
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^### `(\w+)`\n", text.split("\n## Tables\n", 1)[1], flags=re.M)
    documented = {}
    for name, body in zip(sections[1::2], sections[2::2]):
        body = body.split("\n## ", 1)[0]
        documented[name] = set(re.findall(r"^\| `(\w+)` \|", body, flags=re.M))
    return documented


def test_every_table_and_column_is_documented_and_nothing_else():
    schema = {cls.__table__.name: {c.name for c in cls.__table__.columns} for cls in ALL_TABLES}
    assert _documented_tables() == schema
