"""A starting schema read off a table: dtypes, observed nulls, ranges and category sets.

:func:`infer_schema` returns a config node for the ``yaml`` schema (``kind: yaml``) that
the same table passes; :func:`render_schema_yaml` turns it into commented YAML to save
as ``conf/schema/<name>.yaml``.  The observed ranges and category sets describe only the
sample it was read from, so the header asks the reader to review them.

Columns whose next batch is bound to fall outside the sample's range get no exact range
(:func:`infer_schema_and_notes` says why, and the YAML carries it as a comment above the
column):

* identifiers -- a name such as ``id``, ``customer_id``, ``customerId``, ``uuid``,
  ``key``; or integers that are distinct on every row and either strictly increasing or
  numbered densely (span at most twice the row count): no range, and no ``isin`` for
  string identifiers;
* calendar years -- a name such as ``year``, ``yr``, ``birth_year``, ``fiscalYear``, or a
  name part holding ``year`` with whole numbers in 1900..2100 (``yearofbirth``, not
  ``yearly_income`` or ``years_employed``): no range;
* date parts -- a name ending in ``month``, ``day``, ``hour``, ``weekday``, ``quarter``,
  ... with whole numbers inside that part's calendar range: the calendar range
  (``1..12`` for a month), not the sample's;
* numbers that never decrease down the file: a lower bound only;
* strings distinct on every row (at least ``MIN_PATTERN_ROWS`` of them): no ``isin``.

A String column that holds numbers but for up to ``MAX_MARKERS`` distinct other values
(``NA``, ``-``) gets a comment naming them: read with them as null values, it would be a
number column.

The statistics come from at most three ``select`` passes over the frame (polars runs each
column-parallel), each asking only what the one before left open: a string column's
distinct values are collected only when its first ``PROBE_ROWS`` rows do not already
hold more than ``max_categories``, and its non-numbers only when those rows are mostly
numbers; order and distinct counts only for numbers that could show a pattern.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping
from typing import Any

import polars as pl
import yaml

from driftline.engine.errors import UsageError

#: Integer and float dtypes: ranges are inferred for these.
_NUMERIC = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64,
            pl.Float32, pl.Float64)
#: Dtypes written by name alone.
_PLAIN = {pl.String: "String", pl.Categorical: "Categorical", pl.Boolean: "Boolean",
          pl.Date: "Date", pl.Time: "Time", pl.Binary: "Binary", pl.Null: "Null"}
#: Fewest non-null values for a pattern read off the values (increasing, distinct on
#: every row) to count: 20 random values are in order by chance once in 20! tries.
MIN_PATTERN_ROWS = 20
#: Fewest values for "distinct on every row and densely numbered" to mean an identifier.
MIN_DENSE_ID_ROWS = 100
#: Rows whose distinct values are counted first: more than max_categories there means
#: no ``isin``, without counting the whole column.
PROBE_ROWS = 10_000
#: Name parts that mark an identifier.
ID_PARTS = frozenset({"id", "ids", "uuid", "guid", "key", "pk"})
#: Date parts by name (the whole name, or its last part, without separators) -> the
#: calendar range of their whole-number values.
DATE_PARTS: dict[str, tuple[int, int]] = {
    "month": (1, 12), "day": (1, 31), "dayofmonth": (1, 31), "hour": (0, 23),
    "minute": (0, 59), "second": (0, 60), "week": (0, 53), "weekofyear": (0, 53),
    "weekday": (0, 7), "dayofweek": (0, 7), "dow": (0, 7), "quarter": (1, 4), "qtr": (1, 4),
    "dayofyear": (1, 366), "doy": (1, 366),
}
#: A String column of numbers but for at most this many distinct other values gets a
#: comment naming them as likely missing-value markers.
MAX_MARKERS = 3
#: Whole numbers in this range, under a name holding "year", are calendar years.
YEARS = (1900, 2100)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def infer_schema(df: pl.DataFrame, *, max_categories: int = 50) -> dict[str, Any]:
    """A ``kind: yaml`` schema node that ``df`` passes.

    Per column: ``dtype``; ``nullable`` (whether a null, or a float NaN, was seen); for
    numbers ``ge``/``le`` with the observed min/max (see the module docstring for the
    columns that get an open or calendar range instead); for strings and categoricals
    with at most ``max_categories`` distinct values, ``isin`` with the sorted values
    seen (``max_categories=0`` turns this off).  A dtype the yaml schema cannot name
    (lists, structs, decimals, enums) is left open: no ``dtype`` key.
    """
    return infer_schema_and_notes(df, max_categories=max_categories)[0]


def infer_schema_and_notes(df: pl.DataFrame, *, max_categories: int = 50
                           ) -> tuple[dict[str, Any], dict[str, str]]:
    """:func:`infer_schema`'s node, and column -> why its range or category set was
    left open (or widened), for :func:`render_schema_yaml`."""
    if (isinstance(max_categories, bool) or not isinstance(max_categories, int)
            or max_categories < 0):
        raise UsageError(f"max_categories must be a whole number >= 0, got {max_categories!r}.")
    stats = _stats(df, max_categories)
    columns, notes = {}, {}
    for i, name in enumerate(df.columns):
        spec, note = _infer_column(name, df.schema[name], stats[i], max_categories)
        columns[name] = spec
        if note:
            notes[name] = note
    return {"kind": "yaml", "strict": False, "coerce": False, "columns": columns}, notes


# -- statistics ---------------------------------------------------------------------------
def _is_text(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def _stats(df: pl.DataFrame, max_categories: int) -> list[dict[str, Any]]:
    """Per column (by position): rows, nulls and, as they apply, NaN, min, max, whether
    the values never decrease (``rising``) or always increase (``strict``), the distinct
    count, the distinct values and the values that are not numbers.  Three ``select``
    passes, each asking only what the one before left open."""
    stats: list[dict[str, Any]] = [{"rows": df.height} for _ in df.columns]
    first: list[pl.Expr] = []
    for i, (name, dtype) in enumerate(df.schema.items()):
        col = pl.col(name)
        first.append(col.null_count().alias(f"{i}:nulls"))
        if dtype in _NUMERIC:  # min and max skip nulls, and NaN unless all is NaN
            first += [col.min().alias(f"{i}:min"), col.max().alias(f"{i}:max")]
            if dtype.is_float():
                first.append(col.is_nan().any().alias(f"{i}:nan"))
        elif _is_text(dtype) and max_categories > 0:
            first.append(col.head(PROBE_ROWS).drop_nulls().n_unique().alias(f"{i}:probe"))
        if dtype == pl.String:
            head = col.head(PROBE_ROWS)
            first += [head.cast(pl.Float64, strict=False).is_not_null().sum()
                      .alias(f"{i}:head_numbers"), head.is_not_null().sum().alias(f"{i}:head")]
    _select(df, first, stats)
    for s in stats:
        for key in ("min", "max"):
            if isinstance(s.get(key), float) and math.isnan(s[key]):
                s[key] = None  # every value NaN
    _select(df, _second_pass(df, stats, max_categories), stats)
    third = [(pl.col(name).drop_nulls() > pl.col(name).drop_nulls().shift(1)).all()
             .alias(f"{i}:strict") for i, (name, dtype) in enumerate(df.schema.items())
             if dtype.is_integer() and stats[i].get("rising") and "distinct" not in stats[i]]
    _select(df, third, stats)
    return stats


def _select(df: pl.DataFrame, exprs: list[pl.Expr], stats: list[dict[str, Any]]) -> None:
    """Run ``exprs`` (named ``<column position>:<statistic>``) in one pass into ``stats``."""
    if exprs:
        for key, value in df.select(exprs).row(0, named=True).items():
            i, what = key.split(":")
            stats[int(i)][what] = value


def _second_pass(df: pl.DataFrame, stats: list[dict[str, Any]], max_categories: int
                 ) -> list[pl.Expr]:
    """Order where it can show a pattern, distinct counts where they can tell an
    identifier, distinct values where an ``isin`` may follow, and the values that are
    not numbers in a String column of numbers."""
    exprs: list[pl.Expr] = []
    for i, (name, dtype) in enumerate(df.schema.items()):
        s, col = stats[i], pl.col(name)
        kept = col.drop_nulls() if s["nulls"] else col
        count = s["rows"] - s["nulls"]
        if dtype in _NUMERIC and s["min"] is not None and s["min"] != s["max"]:
            if count >= MIN_PATTERN_ROWS and not s.get("nan"):
                exprs.append((kept >= kept.shift(1)).all().alias(f"{i}:rising"))
            span = int(s["max"]) - int(s["min"]) + 1 if dtype.is_integer() else 0
            if count >= MIN_DENSE_ID_ROWS and count <= span <= 2 * count:
                exprs.append(kept.n_unique().alias(f"{i}:distinct"))
        elif _is_text(dtype) and s.get("probe", math.inf) <= max_categories:
            exprs.append(kept.cast(pl.String).unique().head(max_categories + 1).implode()
                         .alias(f"{i}:values"))
        if dtype == pl.String and s["head"] and s["head_numbers"] >= s["head"] / 2:
            numbers = kept.cast(pl.Float64, strict=False)
            exprs += [numbers.is_not_null().sum().alias(f"{i}:numbers"),
                      kept.filter(numbers.is_null()).unique(maintain_order=True)
                      .head(MAX_MARKERS + 1).implode().alias(f"{i}:markers")]
    return exprs


# -- one column ---------------------------------------------------------------------------
def _infer_column(name: str, dtype: pl.DataType, s: Mapping[str, Any],
                  max_categories: int) -> tuple[dict[str, Any], str | None]:
    spec: dict[str, Any] = {}
    dtype_text = dtype_name(dtype)
    if dtype_text is not None:
        spec["dtype"] = dtype_text
    spec["nullable"] = s["nulls"] > 0 or bool(s.get("nan"))
    checks: dict[str, Any] = {}
    note = None
    if dtype in _NUMERIC:
        checks, note = _numeric_checks(name, dtype, s)
    elif _is_text(dtype):
        checks, note = _category_checks(name, s, max_categories)
        hint = _marker_hint(s)
        note = f"{hint}; {note}" if hint and note else hint or note
    if checks:
        spec["checks"] = checks
    return spec, note


def dtype_name(dtype: pl.DataType) -> str | None:
    """The yaml schema's name for ``dtype`` (``Datetime(ms, UTC)``), or None if it has none."""
    if dtype in _NUMERIC:
        return str(dtype.base_type()).removeprefix("polars.")  # Int64, Float32, ...
    for plain, name in _PLAIN.items():
        if dtype == plain:
            return name
    if isinstance(dtype, pl.Datetime):
        args = [dtype.time_unit or "us"] + ([dtype.time_zone] if dtype.time_zone else [])
        return f"Datetime({', '.join(args)})"
    if isinstance(dtype, pl.Duration):
        return f"Duration({dtype.time_unit or 'us'})"
    return None


