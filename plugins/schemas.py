"""A table schema written as YAML data: column dtypes, nulls, uniqueness and value checks.

The config node (``conf/schema/<name>.yaml``)::

    kind: yaml
    strict: false          # true: a column not listed here is an error
    coerce: false          # true: cast every column to its dtype before checking
    ordered: false         # true: columns must appear in the listed order
    columns:
      age:
        dtype: Int64       # polars dtype name; omit to accept any dtype
        nullable: false    # default true
        checks:
          in_range: {min: 18, max: 120}
      grade:
        dtype: String
        checks:
          isin: [A, B, C, D, E, F, G]
      opened:
        dtype: Date
        checks:
          ge: "2000-01-01" # dates and times are written as ISO strings

A check is one name from a fixed set with a plain-data argument (see ``CHECKS``); nothing
taken from config is ever evaluated as Python.  Every key and argument is checked when the
component is created, so a typo fails before any data is read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandera.polars as pa
import polars as pl

from driftline.engine import ConfigError, Schema
from driftline.engine import did_you_mean

# Plain (unparametrised) dtype names -> polars dtype.
SIMPLE_DTYPES: dict[str, Any] = {
    "Int8": pl.Int8, "Int16": pl.Int16, "Int32": pl.Int32, "Int64": pl.Int64,
    "UInt8": pl.UInt8, "UInt16": pl.UInt16, "UInt32": pl.UInt32, "UInt64": pl.UInt64,
    "Float32": pl.Float32, "Float64": pl.Float64,
    "String": pl.String, "Categorical": pl.Categorical, "Boolean": pl.Boolean,
    "Date": pl.Date, "Time": pl.Time, "Binary": pl.Binary, "Null": pl.Null,
}
# Dtypes that take arguments: ``Datetime``, ``Datetime(ms)``, ``Datetime(us, UTC)``,
# ``Duration``, ``Duration(ms)``.  Without a unit, polars' default (``us``) applies.
PARAMETRISED_DTYPES = ("Datetime", "Duration")
TIME_UNITS = ("ns", "us", "ms")
DTYPE_NAMES = tuple(SIMPLE_DTYPES) + PARAMETRISED_DTYPES

# Which family each dtype belongs to; the family decides the checks that apply and how
# check arguments are read.
_FAMILY = {
    **{n: "number" for n in ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16",
                             "UInt32", "UInt64", "Float32", "Float64")},
    "String": "string", "Categorical": "category", "Boolean": "boolean",
    "Date": "date", "Datetime": "datetime", "Time": "time",
    "Duration": "opaque", "Binary": "opaque", "Null": "opaque",
}
_ORDER = frozenset({"ge", "gt", "le", "lt", "in_range"})
_EQUALITY = frozenset({"eq", "ne", "isin", "notin"})
_TEXT = frozenset({"str_matches", "str_length"})
_FAMILY_CHECKS: dict[str, frozenset[str]] = {
    "number": _ORDER | _EQUALITY, "date": _ORDER | _EQUALITY,
    "datetime": _ORDER | _EQUALITY, "time": _ORDER | _EQUALITY,
    "string": _EQUALITY | _TEXT, "category": _EQUALITY,
    "boolean": _EQUALITY, "opaque": frozenset(),
    "any": _ORDER | _EQUALITY | _TEXT,
}
# How many values of an isin/notin list a check label shows.
LABEL_VALUES = 5


@dataclass(frozen=True)
class ColumnSpec:
    """What one entry under ``columns`` may say (every key optional)."""

    # Polars dtype name (Int64, Float64, String, Date, Datetime(ms), ...); None: any dtype.
    dtype: str | None = None
    # Whether nulls (and float NaN) are allowed.
    nullable: bool = True
    # Whether every value must be distinct.
    unique: bool = False
    # Whether the column must be present.
    required: bool = True
    # Check name -> argument, e.g. {ge: 0} or {isin: [a, b]}; see ``CHECKS``.
    checks: dict[str, Any] = field(default_factory=dict)


SPEC_KEYS = tuple(f.name for f in dataclasses.fields(ColumnSpec))


@dataclass(frozen=True)
class CheckSpec:
    """One validated check: the pandera builtin to call, its arguments, a readable label."""

    method: str
    kwargs: dict[str, Any]
    label: str


@dataclass(frozen=True)
class ParsedColumn:
    """A column spec after every key and argument has been checked and converted."""

    name: str
    dtype: Any  # a polars dtype, or None for any dtype
    dtype_name: str | None
    nullable: bool
    unique: bool
    required: bool
    checks: tuple[CheckSpec, ...]


class YamlSchema(Schema):
    """A pandera (polars) schema declared as YAML data."""

    # Parameters the conformance suite (`driftline plugins check`) builds it with.
    example_params = {"columns": {"num_a": {"dtype": "Float64"}, "cat": {"dtype": "String"}}}

    @dataclass(frozen=True)
    class Params:
        # Column name -> spec: dtype, nullable, unique, required, checks (see module doc).
        columns: dict[str, Any]
        # When true, a column that is not listed is an error.
        strict: bool = False
        # When true, columns are cast to their dtype before checking (cast failures are errors).
        coerce: bool = False
        # When true, the listed columns must appear in this order.
        ordered: bool = False

    def __init__(self, params: Any = None, *, where: str = "schema"):
        super().__init__(params)
        self.where = where
        self.parsed = parse_columns(self.params.columns, where=f"{where}.columns")

    def build(self) -> pa.DataFrameSchema:
        columns = {col.name: _pandera_column(col) for col in self.parsed}
        return pa.DataFrameSchema(
            columns,
            strict=self.params.strict,
            coerce=self.params.coerce,
            ordered=self.params.ordered,
            name=self.registered_name or "yaml",
        )


# -- parsing the column specs -------------------------------------------------------------
def parse_columns(columns: Mapping[str, Any], *, where: str) -> tuple[ParsedColumn, ...]:
    """Check every column spec under ``where`` (e.g. ``schema.columns``)."""
    if not columns:
        raise ConfigError(
            f"{where} is empty: list at least one column (name: {{dtype: ..., checks: ...}}), "
            f"or select schema=none to skip validation.",
            key=where,
        )
    return tuple(_parse_column(str(name), spec, f"{where}.{name}") for name, spec in columns.items())


def _parse_column(name: str, spec: Any, where: str) -> ParsedColumn:
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        raise ConfigError(
            f"wrong value for {where}: got {spec!r}, expected a mapping with keys "
            f"{', '.join(SPEC_KEYS)} (e.g. {{dtype: Int64, nullable: false}}).",
            key=where,
        )
    for key in spec:
        if key not in SPEC_KEYS:
            raise ConfigError(
                f"unknown column spec key '{key}' (key: {where}.{key}).{did_you_mean(str(key), SPEC_KEYS)}",
                key=f"{where}.{key}", options=SPEC_KEYS,
            )
    for flag in ("nullable", "unique", "required"):
        if flag in spec and not isinstance(spec[flag], bool):
            raise ConfigError(
                f"wrong value for {where}.{flag}: got {spec[flag]!r}, expected true or false.",
                key=f"{where}.{flag}",
            )
    defaults = ColumnSpec()
    dtype_name = spec.get("dtype")
    dtype = None if dtype_name is None else parse_dtype(dtype_name, f"{where}.dtype")
    family = "any" if dtype_name is None else _FAMILY[_base_name(dtype_name)]
    checks = spec.get("checks") or {}
    if not isinstance(checks, Mapping):
        raise ConfigError(
            f"wrong value for {where}.checks: got {checks!r}, expected a mapping of check name "
            f"to argument (e.g. {{ge: 0}}).",
            key=f"{where}.checks",
        )
    reader = _ValueReader(dtype, dtype_name, family)
    return ParsedColumn(
        name=name,
        dtype=dtype,
        dtype_name=dtype_name,
        nullable=spec.get("nullable", defaults.nullable),
        unique=spec.get("unique", defaults.unique),
        required=spec.get("required", defaults.required),
        checks=tuple(
            _parse_check(str(check), arg, reader, f"{where}.checks.{check}")
            for check, arg in checks.items()
        ),
    )


def _base_name(dtype_name: str) -> str:
    return dtype_name.split("(", 1)[0].strip()


def parse_dtype(text: Any, key: str) -> Any:
    """``Int64`` -> ``pl.Int64``; ``Datetime(ms, UTC)`` -> ``pl.Datetime("ms", "UTC")``."""
    if not isinstance(text, str):
        raise ConfigError(f"wrong value for {key}: got {text!r}, expected a dtype name "
                          f"such as Int64 or String.", key=key)
    match = re.fullmatch(r"\s*(\w+)\s*(?:\((.*)\))?\s*", text)
    name = match.group(1) if match else text
    args = [a.strip() for a in match.group(2).split(",")] if match and match.group(2) else []
    if name in SIMPLE_DTYPES and not args and match and match.group(2) is None:
        return SIMPLE_DTYPES[name]
    if name not in DTYPE_NAMES:
        raise ConfigError(f"unknown dtype '{text}' (key: {key}).{did_you_mean(name, DTYPE_NAMES)}",
                          key=key, options=DTYPE_NAMES)
    if name in SIMPLE_DTYPES:
        raise ConfigError(f"dtype {name} takes no arguments (key: {key}): write '{name}'.", key=key)
    return _parametrised_dtype(name, args, key)


def _parametrised_dtype(name: str, args: list[str], key: str) -> Any:
    max_args = 2 if name == "Datetime" else 1
    usage = "Datetime, Datetime(ms) or Datetime(us, UTC)" if name == "Datetime" else \
        "Duration or Duration(ms)"
    if len(args) > max_args or (args and args[0] not in TIME_UNITS):
        raise ConfigError(
            f"invalid dtype arguments for {name} (key: {key}): got ({', '.join(args)}); the "
            f"time unit is one of {', '.join(TIME_UNITS)}. Write {usage}.",
            key=key,
        )
    unit = args[0] if args else "us"
    if name == "Duration":
        return pl.Duration(unit)
    tz = args[1] if len(args) == 2 else None
    if tz is not None:
        _check_time_zone(tz, key)
    return pl.Datetime(unit, tz)


def _check_time_zone(tz: str, key: str) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone '{tz}' (key: {key}): use an IANA name such as UTC or "
            f"Europe/Paris.", key=key,
        ) from None


# -- checks -------------------------------------------------------------------------------
class _ValueReader:
    """Reads check arguments as values comparable with one column's dtype."""

    def __init__(self, dtype: Any, dtype_name: str | None, family: str):
        self.dtype = dtype
        self.dtype_name = dtype_name or "any"
        self.family = family

    def scalar(self, value: Any, key: str) -> Any:
        reader = getattr(self, f"_read_{self.family}", None)
        if value is None or isinstance(value, (Mapping, list, tuple)) or reader is None:
            self._fail(value, key, "a single value")
        return reader(value, key)

    def _fail(self, value: Any, key: str, expected: str) -> None:
        raise ConfigError(
            f"wrong value for {key}: got {value!r} ({type(value).__name__}), expected "
            f"{expected} for a column of dtype {self.dtype_name}.",
            key=key,
        )

    def _read_any(self, value: Any, key: str) -> Any:
        if not isinstance(value, (bool, int, float, str)):
            self._fail(value, key, "a number, string or boolean")
        return value

    def _read_number(self, value: Any, key: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self._fail(value, key, "a number")
        return value

    def _read_string(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            self._fail(value, key, "a string (quote it in YAML, e.g. '36')")
        return value

    _read_category = _read_string

    def _read_boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            self._fail(value, key, "true or false")
        return value

    def _read_date(self, value: Any, key: str) -> dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        return self._iso(value, key, dt.date.fromisoformat, "an ISO date string like '2024-01-31'")

    def _read_time(self, value: Any, key: str) -> dt.time:
        if isinstance(value, dt.time):
            return value
        return self._iso(value, key, dt.time.fromisoformat, "an ISO time string like '13:45:00'")

    def _read_datetime(self, value: Any, key: str) -> dt.datetime:
        if not isinstance(value, dt.datetime):
            value = self._iso(value, key, dt.datetime.fromisoformat,
                              "an ISO datetime string like '2024-01-31T13:45:00'")
        tz = self.dtype.time_zone
        if tz is None and value.tzinfo is not None:
            raise ConfigError(f"wrong value for {key}: {value.isoformat()} has a time zone but "
                              f"the column's dtype ({self.dtype_name}) has none; drop the offset.", key=key)
        if tz is not None and value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(tz))
        return value

    def _iso(self, value: Any, key: str, parse: Callable[[str], Any], expected: str) -> Any:
        if not isinstance(value, str):
            self._fail(value, key, expected)
        try:
            return parse(value)
        except ValueError:
            self._fail(value, key, expected)


def _parse_check(name: str, arg: Any, reader: _ValueReader, key: str) -> CheckSpec:
    if name not in CHECKS:
        raise ConfigError(f"unknown check '{name}' (key: {key}).{did_you_mean(name, CHECKS)}",
                          key=key, options=sorted(CHECKS))
    allowed = _FAMILY_CHECKS[reader.family]
    if name not in allowed:
        valid = ", ".join(sorted(allowed)) or "(none)"
        raise ConfigError(
            f"check '{name}' does not apply to dtype {reader.dtype_name} (key: {key}). "
            f"Checks for {reader.dtype_name}: {valid}.",
            key=key, options=sorted(allowed),
        )
    return CHECKS[name](arg, reader, key)


def _comparison(method: str) -> Callable[[Any, _ValueReader, str], CheckSpec]:
    def parse(arg: Any, reader: _ValueReader, key: str) -> CheckSpec:
        value = reader.scalar(arg, key)
        name = key.rsplit(".", 1)[-1]
        return CheckSpec(method, {"value": value}, f"{name}({_fmt(value)})")
    return parse


def _membership(method: str, argname: str) -> Callable[[Any, _ValueReader, str], CheckSpec]:
    def parse(arg: Any, reader: _ValueReader, key: str) -> CheckSpec:
        name = key.rsplit(".", 1)[-1]
        if isinstance(arg, (str, bytes, Mapping)) or not isinstance(arg, Sequence):
            raise ConfigError(f"wrong value for {key}: got {arg!r}, expected a list of values "
                              f"(e.g. [a, b]).", key=key)
        if name == "isin" and not arg:
            raise ConfigError(f"empty list for {key}: isin needs at least one allowed value.",
                              key=key)
        values = []
        for i, item in enumerate(arg):
            if item is None:
                raise ConfigError(f"null in {key}[{i}]: nulls are governed by 'nullable', "
                                  f"not by {name}; remove it.", key=f"{key}[{i}]")
            values.append(reader.scalar(item, f"{key}[{i}]"))
        return CheckSpec(method, {argname: values}, f"{name}({_fmt_list(values)})")
    return parse


def _parse_in_range(arg: Any, reader: _ValueReader, key: str) -> CheckSpec:
    opts = _bounds(arg, key, required=("min", "max"), flags=("include_min", "include_max"))
    lo, hi = reader.scalar(opts["min"], f"{key}.min"), reader.scalar(opts["max"], f"{key}.max")
    inc_lo, inc_hi = opts.get("include_min", True), opts.get("include_max", True)
    if _greater(lo, hi, key) or (lo == hi and not (inc_lo and inc_hi)):
        raise ConfigError(f"empty range for {key}: min={_fmt(lo)} max={_fmt(hi)} admits no value; "
                          f"min must be below max.", key=key)
    label = f"in_range(min={_fmt(lo)}, max={_fmt(hi)}"
    label += "".join(f", {flag}=false" for flag, inc in
                     (("include_min", inc_lo), ("include_max", inc_hi)) if not inc)
    kwargs = {"min_value": lo, "max_value": hi, "include_min": inc_lo, "include_max": inc_hi}
    return CheckSpec("in_range", kwargs, label + ")")


def _parse_str_length(arg: Any, reader: _ValueReader, key: str) -> CheckSpec:
    opts = _bounds(arg, key, required=(), flags=(), optional=("min", "max"))
    if not opts:
        raise ConfigError(f"empty value for {key}: give min, max or both (e.g. {{min: 1, max: 40}}).",
                          key=key)
    for bound, value in opts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"wrong value for {key}.{bound}: got {value!r}, expected a "
                              f"whole number >= 0.", key=f"{key}.{bound}")
    lo, hi = opts.get("min"), opts.get("max")
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"empty range for {key}: min={lo} is above max={hi}.", key=key)
    label = "str_length(" + ", ".join(f"{b}={v}" for b, v in opts.items()) + ")"
    return CheckSpec("str_length", {"min_value": lo, "max_value": hi}, label)


