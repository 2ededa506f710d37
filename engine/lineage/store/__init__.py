"""driftline's lineage store: runs, their config, code, data, model and metrics, queryable by SQL.

SQLite by default (``runs/lineage.db`` of the project), any SQLAlchemy URL (PostgreSQL) for
teams and multi-machine sweeps.  Tables are documented in ``engine/lineage/store/tables.py``.

Importing this package is cheap (no SQLAlchemy): listing runs must stay fast.
"""

from __future__ import annotations

from pathlib import Path

from driftline.engine.lineage.store.aliases import ALIAS_NAME
from driftline.engine.lineage.store.migrations import SCHEMA_VERSION
from driftline.engine.lineage.store.profiles import PROFILE_KINDS, PROFILE_ROLES
from driftline.engine.lineage.store.store import DATASET_ROLES, RUN_STATUSES, LineageStore

#: Where a project keeps its store, relative to the project root.
DEFAULT_STORE_FILE = Path("runs") / "lineage.db"


def default_store_url(project_root: Path) -> str:
    """The SQLAlchemy URL of a project's default store: ``sqlite:///<root>/runs/lineage.db``."""
    return f"sqlite:///{(Path(project_root) / DEFAULT_STORE_FILE).absolute().as_posix()}"


__all__ = [
    "ALIAS_NAME", "DATASET_ROLES", "DEFAULT_STORE_FILE", "PROFILE_KINDS", "PROFILE_ROLES",
    "RUN_STATUSES", "SCHEMA_VERSION", "LineageStore", "default_store_url",
]
