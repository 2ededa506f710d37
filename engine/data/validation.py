"""Validating a table against the run's schema: build the pandera schema, report all failures.

pandera is called here and nowhere else in the engine, so its exceptions are translated
here: failed checks become one :class:`SchemaValidationError` whose message fits on one
line and whose full table of failures is written (atomically) beside the run; anything
else pandera raises becomes a :class:`ConfigError` (the schema is wrong) or a
:class:`DataError` (the data cannot be checked).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from driftline.engine.lineage.atomic import atomic_write_bytes
from driftline.engine.errors import (
    ConfigError,
    DataError,
    DriftlineError,
    PluginError,
    SchemaValidationError,
)

if TYPE_CHECKING:
    import pandera.polars as pa

    from driftline.engine.components.registry import Registry

# File in the run folder that receives the schema validation failures.
SCHEMA_FAILURES_FILE = "schema_failures.csv"

#: Columns of the failure table, in order.
FAILURE_COLUMNS = ("row", "column", "check", "failure_case", "schema_context")
#: How many column/check pairs the one-line message names before "and N more".
MAX_PAIRS_LISTED = 5
#: Longest check label and example value shown in the message (characters).
MAX_LABEL_CHARS = 40
MAX_EXAMPLE_CHARS = 30
#: Longest piece of a third-party error message quoted in ours.
MAX_DETAIL_CHARS = 200


# -- building -----------------------------------------------------------------------------
def build_schema(registry: Registry, node: Mapping[str, Any] | None,
                 where: str = "schema") -> pa.DataFrameSchema | None:
    """The pandera schema the config node ``where`` selects; None when it selects none.

    The node names a registered schema with ``kind``: either an :class:`engine.Schema`
    component (its other keys are its parameters) or a ``pandera.polars.DataFrameModel``
    subclass (which takes no parameters).
    """
    if not node:
        return None
    node = dict(node)
    name = node.get("kind")
    model = _registered_model(registry, name)
    if model is not None:
        extra = sorted(k for k in node if k != "kind")
        if extra:
            raise ConfigError(
                f"unknown parameter '{extra[0]}' (key: {where}.{extra[0]}): schema '{name}' is "
                f"a pandera DataFrameModel and takes no parameters; remove it.",
                key=f"{where}.{extra[0]}",
            )
        return _checked(lambda: model.to_schema(), name, where)
    component = registry.create("schema", node, where=where)
    return _checked(component.build, name, where)


def _registered_model(registry: Registry, name: Any) -> type | None:
    """The DataFrameModel class registered as ``name``, or None (also for unknown names,
    which ``registry.create`` then reports with the config key)."""
    if not isinstance(name, str):
        return None
    try:
        obj = registry.load("schema", name)
    except PluginError:
        return None
    from pandera.polars import DataFrameModel

    return obj if isinstance(obj, type) and issubclass(obj, DataFrameModel) else None


def _checked(build: Any, name: Any, where: str) -> pa.DataFrameSchema:
    import pandera.errors as pe
    from pandera.polars import DataFrameSchema

    try:
        schema = build()
    except DriftlineError:
        raise
    except (pe.SchemaInitError, pe.SchemaDefinitionError, pe.BackendNotFoundError) as exc:
        raise ConfigError(f"schema '{name}' (key: {where}) is invalid: {_one_line(exc)}. "
                          f"Fix the schema definition.", key=where) from exc
    except Exception as exc:  # a third-party schema's own bug
        raise PluginError(f"schema '{name}' (key: {where}) failed to build: "
                          f"{type(exc).__name__}: {_one_line(exc)}.",
                          kind="schema", name=str(name)) from exc
    if not isinstance(schema, DataFrameSchema):
        raise PluginError(f"schema '{name}' (key: {where}) built a {type(schema).__name__}, "
                          f"expected a pandera.polars.DataFrameSchema.",
                          kind="schema", name=str(name))
    return schema


# -- validating ---------------------------------------------------------------------------
def validate(df: pl.DataFrame, schema: pa.DataFrameSchema | None, *,
             failures_path: Path | None) -> pl.DataFrame:
    """``df`` checked against ``schema`` (all failures at once); returns the validated frame.

    On failure the full failure table is written to ``failures_path`` (when given) and a
    :class:`SchemaValidationError` with a one-line summary is raised.
    """
    if schema is None:
        return df
    if isinstance(df, pl.LazyFrame):
        df = df.collect()
    import pandera.errors as pe
    from pandera.config import ValidationDepth, config_context

    try:
        # Data checks must run whatever PANDERA_* environment variables say.
        with config_context(validation_enabled=True,
                            validation_depth=ValidationDepth.SCHEMA_AND_DATA):
            return schema.validate(df, lazy=True)
    except pe.SchemaErrors as exc:
        table = failure_table(exc)
        raise _validation_error(table, failures_path) from exc
    except pe.SchemaError as exc:
        raise DataError(f"schema validation failed: {_one_line(exc)}.") from exc
    except (pe.SchemaInitError, pe.SchemaDefinitionError) as exc:
        raise ConfigError(f"the schema cannot be applied: {_one_line(exc)}. "
                          f"Fix the schema definition.", key="schema") from exc
    except pe.BackendNotFoundError as exc:
        raise DataError(f"cannot validate a {type(df).__name__} with a polars schema: "
                        f"{_one_line(exc)}.") from exc
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"schema validation could not evaluate the data: "
                        f"{type(exc).__name__}: {_one_line(exc)}.") from exc


def failure_table(exc: Any) -> pl.DataFrame:
    """pandera's failure cases as the table driftline writes: one row per failing cell."""
    raw = exc.failure_cases
    table = raw.select(
        pl.col("index").cast(pl.Int64).alias("row"),
        pl.col("column").cast(pl.String),
        pl.col("check").cast(pl.String),
        pl.col("failure_case").cast(pl.String),
        pl.col("schema_context").cast(pl.String),
    )
    # Table-level failures carry the schema's name (or null) as their column; a missing,
    # extra or misplaced column is named only as the failure case.
    table_level = pl.col("schema_context") == "DataFrameSchema"
    names_column = pl.col("check").is_in(["column_in_schema", "column_in_dataframe", "column_ordered"])
    table = table.with_columns(
        pl.when(table_level & names_column).then(pl.col("failure_case"))
        .when(table_level).then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.col("column")).alias("column")
    )
    return _name_coercions(table, exc.schema_errors)


