"""A starting schema read off a table: dtypes, observed nulls, ranges and category sets.

:func:`infer_schema` returns a config node for the ``yaml`` schema (``kind: yaml``) that
the same table passes; :func:`render_schema_yaml` turns it into commented YAML to save
as ``conf/schema/<name>.yaml``.  The observed ranges and category sets describe only the
sample it was read from, so the header asks the reader to review them.
"""

from __future__ import annotations

import math
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


def infer_schema(df: pl.DataFrame, *, max_categories: int = 50) -> dict[str, Any]:
    """A ``kind: yaml`` schema node that ``df`` passes.

    Per column: ``dtype``; ``nullable`` (whether a null, or a float NaN, was seen); for
    numbers ``ge``/``le`` with the observed min/max; for strings and categoricals with at
    most ``max_categories`` distinct values, ``isin`` with the sorted values seen
    (``max_categories=0`` turns this off).  A dtype the yaml schema cannot name (lists,
    structs, decimals, enums) is left open: no ``dtype`` key.
    """
    if isinstance(max_categories, bool) or not isinstance(max_categories, int) or max_categories < 0:
        raise UsageError(f"max_categories must be a whole number >= 0, got {max_categories!r}.")
    columns = {name: _infer_column(df.get_column(name), max_categories) for name in df.columns}
    return {"kind": "yaml", "strict": False, "coerce": False, "columns": columns}


def _infer_column(series: pl.Series, max_categories: int) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    name = dtype_name(series.dtype)
    if name is not None:
        spec["dtype"] = name
    has_nan = series.dtype.is_float() and bool(series.is_nan().any())
    spec["nullable"] = series.null_count() > 0 or has_nan
    checks: dict[str, Any] = {}
    if series.dtype in _NUMERIC:
        checks = _numeric_range(series, has_nan)
    elif series.dtype in (pl.String, pl.Categorical) or isinstance(series.dtype, pl.Enum):
        checks = _category_set(series.cast(pl.String), max_categories)
    if checks:
        spec["checks"] = checks
    return spec


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


def _numeric_range(series: pl.Series, has_nan: bool) -> dict[str, Any]:
    """Observed min and max: one ``in_range`` check (one pass over the column when the
    data is validated, where ``ge`` plus ``le`` take two).  NaN passes ``ge`` but fails
    ``le`` in polars' ordering, so a column holding NaN gets only a lower bound."""
    lo, hi = series.min(), series.max()
    has_lo = lo is not None and not (isinstance(lo, float) and math.isnan(lo))
    has_hi = hi is not None and not has_nan and not (isinstance(hi, float) and math.isnan(hi))
    if has_lo and has_hi:
        return {"in_range": {"min": lo, "max": hi}}
    return {"ge": lo} if has_lo else {}


def _category_set(series: pl.Series, max_categories: int) -> dict[str, Any]:
    values = series.drop_nulls().unique()
    if values.len() == 0 or values.len() > max_categories:
        return {}
    return {"isin": sorted(values.to_list())}


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


def render_schema_yaml(node: dict[str, Any], *, source: str, rows: int | None = None) -> str:
    """``node`` as YAML under a header saying where it came from and to review it."""
    size = f" ({rows:,} rows)" if rows is not None else ""
    header = [
        f"# Schema inferred by driftline from {source}{size}.",
        "# Review and edit before use: ranges and category sets are only what this data held,",
        "# and nullable says whether nulls were seen. Save as conf/schema/<name>.yaml and",
        "# select it with schema=<name>.",
    ]
    body = yaml.dump(_escape_values(node), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
    return "\n".join(header) + "\n" + body
