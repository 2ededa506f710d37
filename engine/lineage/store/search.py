"""Finding runs: filters (experiment, status, data, sweep, start time), order by a metric, and
which runs used one table of data.

Each function takes a ``Query`` (one read transaction, from either backend).  Listing N runs
is a fixed number of statements whatever N is (runs, their metrics, aliases; plus one to
resolve a data hash or sweep prefix and one to check a sort metric when those are given),
never one per run.  Prefixes of hex ids are matched as ranges (``h >= 'ab12' AND
h < 'ab12g'``: every hex digit sorts before 'g'), which an index answers, on every database.

User input (hash prefixes, sweep ids, times, metric keys) is checked here, so scripts using
the store get the same one-line errors as the command line.  Cheap to import.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from driftline.engine.errors import StoreError, did_you_mean, format_options
from driftline.engine.lineage.store import aliases
from driftline.engine.lineage.store.backend import Query
from driftline.engine.lineage.store.queries import DATASET_ROLES
from driftline.engine.lineage.store.rows import from_json

#: Shortest data hash prefix accepted (data hashes are 64 hex digits).
MIN_DATA_PREFIX = 6
#: Length of a full data hash (hex sha256).
DATA_HASH_LENGTH = 64
#: Shortest sweep id prefix accepted (sweep ids are 32 hex digits, like run ids).
MIN_SWEEP_PREFIX = 4
#: The sweep reference meaning "the sweep of the most recently started run that had one".
LATEST = "latest"
#: Stored time format (see driftline.engine.lineage.store.rows.utc_now): text order is time order.
STORED_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
#: How many candidates a "which one did you mean" query fetches (one more than listed).
MAX_CANDIDATES = 13

_HEX = re.compile(r"[0-9a-f]+")
_DATE_ONLY = re.compile(r"\d{4}-\d\d-\d\d")
_TIME_HELP = (
    "expected an ISO date (2026-11-27) or date-time (2026-11-27T14:30, 2026-11-27 14:30:00+01:00);"
    " times without an offset are UTC, as driftline runs shows them"
)


@dataclass(frozen=True)
class RunFilter:
    """Which runs a listing selects and in which order (every field already resolved)."""

    # Experiment name; None for every experiment.
    experiment: str | None = None
    # Run status; None for every status.
    status: str | None = None
    # Full data hash: only runs that used this data, in any role.
    data_hash: str | None = None
    # Full sweep id: only runs of this sweep.
    sweep_id: str | None = None
    # Only runs started at or after this stored time (inclusive).
    since: str | None = None
    # Only runs started before this stored time (exclusive).
    until: str | None = None
    # (split, metric name): order by this overall metric; runs without it come last.
    sort: tuple[str, str] | None = None
    # Highest metric (or newest run, without sort) first; False: lowest (oldest) first.
    descending: bool = True
    # At most this many runs (after ordering); None for all.
    limit: int | None = None
    # Only metrics of these splits in each run's ``metrics`` (e.g. ("test",)); None for all.
    metric_splits: tuple[str, ...] | None = None


# -- user input ---------------------------------------------------------------------------
def time_bound(value: str | date | datetime, *, what: str, upper: bool) -> str:
    """A stored-time bound for runs started since (``upper`` False) or until ``value``.

    A date covers the whole day: since 2026-11-27 starts at its midnight, until 2026-11-27
    ends at the next midnight.  A date-time is an instant (until includes it).  Naive
    values are UTC.  The result is inclusive for since and exclusive for until.
    """
    moment, whole_day = _parse_time(value, what)
    if upper:
        moment += timedelta(days=1) if whole_day else timedelta(microseconds=1)
    return moment.strftime(STORED_TIME)


def _parse_time(value: str | date | datetime, what: str) -> tuple[datetime, bool]:
    if isinstance(value, datetime):
        return _utc(value), False
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc), True
    text = str(value).strip()
    try:
        if _DATE_ONLY.fullmatch(text):
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc), True
        return _utc(datetime.fromisoformat(text)), False
    except ValueError:
        raise StoreError(f"invalid {what} time '{value}': {_TIME_HELP}") from None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def metric_key(text: str) -> tuple[str, str]:
    """(split, name) of a metric key as ``driftline runs`` shows it: ``test/auc``."""
    split, sep, name = text.strip().partition("/")
    if not sep or not split or not name:
        raise StoreError(
            f"invalid metric '{text}' to sort by: give SPLIT/METRIC as driftline runs shows it, "
            f"e.g. test/{text.strip() or 'auc'}"
        )
    return split, name


def check_hex(text: str, *, what: str, min_len: int, max_len: int) -> str:
    """``text`` lower-cased when it is ``min_len``..``max_len`` hex digits; else StoreError."""
    cleaned = text.strip().lower()
    if _HEX.fullmatch(cleaned) is None or not min_len <= len(cleaned) <= max_len:
        raise StoreError(
            f"invalid {what} '{text}': give the full {what} or a prefix of at least {min_len} "
            f"hex digits (0-9, a-f), as driftline runs and driftline show print it"
        )
    return cleaned


def _prefix_range(prefix: str) -> dict[str, str]:
    return {"lo": prefix, "hi": prefix + "g"}


# -- resolving references -----------------------------------------------------------------
_DATA_HASHES_SQL = f"""
SELECT hash FROM datasets WHERE hash >= :lo AND hash < :hi
UNION
SELECT batch_hash FROM drift_checks WHERE batch_hash >= :lo AND batch_hash < :hi
ORDER BY 1 LIMIT {MAX_CANDIDATES}"""


def resolve_data_hash(query: Query, text: str) -> str | None:
    """The one recorded data hash that ``text`` (a hash or a prefix of >= 6 hex digits) names.

    Hashes of datasets used by runs and of batches drift-checked count.  None when no
    recorded data has it (a well-formed question with an empty answer); StoreError when the
    text is not a hash prefix or names several.
    """
    prefix = check_hex(text, what="data hash", min_len=MIN_DATA_PREFIX,
                       max_len=DATA_HASH_LENGTH)
    found = [h for (h,) in query(_DATA_HASHES_SQL, _prefix_range(prefix))]
    if len(found) > 1:
        raise StoreError(
            f"data hash prefix '{text}' is ambiguous: it matches {_count(found)} recorded "
            f"tables: {format_options(found)}. Give more characters of the hash."
        )
    return found[0] if found else None


def latest_sweep_id(query: Query) -> str | None:
    """The sweep of the most recently started run that belongs to one; None when none does."""
    rows = query(
        "SELECT sweep_id FROM runs WHERE sweep_id IS NOT NULL "
        "ORDER BY started_at DESC, id DESC LIMIT 1",
        {},
    )
    return rows[0][0] if rows else None


def resolve_sweep(query: Query, text: str) -> str:
    """The sweep id ``text`` names: ``latest``, a full sweep id or a unique prefix (>= 4)."""
    if text.strip().lower() == LATEST:
        found = latest_sweep_id(query)
        if found is None:
            raise StoreError(
                "no sweep recorded yet (--sweep latest): start one with driftline run -m "
                "followed by comma-separated overrides, e.g. model.params.num_leaves=15,31"
            )
        return found
    prefix = check_hex(text, what="sweep id", min_len=MIN_SWEEP_PREFIX, max_len=32)
    rows = query(
        "SELECT DISTINCT sweep_id FROM runs WHERE sweep_id >= :lo AND sweep_id < :hi "
        f"ORDER BY 1 LIMIT {MAX_CANDIDATES}",
        _prefix_range(prefix),
    )
    found = [sweep for (sweep,) in rows]
    if len(found) == 1:
        return found[0]
    if found:
        raise StoreError(
            f"sweep reference '{text}' is ambiguous: it matches {_count(found)} sweeps: "
            f"{format_options(found)}. Give more characters of the sweep id."
        )
    latest = latest_sweep_id(query)
    hint = f"the latest sweep is {latest}" if latest else "no sweep is recorded yet"
    raise StoreError(f"no sweep matches '{text}' ({hint}). List runs with: driftline runs")


def check_metric(query: Query, split: str, name: str) -> None:
    """StoreError unless some run recorded the overall metric ``split/name``."""
    params = {"split": split, "name": name}
    sql = "SELECT 1 FROM metrics WHERE slice = '' AND split = :split AND name = :name LIMIT 1"
    if query(sql, params):
        return
    known = [key for (key,) in query(
        "SELECT DISTINCT split || '/' || name FROM metrics WHERE slice = '' ORDER BY 1", {}
    )]
    if not known:
        raise StoreError(f"cannot sort by {split}/{name}: no run has recorded metrics yet")
    key = f"{split}/{name}"
    raise StoreError(f"no run has the metric '{key}' to sort by.{did_you_mean(key, known)}")


def _count(found: list[str]) -> str:
    return f"{len(found) - 1}+" if len(found) >= MAX_CANDIDATES else str(len(found))


# -- listing runs -------------------------------------------------------------------------
# data_hash is the train split's hash, else the hash of the data as loaded (source).
_LIST_SQL = """
SELECT r.id, r.experiment, r.status, r.started_at, r.ended_at,
       COALESCE(t.dataset_hash, s.dataset_hash), m.sha256
