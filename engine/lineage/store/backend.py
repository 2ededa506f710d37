"""How the lineage store reaches its database: connections, SQLite settings, errors, retries.

Two ways in, chosen by URL:

- a plain SQLite file URL (``sqlite:///path``) is read and written with the standard
  library's sqlite3, so that neither ``driftline runs`` nor ``driftline run`` pays for
  importing SQLAlchemy (~0.15 s) and SQLModel (~0.35 s); only creating or upgrading the
  schema loads them (the tables are defined once, as SQLModel classes);
- any other URL (PostgreSQL, in-memory SQLite, SQLite with URL options) is read and written
  through one SQLAlchemy engine.

SQL is written once, portably, with ``:name`` parameters, which both sqlite3 and
SQLAlchemy's ``text()`` understand; writers get a :class:`WriteConn` either way.

SQLite settings, on every connection: WAL journal (readers never block the writer),
``busy_timeout`` (wait for the write lock instead of failing), ``foreign_keys=ON``,
``synchronous=NORMAL`` (safe with WAL).  Write transactions start with ``BEGIN IMMEDIATE``,
taking the write lock up front, so two writers never deadlock upgrading read locks.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline.engine.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

#: Seconds a connection waits for another process's write lock before "database is locked".
BUSY_TIMEOUT_S = 30.0
#: Pragmas set on every SQLite connection that writes (with busy_timeout from BUSY_TIMEOUT_S).
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL")
#: pip package of a database driver module SQLAlchemy may ask for (postgresql:// means
#: psycopg 3 in SQLAlchemy 2.1; postgresql+psycopg2:// psycopg2).
DRIVER_PACKAGES = {
    "psycopg": "'psycopg[binary]'", "psycopg2": "psycopg2-binary", "pg8000": "pg8000",
    "asyncpg": "asyncpg", "pymysql": "pymysql", "MySQLdb": "mysqlclient",
}
#: Longest cause (from the database driver) quoted in an error message.
MAX_CAUSE_CHARS = 200

#: Runs one SQL statement with named parameters and returns all rows as tuples.
Query = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]

_SQLITE_FILE = re.compile(r"^sqlite(?P<driver>\+\w+)?:///(?P<path>[^?]+)(?P<query>\?.*)?$")
# user:password@ up to the last "@" before the path, as SQLAlchemy parses it.
_PASSWORD = re.compile(r"^(?P<head>[a-zA-Z0-9+._-]+://[^:/@]*:)[^/]*@")


def display_url(url: str) -> str:
    """The URL as shown in messages: any password replaced by ***."""
    return _PASSWORD.sub(r"\g<head>***@", url)


def sqlite_file(url: str, *, plain: bool = False) -> Path | None:
    """The file of a SQLite file URL; None for other URLs, in-memory and ``file:`` URI ones.

    With ``plain``, only URLs without driver or options (those the standard library can read
    exactly as SQLAlchemy would) give a path.
    """
    match = _SQLITE_FILE.match(url)
    if match is None or match["path"] == ":memory:" or match["path"].startswith("file:"):
        return None
    if plain and (match["query"] or match["driver"] not in (None, "+pysqlite")):
        return None
    return Path(match["path"]).expanduser().absolute()


def prepare_sqlite_file(path: Path, where: str) -> None:
    """Refuse a folder; create the parent folder of a new store file."""
    if path.is_dir():
        raise StoreError(
            f"cannot open lineage store {where}: {path} is a folder. "
            f"Point store.url at a file, e.g. sqlite:///{path / 'lineage.db'}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot open lineage store {where}: cannot create folder {path.parent} "
            f"({exc.strerror or exc}). Check the path and its permissions."
        ) from exc


# -- reading ----------------------------------------------------------------------------
class SqliteReader:
    """Reads a SQLite store with the standard library (no SQLAlchemy import)."""

    def __init__(self, path: Path):
        self._conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._lock = threading.Lock()

    @contextmanager
    def session(self) -> Iterator[Query]:
        """A consistent snapshot for a few queries (one read transaction)."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield lambda sql, params: self._conn.execute(sql, params).fetchall()
            finally:
                if self._conn.in_transaction:
                    self._conn.execute("COMMIT")

    def table_names(self) -> set[str]:
        rows = self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        return {name for (name,) in rows}

    def close(self) -> None:
        self._conn.close()


class AlchemyReader:
    """Reads any store through a SQLAlchemy engine."""

    def __init__(self, engine: Engine):
        self._engine = engine

    @contextmanager
    def session(self) -> Iterator[Query]:
        from sqlalchemy import text

        with self._engine.connect() as conn:
            yield lambda sql, params: [tuple(r) for r in conn.execute(text(sql), params)]

    def table_names(self) -> set[str]:
        import sqlalchemy as sa

        with self._engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())

    def close(self) -> None:
        """The engine is disposed by its owner."""


