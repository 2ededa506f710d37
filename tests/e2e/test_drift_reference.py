"""`driftline drift`: what a batch is compared with -- the label apart from the features,
the reference profile chosen by ``drift.reference``, columns that are not profiled."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3

import numpy as np
import polars as pl
import pytest
from scipy import stats

from driftline.plugins.sources.synthetic import generate_loans

TRAIN = ["data.rows=6000", "model.num_boost_round=20"]


@pytest.fixture(scope="module")
def trained_project(tmp_path_factory):
    from tests.e2e.conftest import Cli

    base = tmp_path_factory.mktemp("baseline")
    out = Cli(base)("run", *TRAIN)
    assert out.returncode == 0, out.stderr
    return base, Cli(base).json("show", "latest")


@pytest.fixture
def trained(trained_project, tmp_path):
    base, run = trained_project
    shutil.copytree(base / "runs", tmp_path / "runs")
    return run


def test_the_label_is_its_own_section_typed_by_the_task(cli, tmp_path, trained):
    training = generate_loans(6000, trained["config"]["seed"])
    batch = generate_loans(5000, 11)
    # Prior shift: 1,000 more defaults (14% -> 34%), the features untouched.
    flip = np.flatnonzero(batch["default"].to_numpy() == 0)[:1000]
    labels = batch["default"].to_numpy().copy()
    labels[flip] = 1
    batch.with_columns(pl.Series("default", labels)).write_parquet(tmp_path / "labelled.parquet")

    out = cli("drift", "labelled.parquet", "--json")
    assert out.returncode == 0, out.stdout + out.stderr  # label drift is not a feature's
    doc = json.loads(out.stdout)
    assert "default" not in [c["column"] for c in doc["columns"]]
    assert doc["reasons"] == []
    [label] = doc["label"]["columns"]
    assert (label["column"], label["type"], label["test"]) == ("default", "categorical", "chi2")
    assert doc["label"]["drifted"] is True and label["drifted"] is True
    # Independent: Pearson chi-square of homogeneity on the 2x2 table of label counts
    # (the reference is the whole development data: every training row).
    ref = [int((training["default"] == v).sum()) for v in (0, 1)]
    cur = [int((labels == v).sum()) for v in (0, 1)]
    expected = stats.chi2_contingency([ref, cur], correction=False)
    assert label["statistic"] == pytest.approx(expected.statistic, rel=1e-9)
    assert label["p_value"] == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-300)

    table = cli("drift", "labelled.parquet")
    assert "label (the target column, not a feature):" in table.stdout
    assert "label drifted: default (reported, not part of the verdict" in table.stdout
    strict = cli("drift", "labelled.parquet", "drift.label_critical=true")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "label drifted: default" in strict.stdout.splitlines()[-1]


def test_a_batch_without_labels_says_label_drift_was_not_checked(cli, tmp_path, trained):
    generate_loans(3000, 5).drop("default").write_parquet(tmp_path / "unlabelled.parquet")
    out = cli("drift", "unlabelled.parquet", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert doc["label"]["drifted"] is None and "no labels" in doc["label"]["note"]
    assert len(doc["columns"]) == 16


def test_a_date_column_is_not_compared_and_says_why(cli, tmp_path, trained):
    generate_loans(3000, 5).write_parquet(tmp_path / "batch.parquet")
    doc = json.loads(cli("drift", "batch.parquet", "--json").stdout)
    assert "application_date" not in doc["extra_columns"]
    assert any(n.startswith("not compared: application_date (Date") for n in doc["notes"])
    text = cli("drift", "batch.parquet").stdout
    assert "not in the baseline" not in text


def test_every_split_and_the_whole_data_are_profiled(cli, tmp_path, trained):
    with sqlite3.connect(tmp_path / "runs" / "lineage.db") as con:
        rows = con.execute("select role, count(*), max(json_extract(profile_json, '$.count')) "
                           "from column_profiles where run_id = ? group by role",
                           (trained["id"],)).fetchall()
    by_role = {role: (n, count) for role, n, count in rows}
    # 16 features and the target per data role; two output columns.
    assert {r: n for r, (n, _) in by_role.items()} == {"train": 17, "valid": 17, "test": 17,
                                                        "all": 17, "output": 2}
    splits = sum(by_role[r][1] for r in ("train", "valid", "test"))
    assert by_role["all"][1] == splits == 6000


def _calendar_data(start: dt.date, months: int, rows: int, seed: int) -> pl.DataFrame:
    """Loans dated uniformly over whole months from ``start``, with the day of the month."""
    rng = np.random.default_rng(seed)
    end = dt.date(start.year + (start.month - 1 + months) // 12,
                  (start.month - 1 + months) % 12 + 1, 1)
    days = rng.integers(0, (end - start).days, size=rows)
    dates = [start + dt.timedelta(days=int(d)) for d in days]
    frame = generate_loans(rows, seed).drop("application_date")
    return frame.with_columns(pl.Series("application_date", dates),
                              pl.Series("day", [d.day for d in dates], dtype=pl.Int64))


def test_reference_all_spares_a_calendar_column_a_time_split_cuts(cli, tmp_path):
    # Four whole months; the test part starts mid-March, so the train split holds days
    # 1-15 of its last month only: its day-of-month distribution leans low.
    _calendar_data(dt.date(2025, 1, 1), 4, 12000, 3).write_parquet(tmp_path / "history.parquet")
    _calendar_data(dt.date(2025, 5, 1), 2, 6000, 4).write_parquet(tmp_path / "later.parquet")
    out = cli("run", "data=parquet", "data.path=history.parquet", "split=time",
              "split.test_from=2025-03-16", "model.num_boost_round=10", "schema=none")
    assert out.returncode == 0, out.stderr

    def day_result(*overrides: str) -> dict:
        doc = json.loads(cli("drift", "later.parquet", "--json", *overrides).stdout)
        return doc["reference"], next(c for c in doc["columns"] if c["column"] == "day")

    reference, day = day_result()
    assert reference == "all" and day["drifted"] is False
    reference, day = day_result("drift.reference=train")
    assert reference == "train" and day["drifted"] is True
    reference, _ = day_result("drift.reference=test")
    assert reference == "test"
    bad = cli("drift", "later.parquet", "drift.reference=everything")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "drift.reference" in bad.stderr
