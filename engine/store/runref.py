"""Resolving a RUN reference, as users type it, to one run id.

Accepted: a full run id, a unique prefix of one (at least ``MIN_PREFIX`` characters),
``latest`` (the most recently started run) and ``latest~N`` (the N-th before it, as in git).
Aliases (``production``) will be resolved here too once the aliases table exists.
"""

from __future__ import annotations

import re

from engine.errors import RunNotFoundError, format_options
from engine.store.backend import Query

#: Shortest id prefix accepted (shorter ones are too likely to be ambiguous or typos).
MIN_PREFIX = 4
#: Order of "most recently started first"; the id breaks ties deterministically.
NEWEST_FIRST = "ORDER BY started_at DESC, id DESC"
#: How a listing of runs is suggested in messages.
LIST_HINT = "List runs with: driftline runs"

_LATEST = re.compile(r"latest(?:~(?P<n>\d+))?")
_HEX = re.compile(r"[0-9a-f]+")


def resolve(ref: str, query: Query) -> str:
    """The id of the one run ``ref`` names; RunNotFoundError when it names none or several."""
    text = ref.strip().lower()
    latest = _LATEST.fullmatch(text)
    if latest is not None:
        return _nth_latest(ref, int(latest["n"] or 0), query)
    if _HEX.fullmatch(text) is None:
        raise _not_found(ref)
    if len(text) < MIN_PREFIX:
        raise _not_found(ref, f"a run id prefix needs at least {MIN_PREFIX} characters")
    sql = f"SELECT id FROM runs WHERE id LIKE :prefix {NEWEST_FIRST}"
    rows = query(sql, {"prefix": text + "%"})
    ids = [run_id for (run_id,) in rows]
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise _not_found(ref)
    raise RunNotFoundError(
        f"run reference '{ref}' is ambiguous: it matches {len(ids)} runs: "
        f"{format_options(ids)}. Give more characters of the run id."
    )


def _nth_latest(ref: str, n: int, query: Query) -> str:
    rows = query(f"SELECT id FROM runs {NEWEST_FIRST} LIMIT 1 OFFSET :n", {"n": n})
    if rows:
        return rows[0][0]
    (count,) = query("SELECT COUNT(*) FROM runs", {})[0]
    raise _not_found(ref, f"the store has {count} run{'' if count == 1 else 's'}")


def _not_found(ref: str, why: str = "") -> RunNotFoundError:
    detail = f" ({why})" if why else ""
    return RunNotFoundError(f"no run matches '{ref}'{detail}. {LIST_HINT}")