def name_parts(name: str) -> list[str]:
    """``customerId`` / ``birth_year`` / ``Order Month`` -> lower-case parts."""
    return [p.lower() for p in re.split(r"[^0-9A-Za-z]+", _CAMEL.sub("_", name)) if p]


def _span(lo: Any, hi: Any) -> str:
    return f"{lo}..{hi}" if lo != hi else f"{lo}"


def _is_year(parts: list[str], dtype: pl.DataType, lo: Any, hi: Any) -> bool:
    """``year``, ``yr``, ``birth_year``, ``fiscalYear``; or a part holding ``year``
    (``yearofbirth``) with whole numbers in 1900..2100 (not ``yearly_income``)."""
    if any(p in ("year", "yr", "yyyy") or p.endswith("year") for p in parts):
        return True
    return (dtype.is_integer() and any("year" in p for p in parts)
            and YEARS[0] <= lo and hi <= YEARS[1])


def _date_part(parts: list[str]) -> tuple[str, tuple[int, int]] | None:
    """``order_month`` -> ("month", (1, 12)); ``pickup_day_of_week`` -> dayofweek."""
    whole = "".join(parts)
    for key, domain in DATE_PARTS.items():  # day_of_week before week
        if whole == key or (key.startswith(("dayof", "weekof")) and whole.endswith(key)):
            return key, domain
    return (parts[-1], DATE_PARTS[parts[-1]]) if parts[-1] in DATE_PARTS else None


