"""Tests for plugins/splitters.py: sizes, disjoint cover, order, determinism, strata, time order."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from omegaconf import OmegaConf

from driftline.engine import ConfigError, DataError, Registry, RunContext
from driftline.engine.components.params import parse_params
from driftline.plugins import splitters as SP
from driftline.plugins.splitters import RandomSplitter, StratifiedSplitter, TimeSplitter

CONF = Path(SP.__file__).parent / "conf" / "split"
N = 1000


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    """1000 rows: id, a 700/300 label, a 500/333/167 colour with 10 nulls, shuffled days."""
    rng = np.random.default_rng(123)
    label = np.array([0] * 700 + [1] * 300)
    colour = np.array(["red"] * 500 + ["green"] * 333 + ["blue"] * 157 + [None] * 10, dtype=object)
    days = np.arange(N)
    perm_a, perm_b, perm_c = rng.permutation(N), rng.permutation(N), rng.permutation(N)
    return pl.DataFrame({
        "id": np.arange(N),
        "label": label[perm_a],
        "colour": pl.Series(colour[perm_b], dtype=pl.String),
        "day": pl.Series(days[perm_c] + 19000, dtype=pl.Int32).cast(pl.Date),
    })


def make(cls, **params):
    return cls(parse_params(cls.Params, params, where="split"))


def ids(parts: dict[str, pl.DataFrame]) -> dict[str, list[int]]:
    return {role: part["id"].to_list() for role, part in parts.items()}


def assert_partition(parts: dict[str, pl.DataFrame], total: int) -> None:
    """Disjoint, covering, and each part in input (id) order."""
    every = [i for part in ids(parts).values() for i in part]
    assert sorted(every) == list(range(total))
    for role, part in ids(parts).items():
        assert part == sorted(part), role


# -- random -----------------------------------------------------------------------------
def test_random_sizes_cover_and_order(table):
    parts = make(RandomSplitter, test_size=0.2, valid_size=0.15).split(table, RunContext(seed=1))
    assert list(parts) == ["train", "valid", "test"]
    assert {r: p.height for r, p in parts.items()} == {"train": 650, "valid": 150, "test": 200}
    assert_partition(parts, N)
    assert parts["train"].columns == table.columns


def test_random_sizes_round_halves_up():
    small = pl.DataFrame({"id": range(7)})
    parts = make(RandomSplitter, test_size=0.5, valid_size=0.0).split(small, RunContext())
    assert {r: p.height for r, p in parts.items()} == {"train": 3, "test": 4}  # 3.5 -> 4


def test_random_is_deterministic_per_seed(table):
    splitter = make(RandomSplitter)
    a = ids(splitter.split(table, RunContext(seed=5)))
    assert a == ids(make(RandomSplitter).split(table, RunContext(seed=5)))
    assert a["test"] != ids(splitter.split(table, RunContext(seed=6)))["test"]


def test_random_test_rows_are_spread_over_the_table(table):
    test = make(RandomSplitter).split(table, RunContext(seed=2))["test"]["id"].to_numpy()
    assert test.min() < 100 and test.max() > 900  # not a head or tail slice


def test_random_without_valid_part(table):
    parts = make(RandomSplitter, valid_size=0).split(table, RunContext())
    assert list(parts) == ["train", "test"]
    assert_partition(parts, N)


@pytest.mark.parametrize(("rows", "params", "fragments"), [
    (5, {"test_size": 0.05}, ["random split: the test part is empty (5 rows in total)",
                              "raise split.test_size (0.05)"]),
    (3, {"test_size": 0.34, "valid_size": 0.1}, ["the valid part is empty",
                                                 "split.valid_size (0.1)", "set it to 0"]),
    (2, {"test_size": 0.4, "valid_size": 0.4}, ["the train part is empty",
                                                "lower split.test_size (0.4) or split.valid_size (0.4)"]),
])
def test_random_empty_part_is_a_data_error(rows, params, fragments):
    with pytest.raises(DataError) as err:
        make(RandomSplitter, **params).split(pl.DataFrame({"id": range(rows)}), RunContext())
    for fragment in fragments:
        assert fragment in str(err.value), fragment


@pytest.mark.parametrize(("params", "fragment"), [
    ({"test_size": 0.6, "valid_size": 0.4}, "must be below 1"),
    ({"test_size": 0}, "split.test_size=0"),
    ({"valid_size": -0.1}, "split.valid_size=-0.1"),
    ({"test_sise": 0.3}, "Did you mean: test_size?"),
])
def test_size_params_are_checked(params, fragment):
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        parse_params(RandomSplitter.Params, params, where="split")


# -- stratified -------------------------------------------------------------------------
def counts(part: pl.DataFrame, column: str) -> dict:
    return dict(part[column].value_counts().iter_rows())


def test_stratified_on_target_keeps_class_counts(table):
    parts = make(StratifiedSplitter, test_size=0.2, valid_size=0.1).split(
        table, RunContext(seed=3, target="label"))
    assert_partition(parts, N)
    # by hand: 700 -> test 140, valid 70; 300 -> test 60, valid 30
    assert counts(parts["test"], "label") == {0: 140, 1: 60}
    assert counts(parts["valid"], "label") == {0: 70, 1: 30}
    assert counts(parts["train"], "label") == {0: 490, 1: 210}


def test_stratified_on_a_column_with_nulls(table):
    parts = make(StratifiedSplitter, column="colour", test_size=0.25, valid_size=0.15).split(
        table, RunContext(seed=4))
    assert_partition(parts, N)
    # by hand, round(m * share) with halves up: red 500 -> 125 / 75; green 333 -> 83.25 -> 83 /
    # 49.95 -> 50; blue 157 -> 39.25 -> 39 / 23.55 -> 24; null 10 -> 2.5 -> 3 / 1.5 -> 2
    assert counts(parts["test"], "colour") == {"red": 125, "green": 83, "blue": 39, None: 3}
    assert counts(parts["valid"], "colour") == {"red": 75, "green": 50, "blue": 24, None: 2}


def test_stratified_is_deterministic_and_seeded(table):
    ctx = RunContext(seed=8, target="label")
    first = ids(make(StratifiedSplitter).split(table, ctx))
    assert first == ids(make(StratifiedSplitter).split(table, ctx))
    assert first["test"] != ids(make(StratifiedSplitter).split(table, RunContext(seed=9, target="label")))["test"]


def test_stratified_categorical_column_matches_string_column(table):
    ctx = RunContext(seed=2)
    as_string = ids(make(StratifiedSplitter, column="colour").split(table, ctx))
    as_cat = table.with_columns(pl.col("colour").cast(pl.Categorical))
    assert ids(make(StratifiedSplitter, column="colour").split(as_cat, ctx)) == as_string


def test_stratified_unknown_column(table):
    with pytest.raises(DataError, match=r"column 'color' \(key: split\.column\) is not in the data\. "
                                        r"Did you mean: colour\?"):
        make(StratifiedSplitter, column="color").split(table, RunContext())
    with pytest.raises(DataError, match=r"column 'target'"):
        make(StratifiedSplitter).split(table, RunContext())  # default target name


def test_stratified_refuses_a_continuous_column():
    frame = pl.DataFrame({"x": np.linspace(0, 1, 2000)})
    with pytest.raises(DataError, match=r"'x' has 2000 distinct values.*split=random"):
        make(StratifiedSplitter, column="x").split(frame, RunContext())


# -- time -------------------------------------------------------------------------------
def test_time_split_by_shares_orders_parts(table):
    parts = make(TimeSplitter, column="day", test_size=0.2, valid_size=0.1).split(table, RunContext())
    assert_partition(parts, N)
    assert {r: p.height for r, p in parts.items()} == {"train": 700, "valid": 100, "test": 200}
    assert parts["train"]["day"].max() < parts["valid"]["day"].min()
    assert parts["valid"]["day"].max() < parts["test"]["day"].min()
    # by hand: days are 19000..19999 shuffled; test = the latest 200 days
    assert parts["test"]["day"].min() == dt.date(1970, 1, 1) + dt.timedelta(days=19800)


def test_time_split_keeps_equal_times_in_one_part():
    # 10 rows per day over 30 days, input order shuffled
    rng = np.random.default_rng(0)
    days = np.repeat(np.arange(30), 10)[rng.permutation(300)]
    frame = pl.DataFrame({"id": range(300), "day": pl.Series(days + 19000, dtype=pl.Int32).cast(pl.Date)})
    parts = make(TimeSplitter, column="day", test_size=0.25, valid_size=0.1).split(frame, RunContext())
    assert_partition(parts, 300)
    sets = [set(parts[r]["day"].to_list()) for r in ("train", "valid", "test")]
    assert not (sets[0] & sets[1] or sets[1] & sets[2] or sets[0] & sets[2])
    # by hand: test starts at sorted[300 - 75] = day 22 (its first row is the 221st), so the
    # whole of day 22 goes to test: 8 days x 10 rows; valid starts at sorted[195] = day 19.
    assert parts["test"].height == 80 and parts["valid"].height == 30


def test_time_split_by_cutoffs(table):
    parts = make(TimeSplitter, column="day", valid_from="2023-01-01", test_from="2024-01-01").split(
        table, RunContext())
    assert_partition(parts, N)
    expect = {
        "train": table.filter(pl.col("day") < dt.date(2023, 1, 1)),
        "valid": table.filter(pl.col("day").is_between(dt.date(2023, 1, 1), dt.date(2023, 12, 31))),
        "test": table.filter(pl.col("day") >= dt.date(2024, 1, 1)),
    }
    assert ids(parts) == ids(expect)
    assert parts["test"].height == 19999 - 19723 + 1  # 2024-01-01 is day 19723


def test_time_cutoff_with_a_time_of_day_on_a_date_column(table):
    parts = make(TimeSplitter, column="day", test_from="2024-01-01T12:00").split(table, RunContext())
    assert list(parts) == ["train", "test"]
    assert parts["train"]["day"].max() == dt.date(2024, 1, 1)  # before noon of that day
    assert parts["test"]["day"].min() == dt.date(2024, 1, 2)


def test_time_cutoff_on_a_zoned_datetime_column():
    stamps = [dt.datetime(2024, 6, 30, 23, 30), dt.datetime(2024, 7, 1, 0, 30), dt.datetime(2024, 5, 1)]
    frame = pl.DataFrame({"id": [0, 1, 2], "ts": stamps}).with_columns(
        pl.col("ts").dt.replace_time_zone("Europe/Paris"))
    parts = make(TimeSplitter, column="ts", test_from="2024-07-01").split(frame, RunContext())
    assert ids(parts) == {"train": [0, 2], "test": [1]}  # midnight in the column's own zone


def test_time_describe_shows_what_is_used():
    assert make(TimeSplitter, column="day").describe() == {
        "kind": "", "column": "day", "test_size": 0.2, "valid_size": 0.1}
    assert make(TimeSplitter, column="day", test_from="2025-07-01").describe() == {
        "kind": "", "column": "day", "test_from": "2025-07-01", "valid_from": None}


@pytest.mark.parametrize(("params", "fragments"), [
    ({"test_from": "2030-01-01"}, ["time split: the test part is empty", "split.test_from (2030-01-01)",
                                   "day runs from 2022-01-08 to 2024-10-04"]),
    ({"test_from": "2023-01-01", "valid_from": "2000-01-01"},
     ["the train part is empty", "Move the cutoffs later"]),
    ({"test_from": "2023-01-03", "valid_from": "2023-01-02"},
     ["the valid part is empty"]),
])
def test_time_empty_parts(params, fragments):
    days = [dt.date(2022, 1, 8), dt.date(2023, 1, 1), dt.date(2024, 10, 4)]
    frame = pl.DataFrame({"id": [0, 1, 2], "day": days})
    with pytest.raises(DataError) as err:
        make(TimeSplitter, column="day", **params).split(frame, RunContext())
    for fragment in fragments:
        assert fragment in str(err.value), fragment


def test_time_all_rows_at_one_time_is_explained():
    frame = pl.DataFrame({"id": range(10), "day": [dt.date(2024, 1, 1)] * 10})
    with pytest.raises(DataError, match=r"the train part is empty.*Rows sharing one day value"):
        make(TimeSplitter, column="day").split(frame, RunContext())


@pytest.mark.parametrize(("frame", "fragment"), [
    (pl.DataFrame({"day": ["2024-01-01"]}), "is String, not a Date or Datetime"),
    (pl.DataFrame({"day": [dt.date(2024, 1, 1), None]}), "has 1 null values"),
    (pl.DataFrame({"dya": [dt.date(2024, 1, 1)]}), "Did you mean: dya?"),
])
def test_time_unfit_column(frame, fragment):
    with pytest.raises(DataError, match=re.escape(fragment)):
        make(TimeSplitter, column="day").split(frame, RunContext())


@pytest.mark.parametrize(("params", "fragment"), [
    ({"valid_from": "2024-01-01"}, "split.valid_from needs split.test_from"),
    ({"test_from": "2024-01-01", "valid_from": "2024-02-01"}, "must be before split.test_from"),
    ({"test_from": "01/02/2024"}, "split.test_from must be an ISO-8601 date"),
    ({}, "missing required parameter 'column'"),
])
def test_time_params_are_checked(params, fragment):
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        parse_params(TimeSplitter.Params, {"column": "day", **params} if params else {}, where="split")


# -- config group options ---------------------------------------------------------------
OPTIONS = {"random": RandomSplitter, "stratified": StratifiedSplitter, "time": TimeSplitter}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_split_option_file_builds_its_component(name):
    node = OmegaConf.to_container(OmegaConf.load(CONF / f"{name}.yaml"))
    assert node["kind"] == name
    component = Registry.from_environment().create("splitter", node, where="split")
    assert type(component).__mro__[1] is OPTIONS[name]
    for key, value in node.items():
        if key != "kind":
            assert getattr(component.params, key) == value, key
    lines = (CONF / f"{name}.yaml").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^\s*[A-Za-z_]\w*:", line):
            assert i > 0 and lines[i - 1].lstrip().startswith("#"), line


def test_time_option_splits_the_demo_table():
    from driftline.plugins.sources.synthetic import generate_loans

    node = OmegaConf.to_container(OmegaConf.load(CONF / "time.yaml"))
    splitter = Registry.from_environment().create("splitter", node, where="split")
    parts = splitter.split(generate_loans(2000, 1), RunContext())
    assert parts["train"]["application_date"].max() < parts["valid"]["application_date"].min()
    assert parts["valid"]["application_date"].max() < parts["test"]["application_date"].min()
