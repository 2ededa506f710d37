"""Schema versions of the lineage store, and how an older store is brought up to date in place.

The version lives in ``meta.schema_version``.  ``STEPS[v]`` takes a store from version v-1 to
v; a new store runs every step from 1.  Opening a store at an older version runs the missing
steps and stamps the new version in ONE transaction (SQLite and PostgreSQL have transactional
DDL), so an upgrade either happens completely or not at all, and data is kept.  A store at a
newer version than ``SCHEMA_VERSION`` is refused: this driftline would misread it.

Versions:

1. runs, datasets, run_datasets, models, metrics (and meta);
2. column_profiles, aliases, alias_history, drift_checks, drift_results;
3. run_warnings.

Adding a table or column later is an ordinary version bump:

1. add the class (or the nullable field) to ``engine/lineage/store/tables.py``;
2. add ``def _to_v3(conn): create_tables(conn, ["checks"])`` (or
   ``add_column(conn, "runs", Column("note", Text))``) and ``STEPS[3] = _to_v3``;
3. set ``SCHEMA_VERSION = 3``.

Steps are written against the current table classes and must be idempotent (``create_tables``
and ``add_column`` skip what exists): step 1 creates today's shape of a table, so a later
step that adds a column to it finds the column there on a new store and does nothing.

This module is cheap to import; SQLAlchemy and the table classes load when a step runs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from driftline.engine.errors import StoreError, format_options

if TYPE_CHECKING:
    from sqlalchemy import Column
    from sqlalchemy.engine import Connection

#: The schema version this code writes and understands.
SCHEMA_VERSION = 3
#: Key of the schema version in table ``meta``.
VERSION_KEY = "schema_version"
#: SQL that reads the stored version (portable: quoted because KEY is reserved in MySQL).
VERSION_SQL = 'SELECT "value" FROM meta WHERE "key" = :key'
#: PostgreSQL advisory lock id that serialises concurrent upgrades of one store.
PG_UPGRADE_LOCK = 0x64726966746C6E  # "driftln"


def create_tables(conn: Connection, names: Collection[str]) -> None:
    """Create the named tables (and their indexes) of the current schema, skipping existing ones."""
    from driftline.engine.lineage.store.tables import ALL_TABLES

    by_name = {cls.__tablename__: cls.__table__ for cls in ALL_TABLES}
    for name in names:
        by_name[name].create(conn, checkfirst=True)


def add_column(conn: Connection, table: str, column: Column[Any]) -> None:
    """Add a nullable column to an existing table unless it is already there."""
    import sqlalchemy as sa

    if not column.nullable:
        raise ValueError(f"add_column: column {table}.{column.name} must be nullable")
    existing = {c["name"] for c in sa.inspect(conn).get_columns(table)}
    if column.name in existing:
        return
    preparer = conn.dialect.identifier_preparer
    ddl_type = column.type.compile(dialect=conn.dialect)
    conn.exec_driver_sql(
        f"ALTER TABLE {preparer.quote(table)} ADD COLUMN {preparer.quote(column.name)} {ddl_type}"
    )


def _to_v1(conn: Connection) -> None:
    create_tables(conn, ["meta", "runs", "datasets", "run_datasets", "models", "metrics"])


def _to_v2(conn: Connection) -> None:
    """Column profiles, aliases with their history, drift checks and their per-column results."""
    from driftline.engine.lineage.store.tables import V2_TABLES

    create_tables(conn, V2_TABLES)


def _to_v3(conn: Connection) -> None:
    """What a run noticed and went on with (feature and slice warnings)."""
    create_tables(conn, ["run_warnings"])


#: STEPS[v] upgrades a store from version v-1 to v.
STEPS: dict[int, Callable[[Connection], None]] = {1: _to_v1, 2: _to_v2, 3: _to_v3}


def stored_version(tables: Collection[str], raw: str | None, where: str) -> int:
    """The schema version of a database with these tables (0 = empty, a new store).

    Raises StoreError when the database is not a driftline store or is newer than this code.
    """
    if not tables:
        return 0
    if "meta" not in tables or raw is None or not str(raw).strip().isdigit():
        found = format_options(sorted(tables))
        raise StoreError(
            f"{where} is not a driftline lineage store (tables: {found}; no valid "
            f"meta.{VERSION_KEY}). Point store.url at a driftline store or at a new file."
        )
    version = int(raw)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"lineage store {where} has schema version {version}, newer than this driftline "
            f"understands (up to {SCHEMA_VERSION}). Upgrade driftline: pip install -U driftline"
        )
    return version


def read_version(conn: Connection, where: str) -> int:
    """The schema version of the database behind ``conn`` (see :func:`stored_version`)."""
    import sqlalchemy as sa

    tables = set(sa.inspect(conn).get_table_names())
    raw = None
    if "meta" in tables:
        raw = conn.execute(sa.text(VERSION_SQL), {"key": VERSION_KEY}).scalar()
    return stored_version(tables, raw, where)


def upgrade(conn: Connection, where: str) -> int:
    """Create or upgrade the store to SCHEMA_VERSION; return the version it had.

    Run it inside one write transaction: the version is re-read under the write lock
    (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so several processes
    opening a new or old store at once upgrade it exactly once.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_UPGRADE_LOCK})")
    before = read_version(conn, where)
    for version in range(before + 1, SCHEMA_VERSION + 1):
        STEPS[version](conn)
    if before < SCHEMA_VERSION:
        _write_version(conn, SCHEMA_VERSION)
    return before


def _write_version(conn: Connection, version: int) -> None:
    import sqlalchemy as sa

    from driftline.engine.lineage.store.tables import MetaRow

    meta = MetaRow.__table__
    updated = conn.execute(
        sa.update(meta).where(meta.c.key == VERSION_KEY).values(value=str(version))
    )
    if updated.rowcount == 0:
        conn.execute(sa.insert(meta).values(key=VERSION_KEY, value=str(version)))