def _parse_str_matches(arg: Any, reader: _ValueReader, key: str) -> CheckSpec:
    if not isinstance(arg, str):
        raise ConfigError(f"wrong value for {key}: got {arg!r}, expected a regular expression "
                          f"string.", key=key)
    try:
        pl.select(pl.lit("").str.contains(arg))
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()
        detail = next((line.strip() for line in first if line.strip().startswith("error:")), "")
        raise ConfigError(f"invalid regular expression {arg!r} (key: {key}){': ' + detail if detail else ''}"
                          f". Polars (Rust regex) syntax applies; the match is anchored at the "
                          f"start.", key=key) from None
    return CheckSpec("str_matches", {"pattern": arg}, f"str_matches({arg!r})")


def _bounds(arg: Any, key: str, *, required: Sequence[str], flags: Sequence[str],
            optional: Sequence[str] = ()) -> dict[str, Any]:
    valid = (*required, *optional, *flags)
    if not isinstance(arg, Mapping):
        raise ConfigError(f"wrong value for {key}: got {arg!r}, expected a mapping with keys "
                          f"{', '.join(valid)}.", key=key)
    for k in arg:
        if k not in valid:
            raise ConfigError(f"unknown key '{k}' (key: {key}.{k}).{did_you_mean(str(k), valid)}",
                              key=f"{key}.{k}", options=list(valid))
    for k in required:
        if k not in arg:
            raise ConfigError(f"missing {key}.{k}: {key.rsplit('.', 1)[-1]} needs "
                              f"{' and '.join(required)}.", key=f"{key}.{k}")
    for k in flags:
        if k in arg and not isinstance(arg[k], bool):
            raise ConfigError(f"wrong value for {key}.{k}: got {arg[k]!r}, expected true or false.",
                              key=f"{key}.{k}")
    return {k: arg[k] for k in valid if k in arg and arg[k] is not None}


