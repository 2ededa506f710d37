"""Schema inference: dtypes, nulls, ranges and category sets read off a table, and YAML
that Hydra reads back into a schema the same table passes."""

import datetime as dt
import math

import pandera.errors as pe
import polars as pl
import pytest
from omegaconf import OmegaConf

from driftline.engine import Registry, UsageError
from driftline.engine.data.schema_infer import infer_schema, render_schema_yaml
from driftline.plugins.schemas import YamlSchema

AGES = [34, 18, 80, 45, 61]
INCOMES = [52_000.5, None, 31_250.25, 120_000.0, 8_000.75]
GRADES = ["C", "A", None, "G", "A"]


def frame():
    return pl.DataFrame({
        "age": AGES,
        "income": INCOMES,
        "grade": GRADES,
        "flag": [True, False, True, None, False],
        "day": [dt.date(2024, 1, d) for d in range(1, 6)],
        "stamp": pl.Series([dt.datetime(2024, 1, 1, h) for h in range(5)]).cast(pl.Datetime("ms")),
        "small": pl.Series([3, 1, 2, 2, 1], dtype=pl.UInt8),
        "ratio": pl.Series([0.5, 0.25, 0.125, 0.75, 1.5], dtype=pl.Float32),
        "cat": pl.Series(["y", "x", "y", "x", "x"], dtype=pl.Categorical),
        "tags": [[1], [2], [], [3], [4]],
    })


def schema_from_yaml(text):
    """What the engine does with a config file: OmegaConf (as Hydra) -> yaml schema."""
    node = OmegaConf.to_container(OmegaConf.create(text), resolve=True)
    reg = Registry()
    reg.add("schema", "yaml", YamlSchema)
    return node, reg.create("schema", node, where="schema").build()


def test_dtypes_nulls_ranges_and_categories():
    node = infer_schema(frame())
    assert node["kind"] == "yaml" and node["strict"] is False and node["coerce"] is False
    cols = node["columns"]
    assert cols["age"] == {"dtype": "Int64", "nullable": False,
                           "checks": {"in_range": {"min": min(AGES), "max": max(AGES)}}}
    known = [v for v in INCOMES if v is not None]
    assert cols["income"] == {"dtype": "Float64", "nullable": True,
                              "checks": {"in_range": {"min": min(known), "max": max(known)}}}
    assert cols["grade"] == {"dtype": "String", "nullable": True,
                             "checks": {"isin": sorted({g for g in GRADES if g is not None})}}
    assert cols["flag"] == {"dtype": "Boolean", "nullable": True}
    assert cols["day"] == {"dtype": "Date", "nullable": False}
    assert cols["stamp"] == {"dtype": "Datetime(ms)", "nullable": False}
    assert cols["small"] == {"dtype": "UInt8", "nullable": False,
                             "checks": {"in_range": {"min": 1, "max": 3}}}
    assert cols["ratio"] == {"dtype": "Float32", "nullable": False,
                             "checks": {"in_range": {"min": 0.125, "max": 1.5}}}
    assert cols["cat"] == {"dtype": "Categorical", "nullable": False, "checks": {"isin": ["x", "y"]}}
    # a dtype the yaml schema cannot name is left open
    assert cols["tags"] == {"nullable": False}


def test_time_zone_is_kept():
    df = pl.DataFrame({"t": [dt.datetime(2024, 1, 1)]}).with_columns(
        pl.col("t").dt.replace_time_zone("Europe/Paris"))
    assert infer_schema(df)["columns"]["t"]["dtype"] == "Datetime(us, Europe/Paris)"


def test_category_set_only_up_to_max_categories():
    df = pl.DataFrame({"s": ["a", "b", "c", "a"]})
    assert infer_schema(df, max_categories=3)["columns"]["s"]["checks"] == {"isin": ["a", "b", "c"]}
    assert "checks" not in infer_schema(df, max_categories=2)["columns"]["s"]
    assert "checks" not in infer_schema(df, max_categories=0)["columns"]["s"]


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_max_categories_must_be_a_count(bad):
    with pytest.raises(UsageError, match="max_categories must be a whole number >= 0"):
        infer_schema(frame(), max_categories=bad)


def test_nan_counts_as_null_and_drops_the_upper_bound():
    # pandera treats NaN as null, and NaN > every number in polars' ordering.
    df = pl.DataFrame({"f": [1.0, math.nan, -2.0], "g": [1.0, 2.0, 3.0],
                       "all_nan": [math.nan] * 3, "none": pl.Series([None] * 3, dtype=pl.Int64)})
    cols = infer_schema(df)["columns"]
    assert cols["f"] == {"dtype": "Float64", "nullable": True, "checks": {"ge": -2.0}}
    assert cols["g"]["nullable"] is False
    assert cols["all_nan"] == {"dtype": "Float64", "nullable": True}
    assert cols["none"] == {"dtype": "Int64", "nullable": True}


def test_yaml_has_a_header_and_round_trips():
    df = frame()
    node = infer_schema(df)
    text = render_schema_yaml(node, source="data/loans.csv", rows=df.height)
    lines = text.splitlines()
    assert lines[0] == "# Schema inferred by driftline from data/loans.csv (5 rows)."
    assert any("edit before use" in line for line in lines[:4])
    assert lines[4] == "kind: yaml"
    read_back, schema = schema_from_yaml(text)
    assert read_back == node
    assert schema.validate(df, lazy=True).equals(df)


def test_awkward_values_survive_yaml():
    values = ["yes", "null", "", "${oops}", "a: b", "it's", "Zürich", "1", "~"]
    df = pl.DataFrame({
        "s": values,
        "big": pl.Series([0, 2**64 - 1] + [1] * 7, dtype=pl.UInt64),
        "tiny": [1e-300, -math.inf, math.inf, 0.1, 0.2, 0.3, 0.4, 0.5, 2.5e20],
    })
    node = infer_schema(df)
    read_back, schema = schema_from_yaml(render_schema_yaml(node, source="x"))
    assert read_back["columns"]["s"]["checks"]["isin"] == sorted(values)
    assert read_back["columns"]["big"]["checks"] == {"in_range": {"min": 0, "max": 2**64 - 1}}
    assert read_back["columns"]["tiny"]["checks"] == {"in_range": {"min": -math.inf, "max": math.inf}}
    assert schema.validate(df, lazy=True).equals(df)


def test_inferred_schema_rejects_what_was_not_seen():
    df = frame()
    _, schema = schema_from_yaml(render_schema_yaml(infer_schema(df), source="x"))
    worse = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(max(AGES) + 1).otherwise(pl.col("age")).alias("age"),
        pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("Z")).otherwise(pl.col("grade")).alias("grade"),
    ).with_columns(pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col("age")).alias("age"))
    with pytest.raises(pe.SchemaErrors) as err:
        schema.validate(worse, lazy=True)
    got = set(err.value.failure_cases.select("column", "index").rows())
    assert got == {("age", 0), ("grade", 1), ("age", 2)}


def test_round_trip_on_the_demo_table():
    from driftline.plugins.sources.synthetic import generate_loans

    df = generate_loans(3000, seed=5)
    node = infer_schema(df)
    _, schema = schema_from_yaml(render_schema_yaml(node, source="synthetic"))
    assert schema.validate(df, lazy=True).equals(df)
    assert node["columns"]["employment_type"]["nullable"] is True
    assert node["columns"]["age"]["nullable"] is False
    assert node["columns"]["region"]["checks"] == {"isin": ["east", "north", "south", "west"]}