def _numeric_checks(name: str, dtype: pl.DataType, s: Mapping[str, Any]
                    ) -> tuple[dict[str, Any], str | None]:
    """Observed min and max as one ``in_range`` check (one pass over the column when the
    data is validated, where ``ge`` plus ``le`` take two), unless the column is one of
    those in the module docstring.  NaN passes ``ge`` but fails ``le`` in polars'
    ordering, so a column holding NaN gets only a lower bound."""
    lo, hi = s["min"], s["max"]
    if lo is None:
        return {}, None
    parts = name_parts(name) or [""]
    seen = _span(lo, hi)
    count = s["rows"] - s["nulls"]
    if ID_PARTS & set(parts):
        return {}, (f"no range: the name marks an identifier ({seen} here), and new rows "
                    f"bring new ids")
    if _is_year(parts, dtype, lo, hi):
        return {}, (f"no range: the name marks a calendar year ({seen} here), and later "
                    f"batches hold later years; add e.g. in_range: {{min: {YEARS[0]}, max: "
                    f"{YEARS[1]}}} as a sanity bound")
    part = _date_part(parts)
    if part and dtype.is_integer() and part[1][0] <= lo and hi <= part[1][1]:
        low, high = part[1]
        wider = (lo, hi) != (low, high)
        return ({"in_range": {"min": low, "max": high}},
                f"the calendar range of a {part[0]} number ({_span(low, high)}), wider than "
                f"this sample's {seen}" if wider else None)
    if dtype.is_integer() and s.get("strict"):
        return {}, (f"no range: distinct and increasing on every row ({seen} here), like an "
                    f"identifier or row number")
    if s.get("distinct") == count:
        return {}, (f"no range: distinct on every row and numbered densely ({seen} here), "
                    f"like an identifier")
    if s.get("rising"):  # at least MIN_PATTERN_ROWS values, not all equal, no NaN
        return {"ge": lo}, (f"lower bound only: the values never decrease down the file "
                            f"({seen} here), so later rows are likely higher")
    if s.get("nan"):
        return {"ge": lo}, None
    return {"in_range": {"min": lo, "max": hi}}, None


