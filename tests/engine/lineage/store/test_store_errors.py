"""No raw sqlite3 or SQLAlchemy exception leaks from the store: each becomes one StoreError line."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from driftline.engine.errors import StoreError
from driftline.engine.lineage.store import LineageStore, backend
from driftline.engine.lineage.store import connections as store_module


def _folder(tmp_path: Path) -> str:
    (tmp_path / "a_folder").mkdir()
    return f"sqlite:///{tmp_path / 'a_folder'}"


def _text_file(tmp_path: Path) -> str:
    (tmp_path / "notes.db").write_text("these are notes, not a database\n" * 200)
    return f"sqlite:///{tmp_path / 'notes.db'}"


def _under_a_file(tmp_path: Path) -> str:
    (tmp_path / "plain.txt").write_text("x")
    return f"sqlite:///{tmp_path / 'plain.txt' / 'lineage.db'}"


def _newer(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    LineageStore.open(url).close()
    conn = sqlite3.connect(tmp_path / "new.db")
    with conn:
        conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    conn.close()
    return url


@pytest.mark.parametrize(
    ("make_url", "expected"),
    [
        pytest.param(_folder, "cannot open lineage store sqlite:///{tmp}/a_folder: {tmp}/a_folder "
                     "is a folder. Point store.url at a file, e.g. "
                     "sqlite:///{tmp}/a_folder/lineage.db", id="folder"),
        pytest.param(_text_file, "cannot open lineage store sqlite:///{tmp}/notes.db: file is not "
                     "a database. Point store.url at a driftline store or at a new file.",
                     id="not-sqlite"),
        pytest.param(_under_a_file, "cannot open lineage store "
                     "sqlite:///{tmp}/plain.txt/lineage.db: cannot create folder {tmp}/plain.txt",
                     id="parent-is-a-file"),
        pytest.param(_newer, "lineage store sqlite:///{tmp}/new.db has schema version 7, newer "
                     "than this driftline understands", id="newer-version"),
        pytest.param(lambda tmp: "not a url", "cannot open lineage store not a url: Could not "
                     "parse SQLAlchemy URL", id="not-a-url"),
        pytest.param(lambda tmp: "nosuchdb://host/db", "cannot open lineage store "
                     "nosuchdb://host/db: Can't load plugin: sqlalchemy.dialects:nosuchdb",
                     id="unknown-database"),
    ],
)
def test_opening_a_bad_store_is_one_store_error_line(tmp_path, make_url, expected):
    url = make_url(tmp_path)
    with pytest.raises(StoreError) as info:
        LineageStore.open(url)
    message = str(info.value)
    assert message.startswith(expected.format(tmp=tmp_path)), message
    assert "\n" not in message


def test_password_in_a_server_url_is_not_shown(tmp_path):
    # Fails either way: no driver installed, or nothing listening on port 1.
    with pytest.raises(StoreError) as info:
        LineageStore.open("postgresql://alice:s3cret@127.0.0.1:1/lineage")
    message = str(info.value)
    where = "postgresql://alice:***@127.0.0.1:1/lineage"
    assert message.startswith(f"cannot open lineage store {where}: ")
    assert "s3cret" not in message and "\n" not in message


@pytest.fixture
def impatient(monkeypatch):
    """Give up waiting for SQLite's write lock after 50 ms (instead of 30 s)."""
    monkeypatch.setattr(backend, "BUSY_TIMEOUT_S", 0.05)
    monkeypatch.setattr(store_module, "RETRY_BASE_S", 0.1)


def _hold_write_lock(db_path: Path) -> sqlite3.Connection:
    holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_store_locked_too_long_is_a_store_error_not_a_hang(db_path, impatient, run_fields):
    with LineageStore.open(f"sqlite:///{db_path}") as store:
        holder = _hold_write_lock(db_path)
        try:
            fields = run_fields()
            with pytest.raises(StoreError) as info:
                store.create_run(**fields)
            assert store.list_runs() == []  # readers are not blocked by the writer (WAL)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert str(info.value).startswith(
        f"cannot record run {fields['id']} in lineage store sqlite:///{db_path}: "
        "database is locked. Another process held the store for over"
    )


def test_a_briefly_locked_store_is_retried(db_path, impatient, run_fields, monkeypatch):
    lock_errors = []

    def spy(exc: BaseException) -> bool:
        lock_errors.append(exc)
        return backend_is_locked(exc)

    backend_is_locked = backend.is_locked
    monkeypatch.setattr(backend, "is_locked", spy)
    with LineageStore.open(f"sqlite:///{db_path}") as store:
        holder = _hold_write_lock(db_path)

        def release_later() -> None:
            time.sleep(0.3)
            holder.execute("ROLLBACK")

        releaser = threading.Thread(target=release_later)
        releaser.start()
        fields = run_fields()
        store.create_run(**fields)  # first attempts fail after 50 ms; a retry gets through
        releaser.join()
        holder.close()
        assert store.resolve("latest") == fields["id"]
    assert lock_errors and all(backend_is_locked(e) for e in lock_errors)


def test_translate_keeps_the_cause_and_bounds_it():
    exc = sqlite3.OperationalError("disk I/O error\n" + "x" * 1000)
    err = backend.translate(exc, "list runs in lineage store sqlite:///x.db")
    assert str(err) == (
        "cannot list runs in lineage store sqlite:///x.db: disk I/O error. Check the disk "
        "holding the store; SQLite is unreliable on network file systems, use a PostgreSQL "
        "store there."
    )
    full = backend.translate(sqlite3.OperationalError("database or disk is full"), "write")
    assert str(full) == (
        "cannot write: database or disk is full. Free disk space where the store lives.")
    long = backend.translate(sqlite3.OperationalError("y" * 500), "list runs")
    assert len(str(long)) < 300 and "..." in str(long)
