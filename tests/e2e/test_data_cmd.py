"""``driftline data synthetic``: batches with known drift, written atomically; bad input exits 2.

``driftline schema infer``: read options (``--null-values``, ``data.KEY=VALUE``), no exact
range for id and year columns, and a later batch passing the written schema.
"""

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


# -- driftline schema infer ---------------------------------------------------------------
def _loans_csv(path, first_id: int, first_year: int, seed: int) -> pl.DataFrame:
    """A CSV batch: an id, a year, integers with NA, a measured float and a category."""
    rng = np.random.default_rng(seed)
    n = 500
    frame = pl.DataFrame({
        "id": np.arange(first_id, first_id + n),
        "origination_year": first_year + np.sort(rng.integers(0, 2, n)),
        "open_accounts": pl.Series(rng.integers(0, 20, n)).set(pl.Series(rng.random(n) < 0.2),
                                                              None),
        "amount": np.round(rng.uniform(100, 900, n), 2),
        "grade": np.array(list("ABC"))[rng.integers(0, 3, n)],
    })
    frame.write_csv(path, null_value="NA")
    return frame


@pytest.fixture(scope="module")
def inferred(tmp_path_factory):
    from tests.e2e.conftest import Cli

    folder = tmp_path_factory.mktemp("infer")
    first = _loans_csv(folder / "first.csv", 1, 2019, seed=1)
    out = Cli(folder)("schema", "infer", "first.csv", "--null-values", "NA")
    assert out.returncode == 0, out.stderr
    return folder, first, out


def _yaml_schema(text):
    from omegaconf import OmegaConf

    from driftline.engine import Registry
    from driftline.plugins.schemas import YamlSchema

    node = OmegaConf.to_container(OmegaConf.create(text), resolve=True)
    reg = Registry()
    reg.add("schema", "yaml", YamlSchema)
    return node, reg.create("schema", node, where="schema").build()


def _read(path):
    from driftline.engine import Registry
    from driftline.engine.data.files import read_data_file

    return read_data_file(Registry.from_environment(), str(path), overrides={"null_values": ["NA"]})


def test_schema_infer_reads_na_as_null_and_leaves_ids_and_years_open(inferred):
    _, first, out = inferred
    assert out.stdout.splitlines()[0] == ("# Schema inferred by driftline from first.csv "
                                          "(500 rows; read with data.null_values=[NA]).")
    node, _ = _yaml_schema(out.stdout)
    cols = node["columns"]
    assert cols["open_accounts"]["dtype"] == "Int64" and cols["open_accounts"]["nullable"] is True
    assert cols["id"] == {"dtype": "Int64", "nullable": False}
    assert cols["origination_year"] == {"dtype": "Int64", "nullable": False}
    assert cols["amount"]["checks"] == {"in_range": {"min": first["amount"].min(),
                                                     "max": first["amount"].max()}}
    assert cols["grade"]["checks"] == {"isin": ["A", "B", "C"]}
    lines = out.stdout.splitlines()
    assert "identifier" in lines[lines.index("  id:") - 1]
    assert "calendar year" in " ".join(lines[lines.index("  origination_year:") - 2:
                                             lines.index("  origination_year:")])


def test_without_null_values_na_integers_are_text_and_the_yaml_says_why(inferred):
    from tests.e2e.conftest import Cli

    folder, _, _ = inferred
    out = Cli(folder)("schema", "infer", "first.csv")
    assert out.returncode == 0, out.stderr
    node, _ = _yaml_schema(out.stdout)
    assert node["columns"]["open_accounts"]["dtype"] == "String"
    lines = out.stdout.splitlines()
    at = lines.index("  open_accounts:")
    hint = " ".join(line.strip("# ") for line in lines[at - 2:at])
    assert "values are numbers, the others 'NA'" in hint and "--null-values" in hint


def test_a_later_batch_with_new_ids_and_years_passes_the_inferred_schema(inferred):
    import pandera.errors as pe

    folder, first, out = inferred
    _, schema = _yaml_schema(out.stdout)
    _loans_csv(folder / "later.csv", 10_000, 2025, seed=2)
    later = _read(folder / "later.csv").with_columns(
        pl.col("amount").clip(first["amount"].min(), first["amount"].max()),
        pl.col("open_accounts").clip(first["open_accounts"].min(), first["open_accounts"].max()))
    assert schema.validate(later, lazy=True).equals(later)
    with pytest.raises(pe.SchemaErrors):  # the measured range still holds
        schema.validate(later.with_columns(pl.col("amount") * 10), lazy=True)


def test_schema_infer_takes_read_overrides_like_drift(inferred):
    from tests.e2e.conftest import Cli

    folder, _, by_option = inferred
    (folder / "semi.csv").write_text((folder / "first.csv").read_text().replace(",", ";"))
    out = Cli(folder)("schema", "infer", "semi.csv", "--max-categories", "2", "data.separator=';'",
                      "data.null_values=[NA]")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == ("# Schema inferred by driftline from semi.csv (500 "
                                          "rows; read with data.separator=';' "
                                          "data.null_values=[NA]).")
    node, _ = _yaml_schema(out.stdout)
    expected, _ = _yaml_schema(by_option.stdout)
    del expected["columns"]["grade"]["checks"]  # three grades, more than --max-categories 2
    assert node == expected


@pytest.mark.parametrize("args, expected", [
    pytest.param(["first.csv", "--null-values", ","], "--null-values needs at least one value",
                 id="empty-null-values"),
    pytest.param(["x.parquet", "--null-values", "NA"], "--null-values does not apply to "
                 "x.parquet: the parquet source that reads it has no null_values setting",
                 id="null-values-on-parquet"),
    pytest.param(["missing.csv", "--null-values", "NA"], "no file missing.csv",
                 id="missing-file"),
    pytest.param(["first.csv", "--max-categories", "-1"], "--max-categories must be 0 or more",
                 id="negative-max-categories"),
    pytest.param(["first.csv", "--max-categories", "many"],
                 "argument --max-categories: invalid int value", id="max-categories-not-a-number"),
    pytest.param(["first.csv", "data.null_values=NA"], "wrong type for DATA.null_values",
                 id="null-values-not-a-list"),
    pytest.param(["first.csv", "data.nul_values=[NA]"], "Did you mean: null_values?",
                 id="unknown-read-setting"),
    pytest.param(["first.csv", "model.x=1"], "'model.x=1' is not a read setting",
                 id="not-a-read-setting"),
])
def test_schema_infer_bad_input_is_one_line_and_exit_2(inferred, args, expected):
    from tests.e2e.conftest import Cli

    folder, first, _ = inferred
    first.write_parquet(folder / "x.parquet")
    out = Cli(folder)("schema", "infer", *args)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftline: error: "), out.stderr
    assert expected in lines[0]
    assert out.stdout == ""