# -- writing ----------------------------------------------------------------------------
class WriteConn:
    """One write transaction, the same for sqlite3 and SQLAlchemy: portable SQL with
    ``:name`` parameters.  Subclasses implement :meth:`execute`, :meth:`executemany` and
    :meth:`fetch`."""

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        """Run one statement; return the number of rows it changed."""
        raise NotImplementedError

    def executemany(self, sql: str, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def fetch(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def first(self, sql: str, params: dict[str, Any] | None = None) -> tuple[Any, ...] | None:
        rows = self.fetch(sql, params)
        return rows[0] if rows else None

    def insert(self, table: str, rows: dict[str, Any] | list[dict[str, Any]],
               *, ignore_conflict_on: str | None = None) -> None:
        """Insert one row or many (all with the keys of the first); with
        ``ignore_conflict_on``, a row whose key column already exists is skipped."""
        many = rows if isinstance(rows, list) else [rows]
        if not many:
            return
        columns = list(many[0])
        sql = (f"INSERT INTO {table} ({', '.join(_quoted(c) for c in columns)}) "
               f"VALUES ({', '.join(':' + c for c in columns)})")
        if ignore_conflict_on is not None:
            sql += f" ON CONFLICT ({_quoted(ignore_conflict_on)}) DO NOTHING"
        if isinstance(rows, list):
            self.executemany(sql, many)
        else:
            self.execute(sql, rows)


def _quoted(identifier: str) -> str:
    return f'"{identifier}"'


class _SqliteConn(WriteConn):
    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        return self._conn.execute(sql, params or {}).rowcount

    def executemany(self, sql: str, rows: list[dict[str, Any]]) -> None:
        self._conn.executemany(sql, rows)

    def fetch(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, params or {}).fetchall()


class _AlchemyConn(WriteConn):
    def __init__(self, conn: Any):
        from sqlalchemy import text

        self._conn = conn
        self._text = text

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> int:
        return self._conn.execute(self._text(sql), params or {}).rowcount

    def executemany(self, sql: str, rows: list[dict[str, Any]]) -> None:
        self._conn.execute(self._text(sql), rows)

    def fetch(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._conn.execute(self._text(sql), params or {})]


class SqliteWriter:
    """Write transactions on a SQLite file with the standard library (BEGIN IMMEDIATE)."""

    def __init__(self, path: Path):
        self._path = path
        self._conn: sqlite3.Connection | None = None

    @contextmanager
    def transaction(self) -> Iterator[WriteConn]:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteConn(conn)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(str(self._path), timeout=BUSY_TIMEOUT_S,
                                   isolation_level=None, check_same_thread=False)
            try:
                _on_sqlite_connect(conn, None)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class AlchemyWriter:
    """Write transactions through a SQLAlchemy engine (BEGIN IMMEDIATE on SQLite)."""

    def __init__(self, engine: Engine):
        self._engine = engine.execution_options(write=True)

    @contextmanager
    def transaction(self) -> Iterator[WriteConn]:
        with self._engine.begin() as conn:
            yield _AlchemyConn(conn)

    def close(self) -> None:
        """The engine is disposed by its owner."""


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine for ``url``; SQLite gets the settings in the module docstring.

    Connections from ``engine.execution_options(write=True)`` begin with BEGIN IMMEDIATE;
    plain connections (reads) begin with a deferred BEGIN.
    """
    import sqlalchemy as sa

    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_S}}
    if _is_sqlite_memory(url):
        kwargs["poolclass"] = sa.pool.StaticPool  # one shared in-memory database
        kwargs["connect_args"]["check_same_thread"] = False
    engine = sa.create_engine(url, **kwargs)
    sa.event.listen(engine, "connect", _on_sqlite_connect)
    sa.event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _is_sqlite_memory(url: str) -> bool:
    base = url.split("?")[0]
    return base in ("sqlite://", "sqlite+pysqlite://") or ":memory:" in url or "mode=memory" in url


def _on_sqlite_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _on_sqlite_begin)
    dbapi_conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    for pragma in SQLITE_PRAGMAS:
        dbapi_conn.execute(pragma)


def _on_sqlite_begin(conn: Any) -> None:
    write = conn.get_execution_options().get("write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_locked(exc: BaseException) -> bool:
    """True for SQLite's transient "database is locked/busy" errors (worth a retry)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text


# -- errors -----------------------------------------------------------------------------
def is_database_error(exc: BaseException) -> bool:
    """True for errors raised by sqlite3, SQLAlchemy or a database driver behind it."""
    if isinstance(exc, sqlite3.Error):
        return True
    sa_exc = sys.modules.get("sqlalchemy.exc")
    return sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError)


def translate(exc: BaseException, action: str) -> StoreError:
    """One line for a database error: what failed (``action`` names the store), why, what to do."""
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = cause[0].rstrip(". ") if cause else type(exc).__name__
    if len(first) > MAX_CAUSE_CHARS:
        first = first[: MAX_CAUSE_CHARS - 3] + "..."
    return StoreError(f"cannot {action}: {first}. {_hint(first, exc)}")


def _hint(cause: str, exc: BaseException) -> str:
    text = cause.lower()
    if isinstance(exc, ModuleNotFoundError):
        module = (getattr(exc, "name", None) or "").split(".")[0]
        package = DRIVER_PACKAGES.get(module, module or "the database driver")
        return f"Install the database driver store.url needs: pip install {package}"
    if "not a database" in text:
        return "Point store.url at a driftline store or at a new file."
    if is_locked(exc):
        return (
            f"Another process held the store for over {BUSY_TIMEOUT_S:.0f} s; retry, and use a "
            "PostgreSQL store for large parallel sweeps."
        )
    if "readonly" in text or "read-only" in text or "permission" in text:
        return "Check that the store file and its folder are writable."
    if "full" in text:
        return "Free disk space where the store lives."
    if "i/o" in text:
        return (
            "Check the disk holding the store; SQLite is unreliable on network file systems, "
            "use a PostgreSQL store there."
        )
    if "unable to open" in text:
        return "Check that the path in store.url exists and is readable."
    return "Check store.url and that the database is reachable."
