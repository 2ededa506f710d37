"""Reaching the database: URL handling and the SQLite settings of writing connections."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from driftline.engine.lineage.store import backend


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://alice:s3cret@db.example:5432/lineage",
         "postgresql://alice:***@db.example:5432/lineage"),
        ("postgresql+psycopg://bob:p@ss@host/db", "postgresql+psycopg://bob:***@host/db"),
        ("postgresql://carol@host/db", "postgresql://carol@host/db"),
        ("sqlite:////tmp/runs/lineage.db", "sqlite:////tmp/runs/lineage.db"),
    ],
)
def test_display_url_hides_passwords(url, shown):
    assert backend.display_url(url) == shown


@pytest.mark.parametrize(
    ("url", "path", "plain_path"),
    [
        ("sqlite:////abs/lineage.db", "/abs/lineage.db", "/abs/lineage.db"),
        ("sqlite+pysqlite:////abs/l.db", "/abs/l.db", "/abs/l.db"),
        ("sqlite:////abs/l.db?timeout=5", "/abs/l.db", None),
        ("sqlite://", None, None),
        ("sqlite:///:memory:", None, None),
        ("sqlite:///file:x.db?mode=ro&uri=true", None, None),
        ("postgresql://u@h/db", None, None),
    ],
)
def test_sqlite_file(url, path, plain_path):
    as_path = (lambda p: None if p is None else Path(p))
    assert backend.sqlite_file(url) == as_path(path)
    assert backend.sqlite_file(url, plain=True) == as_path(plain_path)


def test_relative_sqlite_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert backend.sqlite_file("sqlite:///runs/lineage.db") == tmp_path / "runs" / "lineage.db"


def test_writing_connections_have_the_sqlite_settings(tmp_path):
    engine = backend.make_engine(f"sqlite:///{tmp_path / 's.db'}")
    try:
        with engine.connect() as conn:
            got = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                   for p in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")}
    finally:
        engine.dispose()
    # synchronous: 1 = NORMAL
    assert got == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1,
                   "synchronous": 1}


def test_write_transactions_take_the_lock_at_begin_and_reads_do_not(tmp_path):
    db = tmp_path / "s.db"
    engine = backend.make_engine(f"sqlite:///{db}")
    other = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        with engine.connect() as conn, conn.begin():
            conn.exec_driver_sql("SELECT 1").all()
            other.execute("BEGIN IMMEDIATE")  # a read transaction leaves the write lock free
            other.execute("ROLLBACK")
        with engine.execution_options(write=True).begin() as conn:
            conn.exec_driver_sql("SELECT 1").all()  # nothing written yet, lock already held
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        engine.dispose()


@pytest.mark.parametrize(
    ("module", "package"),
    [("psycopg", "'psycopg[binary]'"), ("psycopg2", "psycopg2-binary"), ("oracledb", "oracledb")],
)
def test_missing_driver_names_the_package_to_install(module, package):
    exc = ModuleNotFoundError(f"No module named '{module}'", name=module)
    assert str(backend.translate(exc, "open lineage store postgresql://h/db")) == (
        f"cannot open lineage store postgresql://h/db: No module named '{module}'. "
        f"Install the database driver store.url needs: pip install {package}")
