"""Schema inference: dtypes, nulls, ranges and category sets read off a table, and YAML
that Hydra reads back into a schema the same table passes."""

import datetime as dt
import math

import pandera.errors as pe
import polars as pl
import pytest
from omegaconf import OmegaConf

from driftline.engine import Registry, UsageError
from driftline.engine.data.schema_infer import (infer_schema, infer_schema_and_notes, name_parts,
                                                render_schema_yaml)
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


# -- columns whose next batch leaves the sample's range ----------------------------------
N = 400


def batch(start_id: int, first_year: int, seed: int = 0) -> pl.DataFrame:
    """Loans with an id, a year, a month, an ever-growing sequence and measured columns."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return pl.DataFrame({
        "loan_id": np.arange(start_id, start_id + N),
        "row": rng.permutation(N) + start_id,  # distinct, densely numbered, shuffled
        "customerId": rng.integers(0, 50, N),
        "vintage_year": first_year + np.sort(rng.integers(0, 3, N)),
        "yearofbirth": rng.integers(1950, 2000, N),
        "sale_month": rng.integers(1, 4, N),  # only Jan..Mar in this batch
        "pickup_day_of_week": rng.integers(0, 7, N),
        "batch_no": np.sort(rng.integers(start_id, start_id + 10, N)),
        "amount": np.round(rng.normal(1000, 100, N), 2),
        "years_employed": rng.integers(0, 40, N),
        "yearly_income": rng.integers(20_000, 90_000, N),
        "uuid": [f"u{start_id + i}" for i in range(N)],
        "grade": np.array(list("ABC"))[rng.integers(0, 3, N)],
    })


def test_ids_years_and_sequences_get_no_exact_range():
    node, notes = infer_schema_and_notes(batch(1, 2019))
    cols = node["columns"]
    for open_column in ("loan_id", "row", "customerId", "vintage_year", "yearofbirth"):
        assert "checks" not in cols[open_column], open_column
        assert notes[open_column].startswith("no range"), open_column
    assert "checks" not in cols["uuid"]  # more than 50 values
    assert "identifier" in notes["loan_id"] and "calendar year" in notes["vintage_year"]
    assert cols["sale_month"]["checks"] == {"in_range": {"min": 1, "max": 12}}
    assert "calendar range of a month" in notes["sale_month"]
    assert cols["pickup_day_of_week"]["checks"] == {"in_range": {"min": 0, "max": 7}}
    assert cols["batch_no"]["checks"] == {"ge": 1}
    assert notes["batch_no"].startswith("lower bound only")
    # ordinary measured columns keep the observed range, without a note
    df = batch(1, 2019)
    for measured in ("amount", "years_employed", "yearly_income"):
        assert cols[measured]["checks"] == {"in_range": {"min": df[measured].min(),
                                                         "max": df[measured].max()}}
        assert measured not in notes
    assert cols["grade"]["checks"] == {"isin": ["A", "B", "C"]} and "grade" not in notes
    # even with room for every value, an identifier gets no category set
    node, notes = infer_schema_and_notes(df, max_categories=N)
    assert "checks" not in node["columns"]["uuid"] and "identifier" in notes["uuid"]
    assert node["columns"]["grade"]["checks"] == {"isin": ["A", "B", "C"]}


def test_a_later_batch_with_new_ids_and_years_passes():
    first = batch(1, 2019)
    node, notes = infer_schema_and_notes(first)
    text = render_schema_yaml(node, source="first.csv", rows=first.height, notes=notes)
    _, schema = schema_from_yaml(text)
    later = batch(100_000, 2024, seed=1).with_columns(  # later months too
        pl.Series("sale_month", [10, 11, 12] * (N // 3) + [12] * (N % 3)))
    later = later.with_columns(  # measured columns inside the first batch's ranges
        *(pl.col(c).clip(first[c].min(), first[c].max())
          for c in ("amount", "years_employed", "yearly_income")))
    assert schema.validate(later, lazy=True).equals(later)
    # the ranges that were kept still catch what is out of them
    worse = later.with_columns(pl.col("amount") + 10_000)
    with pytest.raises(pe.SchemaErrors):
        schema.validate(worse, lazy=True)


def test_notes_are_comments_above_their_column():
    node, notes = infer_schema_and_notes(batch(1, 2019))
    lines = render_schema_yaml(node, source="x", notes=notes).splitlines()
    at = lines.index("  loan_id:")
    assert lines[at - 1].startswith("  # no range: the name marks an identifier (1..400 here)")
    at = lines.index("  vintage_year:")
    assert any("calendar year" in line for line in lines[at - 2:at])
    assert all(len(line) <= 100 for line in lines[4:])
    assert lines[lines.index("  amount:") - 1].startswith("    ")  # no comment on amount


def test_patterns_need_enough_rows():
    # five values in order, or all distinct, are chance: the exact range stays
    df = pl.DataFrame({"n": [1, 2, 3, 5, 8], "s": ["a", "b", "c", "d", "e"]})
    node, notes = infer_schema_and_notes(df)
    assert node["columns"]["n"]["checks"] == {"in_range": {"min": 1, "max": 8}}
    assert node["columns"]["s"]["checks"] == {"isin": list("abcde")}
    assert notes == {}
    many = pl.DataFrame({"s": [f"v{i}" for i in range(30)]})
    node, notes = infer_schema_and_notes(many)
    assert "checks" not in node["columns"]["s"] and "distinct" in notes["s"]


def test_floats_with_nan_and_rising_values():
    rising = [float(i) for i in range(30)]
    df = pl.DataFrame({"t": rising, "t_nan": rising[:-1] + [math.nan]})
    node, notes = infer_schema_and_notes(df)
    assert node["columns"]["t"]["checks"] == {"ge": 0.0} and "never decrease" in notes["t"]
    assert node["columns"]["t_nan"]["checks"] == {"ge": 0.0} and "t_nan" not in notes


def test_name_parts():
    assert name_parts("customerId") == ["customer", "id"]
    assert name_parts("Order Month") == ["order", "month"]
    assert name_parts("HTTPStatus_code") == ["http", "status", "code"]
    assert name_parts("paid") == ["paid"]


def test_header_names_the_read_settings():
    text = render_schema_yaml({"kind": "yaml", "columns": {}}, source="b.csv", rows=3,
                              read_with={"null_values": ["NA", "n/a"], "separator": ";"})
    assert text.splitlines()[0] == ("# Schema inferred by driftline from b.csv (3 rows; read "
                                    "with data.null_values=[NA, n/a] data.separator=';').")
    assert text.splitlines()[-1] == "columns: {}"


def test_null_values_read_na_integers_as_nullable_integers(tmp_path):
    from driftline.engine.data.files import read_data_file

    (tmp_path / "b.csv").write_text("id,count,note\n1,5,x\n2,NA,y\n3,7,NA\n")
    df = read_data_file(Registry.from_environment(), str(tmp_path / "b.csv"),
                        overrides={"null_values": ["NA"]})
    cols = infer_schema(df)["columns"]
    assert cols["count"] == {"dtype": "Int64", "nullable": True,
                             "checks": {"in_range": {"min": 5, "max": 7}}}
    assert cols["note"] == {"dtype": "String", "nullable": True, "checks": {"isin": ["x", "y"]}}


def test_numbers_read_as_text_because_of_a_marker_get_a_hint():
    df = pl.DataFrame({"n": ["1", "NA", "3", "-", "5"] * 10, "z": ["1", "2"] * 25,
                       "s": ["a", "NA"] * 25})
    node, notes = infer_schema_and_notes(df)
    assert notes["n"].startswith("read as text: 30 of 50 values are numbers, the others "
                                 "'NA', '-'; if those mean missing")
    assert "--null-values" in notes["n"]
    assert node["columns"]["n"]["checks"] == {"isin": ["-", "1", "3", "5", "NA"]}
    assert "z" not in notes and "s" not in notes  # all numbers; mostly not numbers
