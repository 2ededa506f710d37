"""CSV layout checks: header names, the number of fields on every line, UTF-8.

polars fills a line with too few fields with nulls and stops at a line with too many
with an internal-looking error; both are DataErrors here, naming the file and the line.

Field counts cost no second full parse: a line with fewer fields than the header leaves
the last column null, so only when the last column has nulls is the file read again, as
plain lines (no quoting, one String column: ~20 ms per 30 MB), and only the lines of the
rows with a null there are counted (separators outside double quotes).  When a quoted
value spans lines (more lines than records), every line is counted and quotes are
followed across lines the way polars does (quote parity).  A record the
count flags is confirmed with Python's csv module before it is reported, so the message's
line and field count are exact.  Blank lines hold no fields: they are dropped (as Python's
csv module drops them) when the file has more than one column, where polars would read a
row of nulls; in a one-column file a blank line is a missing value.
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import polars as pl

from driftline.engine import DataError

#: Config key of the path, for messages.
PATH_KEY = "data.path"


def _reader(path: Path, separator: str, *, errors: str = "replace"):
    handle = open(path, newline="", encoding="utf-8-sig", errors=errors)  # noqa: SIM115
    return handle, csv.reader(handle, delimiter=separator, quotechar='"', strict=False)


def raw_header(path: Path, separator: str) -> list[str]:
    """The names on the first record, as written (polars renames duplicates)."""
    handle, reader = _reader(path, separator)
    with handle:
        for record in reader:
            if record:
                return record
    return []


def check_unique_names(path: Path, separator: str) -> None:
    """DataError when two header fields hold the same name."""
    seen: dict[str, int] = {}
    for position, name in enumerate(raw_header(path, separator), start=1):
        if name in seen:
            raise DataError(
                f"CSV file {path} has two columns named '{name}' (columns {seen[name]} and "
                f"{position} of the header) (key: {PATH_KEY}); rename one of them in the "
                f"header line so every column has its own name.")
        seen[name] = position


# -- field counts -----------------------------------------------------------------------
def blank_rows(path: Path, frame: pl.DataFrame, *, separator: str,
               has_header: bool) -> pl.Series | None:
    """Which rows of ``frame`` (the file read as String) came from blank lines, or None when
    there are none; DataError for a line with fewer fields than the header.

    Lines with more fields than the header make polars' read fail; :func:`too_many_fields`
    explains that failure.
    """
    width = frame.width
    last = frame[frame.columns[-1]]
    if frame.height == 0 or last.null_count() == 0:
        return None  # every line reached the last column
    lines = _lines(path)
    if lines is None:
        return _count_with_python(path, frame, separator=separator, has_header=has_header)
    skip = 0
    if has_header:  # polars skips blank lines before the header
        skip = int((lines != "").arg_max() or 0) + 1
    if lines.len() == skip + frame.height:
        # One line per record (no value spans lines): count the lines whose row has a null
        # in the last column, the only ones that can be short.
        rows = last.is_null().arg_true()
        counted = pl.DataFrame({"line": rows.cast(pl.Int64) + skip + 1,
                                "text": lines.gather(rows + skip)})
        counted = counted.with_columns(fields=_fields(pl.col("text"), separator),
                                       blank=pl.col("text") == "")
    else:
        counted = _count_records(lines, separator).slice(skip)
        if counted.height != frame.height:
            return _count_with_python(path, frame, separator=separator, has_header=has_header)
        rows = None
    counted = counted.with_columns(pl.col("blank") & (width > 1))
    short = counted.filter((pl.col("fields") != width) & ~pl.col("blank"))
    if short.height:
        _raise_confirmed(path, separator, int(short["line"][0]), width, has_header)
    if not counted["blank"].any():
        return None
    if rows is None:
        return counted["blank"]
    return pl.Series("blank", [False] * frame.height).scatter(rows.filter(counted["blank"]),
                                                             True)


def _lines(path: Path) -> pl.Series | None:
    """The file's lines as written (no quoting; a trailing CR dropped)."""
    try:
        return pl.read_csv(path, has_header=False, separator="\x00", quote_char=None,
                           schema={"line": pl.String}, truncate_ragged_lines=True,
                           empty_string_is_null=False, encoding="utf8-lossy")["line"]
    except pl.exceptions.PolarsError:
        return None


def _fields(text: pl.Expr, separator: str) -> pl.Expr:
    """Fields on a line: separators outside double-quoted values, plus one."""
    outside = text.str.replace_all(r'"[^"]*(?:"|$)', "")
    return outside.str.count_matches(separator, literal=True) + 1


