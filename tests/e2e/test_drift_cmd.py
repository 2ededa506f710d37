"""`driftline drift` end to end: verdicts, exit codes, recording, reports, alerts, bad input."""

from __future__ import annotations

import json
import shutil
import sqlite3

import polars as pl
import pytest

from driftline.plugins.sources.synthetic import generate_loans

TRAIN = ["data.rows=6000", "model.num_boost_round=20"]


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory):
    """One trained baseline for the module; each test gets a copy of its runs/ folder."""
    from tests.e2e.conftest import Cli

    base = tmp_path_factory.mktemp("baseline")
    cli = Cli(base)
    out = cli("run", *TRAIN, "+drift.alerts=[{kind: file, path: alerts.jsonl}]")
    assert out.returncode == 0, out.stderr
    return base, cli.json("show", "latest")


@pytest.fixture
def trained(trained_project, tmp_path):
    base, run = trained_project
    shutil.copytree(base / "runs", tmp_path / "runs")
    return run


def _batch(tmp_path, name, rows=5000, seed=11, drift=None, edit=None):
    frame = generate_loans(rows, seed, drift or {})
    if edit is not None:
        frame = edit(frame)
    path = tmp_path / name
    frame.write_parquet(path)
    return name


def test_undrifted_batch_exit_0_and_recorded(cli, tmp_path, trained):
    name = _batch(tmp_path, "same.parquet")
    out = cli("drift", name)
    assert out.returncode == 0, out.stderr
    assert "no drift" in out.stdout
    with sqlite3.connect(tmp_path / "runs" / "lineage.db") as con:
        checks = con.execute("select baseline_run_id, drifted, n_rows from drift_checks").fetchall()
        n_results = con.execute("select count(*) from drift_results").fetchone()[0]
    assert checks == [(trained["id"], 0, 5000)]
    assert n_results == 17
    assert not (tmp_path / "alerts.jsonl").exists()


def test_drifted_batch_exit_1_json_report_and_alert(cli, tmp_path, trained):
    shifted = ["annual_income", "credit_score", "loan_amount", "debt_to_income", "utilization",
               "employment_years", "interest_rate", "num_open_accounts", "age"]
    name = _batch(tmp_path, "moved.parquet", drift={c: 0.5 for c in shifted},
                  edit=lambda f: f.with_columns(pl.col("credit_score").clip(300, 850),
                                                pl.col("age").clip(18, 120)))
    out = cli("drift", name, "--json", "--report", "drift.html")
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert doc["drifted"] is True and doc["baseline_run"] == trained["id"]
    flagged = {c["column"] for c in doc["columns"] if c["drifted"]}
    assert flagged == set(shifted)
    for c in doc["columns"]:
        assert {"column", "type", "test", "statistic", "p_value", "effect_size", "threshold",
                "drifted"} <= set(c)
    assert doc["share"] == pytest.approx(len(shifted) / len(doc["columns"]))
    assert doc["output"] is not None and "columns" in doc["output"]
    html = (tmp_path / "drift.html").read_text()
    assert html.count("<svg") >= len(doc["columns"])
    alert = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert len(alert) == 1 and set(alert[0]["drifted_columns"]) == set(shifted)


def test_extra_columns_are_ignored_and_reported(cli, tmp_path, trained):
    name = _batch(tmp_path, "extra.parquet", edit=lambda f: f.with_columns(pl.lit(1).alias("new_col")))
    out = cli("drift", name, "--json")
    assert out.returncode == 0, out.stderr
    assert "new_col" in json.loads(out.stdout)["extra_columns"]


def test_batch_without_target_is_fine(cli, tmp_path, trained):
    name = _batch(tmp_path, "unlabelled.parquet", edit=lambda f: f.drop("default"))
    out = cli("drift", name, "--json")
    assert out.returncode == 0, out.stderr
    assert "default" not in {c["column"] for c in json.loads(out.stdout)["columns"]}


BAD = [
    pytest.param(lambda f: f.drop("grade"), ["grade"], id="missing-feature"),
    pytest.param(lambda f: f.with_columns(pl.col("region").cast(pl.Categorical).to_physical()
                                          .cast(pl.Int64).alias("region")), ["region"],
                 id="other-dtype"),
    pytest.param(lambda f: f.head(0), ["no rows"], id="empty-batch"),
    pytest.param(lambda f: f.with_columns(pl.lit(None, dtype=pl.Float64).alias("utilization")),
                 ["utilization"], id="all-null-column"),
]


@pytest.mark.parametrize(("edit", "fragments"), BAD)
def test_bad_batch(cli, tmp_path, trained, edit, fragments):
    name = _batch(tmp_path, "bad.parquet", edit=edit)
    out = cli("drift", name, "--no-output")
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftline: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    with sqlite3.connect(tmp_path / "runs" / "lineage.db") as con:
        assert con.execute("select count(*) from drift_checks").fetchone()[0] == 0


def test_unknown_and_failed_baselines(cli, tmp_path):
    name = _batch(tmp_path, "b.parquet", rows=500)
    out = cli("drift", name)
    assert out.returncode == 2 and "no run has succeeded yet" in out.stderr
    assert cli("run", "data.rows=500", "target=nope").returncode == 2
    failed = cli("drift", name, "--baseline", "latest")
    assert failed.returncode == 2 and "is failed; a drift baseline must be a succeeded run" in failed.stderr
    unknown = cli("drift", name, "--baseline", "abcdef12")
    assert unknown.returncode == 2 and "no run matches 'abcdef12'" in unknown.stderr


def test_baseline_without_profiles(cli, tmp_path, trained):
    with sqlite3.connect(tmp_path / "runs" / "lineage.db") as con:
        con.execute("delete from column_profiles")
    name = _batch(tmp_path, "b.parquet", rows=500)
    out = cli("drift", name)
    assert out.returncode == 2
    assert "has no recorded profile (it was recorded before profiles existed)" in out.stderr


def test_promoted_alias_is_the_default_baseline(cli, tmp_path, trained):
    assert cli("run", *TRAIN, "seed=5").returncode == 0
    assert cli("promote", trained["id"], "production").returncode == 0
    name = _batch(tmp_path, "b.parquet", rows=2000)
    doc = json.loads(cli("drift", name, "--json").stdout)
    assert doc["baseline_run"] == trained["id"]
