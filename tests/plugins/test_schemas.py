"""The yaml schema: spec -> pandera schema, what each check accepts and rejects, config errors."""

import datetime as dt
import textwrap

import pandera.errors as pe
import pandera.polars as pa
import polars as pl
import pytest
from omegaconf import OmegaConf

from driftline.engine import ConfigError, Registry
from driftline.plugins.schemas import YamlSchema


def create(node):
    reg = Registry()
    reg.add("schema", "yaml", YamlSchema)
    return reg.create("schema", {"kind": "yaml", **node}, where="schema")


def build(columns, **flags):
    return create({"columns": columns, **flags}).build()


def failures(schema, df):
    """Set of (column, row, check label) that fail; empty when the frame passes."""
    try:
        schema.validate(df, lazy=True)
    except pe.SchemaErrors as exc:
        return {(c, i, k) for c, i, k in exc.failure_cases.select("column", "index", "check").rows()}
    return set()


# -- spec -> schema ---------------------------------------------------------------------
def test_yaml_text_builds_the_declared_schema():
    text = textwrap.dedent("""
        kind: yaml
        strict: true
        coerce: true
        ordered: true
        columns:
          id: {dtype: Int64, nullable: false, unique: true}
          name: {dtype: String, required: false}
          when: {dtype: "Datetime(ms, UTC)"}
          anything:
    """)
    node = OmegaConf.to_container(OmegaConf.create(text), resolve=True)
    reg = Registry()
    reg.add("schema", "yaml", YamlSchema)
    schema = reg.create("schema", node, where="schema").build()
    assert isinstance(schema, pa.DataFrameSchema)
    assert (schema.strict, schema.coerce, schema.ordered) == (True, True, True)
    assert list(schema.columns) == ["id", "name", "when", "anything"]
    cols = schema.columns
    assert cols["id"].dtype.type == pl.Int64
    assert (cols["id"].nullable, cols["id"].unique, cols["id"].required) == (False, True, True)
    assert (cols["name"].nullable, cols["name"].unique, cols["name"].required) == (True, False, False)
    assert cols["when"].dtype.type == pl.Datetime("ms", "UTC")
    assert cols["anything"].dtype is None


def test_defaults_are_lenient():
    schema = build({"a": {}})
    assert (schema.strict, schema.coerce, schema.ordered) == (False, False, False)
    assert (schema.columns["a"].nullable, schema.columns["a"].unique,
            schema.columns["a"].required) == (True, False, True)


def test_flags_do_what_they_say():
    df = pl.DataFrame({"b": [1, 1], "a": [None, 2], "extra": [0, 0]})
    lenient = build({"a": {"dtype": "Int64"}, "b": {"dtype": "Int64"}})
    assert failures(lenient, df) == set()
    tight = {"a": {"dtype": "Int64", "nullable": False}, "b": {"dtype": "Int64", "unique": True}}
    values = {("a", 0, "not_nullable"), ("b", 0, "field_uniqueness"), ("b", 1, "field_uniqueness")}
    # Table-level failures carry the schema's name ("yaml") as their column.
    assert failures(build(tight, strict=True), df) == values | {("yaml", None, "column_in_schema")}
    assert failures(build(tight, ordered=True), df) == values | {("yaml", None, "column_ordered")}
    optional = build({"a": {"dtype": "Int64"}, "missing": {"required": False}})
    assert failures(optional, df) == set()


