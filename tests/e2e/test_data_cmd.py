"""``driftline data synthetic``: batches with known drift, written atomically; bad input exits 2."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

ROWS = 20_000
SEED = 11
CATEGORY_SHIFT = 0.3


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    """The same seed written plain (Parquet and CSV) and with drift (Parquet)."""
    from tests.e2e.conftest import Cli

    folder = tmp_path_factory.mktemp("batches")
    cli = Cli(folder)
    runs = {
        "plain": cli("data", "synthetic", "--rows", str(ROWS), "--seed", str(SEED),
                     "--out", "plain.parquet"),
        "csv": cli("data", "synthetic", "--rows", str(ROWS), "--seed", str(SEED),
                   "--out", "out/plain.CSV"),
        "drifted": cli("data", "synthetic", "--rows", str(ROWS), "--seed", str(SEED),
                       "--drift", "credit_score=0.5", "annual_income=-1.0",
                       "--drift", f"grade={CATEGORY_SHIFT}", "--out", "drifted.parquet"),
    }
    for out in runs.values():
        assert out.returncode == 0, out.stderr
    return folder, runs


def test_reports_what_it_wrote(batches):
    _, runs = batches
    assert runs["drifted"].stdout.strip() == (
        f"wrote {ROWS:,} rows x 18 columns to drifted.parquet (seed {SEED}, drift: "
        f"credit_score=+0.5, annual_income=-1, grade=+0.3)")
    assert runs["plain"].stderr == ""


def test_files_have_the_rows_and_columns(batches):
    folder, _ = batches
    plain = pl.read_parquet(folder / "plain.parquet")
    csv = pl.read_csv(folder / "out" / "plain.CSV", try_parse_dates=True)
    assert plain.height == csv.height == ROWS
    assert csv.columns == plain.columns and len(plain.columns) == 18
    assert {"credit_score", "grade", "default", "application_date"} <= set(plain.columns)
    assert csv["credit_score"].to_list() == plain["credit_score"].to_list()
    assert csv["grade"].to_list() == plain["grade"].to_list()
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == [
        "drifted.parquet", "plain.CSV", "plain.parquet"]  # no temp files left


@pytest.mark.parametrize("column, shift", [("credit_score", 0.5), ("annual_income", -1.0)])
def test_numeric_columns_move_by_shift_times_std(batches, column, shift):
    folder, _ = batches
    plain = pl.read_parquet(folder / "plain.parquet")[column].drop_nulls().to_numpy()
    drifted = pl.read_parquet(folder / "drifted.parquet")[column].drop_nulls().to_numpy()
    std = np.std(plain.astype(float))
    assert (drifted.mean() - plain.mean()) / std == pytest.approx(shift, abs=0.01)
    assert np.std(drifted.astype(float)) == pytest.approx(std, rel=0.01)


def test_categorical_shares_move_towards_rare_categories(batches):
    folder, _ = batches
    plain = pl.read_parquet(folder / "plain.parquet")["grade"].to_numpy()
    drifted = pl.read_parquet(folder / "drifted.parquet")["grade"].to_numpy()
    levels = sorted(set(plain) | set(drifted))
    counts = np.array([(plain == g).sum() for g in levels], dtype=float)
    p = counts / counts.sum()
    rare = 1.0 / (counts + 1.0)
    expected = (1 - CATEGORY_SHIFT) * p + CATEGORY_SHIFT * rare / rare.sum()
    observed = np.array([(drifted == g).mean() for g in levels])
    assert np.abs(observed - expected).max() < 0.015
    assert np.abs(observed - p).max() > 0.05  # the change is real, not noise


def test_undrifted_columns_are_untouched(batches):
    folder, _ = batches
    plain = pl.read_parquet(folder / "plain.parquet")
    drifted = pl.read_parquet(folder / "drifted.parquet")
    same = [c for c in plain.columns if c not in ("credit_score", "annual_income", "grade",
                                                   "default")]
    assert drifted.select(same).equals(plain.select(same))


@pytest.mark.parametrize("args, expected", [
    pytest.param(["--out", "x.txt"], "cannot tell the file type of --out 'x.txt': use a name "
                 "ending in .parquet or .csv", id="bad-extension"),
    pytest.param(["--drift", "credit_score", "--out", "x.csv"],
                 "bad --drift 'credit_score': expected COLUMN=SHIFT with a finite number, "
                 "e.g. --drift credit_score=0.5", id="drift-without-shift"),
    pytest.param(["--drift", "credit_score=lots", "--out", "x.csv"],
                 "bad --drift 'credit_score=lots'", id="drift-not-a-number"),
    pytest.param(["--drift", "age=nan", "--out", "x.csv"], "bad --drift 'age=nan'",
                 id="drift-nan"),
    pytest.param(["--drift", "age=1", "age=2", "--out", "x.csv"],
                 "--drift names column 'age' twice", id="drift-twice"),
    pytest.param(["--drift", "credit_scor=0.5", "--out", "x.csv"],
                 "cannot drift column 'credit_scor' (key: data.drift): not a feature of the "
                 "synthetic table. Did you mean: credit_score?", id="unknown-column"),
    pytest.param(["--drift", "grade=1.5", "--out", "x.csv"],
                 "drift shift for categorical column 'grade' must be in 0..1", id="category-shift"),
    pytest.param(["--rows", "0", "--out", "x.csv"], "--rows must be at least 1, got 0",
                 id="zero-rows"),
    pytest.param(["--seed", "-3", "--out", "x.csv"],
                 "--seed must be a non-negative integer, got -3", id="negative-seed"),
    pytest.param(["--rows", "many", "--out", "x.csv"], "argument --rows: invalid int value",
                 id="rows-not-a-number"),
    pytest.param(["--rows", "10"], "the following arguments are required: --out",
                 id="no-out"),
])
def test_bad_input_is_one_line_and_exit_2(cli, args, expected):
    out = cli("data", "synthetic", *args)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftline: error: ")
    assert expected in lines[0]
    assert list(cli.cwd.iterdir()) == []  # nothing written, no temp file left


def test_unwritable_out_is_one_line_and_leaves_old_file(cli):
    (cli.cwd / "ro").mkdir()
    target = cli.cwd / "ro" / "a.csv"
    target.write_text("old\n")
    (cli.cwd / "ro" / "a.csv.parquet").mkdir()  # a folder where the file should go
    out = cli("data", "synthetic", "--rows", "5", "--out", "ro/a.csv.parquet")
    assert out.returncode == 2
    assert out.stderr.strip().startswith("driftline: error: cannot write --out ro/a.csv.parquet:")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in (cli.cwd / "ro").iterdir()) == ["a.csv", "a.csv.parquet"]


def test_data_without_subcommand_is_a_usage_error(cli):
    out = cli("data")
    assert out.returncode == 2
    assert "required: SUBCOMMAND" in out.stderr
