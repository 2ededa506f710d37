"""Helpers for end-to-end tests: the real ``driftline`` command in a subprocess."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

# Small and quick: the demo with fewer rows and rounds.
FAST = ["data.rows=3000", "model.num_boost_round=30"]


class Cli:
    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("DRIFTLINE_", "HYDRA_"))}
        self.env["PYTHONWARNINGS"] = "ignore"

    def __call__(self, *args: str, cwd: Path | None = None, timeout: float = 300):
        return subprocess.run([sys.executable, "-m", "driftline.engine", *args], cwd=cwd or self.cwd,
                              env=self.env, capture_output=True, text=True, timeout=timeout)

    def json(self, *args: str, cwd: Path | None = None):
        out = self(*args, "--json", cwd=cwd)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def store_rows(store: Path, sql: str) -> list[tuple]:
    if not store.exists():
        return []
    with sqlite3.connect(store) as con:
        return con.execute(sql).fetchall()