@pytest.mark.parametrize(
    "spec, values, failing_rows, label",
    [
        ({"dtype": "Int64", "checks": {"ge": 0}}, [-1, 0, 1, None], {0}, "ge(0)"),
        ({"dtype": "Int64", "checks": {"gt": 0}}, [-1, 0, 1], {0, 1}, "gt(0)"),
        ({"dtype": "Float64", "checks": {"le": 0.5}}, [0.4, 0.5, 0.6], {2}, "le(0.5)"),
        ({"dtype": "Float64", "checks": {"lt": 0.5}}, [0.4, 0.5, 0.6], {1, 2}, "lt(0.5)"),
        ({"dtype": "Int64", "checks": {"eq": 5}}, [5, 6], {1}, "eq(5)"),
        ({"dtype": "Int64", "checks": {"ne": 5}}, [5, 6], {0}, "ne(5)"),
        ({"dtype": "Int64", "checks": {"in_range": {"min": 0, "max": 2}}}, [-1, 0, 1, 2, 3],
         {0, 4}, "in_range(min=0, max=2)"),
        ({"dtype": "Int64", "checks": {"in_range": {"min": 0, "max": 2, "include_min": False,
                                                    "include_max": False}}},
         [-1, 0, 1, 2, 3], {0, 1, 3, 4}, "in_range(min=0, max=2, include_min=false, include_max=false)"),
        ({"dtype": "String", "checks": {"isin": ["a", "b"]}}, ["a", "b", "c", None], {2},
         "isin(['a', 'b'])"),
        ({"dtype": "Int64", "checks": {"isin": [36, 60]}}, [36, 48, 60], {1}, "isin([36, 60])"),
        ({"dtype": "String", "checks": {"isin": list("abcdefg")}}, ["h"], {0},
         "isin(['a', 'b', 'c', 'd', 'e', ... +2])"),
        ({"dtype": "String", "checks": {"notin": ["a"]}}, ["a", "b"], {0}, "notin(['a'])"),
        # anchored at the start, not at the end
        ({"dtype": "String", "checks": {"str_matches": "[a-z]+"}}, ["abc", "Abc", "ab1"], {1},
         "str_matches('[a-z]+')"),
        ({"dtype": "String", "checks": {"str_matches": "^[a-z]+$"}}, ["abc", "Abc", "ab1"], {1, 2},
         "str_matches('^[a-z]+$')"),
        ({"dtype": "String", "checks": {"str_length": {"min": 2, "max": 3}}},
         ["a", "ab", "abc", "abcd"], {0, 3}, "str_length(min=2, max=3)"),
        ({"dtype": "String", "checks": {"str_length": {"max": 1}}}, ["", "a", "ab"], {2},
         "str_length(max=1)"),
        ({"dtype": "Boolean", "checks": {"eq": True}}, [True, False], {1}, "eq(true)"),
        ({"dtype": "Categorical", "checks": {"isin": ["x"]}},
         pl.Series(["x", "y"], dtype=pl.Categorical), {1}, "isin(['x'])"),
        ({"dtype": "Date", "checks": {"ge": "2024-01-01"}},
         [dt.date(2023, 12, 31), dt.date(2024, 1, 1)], {0}, "ge(2024-01-01)"),
        ({"dtype": "Date", "checks": {"in_range": {"min": "2024-01-01", "max": "2024-12-31"}}},
         [dt.date(2023, 12, 31), dt.date(2024, 6, 1), dt.date(2025, 1, 1)], {0, 2},
         "in_range(min=2024-01-01, max=2024-12-31)"),
        # a naive bound on a zoned column is read in the column's zone
        ({"dtype": "Datetime(us, UTC)", "checks": {"lt": "2024-01-01T12:00:00"}},
         pl.Series([dt.datetime(2024, 1, 1, 11), dt.datetime(2024, 1, 1, 12)]).dt.replace_time_zone("UTC"),
         {1}, "lt(2024-01-01T12:00:00+00:00)"),
        ({"checks": {"ge": 1}}, [0, 1], {0}, "ge(1)"),  # no dtype: any column
    ],
    ids=lambda v: None,
)
def test_each_check_accepts_and_rejects(spec, values, failing_rows, label):
    schema = build({"x": spec})
    df = pl.DataFrame({"x": values})
    assert failures(schema, df) == {("x", row, label) for row in failing_rows}


def test_dates_in_yaml_stay_strings_and_still_work():
    text = "kind: yaml\ncolumns:\n  d:\n    dtype: Date\n    checks: {le: 2024-01-31}\n"
    node = OmegaConf.to_container(OmegaConf.create(text), resolve=True)
    schema = create({k: v for k, v in node.items() if k != "kind"}).build()
    df = pl.DataFrame({"d": [dt.date(2024, 1, 31), dt.date(2024, 2, 1)]})
    assert failures(schema, df) == {("d", 1, "le(2024-01-31)")}


def test_wrong_dtype_is_a_failure():
    schema = build({"x": {"dtype": "Int32"}})
    assert failures(schema, pl.DataFrame({"x": [1]})) == {("x", None, "dtype('Int32')")}


