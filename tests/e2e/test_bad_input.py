"""Bad input: one clear line on stderr, exit code 2, nothing recorded as succeeded, no model."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.e2e.conftest import store_rows

QUICK = ["model.num_boost_round=5"]


def _loans(rows: int = 1500) -> pl.DataFrame:
    from driftline.plugins.sources.synthetic import generate_loans

    return generate_loans(rows, 7)


def write_files(folder: Path) -> None:
    (folder / "empty.csv").write_bytes(b"")
    _loans(0).write_csv(folder / "header_only.csv")
    (folder / "corrupt.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 50 + b"PAR1")
    frame = _loans(1500)
    text = frame.with_columns(pl.col("annual_income").cast(pl.String))
    text = text.with_columns(
        pl.when(pl.int_range(pl.len()) == 1200).then(pl.lit("n/a"))
        .otherwise(pl.col("annual_income")).alias("annual_income"))
    text.write_csv(folder / "turns_text.csv")
    bad = frame.with_columns(pl.when(pl.int_range(pl.len()) % 100 == 0).then(5)
                             .otherwise(pl.col("age")).alias("age"))
    bad.write_csv(folder / "young.csv")


CASES = [
    pytest.param(["data=csv", "data.path=missing.csv"], ["missing.csv", "data.path"], True,
                 id="missing-file"),
    pytest.param(["data=csv", "data.path=empty.csv"], ["empty.csv", "empty"], True, id="empty-file"),
    pytest.param(["data=csv", "data.path=header_only.csv"], ["header_only.csv", "no rows"], True,
                 id="header-only-csv"),
    pytest.param(["data=parquet", "data.path=corrupt.parquet"], ["corrupt.parquet"], True,
                 id="corrupt-parquet"),
    pytest.param(["data=csv", "data.path=turns_text.csv"], ["annual_income"], True,
                 id="csv-column-turns-text"),
    pytest.param(["data=csv", "data.path=young.csv"], ["schema", "age", "schema_failures.csv"], True,
                 id="schema-violations"),
    pytest.param(["data.kind=parqet"], ["unknown source 'parqet'", "Did you mean: parquet?",
                                        "data.kind"], False, id="unknown-component"),
    pytest.param(["model.params.num_leavs=3"], ["model.params.num_leavs",
                                                "Did you mean: num_leaves?"], False,
                 id="misspelled-parameter-override"),
    pytest.param(["+model.params.num_leavs=3"], ["unknown parameter 'num_leavs'",
                                                 "(key: model.params.num_leavs)",
                                                 "Did you mean: num_leaves?"], False,
                 id="misspelled-parameter-added"),
    pytest.param(["model.params.num_leaves=one"], ["model.params.num_leaves", "expected int"], False,
                 id="wrong-type"),
    pytest.param(["metrics.slice_by=grade"], ["wrong type for metrics.slice_by", "expected a list"], False,
                 id="wrong-type-of-run-key"),
    pytest.param(["+nosuch.key=3"], ["unknown parameter 'nosuch'"], False,
                 id="added-unknown-top-level-key"),
    pytest.param(["target=nope"], ["target column 'nope' is not in the data"], True,
                 id="missing-target"),
    pytest.param(["target=grade"], ["target column 'grade' has 7 distinct values",
                                    "task=binary needs exactly 2"], True, id="target-unfit-for-task"),
    pytest.param(["model=lightgbn"], ["unknown config option 'lightgbn' for group 'model'",
                                      "Did you mean: lightgbm?"], False, id="unknown-group-option"),
    pytest.param(["data=csv"], ["missing value for 'data.path'"], False, id="mandatory-value"),
]


@pytest.mark.parametrize(("overrides", "fragments", "recorded"), CASES)
def test_bad_input(cli, tmp_path, overrides, fragments, recorded):
    write_files(tmp_path)
    out = cli("run", *QUICK, *overrides)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("driftline: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in out.stdout + out.stderr
    store = tmp_path / "runs" / "lineage.db"
    statuses = [s for (s,) in store_rows(store, "select status from runs")]
    assert "succeeded" not in statuses
    assert statuses == (["failed"] if recorded else [])
    if not recorded:  # a config mistake: no run, no run folder, one line on the terminal
        assert [p for p in tmp_path.glob("runs/*/*") if p.is_dir()] == []
        assert "error" not in out.stdout
    else:
        assert "recorded as failed" in out.stdout and "error:" not in out.stdout
    assert list(tmp_path.glob("runs/**/model.txt")) == []
    assert list(tmp_path.glob("runs/**/.*.tmp")) == []


def test_debug_shows_traceback(cli):
    out = cli("run", "--debug", "target=nope", *QUICK)
    assert out.returncode == 2
    assert "Traceback" in out.stderr and "target column 'nope'" in out.stderr


def test_schema_failures_table_has_row_numbers(cli, tmp_path):
    write_files(tmp_path)
    out = cli("run", *QUICK, "data=csv", "data.path=young.csv")
    assert out.returncode == 2
    (failures,) = tmp_path.glob("runs/**/schema_failures.csv")
    table = pl.read_csv(failures)
    young = table.filter(pl.col("column") == "age")
    assert sorted(young["row"].to_list()) == list(range(0, 1500, 100))


def test_unknown_run_reference(cli):
    assert cli("run", *QUICK, "data.rows=500").returncode == 0
    out = cli("show", "ffffffff")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "driftline: error: no run matches 'ffffffff'. List runs with: driftline runs"]


def test_a_config_mistake_is_reported_before_a_data_error(cli, tmp_path):
    """The data is read while the model is built: when both are wrong, the config mistake
    is the error (as if nothing had been read), and no run is recorded."""
    write_files(tmp_path)
    out = cli("run", *QUICK, "data=csv", "data.path=empty.csv", "+model.params.num_leavs=3")
    assert out.returncode == 2
    [line] = out.stderr.strip().splitlines()
    assert "unknown parameter 'num_leavs'" in line and "empty.csv" not in line
    store = tmp_path / "runs" / "lineage.db"
    assert store_rows(store, "select status from runs") == []
    assert store_rows(store, "select count(*) from run_datasets") in ([], [(0,)])


@pytest.mark.parametrize("args", [["show", "ffffffff"], ["runs", "--sort", "test/nope"],
                                  ["drift", "nosuch.parquet"], ["lineage", "nosuch.csv"]])
def test_json_output_of_an_error_is_a_json_error_object(cli, args):
    assert cli("run", *QUICK, "data.rows=500").returncode == 0
    out = cli(*args, "--json")
    assert out.returncode == 2
    import json

    error = json.loads(out.stdout)["error"]
    assert error["exit_code"] == 2 and error["type"].endswith("Error")
    assert out.stderr.strip() == f"driftline: error: {error['message']}"
