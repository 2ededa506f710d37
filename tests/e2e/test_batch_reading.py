"""A batch is read the way the baseline run read its training data; `lineage` finds the
runs that used a file, or says why not; a failing transform names itself and its columns."""

from __future__ import annotations

import json

import polars as pl

from driftline.engine.lineage.datahash import hash_frame
from driftline.plugins.sources.synthetic import generate_loans

CSV_RUN = ["run", "data=csv", "data.path=train.csv", "data.null_values=[NA]", "schema=none",
           "model.num_boost_round=10", "metrics.slice_by=[]"]


def _write_csv_with_na(frame: pl.DataFrame, path, every: int = 7) -> None:
    """``frame`` as CSV with every ``every``-th age written as NA (an integer column)."""
    ages = [("NA" if i % every == 0 else str(v)) for i, v in enumerate(frame["age"])]
    frame.with_columns(pl.Series("age", ages)).write_csv(path)


def test_a_batch_csv_is_read_with_the_training_sources_settings(cli, tmp_path):
    _write_csv_with_na(generate_loans(4000, 1), tmp_path / "train.csv")
    _write_csv_with_na(generate_loans(3000, 2), tmp_path / "batch.csv")
    out = cli(*CSV_RUN)
    assert out.returncode == 0, out.stderr

    out = cli("drift", "batch.csv", "--json")
    assert out.returncode == 0, out.stdout + out.stderr  # read with null_values [NA]
    doc = json.loads(out.stdout)
    age = next(c for c in doc["columns"] if c["column"] == "age")
    assert age["type"] == "numeric"

    # The same batch with ';' separators: a read override on the command line.
    pl.read_csv(tmp_path / "batch.csv", infer_schema=False).write_csv(
        tmp_path / "semicolons.csv", separator=";")
    out = cli("drift", "semicolons.csv", "data.separator=';'", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["batch"]["hash"] == doc["batch"]["hash"]


def test_lineage_finds_the_runs_that_read_a_csv_with_their_settings(cli, tmp_path):
    _write_csv_with_na(generate_loans(3000, 1), tmp_path / "train.csv")
    assert cli(*CSV_RUN).returncode == 0
    run_id = cli.json("show", "latest")["id"]
    # The hash a run records is of the table as its source read it: independently, polars
    # with the same settings.
    expected = hash_frame(pl.read_csv(tmp_path / "train.csv", null_values=["NA"],
                                      try_parse_dates=True)).hash

    usage = cli.json("lineage", "train.csv")
    assert usage["hash"] == expected
    assert [r["id"] for r in usage["runs"]] == [run_id]
    assert "source" in usage["runs"][0]["roles"]
    assert "null_values=['NA']" in usage["file"]["read_with"]

    # The file changes: lineage says a run read this path, and that the content differs.
    text = (tmp_path / "train.csv").read_text().splitlines()
    (tmp_path / "train.csv").write_text("\n".join(text[:-1]) + "\n")
    out = cli("lineage", "train.csv")
    assert out.returncode == 0, out.stderr
    assert "no run used this data: runs read a file at this path" in out.stdout
    assert "the file changed since they read it" in out.stdout


def test_bad_read_overrides_are_one_line_exit_2(cli, tmp_path):
    generate_loans(500, 1).write_csv(tmp_path / "b.csv")
    for override, fragment in [("data.path=other.csv", "not a read setting"),
                               ("data.separator=;", "bad read override"),
                               ("data.nosuch=1", "nosuch")]:
        out = cli("lineage", "b.csv", override)
        assert out.returncode == 2, (override, out.stdout, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], (override, lines)


def test_a_failing_transform_is_named_with_its_columns_and_the_fix(cli, tmp_path):
    frame = generate_loans(2000, 1)
    ages = ["N/A" if i % 50 == 0 else str(v) for i, v in enumerate(frame["age"])]
    frame.with_columns(pl.Series("age", ages)).write_csv(tmp_path / "train.csv")
    where = "+transforms.adults={kind:sql,query:'SELECT * FROM data WHERE age > 30'}"
    # (Read as text on purpose: left to inference, the csv source itself refuses a numeric
    # column with a stray 'N/A'.)
    out = cli("run", "data=csv", "data.path=train.csv", "schema=none",
              "+data.schema_overrides.age=String", where)
    assert out.returncode == 2, out.stdout + out.stderr
    line = out.stderr.strip().splitlines()[-1]
    assert "transform 'transforms.adults' failed on age (String)" in line
    assert "data.null_values" in line
    assert cli.json("runs")[0]["status"] == "failed"