def _count_records(lines: pl.Series, separator: str) -> pl.DataFrame:
    """One row per record (values may span lines, as quote parity says): its first line
    number, its field count, and whether it is a blank line."""
    text = pl.col("line")
    quotes = text.str.count_matches('"', literal=True)
    odd = (quotes % 2 == 1).cast(pl.UInt32)
    per_line = (lines.to_frame("line")
                .with_columns(inside=(odd.cum_sum() - odd) % 2 == 1)  # starts in a quoted value
                .select(line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
                        seps=_fields(pl.when("inside").then(pl.lit('"') + text).otherwise(text),
                                     separator) - 1,
                        record=(~pl.col("inside")).cast(pl.UInt32).cum_sum(),
                        blank=(text == "") & ~pl.col("inside")))
    return (per_line.group_by("record", maintain_order=True)
            .agg(pl.col("line").first(), fields=pl.col("seps").sum() + 1,
                 blank=pl.col("blank").first() & (pl.len() == 1))
            .drop("record"))


def _records(path: Path, separator: str):
    """(first line, fields) of every record, by Python's csv module."""
    handle, reader = _reader(path, separator)
    with handle:
        line = 1
        for record in reader:
            yield line, record
            line = reader.line_num + 1


def _count_with_python(path: Path, frame: pl.DataFrame, *, separator: str,
                       has_header: bool) -> pl.Series | None:
    """The slow, exact count, for files the line count cannot follow."""
    records = _records(path, separator)
    if has_header:
        records = itertools.dropwhile(lambda r: not r[1], records)
        next(records, None)
    blank = []
    for line, record in records:
        if record and len(record) != frame.width:
            raise _field_error(path, line, len(record), frame.width, has_header)
        blank.append(not record and frame.width > 1)
    if len(blank) != frame.height or not any(blank):
        return None
    return pl.Series("blank", blank)


def _raise_confirmed(path: Path, separator: str, line: int, width: int,
                     has_header: bool) -> None:
    for start, record in _records(path, separator):
        if start >= line and record and len(record) != width:
            raise _field_error(path, start, len(record), width, has_header)
        if start > line:
            break
    # The quick count disagrees with Python's csv module (a NUL byte, odd quoting):
    # say what was counted without the exact field list.
    raise DataError(f"CSV file {path}: line {line} has fewer fields than the "
                    f"{'header' if has_header else 'first line'} ({width}) (key: {PATH_KEY}); "
                    f"fix that line.")


def _field_error(path: Path, line: int, fields: int, width: int, has_header: bool) -> DataError:
    first = "the header has" if has_header else "the first line has"
    if fields > width:
        fix = ("put double quotes around values that hold the separator (\"a,b\"), or remove "
               "the extra field")
    else:
        fix = ("add the missing field (an empty value is two separators with nothing "
               "between), or remove the line")
    return DataError(f"CSV file {path}: line {line} has {fields} field"
                     f"{'' if fields == 1 else 's'}, {first} {width} (key: {PATH_KEY}); {fix}.")


def too_many_fields(path: Path, separator: str, width: int, has_header: bool) -> DataError | None:
    """The DataError for polars' "found more fields than defined" on ``path``."""
    records = _records(path, separator)
    if has_header:
        records = itertools.dropwhile(lambda r: not r[1], records)
        next(records, None)
    for line, record in records:
        if len(record) > width:
            return _field_error(path, line, len(record), width, has_header)
    return None


# -- encoding ---------------------------------------------------------------------------
def not_utf8(path: Path, separator: str, has_header: bool) -> DataError | None:
    """The DataError for bytes in ``path`` that are not UTF-8, or None when all are."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        start, end = exc.start, exc.end
    line = data.count(b"\n", 0, start) + 1
    begin = data.rfind(b"\n", 0, start) + 1
    stop = data.find(b"\n", start)
    text = data[begin:stop if stop >= 0 else len(data)].decode("utf-8", errors="replace")
    column = ""
    fields = next(csv.reader([text.rstrip("\r")], delimiter=separator), [])
    names = raw_header(path, separator) if has_header else []
    for i, value in enumerate(fields):
        if "\ufffd" in value:
            name = names[i] if i < len(names) else f"column_{i}"
            column = f", column '{name}'"
            break
    return DataError(
        f"CSV file {path} is not valid UTF-8: line {line}{column} holds the byte"
        f"{'s' if end - start > 1 else ''} {data[start:end]!r} at offset {start} "
        f"(key: {PATH_KEY}); re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8), or "
        f"set data.encoding: utf8-lossy to read such bytes as the replacement character.")
