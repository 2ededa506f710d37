"""Tests for engine/lineage/datahash.py against an independent, slow re-implementation of the format.

The reference below builds the documented ``dl-sha256-v1`` bytes value by value from plain
Python objects (``struct.pack``, ``hashlib``), without polars or numpy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import struct
import subprocess
import sys
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_series_equal

import driftline.engine.lineage.datahash as datahash
from driftline.engine.lineage.datahash import HASH_SCHEME, ColumnHash, FrameHash, hash_frame
from driftline.engine.errors import DataError

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1)
# A NaN with a non-canonical bit pattern (sign bit and payload set).
NAN_PAYLOAD = struct.unpack("<d", struct.pack("<Q", 0xFFF8_0000_0000_0123))[0]


# ---------------------------------------------------------------- independent reference

def _u64(x: int) -> bytes:
    return struct.pack("<Q", x)


def _lp(b: bytes) -> bytes:
    return _u64(len(b)) + b


def _validity(values: list[Any]) -> bytes:
    out = bytearray((len(values) + 7) // 8)
    for i, v in enumerate(values):
        if v is not None:
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)


def _float(fmt: str, nan_bits: bytes, v: float | None) -> bytes:
    if v is None:
        return struct.pack(fmt, 0.0)
    return nan_bits if math.isnan(v) else struct.pack(fmt, v)


def _scalar(dtype: str, v: Any) -> bytes:
    """Bytes of one fixed-width value (nulls as zero), from the documented table."""
    ints = {"Int8": "<b", "Int16": "<h", "Int32": "<i", "Int64": "<q",
            "UInt8": "<B", "UInt16": "<H", "UInt32": "<I", "UInt64": "<Q"}
    if dtype in ints:
        return struct.pack(ints[dtype], 0 if v is None else v)
    if dtype == "Float64":
        return _float("<d", struct.pack("<Q", 0x7FF8000000000000), v)
    if dtype == "Float32":
        return _float("<f", struct.pack("<I", 0x7FC00000), v)
    if dtype == "Float16":
        return _float("<e", struct.pack("<H", 0x7E00), v)
    if dtype == "Boolean":
        return b"\x01" if v else b"\x00"
    if dtype == "Date":
        return struct.pack("<i", 0 if v is None else (v - EPOCH.date()).days)
    if v is None:
        return struct.pack("<q", 0)
    if dtype == "Time":
        micros = ((v.hour * 60 + v.minute) * 60 + v.second) * 10**6 + v.microsecond
        return struct.pack("<q", micros * 1000)
    unit = dt.timedelta(milliseconds=1) if "(ms" in dtype else dt.timedelta(microseconds=1)
    if dtype.startswith("Datetime"):
        v = v - (EPOCH.replace(tzinfo=UTC) if v.tzinfo else EPOCH)
    return struct.pack("<q", v // unit)  # Datetime (as offset from epoch) and Duration


def _values(dtype: str, values: list[Any]) -> bytes:
    if dtype == "Null":
        return b""
    if dtype in ("String", "Binary"):
        raw = [b"" if v is None else (v.encode("utf-8") if isinstance(v, str) else v)
               for v in values]
        return b"".join(struct.pack("<I", len(r)) for r in raw) + b"".join(raw)
    return b"".join(_scalar(dtype, v) for v in values)


def reference_column(dtype: str, values: list[Any]) -> bytes:
    body = _lp(HASH_SCHEME.encode()) + _lp(dtype.encode()) + _u64(len(values))
    return hashlib.sha256(body + _validity(values) + _values(dtype, values)).digest()


def reference_frame(
    columns: list[tuple[str, str, list[Any]]], n_rows: int
) -> tuple[str, list[str]]:
    digests = [reference_column(dtype, values) for _, dtype, values in columns]
    body = _lp(HASH_SCHEME.encode()) + _u64(n_rows) + _u64(len(columns))
    for (name, dtype, _), digest in zip(columns, digests):
        body += _lp(name.encode()) + _lp(dtype.encode()) + digest
    return hashlib.sha256(body).hexdigest(), [d.hex() for d in digests]


# ---------------------------------------------------------------- fixtures

# (name, polars dtype, canonical DTYPE, Python values) — nulls, NaN, -0.0, unicode, ...
MIXED = [
    ("int64", pl.Int64, "Int64", [1, None, -(2**63), 2**63 - 1, 0]),
    ("int32", pl.Int32, "Int32", [-5, 7, None, 0, 2**31 - 1]),
    ("uint8", pl.UInt8, "UInt8", [255, 0, None, 1, 2]),
    ("int8", pl.Int8, "Int8", [-128, 127, 0, 1, -1]),  # no nulls: validity 0b00011111
    ("int16", pl.Int16, "Int16", [None, -300, 300, 0, 1]),
    ("uint16", pl.UInt16, "UInt16", [1, 2, 3, 4, 5]),
    ("uint32", pl.UInt32, "UInt32", [2**32 - 1, None, 0, 5, 6]),
    ("uint64", pl.UInt64, "UInt64", [2**64 - 1, 0, None, 3, 4]),
    ("float16", pl.Float16, "Float16", [0.5, None, float("nan"), -2.0, 65504.0]),
    ("float64", pl.Float64, "Float64", [1.5, float("nan"), None, -0.0, NAN_PAYLOAD]),
    ("float32", pl.Float32, "Float32", [0.25, None, float("nan"), -1.0, 3.0]),
    ("text", pl.String, "String", ["a", None, "", "é漢字🙂", "tab\tand,comma"]),
    ("code", pl.String, "String", ["x", "yy", "", "z", "w"]),
    ("flag", pl.Boolean, "Boolean", [True, False, None, True, False]),
    ("day", pl.Date, "Date", [dt.date(2024, 2, 29), None, dt.date(1969, 12, 31),
                              dt.date(1970, 1, 1), dt.date(2100, 1, 1)]),
    ("ts", pl.Datetime("us"), "Datetime(us)",
     [dt.datetime(2024, 1, 1, 12, 30, 1, 123456), None, dt.datetime(1960, 5, 6),
      EPOCH, dt.datetime(2030, 1, 1)]),
    ("ts_zone", pl.Datetime("ms", "UTC"), "Datetime(ms, UTC)",
     [dt.datetime(2024, 6, 1, 8, 0, tzinfo=UTC), None, EPOCH.replace(tzinfo=UTC),
      dt.datetime(2001, 9, 9, 1, 46, 40, 5000, tzinfo=UTC), None]),
    ("wait", pl.Duration("us"), "Duration(us)",
     [dt.timedelta(days=1, microseconds=3), None, dt.timedelta(0),
      dt.timedelta(seconds=-2), dt.timedelta(hours=5)]),
    ("clock", pl.Time, "Time", [dt.time(0, 0), dt.time(23, 59, 59, 999999), None,
                                dt.time(12, 1, 2, 3), dt.time(6)]),
    ("blob", pl.Binary, "Binary", [b"\x00\xff", None, b"", b"abc", b"\x80"]),
    ("nothing", pl.Null, "Null", [None] * 5),
]


def mixed_frame() -> pl.DataFrame:
    return pl.DataFrame([pl.Series(name, values, dtype=dtype) for name, dtype, _, values in MIXED])


def mixed_reference() -> tuple[str, list[str]]:
    return reference_frame([(name, dtype, values) for name, _, dtype, values in MIXED], 5)


def plain_frame() -> pl.DataFrame:
    """A small table of the types that survive a CSV round trip."""
    return pl.DataFrame({
        "id": [3, 1, None, 7],
        "amount": [1.5, -0.0, float("nan"), None],
        "name": ["ann", "bé", None, "漢字"],
        "ok": [True, None, False, True],
        "day": [dt.date(2024, 1, 31), None, dt.date(1999, 12, 31), dt.date(2024, 2, 1)],
        "seen": [dt.datetime(2024, 1, 1, 9, 30, 0, 250000), None,
                 dt.datetime(1969, 7, 20, 20, 17), dt.datetime(2024, 2, 1)],
    })


# ---------------------------------------------------------------- the format

def test_matches_independent_reference_on_mixed_table() -> None:
    result = hash_frame(mixed_frame())
    frame_hex, column_hex = mixed_reference()
    assert result.hash == frame_hex
    assert [c.hash for c in result.columns] == column_hex
    assert [c.dtype for c in result.columns] == [dtype for _, _, dtype, _ in MIXED]
    assert [c.name for c in result.columns] == [name for name, *_ in MIXED]
    assert result.n_rows == 5 and result.scheme == HASH_SCHEME


def test_known_answer_for_v1_is_pinned() -> None:
    # Pinned digest of a tiny table: changing the format must come with a new HASH_SCHEME.
    df = pl.DataFrame({"a": [1, None], "s": ["x", None]})
    expected = reference_frame([("a", "Int64", [1, None]), ("s", "String", ["x", None])], 2)[0]
    assert expected == "f38229ea361c64e4a7d2fd8e45801544783b104842dfd55c516c649de09e5c62"
    assert hash_frame(df).hash == expected


def test_slicing_chunks_and_offsets_do_not_change_the_hash(monkeypatch) -> None:
    monkeypatch.setattr(datahash, "SLICE_ROWS", 8)  # 21 rows -> slices of 8, 8, 5
    values = [None if i % 5 == 0 else i * 1.5 for i in range(21)]
    texts = [None if i % 4 == 1 else "v" * (i % 3) + str(i) for i in range(21)]
    expected = reference_frame([("x", "Float64", values), ("t", "String", texts)], 21)[0]
    whole = pl.DataFrame({"x": values, "t": texts})
    chunked = pl.concat([whole[:6], whole[6:13], whole[13:]], rechunk=False)
    padded = pl.concat([whole[:3], whole, whole[:2]]).slice(3, 21)
    assert whole.n_chunks() == 1 and chunked.n_chunks() > 1
    for df in (whole, chunked, padded):
        assert hash_frame(df).hash == expected


def test_threads_give_the_same_hash() -> None:
    df = mixed_frame()
    assert hash_frame(df, workers=1) == hash_frame(df, workers=2) == hash_frame(df, workers=8)


def test_empty_frames() -> None:
    df = mixed_frame().clear()
    frame_hex, column_hex = reference_frame([(n, d, []) for n, _, d, _ in MIXED], 0)
    result = hash_frame(df)
    assert result.hash == frame_hex and result.n_rows == 0
    assert [c.hash for c in result.columns] == column_hex
    assert hash_frame(pl.DataFrame()).hash == reference_frame([], 0)[0]


def test_categorical_and_enum_hash_as_their_strings() -> None:
    values = ["b", None, "a", "b", "c"]
    as_string = hash_frame(pl.DataFrame({"c": pl.Series(values, dtype=pl.String)}))
    for dtype in (pl.Categorical, pl.Enum(["c", "b", "a"])):
        other = hash_frame(pl.DataFrame({"c": pl.Series(values, dtype=dtype)}))
        assert other == as_string
    assert as_string.hash == reference_frame([("c", "String", values)], 5)[0]


# ---------------------------------------------------------------- what must (not) change it

def test_csv_and_parquet_round_trips_hash_the_same(tmp_path) -> None:
    df = plain_frame()
    df.write_csv(tmp_path / "t.csv")
    df.write_parquet(tmp_path / "t.parquet")
    from_csv = pl.read_csv(tmp_path / "t.csv", try_parse_dates=True)
    from_parquet = pl.read_parquet(tmp_path / "t.parquet")
    assert hash_frame(from_csv) == hash_frame(from_parquet) == hash_frame(df)


@pytest.mark.parametrize("column", [name for name, *_ in MIXED if name != "nothing"])
def test_one_changed_cell_changes_frame_hash_and_only_that_column(column: str) -> None:
    df = mixed_frame()
    before = hash_frame(df)
    s = df[column]
    # Row 0 takes row 4's value (different in every column), built without Python values.
    changed = df.with_columns(pl.concat([s[4:5], s[1:]]))
    assert_series_equal(changed[column][1:], s[1:])
    after = hash_frame(changed)
    assert after.hash != before.hash
    differs = [a.name for a, b in zip(after.columns, before.columns) if a.hash != b.hash]
    assert differs == [column]


def _pair(case: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    base = pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    moment = pl.DataFrame({"t": [dt.datetime(2024, 1, 1)]})
    return {
        "renamed": (base, base.rename({"a": "A"})),
        "Int64 vs Int32": (base, base.cast({"a": pl.Int32})),
        "swapped rows": (base, base[[1, 0, 2]]),
        "column order": (base, base.select("b", "a")),
        "null vs 0": (base, base.with_columns(a=pl.Series([None, 2, 3]))),
        "0 vs null": (pl.DataFrame({"a": [0, 2, 3]}), pl.DataFrame({"a": [None, 2, 3]})),
        "null vs empty": (pl.DataFrame({"b": [None, "y"]}), pl.DataFrame({"b": ["", "y"]})),
        "value boundary": (pl.DataFrame({"b": ["ab", "c"]}), pl.DataFrame({"b": ["a", "bc"]})),
        "NaN vs null": (pl.DataFrame({"f": [float("nan")]}),
                        pl.DataFrame({"f": [None]}, schema={"f": pl.Float64})),
        "-0.0 vs 0.0": (pl.DataFrame({"f": [-0.0]}), pl.DataFrame({"f": [0.0]})),
        "extra row": (base, pl.concat([base, base[:1]])),
        "time zone": (moment.cast({"t": pl.Datetime("us", "UTC")}),
                      moment.cast({"t": pl.Datetime("us")})),
        "String vs Binary": (pl.DataFrame({"b": ["x"]}), pl.DataFrame({"b": [b"x"]})),
    }[case]


@pytest.mark.parametrize("case", [
    "renamed", "Int64 vs Int32", "swapped rows", "column order", "null vs 0", "0 vs null",
    "null vs empty", "value boundary", "NaN vs null", "-0.0 vs 0.0", "extra row", "time zone",
    "String vs Binary",
])
def test_logical_change_changes_the_hash(case: str) -> None:
    left, right = _pair(case)
    assert hash_frame(left).hash != hash_frame(right).hash


def test_all_nans_are_one_value() -> None:
    payloads = np.array([0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001], dtype="<u8")
    odd = pl.DataFrame({"f": payloads.view("<f8")})
    canonical = pl.DataFrame({"f": [float("nan")] * 3})
    assert hash_frame(odd) == hash_frame(canonical)


def test_stable_across_processes() -> None:
    code = (
        "import sys, polars as pl; sys.path.insert(0, sys.argv[1]);"
        "from test_datahash import mixed_frame; from driftline.engine.lineage.datahash import hash_frame;"
        "print(hash_frame(mixed_frame()).hash)"
    )
    here = os.path.dirname(__file__)
    out = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONHASHSEED": "12345"}, timeout=60)
    assert out.stdout.strip() == hash_frame(mixed_frame()).hash == mixed_reference()[0]


# ---------------------------------------------------------------- API

@pytest.mark.parametrize("series", [
    pl.Series("nested", [[1], [2, 3]]),
    pl.Series("record", [{"x": 1}, {"x": 2}]),
    pl.Series("money", [1, 2], dtype=pl.Decimal(10, 2)),
])
def test_unsupported_dtype_is_a_data_error_naming_the_column(series: pl.Series) -> None:
    with pytest.raises(DataError, match=f"column '{series.name}': dtype .* not supported"):
        hash_frame(pl.DataFrame([pl.Series("fine", [1, 2]), series]))


def test_as_dict_is_json_ready_and_round_trips() -> None:
    result = hash_frame(plain_frame())
    data = json.loads(json.dumps(result.as_dict()))
    assert data["scheme"] == HASH_SCHEME and data["n_rows"] == 4
    assert data["columns"][0] == {"name": "id", "dtype": "Int64", "hash": result.columns[0].hash}
    assert FrameHash.from_dict(data) == result
    assert isinstance(result.columns[0], ColumnHash)
