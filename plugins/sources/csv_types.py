"""CSV column types, decided from every value with vectorised polars casts.

The CSV source reads every column as String once (fast: no type guessing inside the
parser), then decides each column's type here by casting the whole column (or only its
first ``infer_schema_length`` rows) and comparing null counts with the String column's:

1. Int64 when every non-null value casts to Int64; else Float64 when every one casts to
   Float64 (``1.5``, ``1e3``, ``.5``, ``nan``, ``inf``).
2. With ``try_parse_dates``, for columns whose values look like dates (``2024-03-01``,
   ``2024/03/01``, ``01.03.2024``; with a time part, ``2024-03-01 10:11:12``,
   ``...T10:11:12.5Z``) or times (``10:11:12``): Date, Datetime or Time when every value
   parses with the format polars infers from the column (``str.to_date`` /
   ``str.to_datetime`` / ``str.to_time``, the formats polars' own ``try_parse_dates``
   accepts; UTC offsets give a UTC Datetime).
3. Boolean when every value is ``true`` or ``false`` (any case).

Spaces and tabs around a value do not stop it from being a number, date or boolean
(``39, 77516, State-gov`` has a space after each comma); a column that stays String keeps
its values exactly as written.
4. Otherwise String, unless the column *holds* one of those types: at least
   ``HOLDS_SHARE`` (95%) of its non-null values parse and at least one does not.  That
   value is almost always a missing-value marker (``N/A``, ``-``, ``?``) or a typo, and
   reading the column as text would silently turn a numeric feature into a categorical
   one with thousands of levels, so it is a DataError naming the column, the first such
   value with its file and row, how many other rows hold one, and the two fixes
   (``data.null_values`` or ``data.schema_overrides: {x: String}``).  A column where fewer
   values parse (ids such as ``A12``, free text) stays String.

Columns typed through ``schema_overrides``, and columns typed from the first rows only,
are cast later, when the frame is collected; a value that does not cast is then a
DataError naming the column, file, row and value (:func:`cast_checked`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from driftline.engine import DataError

#: Share of a column's non-null values that must parse for it to "hold" numbers (dates,
#: booleans): a column past it with a value that does not parse is a DataError.
HOLDS_SHARE = 0.95
#: Characters around a value that typing ignores (a space after each comma is common).
_PADDING = " \t"
#: How many distinct non-parsing values a message quotes.
MAX_QUOTED = 3

# A date at the start: 2024-03-01, 2024/3/1, 01.03.2024, ...
_DATE_LIKE = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"
# A date followed by a time: 2024-03-01 10:11, 2024-03-01T10:11:12
_TIME_PART = _DATE_LIKE + r"[T ]\d{1,2}:\d{2}"
_TIME_LIKE = r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"
_BOOLEAN_LIKE = r"(?i)^(true|false)$"
# Plain ISO-8601 shapes parsed with a fixed format first (T stands for 'T' or ' ').
_ISO_FORMATS = [(re.compile(p), f) for p, f in [
    (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"),
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}", "%Y-%m-%dT%H:%M:%S"),
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\.\d{1,9}", "%Y-%m-%dT%H:%M:%S%.f"),
]]

#: Where a row of the read frame is: the global row index -> "file F, row N".
Locator = Callable[[int], str]


@dataclass
class Decision:
    """Each column's dtype; ``typed`` holds the columns already cast over every row."""

    dtypes: dict[str, pl.DataType] = field(default_factory=dict)
    typed: dict[str, pl.Series] = field(default_factory=dict)
    # String values to read a column from instead of the file's: padded null markers nulled.
    unpadded: dict[str, pl.Series] = field(default_factory=dict)


def decide(strings: pl.DataFrame, *, sample_rows: int | None, parse_dates: bool,
           overrides: dict[str, pl.DataType], where: Locator,
           null_values: Sequence[str] = ()) -> Decision:
    """The dtype of every column of the all-String frame ``strings``.

    ``sample_rows`` = decide from the first N rows only (None = every row; 0 = String).
    Columns in ``overrides`` get that dtype and are not looked at here.
    """
    out = Decision()
    sample = strings if sample_rows is None else strings.head(sample_rows)
    todo = [c for c in strings.columns if c not in overrides]
    if sample_rows == 0:
        todo = []
    non_null = {c: sample.height - n for c, n in zip(sample.columns, sample.null_count().row(0),
                                                  strict=True)}
    todo = [c for c in todo if non_null[c] > 0]
    parsed: dict[str, dict[str, int]] = {c: {} for c in todo}  # column -> kind -> values parsed
    decided: dict[str, pl.Series] = {}

    rest = _numbers(sample, todo, non_null, parsed, decided)
    # Only columns that are not plain numbers can be padded ones (a clean file pays nothing).
    unpadded = _unpadded(sample, strings, rest, null_values, out)
    if unpadded is not sample:
        sample = unpadded
        non_null = {c: sample.height - n for c, n in zip(
            sample.columns, sample.null_count().row(0), strict=True)}
        rest = _numbers(sample, [c for c in rest if non_null[c]], non_null, parsed, decided)
    if rest:
        _decide_text(sample, rest, non_null, parse_dates, parsed, decided)

    for c in strings.columns:
        if c in overrides:
            out.dtypes[c] = overrides[c]
        elif c in decided:
            out.dtypes[c] = decided[c].dtype
            if sample_rows is None:
                out.typed[c] = decided[c]
        else:
            _check_not_held(sample, c, non_null.get(c, 0), parsed.get(c, {}), where)
            out.dtypes[c] = pl.String()
    return out


