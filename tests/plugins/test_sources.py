"""Tests for plugins/sources/: the synthetic generator, CSV/Parquet files, SQL, and their options."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import polars as pl
import pytest
from omegaconf import OmegaConf
from polars.testing import assert_frame_equal
from sklearn.metrics import roc_auc_score

from driftline.engine import ConfigError, DataError, Registry, RunContext
from driftline.engine.components.params import parse_params
from driftline.plugins.sources import synthetic as S
from driftline.plugins.sources.files import CsvSource, ParquetSource
from driftline.plugins.sources.sql import SqlSource

CONF = Path(S.__file__).parents[1] / "conf" / "data"

# The column contract of notes/demo_table.md, written out independently of the module.
CONTRACT = [
    ("application_date", pl.Date), ("age", pl.Int64), ("annual_income", pl.Float64),
    ("loan_amount", pl.Float64), ("interest_rate", pl.Float64), ("term_months", pl.Int64),
    ("debt_to_income", pl.Float64), ("credit_score", pl.Int64), ("num_open_accounts", pl.Int64),
    ("delinquencies_2y", pl.Int64), ("employment_years", pl.Float64), ("utilization", pl.Float64),
    ("grade", pl.String), ("purpose", pl.String), ("home_ownership", pl.String),
    ("region", pl.String), ("employment_type", pl.String), ("default", pl.Int64),
]
NULL_SHARES = {"annual_income": 0.03, "debt_to_income": 0.02, "employment_years": 0.05,
               "employment_type": 0.04}


@pytest.fixture(scope="module")
def big() -> pl.DataFrame:
    return S.generate_loans(200_000, 11)


def source(cls, **params):
    return cls(parse_params(cls.Params, params, where="data"))


def load(cls, ctx: RunContext, **params) -> pl.DataFrame:
    out = source(cls, **params).load(ctx)
    return out.collect() if isinstance(out, pl.LazyFrame) else out


# -- synthetic: contract ----------------------------------------------------------------
def test_synthetic_columns_and_dtypes_follow_the_contract():
    frame = S.generate_loans(500, 1)
    assert list(frame.schema.items()) == CONTRACT
    assert S.TARGET == "default"
    assert set(S.CATEGORICAL_COLUMNS) == {c for c, t in CONTRACT if t == pl.String}
    assert list(S.FEATURE_COLUMNS) == [c for c, _ in CONTRACT][1:-1]


def test_synthetic_values_stay_in_their_ranges(big):
    f = big
    assert f["application_date"].min() >= dt.date(2024, 1, 1)
    assert f["application_date"].max() <= dt.date(2025, 12, 31)
    assert f["application_date"].is_sorted()
    assert f["application_date"].n_unique() == 731  # every day of both years is used
    assert 18 <= f["age"].min() and f["age"].max() <= 80
    assert 300 <= f["credit_score"].min() and f["credit_score"].max() <= 850
    assert 3 <= f["interest_rate"].min() and f["interest_rate"].max() <= 30
    assert 0 <= f["utilization"].min() and f["utilization"].max() <= 1.5
    assert f["loan_amount"].min() > 0
    for col in ("debt_to_income", "employment_years", "num_open_accounts", "delinquencies_2y"):
        assert f[col].min() >= 0, col
    assert set(f["term_months"].unique()) == {36, 60}
    assert set(f["default"].unique()) == {0, 1}
    assert set(f["grade"].unique()) == set("ABCDEFG")
    assert set(f["purpose"].unique()) == {"debt_consolidation", "credit_card", "home_improvement",
                                          "car", "medical", "small_business", "other"}
    assert set(f["home_ownership"].unique()) == {"RENT", "OWN", "MORTGAGE"}
    assert set(f["region"].unique()) == {"north", "south", "east", "west"}
    assert set(f["employment_type"].drop_nulls().unique()) == {"salaried", "self_employed",
                                                               "unemployed", "retired"}
    # interest rate rises with grade
    by_grade = f.group_by("grade").agg(pl.col("interest_rate").mean()).sort("grade")
    assert by_grade["interest_rate"].is_sorted()


def test_synthetic_null_shares(big):
    for column in big.columns:
        share = big[column].null_count() / big.height
        expected = NULL_SHARES.get(column, 0.0)
        assert abs(share - expected) < 0.003, (column, share)


def test_synthetic_target_has_real_but_imperfect_signal(big):
    assert 0.13 <= big["default"].mean() <= 0.17
    y = big["default"].to_numpy()
    assert roc_auc_score(y, -big["credit_score"].to_numpy()) > 0.65
    train, test = big.head(40_000), big.slice(40_000, 20_000)

    def matrix(frame: pl.DataFrame) -> np.ndarray:
        coded = [pl.col(c).cast(pl.Enum(sorted(big[c].drop_nulls().unique()))).to_physical()
                 for c in S.CATEGORICAL_COLUMNS]
        return frame.select(S.FEATURE_COLUMNS).with_columns(coded).to_numpy().astype(float)

    cats = [S.FEATURE_COLUMNS.index(c) for c in S.CATEGORICAL_COLUMNS]
    data = lgb.Dataset(matrix(train), train["default"].to_numpy(), categorical_feature=cats)
    booster = lgb.train({"objective": "binary", "learning_rate": 0.1, "num_threads": 1,
                         "verbose": -1, "seed": 1}, data, num_boost_round=80)
    auc = roc_auc_score(test["default"].to_numpy(), booster.predict(matrix(test)))
    assert 0.75 <= auc <= 0.85


# -- synthetic: determinism and speed ---------------------------------------------------
def _digest(frame: pl.DataFrame) -> str:
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()


def test_synthetic_same_seed_same_frame_across_processes():
    here = S.generate_loans(3000, 5)
    assert_frame_equal(here, S.generate_loans(3000, 5))
    code = ("import hashlib; from driftline.plugins.sources.synthetic import generate_loans; "
            "print(hashlib.sha256(generate_loans(3000, 5).write_csv().encode()).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(S.__file__).parents[2])
    assert out.stdout.strip() == _digest(here)


def test_synthetic_different_seed_different_frame():
    a, b = S.generate_loans(2000, 1), S.generate_loans(2000, 2)
    for column in ("age", "credit_score", "annual_income", "grade", "default"):
        assert not a[column].equals(b[column]), column


def test_synthetic_is_vectorised_fast():
    start = time.perf_counter()
    frame = S.generate_loans(1_000_000, 3)
    elapsed = time.perf_counter() - start
    assert frame.height == 1_000_000
    assert elapsed < 5.0  # ~1 s on 2 cores; a per-row Python loop would take far longer


def test_synthetic_source_uses_run_seed_unless_given():
    ctx = RunContext(seed=9)
    assert_frame_equal(load(S.SyntheticSource, ctx, rows=300), S.generate_loans(300, 9))
    assert_frame_equal(load(S.SyntheticSource, ctx, rows=300, seed=4), S.generate_loans(300, 4))
    assert isinstance(source(S.SyntheticSource, rows=10).load(ctx), pl.LazyFrame)


# -- synthetic: drift -------------------------------------------------------------------
@pytest.mark.parametrize(("column", "shift"), [("credit_score", 0.5), ("debt_to_income", -0.3)])
def test_numeric_drift_moves_the_mean_by_shift_std(column, shift):
    base = S.generate_loans(50_000, 21)
    drifted = S.generate_loans(50_000, 21, {column: shift})
    std = base[column].std()
    moved = drifted[column].mean() - base[column].mean()
    assert moved == pytest.approx(shift * std, rel=0.02)
    assert drifted[column].null_count() == base[column].null_count()
    others = [c for c in S.FEATURE_COLUMNS + (S.DATE_COLUMN,) if c != column]
    assert_frame_equal(drifted.select(others), base.select(others))


def test_categorical_drift_moves_mass_towards_rare_levels():
    shift = 0.4
    base = S.generate_loans(100_000, 4)
    drifted = S.generate_loans(100_000, 4, {"grade": shift})
    counts = base["grade"].value_counts().sort("grade")
    p = counts["count"].to_numpy() / base.height
    inverse = 1.0 / (counts["count"].to_numpy() + 1.0)
    expected = (1 - shift) * p + shift * inverse / inverse.sum()
    got = (drifted["grade"].value_counts().sort("grade")["count"].to_numpy() / base.height)
    np.testing.assert_allclose(got, expected, atol=0.006)
    rarest = counts["grade"][int(np.argmin(p))]
    assert (drifted["grade"] == rarest).mean() > 2 * (base["grade"] == rarest).mean()
    others = [c for c in S.FEATURE_COLUMNS if c != "grade"]
    assert_frame_equal(drifted.select(others), base.select(others))


def test_drift_of_unknown_column_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        parse_params(S.SyntheticSource.Params, {"drift": {"credit_scor": 1.0}}, where="data")
    message = str(err.value)
    assert "'credit_scor'" in message and "data.drift" in message
    assert "Did you mean: credit_score?" in message and "annual_income" in message
    with pytest.raises(ConfigError, match="'default'"):
        S.generate_loans(10, 1, {"default": 0.5})


def test_categorical_drift_outside_0_1_is_a_config_error():
    with pytest.raises(ConfigError, match=r"'region' must be in 0\.\.1.*data\.drift\.region"):
        parse_params(S.SyntheticSource.Params, {"drift": {"region": 1.5}}, where="data")


@pytest.mark.parametrize("rows", [0, 50_000_001])
def test_synthetic_rows_out_of_range(rows):
    with pytest.raises(ConfigError, match=r"data\.rows"):
        parse_params(S.SyntheticSource.Params, {"rows": rows}, where="data")


# -- CSV --------------------------------------------------------------------------------
@pytest.fixture
def ctx(tmp_path) -> RunContext:
    return RunContext(base_dir=tmp_path)


def test_csv_round_trip_with_relative_path(tmp_path, ctx):
    frame = S.generate_loans(400, 2)
    frame.write_csv(tmp_path / "loans.csv")
    assert_frame_equal(load(CsvSource, ctx, path="loans.csv"), frame)


def test_csv_glob_of_two_files_and_lineage(tmp_path, ctx):
    frame = S.generate_loans(300, 3)
    (tmp_path / "in").mkdir()
    frame.head(100).write_csv(tmp_path / "in" / "part-1.csv")
    frame.tail(200).write_csv(tmp_path / "in" / "part-2.csv")
    src = source(CsvSource, path="in/part-*.csv")
    assert_frame_equal(src.load(ctx).collect(), frame)
    desc = src.describe()
    assert desc["path"] == str(tmp_path / "in" / "part-*.csv")
    assert desc["files"] == [str(tmp_path / "in" / "part-1.csv"), str(tmp_path / "in" / "part-2.csv")]
    assert desc["separator"] == "," and desc["try_parse_dates"] is True


def test_csv_options_separator_nulls_and_overrides(tmp_path, ctx):
    (tmp_path / "a.csv").write_text("id;score;when;flag\n1;NA;2024-03-01;true\n2;2.5;;false\n")
    got = load(CsvSource, ctx, path="a.csv", separator=";", null_values=["NA"],
               schema_overrides={"id": "String"})
    expected = pl.DataFrame({"id": ["1", "2"], "score": [None, 2.5],
                             "when": [dt.date(2024, 3, 1), None], "flag": [True, False]})
    assert_frame_equal(got, expected)
    got = load(CsvSource, ctx, path="a.csv", separator=";", try_parse_dates=False, has_header=False)
    assert got.columns == ["column_0", "column_1", "column_2", "column_3"]
    assert got.height == 3 and got["column_2"][1] == "2024-03-01"


def _late_text_csv(path: Path, bad_row: int = 1201) -> None:
    """Column `amount` is numeric except at data row ``bad_row`` (1-based)."""
    amounts = [str(i) for i in range(1, 1501)]
    amounts[bad_row - 1] = "n/a"
    lines = ["id,amount"] + [f"{i},{a}" for i, a in enumerate(amounts, start=1)]
    path.write_text("\n".join(lines) + "\n")


def test_csv_late_text_value_in_a_numeric_column_is_an_error_not_text(tmp_path, ctx):
    _late_text_csv(tmp_path / "late.csv")
    with pytest.raises(DataError) as err:
        source(CsvSource, path="late.csv").load(ctx)
    message = str(err.value)
    for fragment in ("column 'amount' holds numbers except 'n/a'", str(tmp_path / "late.csv"),
                     "row 1201", "data.null_values", "data.schema_overrides: {amount: String}"):
        assert fragment in message, fragment
    got = load(CsvSource, ctx, path="late.csv", null_values=["n/a"])
    assert got.schema["amount"] == pl.Int64
    assert got["amount"].null_count() == 1 and got["amount"][1200] is None
    as_text = load(CsvSource, ctx, path="late.csv", schema_overrides={"amount": "String"})
    assert as_text["amount"].null_count() == 0 and as_text["amount"][1200] == "n/a"
    as_text = load(CsvSource, ctx, path="late.csv", infer_schema_length=0)
    assert as_text.schema == pl.Schema({"id": pl.String, "amount": pl.String})


def test_csv_late_text_value_with_short_inference_names_column_row_value(tmp_path, ctx):
    _late_text_csv(tmp_path / "late.csv")
    lazy = source(CsvSource, path="late.csv", infer_schema_length=100).load(ctx)
    with pytest.raises(DataError) as err:
        lazy.collect()
    message = str(err.value)
    assert "\n" not in message
    for fragment in ("'n/a'", "column 'amount'", str(tmp_path / "late.csv"), "row 1201",
                     "data.infer_schema_length: null", "data.schema_overrides: {amount: String}",
                     "data.null_values"):
        assert fragment in message, fragment


def test_csv_forced_type_that_does_not_parse(tmp_path, ctx):
    _late_text_csv(tmp_path / "late.csv", bad_row=7)
    lazy = source(CsvSource, path="late.csv", schema_overrides={"amount": "Int64"}).load(ctx)
    with pytest.raises(DataError, match=r"'n/a' in column 'amount' \(file .*late\.csv, row 7\) .*"
                                        r"change data\.schema_overrides\.amount \(now Int64\)"):
        lazy.collect()


CSV_BAD_INPUT = [
    pytest.param({"missing.csv": None}, "missing.csv",
                 ["CSV file not found", "missing.csv", "(key: data.path)"], id="missing-file"),
    pytest.param({"x.csv": "a\n1\n"}, "nothing-*.csv",
                 ["no CSV file matches", "nothing-*.csv", "data.path"], id="glob-matches-nothing"),
    pytest.param({"empty.csv": ""}, "empty.csv", ["empty.csv", "is empty (0 bytes)", "data.path"],
                 id="empty-file"),
    pytest.param({"h.csv": "a,b\n"}, "h.csv", ["h.csv", "has no rows, only a header", "data.path"],
                 id="header-only"),
    pytest.param({"p1.csv": "a,b\n1,2\n", "p2.csv": "a,c\n1,2\n"}, "p*.csv",
                 ["p2.csv has columns [a, c]", "p1.csv has [a, b]", "same header"],
                 id="glob-with-different-headers"),
    pytest.param({"sub/x.csv": "a\n1\n"}, "sub", ["is a folder", "sub/*.csv"], id="folder"),
]


@pytest.mark.parametrize(("files", "path", "fragments"), CSV_BAD_INPUT)
def test_csv_bad_input(tmp_path, ctx, files, path, fragments):
    for name, text in files.items():
        if text is not None:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text)
    with pytest.raises(DataError) as err:
        source(CsvSource, path=path).load(ctx)
    message = str(err.value)
    assert "\n" not in message
    assert str(tmp_path) in message  # the resolved, absolute location
    for fragment in fragments:
        assert fragment in message, fragment


def test_csv_missing_file_names_resolved_path(tmp_path, ctx):
    with pytest.raises(DataError) as err:
        source(CsvSource, path="data/loans.csv").load(ctx)
    assert f"CSV file not found: {tmp_path / 'data' / 'loans.csv'} (key: data.path)" in str(err.value)


def test_csv_schema_override_of_unknown_column(tmp_path, ctx):
    (tmp_path / "a.csv").write_text("amount,id\n1,2\n")
    with pytest.raises(DataError, match=r"'amont'.*Did you mean: amount\?"):
        source(CsvSource, path="a.csv", schema_overrides={"amont": "Int64"}).load(ctx)


@pytest.mark.parametrize(("params", "fragments"), [
    ({"schema_overrides": {"a": "Int65"}}, ["unknown dtype 'Int65'",
                                            "data.schema_overrides.a", "Did you mean: Int64?"]),
    ({"separator": ";;"}, ["data.separator", "one single-byte character"]),
    ({"encoding": "latin1"}, ["data.encoding", "utf8, utf8-lossy", "'latin1'"]),
    ({"infer_schema_length": -1}, ["data.infer_schema_length", ">= 0"]),
    ({"seperator": ";"}, ["unknown parameter 'seperator'", "Did you mean: separator?"]),
])
def test_csv_params_are_checked(params, fragments):
    with pytest.raises(ConfigError) as err:
        parse_params(CsvSource.Params, {"path": "x.csv", **params}, where="data")
    for fragment in fragments:
        assert fragment in str(err.value), fragment


# -- Parquet ----------------------------------------------------------------------------
def test_parquet_round_trip_and_glob_of_two_files(tmp_path, ctx):
    frame = S.generate_loans(500, 6)
    frame.head(200).write_parquet(tmp_path / "b-1.parquet")
    frame.tail(300).write_parquet(tmp_path / "b-2.parquet")
    single = source(ParquetSource, path=str(tmp_path / "b-1.parquet"))
    assert isinstance(single.load(ctx), pl.LazyFrame)
    assert_frame_equal(single.load(ctx).collect(), frame.head(200))
    both = source(ParquetSource, path="b-?.parquet")
    assert_frame_equal(both.load(ctx).collect(), frame)
    assert both.describe() == {"kind": "", "path": str(tmp_path / "b-?.parquet"),
                               "files": [str(tmp_path / "b-1.parquet"), str(tmp_path / "b-2.parquet")]}


def _write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)


PARQUET_BAD_INPUT = [
    pytest.param(lambda d: None, "gone.parquet", ["Parquet file not found", "gone.parquet"],
                 id="missing-file"),
    pytest.param(lambda d: _write_bytes(d / "e.parquet", b""), "e.parquet",
                 ["e.parquet", "is empty (0 bytes)"], id="empty-file"),
    pytest.param(lambda d: _write_bytes(d / "c.parquet", b"PAR1" + b"\x00junk" * 40 + b"PAR1"),
                 "c.parquet", ["c.parquet is not a readable Parquet file", "re-export"],
                 id="corrupt"),
    pytest.param(lambda d: _write_bytes(d / "t.parquet", b"id,amount\n1,2\n"), "t.parquet",
                 ["t.parquet is not a readable Parquet file"], id="csv-named-parquet"),
    pytest.param(lambda d: pl.DataFrame({"a": []}, schema={"a": pl.Int64}).write_parquet(d / "z.parquet"),
                 "z.parquet", ["z.parquet has no rows"], id="zero-rows"),
    pytest.param(lambda d: (pl.DataFrame({"a": [1]}).write_parquet(d / "m1.parquet"),
                            pl.DataFrame({"a": [1.5]}).write_parquet(d / "m2.parquet")),
                 "m*.parquet", ["m2.parquet has a different schema", "column 'a' is Float64, not Int64"],
                 id="schemas-differ"),
]


@pytest.mark.parametrize(("make", "path", "fragments"), PARQUET_BAD_INPUT)
def test_parquet_bad_input(tmp_path, ctx, make, path, fragments):
    make(tmp_path)
    with pytest.raises(DataError) as err:
        source(ParquetSource, path=path).load(ctx)
    message = str(err.value)
    assert "\n" not in message and "(key: data.path)" in message and str(tmp_path) in message
    for fragment in fragments:
        assert fragment in message, fragment


# -- SQL --------------------------------------------------------------------------------
@pytest.fixture
def loans_db(tmp_path) -> Path:
    path = tmp_path / "loans.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE loans (id INTEGER, amount REAL, grade TEXT, note)")
    rows = [(1, 100.5, "A", None), (2, None, "B", None), (3, 7.25, None, None)]
    rows += [(i, float(i), "C", None) for i in range(4, 200)] + [(200, 1.0, "D", "late text")]
    con.executemany("INSERT INTO loans VALUES (?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    return path


def test_sql_reads_a_query_result(loans_db, ctx):
    got = load(SqlSource, ctx, url="sqlite:///loans.db",
               query="SELECT id, amount, grade FROM loans WHERE id <= 3 ORDER BY id")
    expected = pl.DataFrame({"id": [1, 2, 3], "amount": [100.5, None, 7.25], "grade": ["A", "B", None]})
    assert_frame_equal(got, expected)


def test_sql_infers_types_from_every_row(loans_db, ctx):
    got = load(SqlSource, ctx, url=f"sqlite:///{loans_db}", query="SELECT id, note FROM loans")
    assert got.schema == pl.Schema({"id": pl.Int64, "note": pl.String})
    assert got["note"].to_list()[-1] == "late text" and got["note"].null_count() == 199
    with pytest.raises(DataError, match=r"data\.infer_schema_length: null.*data\.schema_overrides"):
        load(SqlSource, ctx, url=f"sqlite:///{loans_db}", query="SELECT amount, note FROM loans",
             infer_schema_length=10, schema_overrides={"amount": "Float64"})


def test_sql_schema_overrides(loans_db, ctx):
    got = load(SqlSource, ctx, url="sqlite:///loans.db", query="SELECT id FROM loans WHERE id < 3",
               schema_overrides={"id": "Float64"})
    assert_frame_equal(got, pl.DataFrame({"id": [1.0, 2.0]}))


def test_sql_describe_hides_the_password_and_resolves_sqlite_paths(loans_db, ctx):
    remote = source(SqlSource, url="postgresql://ann:s3cret@db.example/prod", query="SELECT 1")
    assert "s3cret" not in str(remote.describe())
    assert remote.describe()["url"] == "postgresql://ann:***@db.example/prod"
    local = source(SqlSource, url="sqlite:///loans.db", query="SELECT * FROM loans")
    local.load(ctx)
    assert local.describe()["url"] == f"sqlite:///{loans_db}"


SQL_BAD_INPUT = [
    pytest.param("sqlite:///nope.db", "SELECT 1", DataError,
                 ["SQLite database not found", "nope.db", "data.url"], id="missing-database"),
    pytest.param("sqlite:///loans.db", "SELECT * FROM no_table", DataError,
                 ["the query failed", "no such table: no_table", "data.query"], id="missing-table"),
    pytest.param("sqlite:///loans.db", "SELECT * FROM loans WHERE id > 1000", DataError,
                 ["returned no rows", "data.query"], id="no-rows"),
    pytest.param("nosuchdb://ann:s3cret@host/db", "SELECT 1", ConfigError,
                 ["no database driver", "nosuchdb://ann:***@host/db", "data.url"], id="unknown-dialect"),
]


@pytest.mark.parametrize(("url", "query", "error", "fragments"), SQL_BAD_INPUT)
def test_sql_bad_input(loans_db, ctx, url, query, error, fragments):
    with pytest.raises(error) as err:
        source(SqlSource, url=url, query=query).load(ctx)
    message = str(err.value)
    assert "\n" not in message and "s3cret" not in message
    for fragment in fragments:
        assert fragment in message, fragment
    assert not (ctx.base_dir / "nope.db").exists()  # never creates an empty database


@pytest.mark.parametrize(("params", "fragment"), [
    ({"url": "not a url", "query": "SELECT 1"}, "data.url is not a SQLAlchemy URL"),
    ({"url": "sqlite:///x.db", "query": "  "}, "data.query is empty"),
    ({"url": "sqlite:///x.db"}, "missing required parameter 'query'"),
])
def test_sql_params_are_checked(params, fragment):
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        parse_params(SqlSource.Params, params, where="data")


# -- config group options ---------------------------------------------------------------
OPTIONS = {"synthetic": S.SyntheticSource, "csv": CsvSource, "parquet": ParquetSource,
           "sql": SqlSource}
FILLED = {"path": "loans.csv", "url": "sqlite:///loans.db", "query": "SELECT * FROM loans"}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_data_option_file_builds_its_component(name):
    node = OmegaConf.to_container(OmegaConf.load(CONF / f"{name}.yaml"))
    assert node["kind"] == name
    mandatory = {k for k, v in node.items() if v == "???"}
    assert mandatory <= set(FILLED)
    node.update({k: FILLED[k] for k in mandatory})
    component = Registry.from_environment().create("source", node, where="data")
    assert type(component).__mro__[1] is OPTIONS[name]
    for key, value in node.items():
        if key != "kind":
            assert getattr(component.params, key) == value, key


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_data_option_file_comments_every_key(name):
    lines = (CONF / f"{name}.yaml").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^\s*[A-Za-z_]\w*:", line):
            assert i > 0 and lines[i - 1].lstrip().startswith("#"), line


def test_csv_and_parquet_paths_are_mandatory():
    for name in ("csv", "parquet"):
        assert OmegaConf.is_missing(OmegaConf.load(CONF / f"{name}.yaml"), "path")
