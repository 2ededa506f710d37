"""`driftline drift` end to end: verdicts, exit codes, recording, reports, alerts, bad input."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from driftline.plugins.sources.synthetic import generate_loans

ROOT = Path(__file__).resolve().parents[2]

TRAIN = ["data.rows=6000", "model.num_boost_round=20"]


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory):
    """One trained baseline for the module; each test gets a copy of its runs/ folder."""
    from tests.e2e.conftest import Cli

    base = tmp_path_factory.mktemp("baseline")
    cli = Cli(base)
    out = cli("run", *TRAIN)
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
    assert n_results == 16  # the features; the target is reported as the label
    assert not (tmp_path / "alerts.jsonl").exists()


def test_drifted_batch_exit_1_json_report_and_alert(cli, tmp_path, trained):
    shifted = ["annual_income", "credit_score", "loan_amount", "debt_to_income", "utilization",
               "employment_years", "interest_rate", "num_open_accounts", "age"]
    name = _batch(tmp_path, "moved.parquet", drift={c: 0.5 for c in shifted},
                  edit=lambda f: f.with_columns(pl.col("credit_score").clip(300, 850),
                                                pl.col("age").clip(18, 120)))
    out = cli("drift", name, "--json", "--report", "drift.html",
              "drift.alerts=[{kind: file, path: alerts.jsonl}]")
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


def _importance_share(run: dict, columns: set[str]) -> float:
    """The drifted columns' share of the gain importance, from the recorded model summary."""
    gains = run["model"]["summary"]["feature_importance"]
    return sum(g for c, g in gains.items() if c in columns) / sum(gains.values())


def test_one_moved_feature_column_is_drift_with_its_importance_share(cli, tmp_path, trained):
    """Issue 11: one column that drifted is enough for exit 1 (it was 'half the columns')."""
    name = _batch(tmp_path, "income.parquet", drift={"annual_income": 0.5})
    out = cli("drift", name, "--json")
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert [c["column"] for c in doc["columns"] if c["drifted"]] == ["annual_income"]
    assert doc["reasons"] == ["feature column drifted: annual_income"]
    assert doc["importance_share"] == pytest.approx(_importance_share(trained, {"annual_income"}),
                                                    rel=1e-12)
    assert 0 < doc["importance_share"] < 1
    text = cli("drift", name).stdout.splitlines()[-1]
    percent = f"{doc['importance_share'] * 100:.0f}% of feature importance"
    assert text == (f"drift detected: 1 of {len(doc['columns'])} columns "
                    f"({100 / len(doc['columns']):.0f}%, {percent}) drifted; "
                    "feature column drifted: annual_income")


def test_a_feature_outside_its_training_range_is_drift(cli, tmp_path, trained):
    # Ages 105-114: valid for the schema (18-120), above every age the model trained on.
    name = _batch(tmp_path, "old.parquet",
                  edit=lambda f: f.with_columns((pl.col("age") % 10 + 105).alias("age")))
    out = cli("drift", name, "--json", "--no-output")
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    assert "age" in {c["column"] for c in doc["columns"] if c["drifted"]}
    assert doc["drifted"] is True


def test_settings_are_chosen_at_check_time(cli, tmp_path, trained):
    """Overrides on the command line, no retraining; the settings used are recorded."""
    name = _batch(tmp_path, "income.parquet", drift={"annual_income": 0.5})
    lenient = cli("drift", name, "drift.share=0.5", "--no-output")
    assert lenient.returncode == 0, lenient.stderr
    assert lenient.stdout.splitlines()[-1].startswith(
        "no drift: 1 of 16 columns (6%, ") and "below the verdict rule (at least 50% of the " \
        "columns, or any critical column, or the model output)" in lenient.stdout
    critical = cli("drift", name, "drift.share=0.5", "drift.critical=[annual_income]",
                   "--no-output", "--json")
    assert critical.returncode == 1, critical.stderr
    assert json.loads(critical.stdout)["reasons"] == ["critical column drifted: annual_income"]
    tight = cli("drift", _batch(tmp_path, "same.parquet"), "drift.numeric_margin=0",
                "drift.alpha=0.9999", "--json", "--no-output")
    assert json.loads(tight.stdout)["settings"]["numeric_margin"] == 0
    with sqlite3.connect(tmp_path / "runs" / "lineage.db") as con:
        stored = [json.loads(row[0]) for row in
                  con.execute("select settings_json from drift_checks order by rowid")]
    assert [(s["share"], s["critical"], s["numeric_margin"]) for s in stored] == [
        (0.5, [], 0.05), (0.5, ["annual_income"], 0.05), (None, [], 0.0)]


def test_the_projects_current_drift_config_applies_without_retraining(cli, tmp_path, trained):
    """conf/drift edited after training changes the next check (it was frozen in the run)."""
    name = _batch(tmp_path, "income.parquet", drift={"annual_income": 0.5})
    assert cli("drift", name, "--no-output").returncode == 1
    packaged = ROOT / "plugins" / "conf"
    (tmp_path / "conf" / "drift").mkdir(parents=True)   # the folder becomes a project
    shutil.copy2(packaged / "config.yaml", tmp_path / "conf" / "config.yaml")
    drift = (packaged / "drift" / "default.yaml").read_text()
    assert "\nshare: null\n" in drift
    (tmp_path / "conf" / "drift" / "default.yaml").write_text(
        drift.replace("\nshare: null\n", "\nshare: 0.5\n"))
    out = cli("drift", name, "--no-output", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["settings"]["share"] == 0.5


@pytest.mark.parametrize(("override", "fragment"), [
    ("model.num_leaves=3", "'model.num_leaves=3' is not a drift setting"),
    ("drift.nope=1", "unknown config key 'drift.nope'"),
    ("drift.share=7", "drift.share"),
])
def test_bad_check_time_settings_exit_2_and_record_nothing(cli, tmp_path, trained, override,
                                                          fragment):
    name = _batch(tmp_path, "b.parquet", rows=500)
    out = cli("drift", name, override)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], lines
    with sqlite3.connect(tmp_path / "runs" / "lineage.db") as con:
        assert con.execute("select count(*) from drift_checks").fetchone()[0] == 0


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
