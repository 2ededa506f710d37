"""Resolving a RUN reference, as users type it, to one run id.

Accepted, tried in this order:

1. an alias name (``production``), exactly as promoted (case matters);
2. ``latest`` (the most recently started run) and ``latest~N`` (the N-th before it, as in
   git), in any case;
3. a full run id or a unique prefix of one (at least ``MIN_PREFIX`` hex characters).

The forms cannot overlap (alias names are never ``latest`` nor 4-32 hex digits), so the
order only decides which lookups run: an id or ``latest`` never queries the aliases.
An alias whose run is no longer in the store is an error, not a fall-through.
"""

from __future__ import annotations

import difflib
import re

from driftline.engine.errors import RunNotFoundError, format_options
from driftline.engine.lineage.store import aliases
from driftline.engine.lineage.store.backend import Query

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
    name = ref.strip()
    alias_like = aliases.name_problem(name) is None
    if alias_like:
        found = aliases.lookup(query, name)
        if found is not None:
            return _alias_target(name, *found)
    text = name.lower()
    latest = _LATEST.fullmatch(text)
    if latest is not None:
        return _nth_latest(ref, int(latest["n"] or 0), query)
    if _HEX.fullmatch(text) is None:
        if alias_like:
            raise _no_such_alias(ref, name, query)
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


def _alias_target(name: str, run_id: str, exists: bool) -> str:
    if exists:
        return run_id
    raise RunNotFoundError(
        f"alias '{name}' points to run {run_id}, which is no longer in the store. "
        f"Point it at another run: driftline promote RUN {name}"
    )


def _no_such_alias(ref: str, name: str, query: Query) -> RunNotFoundError:
    known = aliases.names(query)
    why = "not an alias, a run id or latest~N"
    if not known:
        return _not_found(ref, why)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" Did you mean: {close[0]}?" if close else ""
    return RunNotFoundError(
        f"no run matches '{ref}' ({why}).{hint} Aliases: {format_options(known)}. {LIST_HINT}"
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
