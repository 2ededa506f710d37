"""Hostile CSV files through the csv source: layout errors, encodings, quoting, line endings,
and column types decided from every row, checked against pl.read_csv and Python's csv."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from driftline.engine import DataError, RunContext
from driftline.engine.components.params import parse_params
from driftline.plugins.sources.files import CsvSource


@pytest.fixture
def ctx(tmp_path) -> RunContext:
    return RunContext(base_dir=tmp_path)


def source(**params) -> CsvSource:
    return CsvSource(parse_params(CsvSource.Params, params, where="data"))


def load(ctx: RunContext, **params) -> pl.DataFrame:
    return source(**params).load(ctx).collect()


def error(ctx: RunContext, **params) -> str:
    """The one-line message of the DataError that reading (load + collect) raises."""
    with pytest.raises(DataError) as err:
        load(ctx, **params)
    message = str(err.value)
    assert "\n" not in message, message
    return message


def table(n: int) -> list[list[str]]:
    """Header + ``n`` rows of five columns."""
    rows = [["id", "age", "score", "grade", "note"]]
    rows += [[str(i), str(20 + i % 50), f"{i * 0.25:.2f}", "ABC"[i % 3], f"n{i}"]
             for i in range(1, n + 1)]
    return rows


def write_lines(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_bytes(end.join(lines).encode() + end.encode())
    return path


# -- field counts -----------------------------------------------------------------------
@pytest.mark.parametrize("last_empty", [False, True])
def test_line_with_an_extra_field_names_file_and_line(tmp_path, ctx, last_empty):
    lines = [",".join(r) for r in table(10)]
    if last_empty:  # some rows with an empty last value, so the field count runs too
        lines[3] = lines[3].rsplit(",", 1)[0] + ","
    lines[6] += ",surplus"  # line 7 of the file
    path = write_lines(tmp_path / "extra.csv", lines)
    message = error(ctx, path="extra.csv")
    for fragment in (str(path), "line 7 has 6 fields, the header has 5", "double quotes",
                     "(key: data.path)"):
        assert fragment in message, fragment
    assert "internal" not in message and "Schema" not in message


def test_line_with_a_missing_field_names_file_and_line(tmp_path, ctx):
    lines = [",".join(r) for r in table(10)]
    lines[6] = lines[6].rsplit(",", 1)[0]  # line 7: four fields
    path = write_lines(tmp_path / "short.csv", lines)
    message = error(ctx, path="short.csv")
    for fragment in (str(path), "line 7 has 4 fields, the header has 5", "missing field"):
        assert fragment in message, fragment


def test_missing_field_after_a_value_spanning_lines_names_the_physical_line(tmp_path, ctx):
    rows = table(8)
    rows[2][4] = "first line\nsecond, line\nthird"  # record 3 spans file lines 3-5
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    lines = buffer.getvalue().splitlines()
    assert lines[7] == ",".join(rows[5])  # file line 8 holds data row 5
    lines[7] = ",".join(rows[5][:3])
    path = write_lines(tmp_path / "span.csv", lines)
    message = error(ctx, path="span.csv")
    assert str(path) in message and "line 8 has 3 fields, the header has 5" in message


def test_missing_field_in_the_second_file_of_a_glob(tmp_path, ctx):
    rows = table(6)
    write_lines(tmp_path / "p1.csv", [",".join(r) for r in rows[:4]])
    second = [",".join(rows[0])] + [",".join(r) for r in rows[4:]]
    second[2] = second[2].rsplit(",", 1)[0]
    write_lines(tmp_path / "p2.csv", second)
    message = error(ctx, path="p*.csv")
    assert str(tmp_path / "p2.csv") in message and "line 3 has 4 fields" in message


def test_empty_last_values_are_nulls_not_missing_fields(tmp_path, ctx):
    lines = [",".join(r) for r in table(30)]
    for i in (2, 9, 30):
        lines[i] = lines[i].rsplit(",", 1)[0] + ","
    write_lines(tmp_path / "nulls.csv", lines)
    got = load(ctx, path="nulls.csv")
    assert_frame_equal(got, pl.read_csv(tmp_path / "nulls.csv"))
    assert got["note"].null_count() == 3 and got.height == 30


def test_blank_lines_are_dropped_as_pythons_csv_does(tmp_path, ctx):
    lines = [",".join(r) for r in table(6)]
    lines[3:3] = ["", ""]
    lines.append("")
    path = write_lines(tmp_path / "blank.csv", lines)
    got = load(ctx, path="blank.csv", infer_schema_length=0)
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    assert got.columns == rows[0] and got.rows() == [tuple(r) for r in rows[1:]]


# -- header -----------------------------------------------------------------------------
def test_two_columns_with_the_same_name(tmp_path, ctx):
    path = write_lines(tmp_path / "dup.csv", ["id,x,y,x", "1,2,3,4"])
    with pytest.raises(DataError) as err:
        source(path="dup.csv").load(ctx)
    message = str(err.value)
    for fragment in (str(path), "two columns named 'x'", "columns 2 and 4", "rename"):
        assert fragment in message, fragment


def test_byte_order_mark_is_not_part_of_the_first_name(tmp_path, ctx):
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfid,amount\n1,2.5\n2,\n")
    got = load(ctx, path="bom.csv")
    assert got.columns == ["id", "amount"]
    assert_frame_equal(got, pl.DataFrame({"id": [1, 2], "amount": [2.5, None]}))
    (tmp_path / "bom2.csv").write_bytes(b"\xef\xbb\xbfid,id\n1,2\n")
    with pytest.raises(DataError, match=r"two columns named 'id' \(columns 1 and 2"):
        source(path="bom2.csv").load(ctx)


# -- quoting, line endings, encoding ----------------------------------------------------
TRICKY = [["id", "text", "amount"],
          ["1", "plain", "1.5"],
          ["2", "a, b, and c", "2"],
          ["3", 'she said "no"', ""],
          ["4", "two\nlines, one comma", "4.25"],
          ["5", "crlf\r\ninside", "5"],
          ["6", "", "6"]]


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_quoted_separators_quotes_and_newlines_read_as_pythons_csv(tmp_path, ctx, end):
    path = tmp_path / "quoted.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator=end).writerows(TRICKY)
    got = load(ctx, path="quoted.csv", infer_schema_length=0)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    expected = [tuple(v or None for v in r) for r in rows[1:]]  # empty values read as null
    assert got.columns == rows[0] and got.rows() == expected
    typed = load(ctx, path="quoted.csv")
    assert typed.schema == pl.Schema({"id": pl.Int64, "text": pl.String, "amount": pl.Float64})
    assert typed["amount"].to_list() == [float(r[2]) if r[2] else None for r in rows[1:]]


def test_crlf_reads_the_same_as_lf(tmp_path, ctx):
    lines = [",".join(r) for r in table(40)] + ["41,30,,B,"]
    write_lines(tmp_path / "lf.csv", lines)
    write_lines(tmp_path / "crlf.csv", lines, end="\r\n")
    lf, crlf = load(ctx, path="lf.csv"), load(ctx, path="crlf.csv")
    assert_frame_equal(crlf, lf)
    assert lf["note"][-1] is None and lf["note"][0] == "n1"
    short = lines[:5] + ["5,24,1.25,C"] + lines[5:]
    write_lines(tmp_path / "short.csv", short, end="\r\n")
    assert "line 6 has 4 fields" in error(ctx, path="short.csv")


def test_invalid_utf8_names_file_line_and_column(tmp_path, ctx):
    data = b"id,name,amount\n1,Ann,1.5\n2,Bob,2\n3,Jos\xe9,3\n4,Eve,4\n"
    (tmp_path / "latin1.csv").write_bytes(data)
    message = error(ctx, path="latin1.csv")
    for fragment in (str(tmp_path / "latin1.csv"), "not valid UTF-8", "line 4",
                     "column 'name'", "re-save the file as UTF-8", "data.encoding: utf8-lossy"):
        assert fragment in message, fragment
    got = load(ctx, path="latin1.csv", encoding="utf8-lossy")
    names = [line.split(",")[1] for line in data.decode("utf-8", "replace").splitlines()[1:]]
    assert got["name"].to_list() == names and names[2] == "Jos\ufffd"
    assert got["amount"].to_list() == [1.5, 2.0, 3.0, 4.0]


# -- column types -----------------------------------------------------------------------
def _numbers_with_markers(path: Path, n: int = 6000) -> dict[int, str]:
    """Column x: integers, except 'N/A' at data row 5001 and two more markers later."""
    markers = {5001: "N/A", 5400: "N/A", 5900: "-"}
    lines = ["id,x,label"] + [f"{i},{markers.get(i, i * 7)},t{i % 4}" for i in range(1, n + 1)]
    write_lines(path, lines)
    return markers


def test_numeric_column_with_a_late_marker_is_an_error_not_text(tmp_path, ctx):
    path = tmp_path / "late.csv"
    markers = _numbers_with_markers(path)
    with pytest.raises(DataError) as err:
        source(path="late.csv").load(ctx)
    message = str(err.value)
    for fragment in ("column 'x' holds numbers except 'N/A'", f"file {path}, row 5001",
                     "and 2 other rows", "other such values: '-'",
                     "add 'N/A' to data.null_values if it means missing",
                     "data.schema_overrides: {x: String}"):
        assert fragment in message, fragment
    got = load(ctx, path="late.csv", null_values=["N/A", "-"])
    assert got.schema["x"] == pl.Int64
    expected = [None if i in markers else i * 7 for i in range(1, 6001)]
    assert got["x"].to_list() == expected
    as_text = load(ctx, path="late.csv", schema_overrides={"x": "String"})
    assert as_text["x"][5000] == "N/A" and as_text["x"].null_count() == 0


def test_textual_and_half_numeric_columns_stay_text_without_nulls(tmp_path, ctx):
    # ids: mostly 'A12'-like; late: numbers for 5,000 rows, then text for as many
    lines = ["ids,late"] + [f"{'A' if i % 5 else ''}{i},{i if i <= 5000 else f'v{i}'}"
                            for i in range(1, 10_001)]
    path = write_lines(tmp_path / "text.csv", lines)
    got = load(ctx, path="text.csv")
    assert got.schema == pl.Schema({"ids": pl.String, "late": pl.String})
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    assert got.rows() == [tuple(r) for r in rows] and got.null_count().row(0) == (0, 0)


def test_date_column_with_one_odd_value_is_an_error(tmp_path, ctx):
    days = [(dt.date(2024, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(300)]
    days[250] = "unknown"
    write_lines(tmp_path / "days.csv", ["day,n"] + [f"{d},{i}" for i, d in enumerate(days)])
    message = error(ctx, path="days.csv")
    assert "column 'day' holds dates except 'unknown'" in message and "row 251" in message
    got = load(ctx, path="days.csv", null_values=["unknown"])
    assert got.schema["day"] == pl.Date and got["day"][250] is None
    assert got["day"][249] == dt.date(2024, 1, 1) + dt.timedelta(days=249)


def test_types_from_every_row_match_polars_full_inference(tmp_path, ctx):
    n = 2000
    lines = ["i,f,b,d,ts,tz,s,late_float"] + [
        f"{i if i % 17 else 'NA'},{i / 8},{'true' if i % 3 else 'False'},"
        f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},2024-03-01 10:{i % 60:02d}:{i % 60:02d},"
        f"2024-03-01T10:11:{i % 60:02d}Z,s{i % 7},{i if i < 1500 else i + 0.5}"
        for i in range(1, n + 1)]
    path = write_lines(tmp_path / "types.csv", lines)
    got = load(ctx, path="types.csv", null_values=["NA"])
    expected = pl.read_csv(path, null_values=["NA"], try_parse_dates=True,
                           infer_schema_length=None)
    assert_frame_equal(got, expected)
    assert got.schema["late_float"] == pl.Float64 and got.schema["tz"] == pl.Datetime("us", "UTC")
    plain = load(ctx, path="types.csv", null_values=["NA"], try_parse_dates=False)
    assert plain.schema["d"] == pl.String and plain.schema["b"] == pl.Boolean


def test_types_from_the_first_rows_then_a_value_that_does_not_fit(tmp_path, ctx):
    lines = ["id,x"] + [f"{i},{i}" for i in range(1, 301)] + ["301,12.5"]
    write_lines(tmp_path / "first.csv", lines)
    assert load(ctx, path="first.csv").schema["x"] == pl.Float64
    lazy = source(path="first.csv", infer_schema_length=100).load(ctx)
    assert lazy.collect_schema()["x"] == pl.Int64
    with pytest.raises(DataError) as err:
        lazy.collect()
    for fragment in ("'12.5' in column 'x'", "row 301", "not a valid Int64",
                     "data.infer_schema_length: null"):
        assert fragment in str(err.value), fragment


def test_glob_rows_are_counted_per_file(tmp_path, ctx):
    write_lines(tmp_path / "g1.csv", ["id,amount", "1,1", "2,2"])
    write_lines(tmp_path / "g2.csv", ["id,amount", "3,3", "4,4", "5,five"])
    lazy = source(path="g*.csv", schema_overrides={"amount": "Int64"}).load(ctx)
    with pytest.raises(DataError) as err:
        lazy.collect()
    assert f"file {tmp_path / 'g2.csv'}, row 3" in str(err.value)
    assert "'five' in column 'amount'" in str(err.value)
    both = load(ctx, path="g*.csv", schema_overrides={"amount": "String"})
    assert both["amount"].to_list() == ["1", "2", "3", "4", "five"]
    assert both["id"].to_list() == [1, 2, 3, 4, 5]


# -- a space after each comma (the UCI adult census files) ------------------------------------
PADDED = ["age,fnlwgt,workclass,married,when", "39, 77516, State-gov, true, 2024-03-01",
          "50,\t83311 , ?, False, 2024-03-02", "38, 215646, Private , true, 2024-03-03"]


@pytest.mark.parametrize("sample_rows", [None, 1], ids=["every-row", "first-row"])
def test_padded_numbers_dates_and_booleans_are_typed_and_strings_kept_as_written(
        ctx, tmp_path, sample_rows):
    write_lines(tmp_path / "adult.csv", PADDED)
    frame = load(ctx, path="adult.csv", infer_schema_length=sample_rows)
    assert frame.schema["fnlwgt"] == pl.Int64 and frame["fnlwgt"].to_list() == [
        77516, 83311, 215646]
    assert frame["married"].to_list() == [True, False, True]
    assert frame["when"].to_list() == [dt.date(2024, 3, d) for d in (1, 2, 3)]
    # text is what Python's csv module reads: nothing stripped
    want = [row[2] for row in csv.reader(io.StringIO("\n".join(PADDED)))][1:]
    assert frame["workclass"].to_list() == want == [" State-gov", " ?", " Private "]


def test_a_padded_null_marker_is_null_like_the_bare_one(ctx, tmp_path):
    lines = ["a,b"] + [f"{i}, {i * 3}" for i in range(200)]
    lines[150] = "149, ?"
    write_lines(tmp_path / "marked.csv", lines)
    message = error(ctx, path="marked.csv")
    assert "holds numbers except '?'" in message and "add '?' to data.null_values" in message
    frame = load(ctx, path="marked.csv", null_values=["?"])  # the fix the message names works
    assert frame.schema["b"] == pl.Int64 and frame["b"].null_count() == 1
    assert frame["b"][149] is None and frame["b"][148] == 148 * 3


def test_a_padded_marker_in_a_text_column_is_null_and_the_rest_keeps_its_padding(ctx, tmp_path):
    write_lines(tmp_path / "adult.csv", PADDED)
    frame = load(ctx, path="adult.csv", null_values=["?"])
    assert frame["workclass"].to_list() == [" State-gov", None, " Private "]
    assert frame["fnlwgt"].to_list() == [77516, 83311, 215646]
