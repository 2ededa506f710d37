"""Stored JSON: strict JSON that keeps infinities (as +-1e999) and turns NaN into null."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from driftline.engine.lineage.store.rows import db_float, to_json


def test_infinities_become_1e999_and_nan_null_outside_strings_only():
    obj = {
        "edges": [-math.inf, 0.5, math.inf],
        "mean": math.nan,
        # strings that look like the tokens json.dumps writes for infinities stay as they are
        "Infinity": "-Infinity and \"Infinity\" \\ Infinity",
        "sample": ["Infinity", "NaN", "-Infinity"],
    }
    expected = (
        '{"edges": [-1e999, 0.5, 1e999], "mean": null, '
        '"Infinity": "-Infinity and \\"Infinity\\" \\\\ Infinity", '
        '"sample": ["Infinity", "NaN", "-Infinity"]}'
    )
    assert to_json(obj) == expected
    back = json.loads(expected)
    assert back["edges"] == [-math.inf, 0.5, math.inf]
    assert back["mean"] is None
    assert back["Infinity"] == obj["Infinity"] and back["sample"] == obj["sample"]


def test_stored_infinity_is_valid_json_for_sqlite():
    conn = sqlite3.connect(":memory:")
    text = to_json({"x": [math.inf, -math.inf]})
    assert conn.execute(
        "SELECT json_valid(?), json_extract(?, '$.x[0]'), json_extract(?, '$.x[1]')",
        (text, text, text),
    ).fetchone() == (1, math.inf, -math.inf)


def test_numpy_values_and_paths_are_plain():
    obj = {"a": np.float64(0.25), "b": np.array([1, 2], dtype=np.int64), "p": Path("/d/x.csv"),
           "c": np.array([np.inf, 1.5]), 3: (True, None)}
    assert to_json(obj) == (
        '{"a": 0.25, "b": [1, 2], "p": "/d/x.csv", "c": [1e999, 1.5], "3": [true, null]}')


def test_objects_that_are_not_json_data_are_refused():
    with pytest.raises(TypeError, match="cannot store a set in the lineage store"):
        to_json({"x": {1, 2}})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), (math.nan, None), (math.inf, math.inf), (np.float32(0.5), 0.5), (3, 3.0)],
)
def test_db_float(value, expected):
    assert db_float(value) == expected