_COERCE_COLUMN = re.compile(r"Could not coerce '(.+?)' in")
_COERCE_TYPE = re.compile(r"into type (.+)$")


def _name_coercions(table: pl.DataFrame, errors: list[Any]) -> pl.DataFrame:
    """pandera labels a failed cast with every dtype of the schema and no column; name the
    column and target dtype when its message allows, else label it just ``coerce_dtype``."""
    is_coerce = pl.col("check").str.starts_with("coerce_dtype(")
    messages = [str(e) for e in errors if str(getattr(e, "check", "")).startswith("coerce_dtype(")]
    column = dtype = None
    if len(messages) == 1:
        col_match, type_match = _COERCE_COLUMN.search(messages[0]), _COERCE_TYPE.search(messages[0])
        column = col_match.group(1) if col_match else None
        dtype = type_match.group(1).strip() if type_match else None
    label = f"coerce_dtype('{dtype}')" if dtype else "coerce_dtype"
    return table.with_columns(
        pl.when(is_coerce).then(pl.lit(label)).otherwise(pl.col("check")).alias("check"),
        pl.when(is_coerce & pl.col("column").is_null()).then(pl.lit(column, dtype=pl.String))
        .otherwise(pl.col("column")).alias("column"),
    )


def _validation_error(table: pl.DataFrame, failures_path: Path | None) -> SchemaValidationError:
    if failures_path is None:
        where = "Full table not written (no failures path given)"
    else:
        try:
            write_csv_atomic(table, Path(failures_path))
            where = f"Full table: {failures_path}"
        except OSError as exc:
            where = f"The full table could not be written to {failures_path}: {exc}"
    return SchemaValidationError(f"{summarise(table)}. {where}.", failures=table,
                                 n_failures=table.height)


def summarise(table: pl.DataFrame) -> str:
    """How many failures, and the most frequent column/check pairs with an example each."""
    pairs = (
        table.with_row_index("_order")
        .group_by("column", "check", maintain_order=True)
        .agg(pl.len().alias("n"), pl.col("failure_case").first().alias("example"),
             pl.col("_order").first())
        .sort(["n", "_order"], descending=[True, False])
    )
    shown = [
        f"{row['column'] or '(table)'} {_clip(row['check'], MAX_LABEL_CHARS)} x{row['n']} "
        f"(e.g. {_example(row['example'])})"
        for row in pairs.head(MAX_PAIRS_LISTED).iter_rows(named=True)
    ]
    more = pairs.height - len(shown)
    listed = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
    n = table.height
    return (f"schema validation failed: {n} failure{'s' if n != 1 else ''} in "
            f"{pairs.height} column/check pair{'s' if pairs.height != 1 else ''}: {listed}")


def _example(value: str | None) -> str:
    if value is None:
        return "null"
    return repr(_clip(value, MAX_EXAMPLE_CHARS))


def _clip(text: str, limit: int) -> str:
    lines = str(text).strip().splitlines() or [""]
    first = lines[0]
    if len(first) > limit or len(lines) > 1:
        return first[: limit - 1].rstrip() + "…"
    return first


def _one_line(exc: BaseException) -> str:
    return _clip(str(exc) or type(exc).__name__, MAX_DETAIL_CHARS).rstrip(".")


# -- writing ------------------------------------------------------------------------------
def write_csv_atomic(table: pl.DataFrame, path: Path) -> None:
    """Write ``table`` as CSV to ``path`` atomically (see driftline.engine.lineage.atomic)."""
    buffer = io.BytesIO()
    table.write_csv(buffer)
    atomic_write_bytes(path, buffer.getvalue())
