"""Tests for plugins/transforms/: sql, drop_columns, cast, fill_null, against hand-built frames."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from driftline.engine import ConfigError, DataError, Registry, RunContext
from driftline.engine.components.params import parse_params
from driftline.plugins.transforms.columns import Cast, DropColumns, FillNull
from driftline.plugins.transforms.sql import SqlTransform

CTX = RunContext()


def frame() -> pl.LazyFrame:
    return pl.LazyFrame({
        "id": [1, 2, 3, 4],
        "income": [10.0, None, 30.0, 50.0],
        "count": [1, None, 4, None],
        "grade": ["A", None, "B", "A"],
        "flag": [True, None, False, True],
        "when": ["2024-01-02", "2024-02-29", None, "2025-12-31"],
    })


def make(cls, **params):
    return cls(parse_params(cls.Params, params, where="transforms.step"))


def run(cls, **params) -> pl.DataFrame:
    out = make(cls, **params).apply(frame(), CTX)
    assert isinstance(out, pl.LazyFrame)
    return out.collect()


# -- sql --------------------------------------------------------------------------------
def test_sql_selects_filters_and_computes():
    got = run(SqlTransform, query="SELECT id, income * 2 AS double_income, grade FROM data "
                                  "WHERE income IS NOT NULL AND id > 1 ORDER BY id DESC")
    expected = pl.DataFrame({"id": [4, 3], "double_income": [100.0, 60.0], "grade": ["A", "B"]})
    assert_frame_equal(got, expected)


def test_sql_aggregates():
    got = run(SqlTransform, query="SELECT grade, COUNT(*) AS n, SUM(income) AS total FROM data "
                                  "WHERE grade IS NOT NULL GROUP BY grade ORDER BY grade")
    expected = pl.DataFrame({"grade": ["A", "B"], "n": [2, 1], "total": [60.0, 30.0]})
    assert_frame_equal(got, expected, check_dtypes=False)


def test_sql_unknown_column_is_a_data_error_with_suggestion():
    with pytest.raises(DataError) as err:
        make(SqlTransform, query="SELECT incme FROM data").apply(frame(), CTX)
    assert str(err.value) == ("sql transform: column 'incme' is not in the table 'data'. Did you "
                              "mean: income? Available: count, flag, grade, id, income, when.")


@pytest.mark.parametrize(("query", "fragment"), [
    ("SELEC id FROM data", "sql parser error"),
    ("SELECT * FROM loans", "relation 'loans' was not found"),
])
def test_sql_invalid_query_is_a_config_error(query, fragment):
    with pytest.raises(ConfigError) as err:
        make(SqlTransform, query=query).apply(frame(), CTX)
    assert fragment in str(err.value) and "table 'data'" in str(err.value)
    assert "\n" not in str(err.value)


def test_sql_never_runs_python():
    with pytest.raises((ConfigError, DataError)):
        make(SqlTransform, query="SELECT __import__('os').getcwd() FROM data").apply(frame(), CTX)


def test_sql_empty_query_is_rejected():
    with pytest.raises(ConfigError, match="query is empty"):
        make(SqlTransform, query="   ")


# -- drop_columns -----------------------------------------------------------------------
def test_drop_columns():
    got = run(DropColumns, columns=["income", "when", "flag"])
    assert_frame_equal(got, pl.DataFrame({"id": [1, 2, 3, 4], "count": [1, None, 4, None],
                                          "grade": ["A", None, "B", "A"]}))


def test_drop_unknown_column_is_a_data_error():
    with pytest.raises(DataError, match=r"drop_columns: column 'grad' is not in the data\. "
                                        r"Did you mean: grade\?"):
        make(DropColumns, columns=["id", "grad"]).apply(frame(), CTX)


def test_drop_nothing_is_a_config_error():
    with pytest.raises(ConfigError, match="at least one"):
        make(DropColumns, columns=[])


# -- cast -------------------------------------------------------------------------------
def test_cast_to_each_kind_of_dtype():
    got = run(Cast, columns={"id": "Float64", "income": "Int32", "count": "String",
                             "grade": "Categorical", "when": "Date", "flag": "Int8"})
    expected = pl.DataFrame({
        "id": [1.0, 2.0, 3.0, 4.0],
        "income": pl.Series([10, None, 30, 50], dtype=pl.Int32),
        "count": ["1", None, "4", None],
        "grade": pl.Series(["A", None, "B", "A"], dtype=pl.Categorical),
        "flag": pl.Series([1, None, 0, 1], dtype=pl.Int8),
        "when": [dt.date(2024, 1, 2), dt.date(2024, 2, 29), None, dt.date(2025, 12, 31)],
    })
    assert_frame_equal(got, expected, categorical_as_str=True)


def test_cast_strings_to_numbers_booleans_datetimes():
    source = pl.LazyFrame({"n": ["1", "-20", None], "b": ["TRUE", "no", "0"],
                           "t": ["2024-01-02 03:04:05", None, "2024-01-03T00:00:00"],
                           "x": [1.9, -1.9, None]})
    step = make(Cast, columns={"n": "Int64", "b": "Boolean", "t": "Datetime", "x": "Int64"})
    expected = pl.DataFrame({"n": [1, -20, None], "b": [True, False, False],
                             "t": [dt.datetime(2024, 1, 2, 3, 4, 5), None, dt.datetime(2024, 1, 3)],
                             "x": [1, -1, None]})  # float -> int truncates towards zero
    assert_frame_equal(step.apply(source, CTX).collect(), expected)


def test_cast_int_to_categorical():
    got = make(Cast, columns={"id": "Categorical"}).apply(frame(), CTX).collect()
    assert got["id"].dtype == pl.Categorical and got["id"].cast(pl.String).to_list() == ["1", "2", "3", "4"]


@pytest.mark.parametrize(("values", "dtype"), [(["1", "x"], "Int64"), (["true", "maybe"], "Boolean"),
                                               (["2024-01-01", "soon"], "Date")])
def test_cast_of_an_unparseable_value_fails_instead_of_nulling(values, dtype):
    lazy = make(Cast, columns={"v": dtype}).apply(pl.LazyFrame({"v": values}), CTX)
    with pytest.raises(pl.exceptions.PolarsError):
        lazy.collect()


def test_cast_unknown_dtype_lists_valid_names():
    with pytest.raises(ConfigError) as err:
        make(Cast, columns={"id": "int64"})
    message = str(err.value)
    assert "unknown dtype 'int64'" in message and "Did you mean: Int64?" in message
    for name in ("Boolean", "Categorical", "Date", "Float64", "String"):
        assert name in message


def test_cast_unknown_column_is_a_data_error():
    with pytest.raises(DataError, match=r"cast: column 'incom' is not in the data\. Did you mean: income\?"):
        make(Cast, columns={"incom": "Float32"}).apply(frame(), CTX)


# -- fill_null --------------------------------------------------------------------------
def test_fill_null_with_literals():
    got = run(FillNull, values={"income": 0, "count": -1, "grade": "none", "flag": False,
                                "when": "1999-12-31"})
    expected = pl.DataFrame({
        "id": [1, 2, 3, 4], "income": [10.0, 0.0, 30.0, 50.0], "count": [1, -1, 4, -1],
        "grade": ["A", "none", "B", "A"], "flag": [True, False, False, True],
        "when": ["2024-01-02", "2024-02-29", "1999-12-31", "2025-12-31"],
    })
    assert_frame_equal(got, expected)


def test_fill_null_date_literal_on_a_date_column():
    source = pl.LazyFrame({"d": [dt.date(2024, 1, 1), None]})
    got = make(FillNull, values={"d": "2020-05-06"}).apply(source, CTX).collect()
    assert got["d"].to_list() == [dt.date(2024, 1, 1), dt.date(2020, 5, 6)]


# Hand computed: income non-null 10, 30, 50 -> mean 30, median 30, min 10, max 50.
# count non-null 1, 4 -> mean 2.5 -> rounds half to even -> 2; median 2.5 -> 2.
@pytest.mark.parametrize(("strategy", "income", "count"), [
    ("mean", [10.0, 30.0, 30.0, 50.0], [1, 2, 4, 2]),
    ("median", [10.0, 30.0, 30.0, 50.0], [1, 2, 4, 2]),
    ("min", [10.0, 10.0, 30.0, 50.0], [1, 1, 4, 1]),
    ("max", [10.0, 50.0, 30.0, 50.0], [1, 4, 4, 4]),
    ("zero", [10.0, 0.0, 30.0, 50.0], [1, 0, 4, 0]),
    ("forward", [10.0, 10.0, 30.0, 50.0], [1, 1, 4, 4]),
    ("backward", [10.0, 30.0, 30.0, 50.0], [1, 4, 4, None]),
])
def test_fill_null_strategies(strategy, income, count):
    got = run(FillNull, strategy={"income": strategy, "count": strategy})
    assert got["income"].to_list() == income
    assert got["count"].to_list() == count
    assert got.schema == frame().collect_schema()  # dtypes are kept


def test_fill_null_values_and_strategy_together():
    got = run(FillNull, values={"grade": "?"}, strategy={"flag": "forward"})
    assert got["grade"].to_list() == ["A", "?", "B", "A"]
    assert got["flag"].to_list() == [True, True, False, True]
    assert got["income"].null_count() == 1  # untouched


@pytest.mark.parametrize(("params", "fragments"), [
    ({"values": {"count": 1.5}}, ["value 1.5 does not fit column 'count'", "Int64"]),
    ({"values": {"grade": 3}}, ["value 3 does not fit column 'grade'", "String"]),
    ({"values": {"flag": "yes"}}, ["'yes' does not fit column 'flag'", "Boolean"]),
    ({"strategy": {"grade": "mean"}}, ["strategy 'mean' needs a numeric column", "'grade' is String"]),
    ({"strategy": {"grde": "min"}}, ["column 'grde' is not in the data", "Did you mean: grade?"]),
])
def test_fill_null_data_errors(params, fragments):
    with pytest.raises(DataError) as err:
        make(FillNull, **params).apply(frame(), CTX)
    for fragment in fragments:
        assert fragment in str(err.value), fragment


@pytest.mark.parametrize(("params", "fragment"), [
    ({}, "needs 'values' and/or 'strategy'"),
    ({"strategy": {"income": "average"}}, "unknown fill_null strategy 'average'"),
    ({"values": {"income": 0}, "strategy": {"income": "mean"}}, "'income' is in both"),
])
def test_fill_null_config_errors(params, fragment):
    with pytest.raises(ConfigError, match=fragment):
        make(FillNull, **params)


# -- registration -----------------------------------------------------------------------
def test_transforms_are_registered_under_their_names():
    registry = Registry.from_environment()
    for name, cls in [("sql", SqlTransform), ("drop_columns", DropColumns), ("cast", Cast),
                      ("fill_null", FillNull)]:
        assert issubclass(registry.load("transform", name), cls)
    step = registry.create("transform", {"kind": "drop_columns", "columns": ["id"]},
                           where="transforms.drop")
    assert step.describe() == {"kind": "drop_columns", "columns": ["id"]}
