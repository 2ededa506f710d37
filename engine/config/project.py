"""Finding the project a command runs in: the nearest folder above with ``conf/config.yaml``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CONFIG_DIR = "conf"
PRIMARY_CONFIG = "config.yaml"
RUNS_DIR = "runs"
STORE_FILE = "lineage.db"
#: Environment variable naming the lineage store for every command (a SQLAlchemy URL).
STORE_URL_ENV = "DRIFTLINE_STORE_URL"


@dataclass(frozen=True)
class Project:
    """Where a command works: ``root`` holds ``conf/`` (None for the packaged demo) and ``runs/``."""

    # Folder holding conf/config.yaml; None outside any project (packaged defaults).
    root: Path | None
    # Folder that receives run folders and the default store.
    runs_dir: Path

    @property
    def config_dir(self) -> Path | None:
        return self.root / CONFIG_DIR if self.root else None

    @property
    def default_store_url(self) -> str:
        return f"sqlite:///{self.runs_dir / STORE_FILE}"

    def store_url(self, configured: str | None = None) -> str:
        """The store to use: $DRIFTLINE_STORE_URL, else ``configured``, else runs/lineage.db."""
        return os.environ.get(STORE_URL_ENV) or configured or self.default_store_url


def find_project(start: Path | None = None) -> Project:
    """Walk up from ``start`` (the working folder) to the nearest ``conf/config.yaml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_DIR / PRIMARY_CONFIG).is_file():
            return Project(root=folder, runs_dir=folder / RUNS_DIR)
    return Project(root=None, runs_dir=here / RUNS_DIR)