def padded_columns(frame: pl.DataFrame, columns: Sequence[str]) -> list[str]:
    """The columns of the all-String ``frame`` with a space or tab around some value."""
    if not columns:
        return []
    padded = frame.select(
        (pl.col(c).str.starts_with(" ") | pl.col(c).str.ends_with(" ")
         | pl.col(c).str.starts_with("\t") | pl.col(c).str.ends_with("\t")).any()
        for c in columns).row(0)
    return [c for c, p in zip(columns, padded, strict=True) if p]


def _numbers(sample: pl.DataFrame, columns: list[str], non_null: dict[str, int],
             parsed: dict[str, dict[str, int]], decided: dict[str, pl.Series]) -> list[str]:
    """Decide the ``columns`` whose every value is an integer (Int64) or a number (Float64);
    return the others."""
    ints = sample.select(pl.col(columns).cast(pl.Int64, strict=False))
    for c, nulls in zip(columns, ints.null_count().row(0), strict=True):
        if sample.height - nulls == non_null[c]:
            decided[c] = ints[c]
    rest = [c for c in columns if c not in decided]
    floats = sample.select(pl.col(rest).cast(pl.Float64, strict=False))
    for c, nulls in zip(rest, floats.null_count().row(0), strict=True):
        parsed[c]["numbers"] = sample.height - nulls
        if sample.height - nulls == non_null[c]:
            decided[c] = floats[c]
    return [c for c in rest if c not in decided]


def _unpadded(sample: pl.DataFrame, strings: pl.DataFrame, columns: list[str],
              null_values: Sequence[str], out: Decision) -> pl.DataFrame:
    """``sample`` with spaces and tabs around the values of those ``columns`` that have any
    removed (``39, 77516, State-gov``: a space after each comma), and a marker of
    ``null_values`` so padded (`` ?``) made null, as the parser does for the bare one: so
    padded numbers, dates and booleans are typed as such.  A column that stays String
    keeps its values as written; columns with padded markers get their nulled String
    values in ``out.unpadded``."""
    strip = padded_columns(sample, columns)
    if not strip:
        return sample
    markers = pl.Series(list(null_values), dtype=pl.String)

    def unpad(c: str, keep_text: bool = False) -> pl.Expr:
        bare = pl.col(c).str.strip_chars(_PADDING)
        if not null_values:
            return bare.alias(c)
        return pl.when(bare.is_in(markers)).then(None).otherwise(
            pl.col(c) if keep_text else bare).alias(c)

    if null_values:
        out.unpadded.update((c, s) for c, s in strings.select(
            unpad(c, keep_text=True) for c in strip).to_dict().items())
    return sample.with_columns(unpad(c) for c in strip)


def _decide_text(sample: pl.DataFrame, columns: list[str], non_null: dict[str, int],
                 parse_dates: bool, parsed: dict[str, dict[str, int]],
                 decided: dict[str, pl.Series]) -> None:
    """Dates, datetimes, times and booleans among the columns that are not numbers."""
    looks = [_BOOLEAN_LIKE] + ([_DATE_LIKE, _TIME_LIKE] if parse_dates else [])
    anything = "|".join(f"(?:{r})" for r in looks)
    counts = sample.select(pl.col(columns).str.contains(anything).sum()).row(0)
    columns = [c for c, n in zip(columns, counts, strict=True) if n >= HOLDS_SHARE * non_null[c]]
    if not columns:
        return
    kinds = [pl.col(c).str.contains(r).sum().alias(f"{i}:{c}") for c in columns
             for i, r in enumerate([_BOOLEAN_LIKE, _DATE_LIKE, _TIME_PART, _TIME_LIKE])]
    counts = sample.select(kinds).row(0, named=True)
    for c in columns:
        need = HOLDS_SHARE * non_null[c]
        parsed[c]["booleans"] = counts[f"0:{c}"]
        if counts[f"0:{c}"] == non_null[c]:
            decided[c] = to_boolean(sample[c])
            continue
        if not parse_dates:
            continue
        if counts[f"1:{c}"] >= need:
            kind, s = ("dates and times", to_datetime(sample[c])) if counts[f"2:{c}"] else \
                ("dates", to_date(sample[c]))
        elif counts[f"3:{c}"] >= need:
            kind, s = "times", sample[c].str.to_time(strict=False)
        else:
            continue
        parsed[c][kind] = s.len() - s.null_count()
        if parsed[c][kind] == non_null[c]:
            decided[c] = s


