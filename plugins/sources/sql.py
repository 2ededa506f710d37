"""SQL source: the result of one query against a database named by a SQLAlchemy URL.

The query runs through a SQLAlchemy connection and polars builds the frame from the
rows (``pl.read_database``), which needs neither pandas nor pyarrow.  Column types are
inferred from every row by default.  A relative SQLite path in the URL is resolved like
a file path, and must exist (SQLite would otherwise create an empty database).  The
password in the URL never appears in messages or lineage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from driftline.engine import ConfigError, DataError, RunContext, Source
from driftline.plugins.transforms.columns import DTYPES, dtype_from_name

URL_KEY = "data.url"
QUERY_KEY = "data.query"
_IN_MEMORY = frozenset({"", ":memory:"})


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)  # the DBAPI's own message, without SQLAlchemy's notes
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parse_url(url: str) -> URL:
    """The URL as SQLAlchemy reads it; ConfigError when it is not one."""
    try:
        return make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise ConfigError(f"{URL_KEY} is not a SQLAlchemy URL ({_first_line(exc)}); use e.g. "
                          f"sqlite:///data/loans.db or postgresql+psycopg://user@host/db.",
                          key=URL_KEY) from exc


def safe_url(url: URL) -> str:
    """The URL with its password hidden."""
    return url.render_as_string(hide_password=True)


class SqlSource(Source):
    """Runs ``query`` against the database at ``url``."""

    # Parameters the conformance suite (`driftline plugins check`) builds it with.
    example_params = {"url": "sqlite://", "query": "select 1 as x, 'a' as y"}

    @dataclass(frozen=True)
    class Params:
        # SQLAlchemy URL, e.g. sqlite:///data/loans.db (relative SQLite paths are allowed).
        url: str
        # A SELECT statement; its result is the table.  It runs as SQLAlchemy text(), so a
        # literal colon before a word (':abc') must be written '\:abc'.
        query: str
        # Rows used to infer column types; null = every row.
        infer_schema_length: int | None = field(default=None, metadata={"ge": 1})
        # Column -> dtype name (Int64, Float64, String, Boolean, Date, ...), skipping inference.
        schema_overrides: dict[str, str] = field(default_factory=dict)

        def __post_init__(self) -> None:
            parse_url(self.url)
            if not self.query.strip():
                raise ConfigError(f"{QUERY_KEY} is empty; give a SELECT statement.", key=QUERY_KEY)
            for column, name in self.schema_overrides.items():
                dtype_from_name(name, key=f"data.schema_overrides.{column}")

    def __init__(self, params: Any = None):
        super().__init__(params)
        self.resolved_url: URL | None = None

    def describe(self) -> dict[str, Any]:
        """Kind and parameters, the URL without its password (resolved after :meth:`load`)."""
        out = super().describe()
        out["url"] = safe_url(self.resolved_url or parse_url(self.params.url))
        return out

    def load(self, ctx: RunContext) -> pl.LazyFrame:
        url = self.resolved_url = self._resolve(parse_url(self.params.url), ctx)
        try:
            engine = sa.create_engine(url)
        except (sa.exc.NoSuchModuleError, ImportError) as exc:
            raise ConfigError(f"no database driver for {safe_url(url)} (key: {URL_KEY}): "
                              f"{_first_line(exc)}; install the driver package for "
                              f"'{url.drivername}'.", key=URL_KEY) from exc
        try:
            frame = self._query(engine, url)
        finally:
            engine.dispose()
        if frame.height == 0:
            raise DataError(f"the query returned no rows (key: {QUERY_KEY}, database "
                            f"{safe_url(url)}); check its WHERE clause and the table's contents.")
        return frame.lazy()

    def _query(self, engine: sa.Engine, url: URL) -> pl.DataFrame:
        overrides = {c: DTYPES[n] for c, n in self.params.schema_overrides.items()}
        try:
            conn = engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            raise DataError(f"cannot connect to {safe_url(url)} (key: {URL_KEY}): "
                            f"{_first_line(exc)}") from exc
        try:
            with conn:
                return pl.read_database(sa.text(self.params.query), connection=conn,
                                        infer_schema_length=self.params.infer_schema_length,
                                        schema_overrides=overrides or None)
        except sa.exc.SQLAlchemyError as exc:
            raise DataError(f"the query failed (key: {QUERY_KEY}, database {safe_url(url)}): "
                            f"{_first_line(exc)}") from exc
        except pl.exceptions.PolarsError as exc:
            raise DataError(
                f"cannot build a table from the query result (key: {QUERY_KEY}): "
                f"{_first_line(exc)}; set data.infer_schema_length: null or give the column's "
                f"type in data.schema_overrides."
            ) from exc

    @staticmethod
    def _resolve(url: URL, ctx: RunContext) -> URL:
        """A SQLite URL with its file made absolute and checked; other URLs as they are."""
        if url.get_backend_name() != "sqlite" or (url.database or "") in _IN_MEMORY:
            return url
        if url.database.startswith("file:"):
            return url  # SQLite URI filename: passed through untouched
        path = ctx.resolve_path(url.database).absolute()
        if not path.is_file():
            raise DataError(f"SQLite database not found: {path} (key: {URL_KEY}); check the path "
                            f"(relative paths start at {ctx.base_dir}).")
        return url.set(database=str(path))