FROM runs r {sort_join}
LEFT JOIN run_datasets t ON t.run_id = r.id AND t.role = 'train'
LEFT JOIN run_datasets s ON s.run_id = r.id AND s.role = 'source'
LEFT JOIN models m ON m.run_id = r.id
{where} {order} {limit}"""
# Overall (slice '') metrics of exactly the runs the listing selects, in one query, in the
# order of the covering index ix_metrics_overall (run_id, split, name): no sort step.
_LIST_METRICS_SQL = """
SELECT mt.run_id, mt.split || '/' || mt.name, mt.value
FROM metrics mt
{select}
WHERE mt.slice = '' {splits}
ORDER BY mt.run_id, mt.split, mt.name"""
_SELECTED = (
    "JOIN (SELECT r.id FROM runs r {sort_join} {where} {order} {limit}) sel ON sel.id = mt.run_id"
)
_SORT_JOIN = (
    "LEFT JOIN metrics sm ON sm.run_id = r.id AND sm.split = :sort_split "
    "AND sm.slice = '' AND sm.name = :sort_name"
)


def find_runs(query: Query, given: RunFilter) -> list[dict[str, Any]]:
    """:func:`list_runs` for a filter whose data hash and sweep id are still as the user
    gave them (a prefix, ``latest``): [] when no recorded data has the hash."""
    data_hash = None
    if given.data_hash is not None:
        data_hash = resolve_data_hash(query, given.data_hash)
        if data_hash is None:
            return []
    sweep = resolve_sweep(query, given.sweep_id) if given.sweep_id is not None else None
    if given.sort is not None:
        check_metric(query, *given.sort)
    return list_runs(query, replace(given, data_hash=data_hash, sweep_id=sweep))


def list_runs(query: Query, flt: RunFilter) -> list[dict[str, Any]]:
    """Runs in ``flt``'s order: id, experiment, status, times, data and model hash, overall
    metrics ("split/name" -> value, NaN when undefined) and alias names."""
    where, params = _where(flt)
    order = _order(flt)
    sort_join = ""
    if flt.sort is not None:
        sort_join = _SORT_JOIN
        params["sort_split"], params["sort_name"] = flt.sort
    limit_sql = ""
    if flt.limit is not None:
        limit_sql, params["limit"] = "LIMIT :limit", max(int(flt.limit), 0)
    parts = {"sort_join": sort_join, "where": where, "limit": limit_sql}
    runs = query(_LIST_SQL.format(order=order, **parts), params)
    select = ""
    if where or limit_sql:  # else every run is listed: no need to join the selection
        # The sub-select needs its order (and the sort join) only to pick the same LIMIT rows.
        if not limit_sql:
            parts["sort_join"], order = "", ""
        select = _SELECTED.format(order=order, **parts)
    splits = _splits_clause(flt.metric_splits, params)
    metrics = query(_LIST_METRICS_SQL.format(select=select, splits=splits), params)
    return _listing(runs, metrics, aliases.aliases_by_run(query))


def _where(flt: RunFilter) -> tuple[str, dict[str, Any]]:
    clauses, params = [], {}
    for column, value, op in (
        ("experiment", flt.experiment, "="), ("status", flt.status, "="),
        ("sweep_id", flt.sweep_id, "="), ("since", flt.since, ">="),
        ("until", flt.until, "<"),
    ):
        if value is not None:
            field = "started_at" if column in ("since", "until") else column
            clauses.append(f"r.{field} {op} :{column}")
            params[column] = value
    if flt.data_hash is not None:
        clauses.append("r.id IN (SELECT u.run_id FROM run_datasets u WHERE u.dataset_hash = :data)")
        params["data"] = flt.data_hash
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


def _splits_clause(splits: tuple[str, ...] | None, params: dict[str, Any]) -> str:
    if splits is None:
        return ""
    if not splits:
        return "AND 1 = 0"
    names = [f"split{i}" for i in range(len(splits))]
    params.update(zip(names, splits))
    return f"AND mt.split IN ({', '.join(':' + name for name in names)})"


def _order(flt: RunFilter) -> str:
    way = "DESC" if flt.descending else "ASC"
    if flt.sort is None:
        return f"ORDER BY r.started_at {way}, r.id {way}"
    # Runs without the metric (or with NaN, stored as NULL) last, whichever the direction;
    # ties newest first.
    return f"ORDER BY (sm.value IS NULL), sm.value {way}, r.started_at DESC, r.id DESC"


def _listing(
    runs: list[tuple[Any, ...]], metrics: list[tuple[Any, ...]], named: dict[str, list[str]]
) -> list[dict[str, Any]]:
    by_run: dict[str, dict[str, float]] = {}
    for run_id, key, value in metrics:  # tens of thousands of rows: kept to plain steps
        values = by_run.get(run_id)
        if values is None:
            values = by_run[run_id] = {}
        values[key] = math.nan if value is None else value
    return [
        {
            "id": rid, "experiment": exp, "status": status, "started_at": started,
            "ended_at": ended, "data_hash": data_hash, "model_hash": model_hash,
            "metrics": by_run.get(rid, {}), "aliases": named.get(rid, []),
        }
        for rid, exp, status, started, ended, data_hash, model_hash in runs
    ]


# -- where data was used ------------------------------------------------------------------
_DATASET_SQL = (
    "SELECT hash, hash_scheme, source_json, n_rows, n_cols, columns_json, first_seen_at "
    "FROM datasets WHERE hash = :hash"
)
_USES_SQL = """
SELECT r.id, r.experiment, r.status, r.started_at, r.ended_at, r.sweep_id, u.role
FROM run_datasets u JOIN runs r ON r.id = u.run_id
WHERE u.dataset_hash = :hash
ORDER BY r.started_at DESC, r.id DESC"""
_CHECKS_SQL = """
SELECT id, baseline_run_id, created_at, n_rows, drifted, share
FROM drift_checks WHERE batch_hash = :hash
ORDER BY created_at DESC, id DESC"""


def data_usage(query: Query, text: str) -> dict[str, Any]:
    """Where the data ``text`` (a hash or prefix) was used: the runs (newest first, each with
    its roles) and the drift checks of it as a batch.

    Returns query, hash (None when no recorded data matches the prefix), dataset (the stored
    table facts, None when no run recorded it), runs and drift_checks (possibly empty).
    """
    full = resolve_data_hash(query, text)
    if full is None and len(text.strip()) == DATA_HASH_LENGTH:
        full = text.strip().lower()  # a full hash nobody used: still name it
    usage: dict[str, Any] = {
        "query": text, "hash": full, "dataset": None, "runs": [], "drift_checks": [],
    }
    if full is None:
        return usage
    rows = query(_DATASET_SQL, {"hash": full})
    usage["dataset"] = _dataset(rows[0]) if rows else None
    usage["runs"] = _uses(query(_USES_SQL, {"hash": full}))
    usage["drift_checks"] = [
        {"id": cid, "baseline_run_id": base, "created_at": at, "n_rows": n,
         "drifted": bool(drifted), "share": share}
        for cid, base, at, n, drifted, share in query(_CHECKS_SQL, {"hash": full})
    ]
    return usage


def recorded_sources(query: Query) -> list[dict[str, Any]]:
    """The data runs loaded (role ``source``): hash and how it was read, oldest first."""
    rows = query("SELECT d.hash, d.source_json FROM datasets d WHERE EXISTS (SELECT 1 FROM "
                 "run_datasets u WHERE u.dataset_hash = d.hash AND u.role = 'source') "
                 "ORDER BY d.first_seen_at, d.hash", {})
    return [{"hash": h, "source": from_json(s)} for h, s in rows]


def _dataset(row: tuple[Any, ...]) -> dict[str, Any]:
    hash_, scheme, source, n_rows, n_cols, columns, first_seen = row
    return {
        "hash": hash_, "hash_scheme": scheme, "source": from_json(source), "n_rows": n_rows,
        "n_cols": n_cols, "columns": from_json(columns), "first_seen_at": first_seen,
    }


def _uses(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    for rid, exp, status, started, ended, sweep, role in rows:
        run = runs.setdefault(rid, {
            "id": rid, "experiment": exp, "status": status, "started_at": started,
            "ended_at": ended, "sweep_id": sweep, "roles": [],
        })
        run["roles"].append(role)
    rank = {role: i for i, role in enumerate(DATASET_ROLES)}
    for run in runs.values():
        run["roles"].sort(key=lambda role: (rank.get(role, len(rank)), role))
    return list(runs.values())


def time_bounds(
    since: str | date | None, until: str | date | None
) -> tuple[str | None, str | None]:
    """Stored-time bounds (since inclusive, until exclusive); StoreError when since > until."""
    low = None if since is None else time_bound(since, what="since", upper=False)
    high = None if until is None else time_bound(until, what="until", upper=True)
    if low is not None and high is not None and low >= high:
        raise StoreError(
            f"since {since} is not before until {until}: no run can match; swap them?"
        )
    return low, high