def _check_not_held(sample: pl.DataFrame, column: str, non_null: int, parsed: dict[str, int],
                    where: Locator) -> None:
    """DataError when a String column holds numbers (dates, ...) but for a few values."""
    if not parsed or non_null == 0:
        return
    kind, count = max(parsed.items(), key=lambda kv: kv[1])
    if count < HOLDS_SHARE * non_null:
        return
    converted = {"numbers": lambda s: s.cast(pl.Float64, strict=False), "booleans": to_boolean,
                 "dates": to_date, "dates and times": to_datetime,
                 "times": lambda s: s.str.to_time(strict=False)}[kind](sample[column])
    bad = failed(sample[column], converted)
    first = int(bad.arg_true()[0])
    value = sample[column][first]
    others = sample[column].filter(bad).unique(maintain_order=True).to_list()[1:]
    also = ""
    if others:
        shown = ", ".join(f"'{v}'" for v in others[:MAX_QUOTED])
        more = f" and {len(others) - MAX_QUOTED} more" if len(others) > MAX_QUOTED else ""
        also = f"; other such values: {shown}{more}"
    n_other = int(bad.sum()) - 1
    rows = (f"and {n_other} other row{'' if n_other == 1 else 's'}" if n_other else
            "the only such row")
    raise DataError(
        f"CSV column '{column}' holds {kind} except '{value}' ({where(first)}, {rows}"
        f"{also}): add '{value}' to data.null_values if it "
        f"means missing, or set data.schema_overrides: {{{column}: String}} to read the column "
        f"as text.")


# -- converters -------------------------------------------------------------------------
def to_boolean(s: pl.Series) -> pl.Series:
    """``true`` / ``false`` in any case -> Boolean; anything else -> null."""
    lower = s.str.to_lowercase()
    return (pl.select(pl.when(lower == "true").then(True).when(lower == "false").then(False)
                      .otherwise(None).alias(s.name)).to_series())


def _iso_format(s: pl.Series) -> str | None:
    """The strftime format of the first value when it is plain ISO-8601, else None."""
    first = s.drop_nulls().head(1)
    if first.len() == 0:
        return None
    for pattern, fmt in _ISO_FORMATS:
        if pattern.fullmatch(first[0]):
            return fmt.replace("T", first[0][10]) if "T" in fmt else fmt
    return None


def _parse(s: pl.Series, parse: Callable[[str | None], pl.Series]) -> pl.Series:
    """``parse`` with the ISO format of the first value when every value fits it (a fixed
    format parses ~3x faster), else with the format polars infers."""
    fmt = _iso_format(s)
    if fmt is not None:
        out = parse(fmt)
        if out.null_count() == s.null_count():
            return out
    return parse(None)


def to_date(s: pl.Series) -> pl.Series:
    return _parse(s, lambda fmt: s.str.to_date(fmt, strict=False))


def to_datetime(s: pl.Series, time_unit: str = "us") -> pl.Series:
    return _parse(s, lambda fmt: s.str.to_datetime(fmt, time_unit=time_unit,  # type: ignore[arg-type]
                                                   strict=False))


def convert(s: pl.Series, dtype: pl.DataType) -> pl.Series:
    """The String column ``s`` as ``dtype`` (spaces and tabs around a value ignored);
    values that do not convert become null."""
    if dtype == pl.String:
        return s
    s = s.str.strip_chars(_PADDING)
    if dtype == pl.Boolean:
        out = to_boolean(s)
    elif dtype == pl.Date:
        out = to_date(s)
    elif isinstance(dtype, pl.Datetime):
        out = to_datetime(s, dtype.time_unit or "us")
    elif dtype == pl.Time:
        out = s.str.to_time(strict=False)
    else:
        out = s.cast(dtype, strict=False)
    return out if out.dtype == dtype else out.cast(dtype)


def failed(strings: pl.Series, converted: pl.Series) -> pl.Series:
    """True where a value is present but did not convert."""
    return converted.is_null() & strings.is_not_null()


def cast_checked(s: pl.Series, dtype: pl.DataType, *, where: Locator,
                 fixes: Callable[[str], Sequence[str]]) -> pl.Series:
    """``s`` as ``dtype``; DataError naming the first value that does not convert and the
    settings that fix it (``fixes(value)``)."""
    out = convert(s, dtype)
    if out.null_count() == s.null_count():
        return out
    first = int(failed(s, out).arg_true()[0])
    value = s[first]
    raise DataError(f"CSV value '{value}' in column '{s.name}' ({where(first)}) is not a valid "
                    f"{dtype}: {', or '.join(fixes(value))}, or fix the "
                    f"file.")
