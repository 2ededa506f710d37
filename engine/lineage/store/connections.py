"""The store's connections: one reader, one writer, and write transactions that retry a lock.

A plain SQLite file is read and written with the standard library's ``sqlite3`` (see
``backend``); any other URL, and schema creation or upgrade, go through SQLAlchemy, whose
engine is made on first use.  Every database error raised inside a read or a write becomes
one :class:`StoreError` line naming the action and the store: this is the boundary.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from driftline.engine.errors import StoreError
from driftline.engine.lineage.store import backend

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

T = TypeVar("T")

#: Attempts of one write transaction when SQLite reports "database is locked".
WRITE_ATTEMPTS = 5
#: First back-off between attempts, seconds (doubles each time, with jitter).
RETRY_BASE_S = 0.05


class Connections:
    """The reader, the writer and the SQLAlchemy engines of one open store."""

    def __init__(self, url: str, where: str, reader: Any, writer: Any, engine: Engine | None,
                 write_url: str):
        self.where = where
        self.reader = reader
        self._engine = engine
        self._write_url = write_url
        self._write_engine: Engine | None = None
        # Write transactions: sqlite3 for a plain SQLite file, else SQLAlchemy (made on the
        # first write, see _transactions).
        self._writer: Any = writer
        self._closed = False

    @classmethod
    def open(cls, url: str) -> Connections:
        """Connections to the store at ``url`` (a SQLite file is prepared, not yet read)."""
        where = backend.display_url(url)
        action = f"open lineage store {where}"
        path = backend.sqlite_file(url)
        if path is not None:
            backend.prepare_sqlite_file(path, where)
        engine = None
        with boundary(action):
            if path is not None and backend.sqlite_file(url, plain=True) is not None:
                reader: Any = backend.SqliteReader(path)
                writer: Any = backend.SqliteWriter(path)
                write_url = f"sqlite:///{path}"
            else:
                engine = create_engine(url, action)
                reader = backend.AlchemyReader(engine)
                writer = None
                write_url = url
        return cls(url, where, reader, writer, engine, write_url)

    def read(self, what: str, fn: Callable[[backend.Query], T]) -> T:
        """``fn`` on one read session."""
        with boundary(f"{what} in lineage store {self.where}"), self.reader.session() as query:
            return fn(query)

    def write(self, what: str, fn: Callable[[Any], T], *, schema: bool = False) -> T:
        """Run ``fn`` in one write transaction, retrying while SQLite reports a lock.

        ``fn`` gets a :class:`~driftline.engine.lineage.store.backend.WriteConn`; with
        ``schema``, a SQLAlchemy connection (creating and upgrading the schema works from
        the SQLModel table classes).
        """
        action = f"{what} in lineage store {self.where}"
        transaction = (self._alchemy_writer(action).begin if schema
                       else self._transactions(action).transaction)
        attempt = 0
        while True:
            attempt += 1
            try:
                with transaction() as conn:
                    return fn(conn)
            except StoreError:
                raise
            except Exception as exc:
                if not backend.is_database_error(exc):
                    raise
                if backend.is_locked(exc) and attempt < WRITE_ATTEMPTS:
                    time.sleep(RETRY_BASE_S * 2 ** (attempt - 1) * (0.5 + random.random()))
                    continue
                raise backend.translate(exc, action) from exc

    def close(self) -> None:
        """Release every connection (safe to call twice)."""
        self._closed = True
        self.reader.close()
        if self._writer is not None:
            self._writer.close()
        for engine in (self._write_engine, self._engine):
            if engine is not None:
                engine.dispose()
        self._write_engine = self._engine = None

    def _transactions(self, action: str) -> Any:
        """What write transactions come from: sqlite3 for a plain SQLite file, else SQLAlchemy."""
        if self._closed:
            raise StoreError(f"cannot {action}: the store was closed. Open it again.")
        if self._writer is None:
            self._writer = backend.AlchemyWriter(self._alchemy_writer(action))
        return self._writer

    def _alchemy_writer(self, action: str) -> Engine:
        if self._closed:
            raise StoreError(f"cannot {action}: the store was closed. Open it again.")
        if self._write_engine is None:
            if self._engine is None:
                self._engine = create_engine(self._write_url, action)
            self._write_engine = self._engine.execution_options(write=True)
        return self._write_engine


@contextmanager
def boundary(action: str) -> Iterator[None]:
    """Turn database errors raised inside into one-line StoreErrors about ``action``."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if backend.is_database_error(exc):
            raise backend.translate(exc, action) from exc
        raise


def create_engine(url: str, action: str) -> Engine:
    """A SQLAlchemy engine for ``url``; a missing driver or bad URL as one StoreError."""
    try:
        return backend.make_engine(url)
    except ModuleNotFoundError as exc:  # the URL's database driver is not installed
        raise backend.translate(exc, action) from exc
    except Exception as exc:
        if backend.is_database_error(exc):
            raise backend.translate(exc, action) from exc
        raise
