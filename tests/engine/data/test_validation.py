"""Validation: choosing the schema, reporting every failure at once, the failure table,
and translating pandera's exceptions."""

import csv
import os

import pandera.errors as pe
import pandera.polars as pa
import polars as pl
import pytest

from driftline.engine import (
    ConfigError,
    DataError,
    PluginError,
    Registry,
    Schema,
    SchemaValidationError,
)
from driftline.engine.data.validation import build_schema, validate
from driftline.plugins.schemas import YamlSchema

HEADER = ["row", "column", "check", "failure_case", "schema_context"]


def loans_schema(**kwargs):
    return pa.DataFrameSchema(
        {
            "age": pa.Column(pl.Int64, pa.Check.ge(18, error="ge(18)")),
            "grade": pa.Column(pl.String, pa.Check.isin(["A", "B"], error="isin(A, B)")),
            "income": pa.Column(pl.Float64, nullable=False),
        },
        name="loans",
        **kwargs,
    )


def read_csv_rows(path):
    """The failure table as written, read back with the csv module (not polars)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], {tuple(r) for r in rows[1:]}


class FixedSchema(Schema):
    """A schema component that returns a hand-written pandera schema."""

    def build(self):
        return loans_schema()


class NotASchema(Schema):
    def build(self):
        return {"age": "Int64"}


class BrokenSchema(Schema):
    def build(self):
        raise pe.SchemaInitError("column 'age' is declared twice")


class LoansModel(pa.DataFrameModel):
    age: int = pa.Field(ge=18)


def registry():
    reg = Registry()
    reg.add("schema", "fixed", FixedSchema)
    reg.add("schema", "not_a_schema", NotASchema)
    reg.add("schema", "broken", BrokenSchema)
    reg.add("schema", "model", LoansModel)
    reg.add("schema", "yaml", YamlSchema)
    return reg


# -- validate -----------------------------------------------------------------------------
def test_all_failures_are_reported_at_once(tmp_path):
    df = pl.DataFrame({
        "age": [20, 12, 30, 40],
        "grade": ["A", "B", "Z", "A"],
        "income": [1.0, 2.0, 3.0, None],
    })
    path = tmp_path / "schema_failures.csv"
    with pytest.raises(SchemaValidationError) as err:
        validate(df, loans_schema(), failures_path=path)
    expected = {
        ("1", "age", "ge(18)", "12", "Column"),
        ("2", "grade", "isin(A, B)", "Z", "Column"),
        ("3", "income", "not_nullable", "", "Column"),
    }
    header, rows = read_csv_rows(path)
    assert header == HEADER
    assert rows == expected
    exc = err.value
    assert exc.n_failures == 3
    assert set(exc.failures.rows()) == {
        (1, "age", "ge(18)", "12", "Column"),
        (2, "grade", "isin(A, B)", "Z", "Column"),
        (3, "income", "not_nullable", None, "Column"),
    }
    assert str(exc) == (
        "schema validation failed: 3 failures in 3 column/check pairs: age ge(18) x1 (e.g. '12'); "
        "grade isin(A, B) x1 (e.g. 'Z'); income not_nullable x1 (e.g. null). "
        f"Full table: {path}."
    )


def test_row_numbers_count_from_zero_in_the_validated_frame(tmp_path):
    df = pl.DataFrame({"age": [5, 30, 6], "grade": ["A"] * 3, "income": [1.0] * 3})
    with pytest.raises(SchemaValidationError) as err:
        validate(df, loans_schema(), failures_path=None)
    assert err.value.failures["row"].to_list() == [0, 2]
    assert err.value.failures["failure_case"].to_list() == ["5", "6"]


def test_missing_and_extra_columns_are_named(tmp_path):
    df = pl.DataFrame({"age": [20], "grade": ["A"], "surprise": [1]})
    path = tmp_path / "f.csv"
    with pytest.raises(SchemaValidationError):
        validate(df, loans_schema(strict=True), failures_path=path)
    _, rows = read_csv_rows(path)
    assert rows == {
        ("", "surprise", "column_in_schema", "surprise", "DataFrameSchema"),
        ("", "income", "column_in_dataframe", "income", "DataFrameSchema"),
    }


def test_misplaced_column_is_named(tmp_path):
    df = pl.DataFrame({"grade": ["A"], "age": [20], "income": [1.0]})
    with pytest.raises(SchemaValidationError) as err:
        validate(df, loans_schema(ordered=True), failures_path=None)
    assert err.value.failures.rows() == [(None, "grade", "column_ordered", "grade", "DataFrameSchema")]


def test_message_is_one_bounded_line_most_frequent_first(tmp_path):
    # column c<i> has i+1 negative values: c7 fails 8 times, c0 once.
    cols = {f"c{i}": [-1] * (i + 1) + [1] * (7 - i) for i in range(8)}
    schema = pa.DataFrameSchema(
        {name: pa.Column(pl.Int64, pa.Check.ge(0, error="ge(0)")) for name in cols})
    path = tmp_path / "f.csv"
    with pytest.raises(SchemaValidationError) as err:
        validate(pl.DataFrame(cols), schema, failures_path=path)
    listed = "; ".join(f"c{i} ge(0) x{i + 1} (e.g. '-1')" for i in (7, 6, 5, 4, 3))
    assert str(err.value) == (
        f"schema validation failed: 36 failures in 8 column/check pairs: {listed}; "
        f"and 3 more. Full table: {path}."
    )
    _, rows = read_csv_rows(path)
    assert len(rows) == 36


def test_long_labels_and_values_are_clipped():
    schema = pa.DataFrameSchema(
        {"s": pa.Column(pl.String, pa.Check.isin(["ok"], error="x" * 60))})
    with pytest.raises(SchemaValidationError) as err:
        validate(pl.DataFrame({"s": ["line one\nline two"]}), schema, failures_path=None)
    msg = str(err.value)
    assert "\n" not in msg
    assert f"s {'x' * 39}… x1 (e.g. 'line one…')" in msg
    assert msg.endswith("Full table not written (no failures path given).")
    # the table itself keeps the whole value
    assert err.value.failures["failure_case"].to_list() == ["line one\nline two"]


def test_valid_frame_passes_through_and_writes_nothing(tmp_path):
    df = pl.DataFrame({"age": [20, 30], "grade": ["A", "B"], "income": [1.0, 2.0]})
    out = validate(df, loans_schema(), failures_path=tmp_path / "f.csv")
    assert out.equals(df)
    assert os.listdir(tmp_path) == []


def test_no_schema_means_no_validation():
    df = pl.DataFrame({"anything": [None]})
    assert validate(df, None, failures_path=None) is df


def test_coerce_returns_the_cast_frame():
    schema = pa.DataFrameSchema({"n": pa.Column(pl.Int64, pa.Check.ge(0))}, coerce=True)
    out = validate(pl.DataFrame({"n": ["1", "2"]}), schema, failures_path=None)
    assert out.schema == pl.Schema({"n": pl.Int64})
    assert out["n"].to_list() == [1, 2]


def test_failed_cast_names_the_column_and_dtype(tmp_path):
    schema = pa.DataFrameSchema({"a": pa.Column(pl.String), "n": pa.Column(pl.Int64)}, coerce=True)
    path = tmp_path / "f.csv"
    with pytest.raises(SchemaValidationError):
        validate(pl.DataFrame({"a": ["p", "q"], "n": ["1", "x"]}), schema, failures_path=path)
    _, rows = read_csv_rows(path)
    assert ("1", "n", "coerce_dtype('Int64')", "x", "DataFrameSchema") in rows


def test_failure_table_replaces_an_old_one_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("old\n")
    with pytest.raises(SchemaValidationError):
        validate(pl.DataFrame({"age": [1], "grade": ["A"], "income": [1.0]}), loans_schema(),
                 failures_path=path)
    assert os.listdir(tmp_path) == ["f.csv"]
    assert read_csv_rows(path)[1] == {("0", "age", "ge(18)", "1", "Column")}


def test_interrupted_write_keeps_the_old_table(tmp_path, monkeypatch):
    path = tmp_path / "f.csv"
    path.write_text("old\n")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(SchemaValidationError) as err:
        validate(pl.DataFrame({"age": [1], "grade": ["A"], "income": [1.0]}), loans_schema(),
                 failures_path=path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["f.csv"]
    assert path.read_text() == "old\n"
    assert str(err.value).endswith(f"The full table could not be written to {path}: disk full.")


class RaisingSchema:
    """Stands in for a pandera schema whose validate raises ``exc``."""

    def __init__(self, exc):
        self.exc = exc

    def validate(self, df, lazy):
        raise self.exc


@pytest.mark.parametrize(
    "exc, translated",
    [
        pytest.param(pe.SchemaError(None, None, "column 'a' broke\nmore detail"), DataError,
                     id="SchemaError"),
        pytest.param(pe.SchemaDefinitionError("bad definition"), ConfigError,
                     id="SchemaDefinitionError"),
        pytest.param(pe.SchemaInitError("bad init"), ConfigError, id="SchemaInitError"),
        pytest.param(pe.BackendNotFoundError("no backend"), DataError, id="BackendNotFoundError"),
        pytest.param(pl.exceptions.ComputeError("cannot compare\nplan..."), DataError,
                     id="polars-ComputeError"),
    ],
)
def test_other_pandera_errors_are_translated_to_one_line(exc, translated):
    with pytest.raises(translated) as err:
        validate(pl.DataFrame({"a": [1]}), RaisingSchema(exc), failures_path=None)
    assert not isinstance(err.value, SchemaValidationError)
    assert err.value.__cause__ is exc
    assert "\n" not in str(err.value)


def test_a_frame_pandera_cannot_check_is_a_data_error():
    with pytest.raises(DataError, match="cannot validate a dict with a polars schema"):
        validate({"age": [1]}, loans_schema(), failures_path=None)


# -- build_schema -------------------------------------------------------------------------
@pytest.mark.parametrize("node", [None, {}])
def test_empty_node_means_no_schema(node):
    assert build_schema(Registry(), node) is None


def test_component_builds_its_schema():
    schema = build_schema(registry(), {"kind": "fixed"})
    assert isinstance(schema, pa.DataFrameSchema)
    assert list(schema.columns) == ["age", "grade", "income"]


def test_registered_dataframe_model_is_used_as_is():
    schema = build_schema(registry(), {"kind": "model"})
    assert isinstance(schema, pa.DataFrameSchema)
    with pytest.raises(SchemaValidationError) as err:
        validate(pl.DataFrame({"age": [30, 17]}), schema, failures_path=None)
    assert err.value.failures.select("row", "column", "failure_case").rows() == [(1, "age", "17")]


def test_dataframe_model_takes_no_parameters():
    with pytest.raises(ConfigError) as err:
        build_schema(registry(), {"kind": "model", "strict": True})
    assert err.value.key == "schema.strict"
    assert "pandera DataFrameModel and takes no parameters" in str(err.value)


def test_yaml_component_reports_keys_under_where():
    node = {"kind": "yaml", "columns": {"a": {"dtype": "Int64"}}, "strickt": True}
    with pytest.raises(ConfigError) as err:
        build_schema(registry(), node, where="schema")
    assert err.value.key == "schema.strickt"
    schema = build_schema(registry(), {"kind": "yaml", "columns": {"a": {"dtype": "Int64"}}})
    assert list(schema.columns) == ["a"]


def test_unknown_schema_name_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        build_schema(registry(), {"kind": "fixd"})
    assert err.value.key == "schema.kind"
    assert "Did you mean: fixed?" in str(err.value)


def test_component_returning_something_else_is_a_plugin_error():
    with pytest.raises(PluginError, match="built a dict, expected a pandera.polars.DataFrameSchema"):
        build_schema(registry(), {"kind": "not_a_schema"})


def test_pandera_error_while_building_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        build_schema(registry(), {"kind": "broken"})
    assert str(err.value) == ("schema 'broken' (key: schema) is invalid: column 'age' is declared "
                              "twice. Fix the schema definition.")
    assert isinstance(err.value.__cause__, pe.SchemaInitError)
