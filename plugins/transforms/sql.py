"""SQL transform: a polars SQL query over the incoming frame, registered as table ``data``.

The query is parsed and planned by polars' SQL engine when the step is applied, so a
syntax error, an unknown table or an unknown column is reported then, not at collect.
Only SQL is accepted: polars' SQL has no way to call Python, and nothing from the config
is ever evaluated as code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from driftline.engine import ConfigError, DataError, RunContext, Transform
from driftline.engine import did_you_mean

#: The name the incoming frame has inside the query.
TABLE = "data"

_MISSING_COLUMN = re.compile(r'unable to find column "(?P<column>[^"]+)"')


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class SqlTransform(Transform):
    """``SELECT ... FROM data ...``: the query's result replaces the frame."""

    # Parameters the conformance suite (`driftline plugins check`) builds it with.
    example_params = {"query": "select * from data where num_b > 1"}

    @dataclass(frozen=True)
    class Params:
        # A polars SQL SELECT statement over the table `data` (the incoming frame).
        query: str

        def __post_init__(self) -> None:
            if not self.query.strip():
                raise ConfigError(f"the sql transform's query is empty; give a SELECT statement "
                                  f"over the table '{TABLE}'.", key="query")

    def apply(self, frame: pl.LazyFrame, ctx: RunContext) -> pl.LazyFrame:
        try:
            columns = list(frame.collect_schema())
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"sql transform: the input frame is invalid: "
                            f"{_first_line(exc)}") from exc
        try:
            with pl.SQLContext(frames={TABLE: frame}, eager=False) as sql:
                result = sql.execute(self.params.query)
            result.collect_schema()  # resolves every name now, reads no data
        except pl.exceptions.ColumnNotFoundError as exc:
            raise self._missing_column(exc, columns) from exc
        except (pl.exceptions.SQLSyntaxError, pl.exceptions.SQLInterfaceError) as exc:
            raise ConfigError(f"sql transform: invalid query ({_first_line(exc)}); the input is "
                              f"the table '{TABLE}'.", key="query") from exc
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"sql transform: the query cannot run on this data: "
                            f"{_first_line(exc)}") from exc
        return result

    @staticmethod
    def _missing_column(exc: BaseException, columns: list[str]) -> DataError:
        match = _MISSING_COLUMN.search(str(exc))
        if match is None:
            return DataError(f"sql transform: {_first_line(exc)}")
        name = match["column"]
        return DataError(f"sql transform: column '{name}' is not in the table "
                         f"'{TABLE}'.{did_you_mean(name, columns)}")
