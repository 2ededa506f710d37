"""Shared helpers for the lineage store tests: a store in a temporary folder, runs to record."""

from __future__ import annotations

import os
import socket
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from driftline.engine.lineage.store import LineageStore


def _run_fields(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments of ``create_run`` for a run of this process on this host."""
    fields: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "experiment": "loans",
        "config": {"model": {"kind": "lightgbm", "num_leaves": 31}, "seed": 7},
        "overrides": ["model.num_leaves=31"],
        "config_hash": "c0" * 32,
        "git": {"commit": "ab" * 20, "dirty": False, "diff_hash": None},
        "versions": {"python": "3.11.7", "driftline": "0.1.0", "plugins": {"driftline": "0.1.0"}},
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "seed": 7,
        "task": "binary",
        "target": "default",
        "run_dir": "runs/x",
    }
    fields.update(overrides)
    return fields


def _dataset_fields(hash_: str, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments of ``record_dataset`` (after run_id and role)."""
    fields: dict[str, Any] = {
        "hash": hash_,
        "hash_scheme": "dl1",
        "source": {"kind": "csv", "path": "data/loans.csv"},
        "n_rows": 1000,
        "n_cols": 2,
        "columns": [
            {"name": "age", "dtype": "Int64", "hash": "1" * 64},
            {"name": "default", "dtype": "Int64", "hash": "2" * 64},
        ],
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "runs" / "lineage.db"


@pytest.fixture
def store(db_path: Path):
    with LineageStore.open(f"sqlite:///{db_path}") as opened:
        yield opened


def _urls(db_path: Path) -> dict[str, str]:
    return {
        # read with the standard library, written with SQLAlchemy
        "sqlite-file": f"sqlite:///{db_path}",
        # a URL option sends reads through SQLAlchemy too (the path PostgreSQL takes)
        "sqlalchemy-file": f"sqlite:///{db_path}?timeout=30",
        "sqlalchemy-memory": "sqlite://",
    }


@pytest.fixture(params=["sqlite-file", "sqlalchemy-file", "sqlalchemy-memory"])
def any_store(request, db_path: Path):
    """The same store reached each way the backend can read it."""
    with LineageStore.open(_urls(db_path)[request.param]) as opened:
        yield opened


@pytest.fixture
def make_run(run_fields):
    """make_run(store, status="succeeded", **fields) -> id of a new run that ended so."""

    def make(store: LineageStore, status: str = "succeeded", **overrides: Any) -> str:
        fields = run_fields(**overrides)
        store.create_run(**fields)
        if status != "running":
            store.finish_run(fields["id"], status)
        return fields["id"]

    return make


@pytest.fixture
def run_fields():
    """run_fields(**overrides) -> keyword arguments of create_run."""
    return _run_fields


@pytest.fixture
def dataset_fields():
    """dataset_fields(hash, **overrides) -> keyword arguments of record_dataset."""
    return _dataset_fields


@pytest.fixture
def raw(db_path: Path):
    """raw(sql, params=()) -> rows, read from the store file with the standard library."""

    def query(sql: str, params: tuple = ()) -> list[tuple]:
        conn = sqlite3.connect(db_path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    return query