# -- config errors ----------------------------------------------------------------------
ALL_CHECKS = "eq, ge, gt, in_range, isin, le, lt, ne, notin, str_length, str_matches"


@pytest.mark.parametrize(
    "columns, key, message",
    [
        pytest.param(
            {"age": {"dtype": "Int64", "checks": {"gte": 18}}},
            "schema.columns.age.checks.gte",
            f"unknown check 'gte' (key: schema.columns.age.checks.gte). Did you mean: gt? "
            f"Available: {ALL_CHECKS}.",
            id="unknown-check",
        ),
        pytest.param(
            {"age": {"dtype": "Int64", "nulable": False}},
            "schema.columns.age.nulable",
            "unknown column spec key 'nulable' (key: schema.columns.age.nulable). Did you mean: "
            "nullable? Available: checks, dtype, nullable, required, unique.",
            id="unknown-spec-key",
        ),
        pytest.param(
            {"age": {"dtype": "Int46"}},
            "schema.columns.age.dtype",
            "unknown dtype 'Int46' (key: schema.columns.age.dtype). Did you mean: Int64? "
            "Available: Binary, Boolean, Categorical, Date, Datetime, Duration, Float32, Float64, "
            "Int16, Int32, Int64, Int8 ... and 7 more.",
            id="unknown-dtype",
        ),
        pytest.param(
            {"name": {"dtype": "string"}},
            "schema.columns.name.dtype",
            "unknown dtype 'string' (key: schema.columns.name.dtype). Did you mean: String? "
            "Available: Binary, Boolean, Categorical, Date, Datetime, Duration, Float32, Float64, "
            "Int16, Int32, Int64, Int8 ... and 7 more.",
            id="dtype-is-case-sensitive",
        ),
        pytest.param(
            {"age": {"dtype": "__import__('os').getcwd()"}},
            "schema.columns.age.dtype",
            "unknown dtype '__import__('os').getcwd()' (key: schema.columns.age.dtype). "
            "Available: Binary, Boolean, Categorical, Date, Datetime, Duration, Float32, Float64, "
            "Int16, Int32, Int64, Int8 ... and 7 more.",
            id="python-is-never-evaluated",
        ),
        pytest.param(
            {"t": {"dtype": "Datetime(sec)"}},
            "schema.columns.t.dtype",
            "invalid dtype arguments for Datetime (key: schema.columns.t.dtype): got (sec); the "
            "time unit is one of ns, us, ms. Write Datetime, Datetime(ms) or Datetime(us, UTC).",
            id="bad-time-unit",
        ),
        pytest.param(
            {"t": {"dtype": "Datetime(ms, Mars/Olympus)"}},
            "schema.columns.t.dtype",
            "unknown time zone 'Mars/Olympus' (key: schema.columns.t.dtype): use an IANA name "
            "such as UTC or Europe/Paris.",
            id="bad-time-zone",
        ),
        pytest.param(
            {"age": {"dtype": "Int64", "checks": {"str_matches": "^1"}}},
            "schema.columns.age.checks.str_matches",
            "check 'str_matches' does not apply to dtype Int64 (key: "
            "schema.columns.age.checks.str_matches). Checks for Int64: eq, ge, gt, in_range, "
            "isin, le, lt, ne, notin.",
            id="check-not-for-dtype",
        ),
        pytest.param(
            {"age": {"dtype": "Int64", "checks": {"ge": "18"}}},
            "schema.columns.age.checks.ge",
            "wrong value for schema.columns.age.checks.ge: got '18' (str), expected a number for "
            "a column of dtype Int64.",
            id="string-for-number",
        ),
        pytest.param(
            {"d": {"dtype": "Date", "checks": {"ge": "01/02/2024"}}},
            "schema.columns.d.checks.ge",
            "wrong value for schema.columns.d.checks.ge: got '01/02/2024' (str), expected an ISO "
            "date string like '2024-01-31' for a column of dtype Date.",
            id="bad-date",
        ),
        pytest.param(
            {"g": {"dtype": "String", "checks": {"isin": "ABC"}}},
            "schema.columns.g.checks.isin",
            "wrong value for schema.columns.g.checks.isin: got 'ABC', expected a list of values "
            "(e.g. [a, b]).",
            id="isin-not-a-list",
        ),
        pytest.param(
            {"g": {"dtype": "String", "checks": {"isin": ["A", 1]}}},
            "schema.columns.g.checks.isin[1]",
            "wrong value for schema.columns.g.checks.isin[1]: got 1 (int), expected a string "
            "(quote it in YAML, e.g. '36') for a column of dtype String.",
            id="isin-item-wrong-type",
        ),
        pytest.param(
            {"g": {"dtype": "String", "checks": {"isin": []}}},
            "schema.columns.g.checks.isin",
            "empty list for schema.columns.g.checks.isin: isin needs at least one allowed value.",
            id="isin-empty",
        ),
        pytest.param(
            {"a": {"dtype": "Int64", "checks": {"in_range": {"min": 5, "max": 1}}}},
            "schema.columns.a.checks.in_range",
            "empty range for schema.columns.a.checks.in_range: min=5 max=1 admits no value; min "
            "must be below max.",
            id="in-range-empty",
        ),
        pytest.param(
            {"a": {"dtype": "Int64", "checks": {"in_range": {"min": 0, "maximum": 1}}}},
            "schema.columns.a.checks.in_range.maximum",
            "unknown key 'maximum' (key: schema.columns.a.checks.in_range.maximum). Did you mean: "
            "max? Available: include_max, include_min, max, min.",
            id="in-range-unknown-key",
        ),
        pytest.param(
            {"a": {"dtype": "Int64", "checks": {"in_range": {"min": 0}}}},
            "schema.columns.a.checks.in_range.max",
            "missing schema.columns.a.checks.in_range.max: in_range needs min and max.",
            id="in-range-missing-bound",
        ),
        pytest.param(
            {"s": {"dtype": "String", "checks": {"str_length": {"min": -1}}}},
            "schema.columns.s.checks.str_length.min",
            "wrong value for schema.columns.s.checks.str_length.min: got -1, expected a whole "
            "number >= 0.",
            id="str-length-negative",
        ),
        pytest.param(
            {"s": {"dtype": "String", "checks": {"str_matches": "([a-z]"}}},
            "schema.columns.s.checks.str_matches",
            "invalid regular expression '([a-z]' (key: schema.columns.s.checks.str_matches): "
            "error: unclosed group. Polars (Rust regex) syntax applies; the match is anchored "
            "at the start.",
            id="bad-regex",
        ),
        pytest.param(
            {"a": {"dtype": "Int64", "nullable": "no"}},
            "schema.columns.a.nullable",
            "wrong value for schema.columns.a.nullable: got 'no', expected true or false.",
            id="flag-not-bool",
        ),
        pytest.param(
            {"a": "Int64"},
            "schema.columns.a",
            "wrong value for schema.columns.a: got 'Int64', expected a mapping with keys dtype, "
            "nullable, unique, required, checks (e.g. {dtype: Int64, nullable: false}).",
            id="spec-not-a-mapping",
        ),
        pytest.param(
            {"a": {"dtype": "Int64", "checks": {"isin": [1, None]}}},
            "schema.columns.a.checks.isin[1]",
            "null in schema.columns.a.checks.isin[1]: nulls are governed by 'nullable', not by "
            "isin; remove it.",
            id="null-in-isin",
        ),
        pytest.param(
            {},
            "schema.columns",
            "schema.columns is empty: list at least one column (name: {dtype: ..., checks: ...}), "
            "or select schema=none to skip validation.",
            id="no-columns",
        ),
    ],
)
def test_config_errors_name_the_key_and_what_is_valid(columns, key, message):
    with pytest.raises(ConfigError) as err:
        create({"columns": columns})
    assert err.value.key == key
    assert str(err.value) == message


def test_unknown_top_level_parameter_is_suggested():
    with pytest.raises(ConfigError) as err:
        create({"columns": {"a": {}}, "strickt": True})
    assert err.value.key == "schema.strickt"
    assert "Did you mean: strict?" in str(err.value)


def test_errors_follow_the_config_location():
    with pytest.raises(ConfigError) as err:
        YamlSchema(YamlSchema.Params(columns={"a": {"dtype": "Int46"}}), where="predict.schema")
    assert err.value.key == "predict.schema.columns.a.dtype"