def _greater(lo: Any, hi: Any, key: str) -> bool:
    try:
        return lo > hi
    except TypeError:
        raise ConfigError(f"min and max of {key} cannot be compared: {lo!r} and {hi!r}.",
                          key=key) from None


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _fmt_list(values: Sequence[Any]) -> str:
    shown = ", ".join(_fmt(v) for v in values[:LABEL_VALUES])
    extra = len(values) - LABEL_VALUES
    return f"[{shown}, ... +{extra}]" if extra > 0 else f"[{shown}]"


#: Check name -> parser of its argument.
CHECKS: dict[str, Callable[[Any, _ValueReader, str], CheckSpec]] = {
    "ge": _comparison("greater_than_or_equal_to"),
    "gt": _comparison("greater_than"),
    "le": _comparison("less_than_or_equal_to"),
    "lt": _comparison("less_than"),
    "eq": _comparison("equal_to"),
    "ne": _comparison("not_equal_to"),
    "in_range": _parse_in_range,
    "isin": _membership("isin", "allowed_values"),
    "notin": _membership("notin", "forbidden_values"),
    "str_matches": _parse_str_matches,
    "str_length": _parse_str_length,
}


# -- building the pandera objects ---------------------------------------------------------
def _pandera_column(col: ParsedColumn) -> pa.Column:
    checks = [_pandera_check(c) for c in col.checks]
    return pa.Column(col.dtype, checks=checks or None, nullable=col.nullable, unique=col.unique,
                     required=col.required, name=col.name)


def _pandera_check(spec: CheckSpec) -> pa.Check:
    kwargs = dict(spec.kwargs)
    args = (kwargs.pop("value"),) if "value" in kwargs else ()
    return getattr(pa.Check, spec.method)(*args, **kwargs, error=spec.label)