def _category_checks(name: str, s: Mapping[str, Any], max_categories: int
                     ) -> tuple[dict[str, Any], str | None]:
    values = s.get("values")
    if not values or len(values) > max_categories:
        return {}, None
    if ID_PARTS & set(name_parts(name)):
        return {}, "no isin: the name marks an identifier, and new rows bring new ids"
    count = s["rows"] - s["nulls"]
    if len(values) == count >= MIN_PATTERN_ROWS:
        return {}, (f"no isin: all {count} values are distinct, like identifiers or free "
                    f"text, not categories")
    return {"isin": sorted(values)}, None


def _marker_hint(s: Mapping[str, Any]) -> str | None:
    """A String column of numbers but for a few distinct values: likely missing-value
    markers (``NA``, ``-``) read as text."""
    markers, numbers = s.get("markers"), s.get("numbers", 0)
    count = s["rows"] - s["nulls"]
    if not markers or len(markers) > MAX_MARKERS or numbers < count / 2:
        return None
    quoted = ", ".join(repr(" ".join(m.split())) for m in markers)
    means = "that means" if len(markers) == 1 else "those mean"
    return (f"read as text: {numbers:,} of {count:,} values are numbers, the others {quoted}; "
            f"if {means} missing, infer again with --null-values (data.null_values)")


# -- YAML ---------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    """Block mappings, one-line lists of values."""


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(list, _represent_list)


def _escape_values(value: Any) -> Any:
    """Hydra (OmegaConf) reads ``${...}`` in a value as an interpolation; ``\\${`` keeps it
    literal.  Keys are never interpolated, so they are left alone."""
    if isinstance(value, str):
        return value.replace("${", "\\${")
    if isinstance(value, dict):
        return {k: _escape_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_values(v) for v in value]
    return value


def _dump(value: Any, width: int = 100) -> str:
    return yaml.dump(_escape_values(value), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=width)


def _setting(value: Any) -> str:
    """A read setting as on the command line: ``[NA, '-']``, ``{id: String}``, ``';'``."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_setting(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_setting(v) for v in value) + "]"
    if isinstance(value, str) and not re.fullmatch(r"[\w./-]+", value):
        return repr(value)
    return str(value)


def render_schema_yaml(node: dict[str, Any], *, source: str, rows: int | None = None,
                       notes: Mapping[str, str] | None = None,
                       read_with: Mapping[str, Any] | None = None) -> str:
    """``node`` as YAML under a header saying where it came from and to review it;
    ``notes`` (column -> text) become comments above their columns, and ``read_with``
    (source parameter -> value) names the read settings the data needs."""
    facts = [f"{rows:,} rows"] if rows is not None else []
    if read_with:
        facts.append("read with " + " ".join(f"data.{k}={_setting(v)}"
                                              for k, v in read_with.items()))
    size = f" ({'; '.join(facts)})" if facts else ""
    header = [
        " ".join(f"# Schema inferred by driftline from {source}{size}.".splitlines()),
        "# Review and edit before use: ranges and category sets are only what this data held",
        "# (a comment says why a range was left open), and nullable says whether nulls were",
        "# seen. Save as conf/schema/<name>.yaml and select it with schema=<name>.",
    ]
    body = []
    for key, value in node.items():
        if key != "columns" or not isinstance(value, dict) or not value:
            body.append(_dump({key: value}))
            continue
        body.append("columns:\n")
        for name, spec in value.items():
            if notes and notes.get(name):
                body += [line + "\n" for line in textwrap.wrap(
                    " ".join(notes[name].split()), width=96, initial_indent="  # ",
                    subsequent_indent="  # ")]
            body.append(textwrap.indent(_dump({name: spec}, width=98), "  "))
    return "\n".join(header) + "\n" + "".join(body)
