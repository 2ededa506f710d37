"""``driftline promote RUN ALIAS``, ``driftline aliases`` and ``driftline aliases delete NAME``.

An alias (``production``, ``staging``) names one succeeded run; every command that takes RUN
accepts it.  Moving or deleting an alias is recorded, so ``driftline aliases`` can show
when each alias pointed where, and what it pointed at before.
"""

from __future__ import annotations

import argparse
from typing import Any

from driftline.engine.cli.query_cmds import add_common, open_store
from driftline.engine.output.render import fmt_time
from driftline.engine.errors import ExitCode

#: Characters of a run id shown in text output (as `driftline runs` shows them).
SHORT_ID = 12
#: How a missing run or a first promotion is shown in text output.
NEW, DELETED = "(new)", "(deleted)"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("promote", help="point an alias (e.g. production) at a succeeded run",
                       description="Point ALIAS at RUN (recorded in the alias's history). "
                       "Only succeeded runs can be promoted.")
    p.add_argument("run", metavar="RUN", help="run id, unique id prefix, alias, or latest / "
                   "latest~N")
    p.add_argument("alias", metavar="ALIAS", help="a letter, then letters, digits, '_', '.' or "
                   "'-' (e.g. production)")
    add_common(p)
    p.set_defaults(func=promote_command)
    a = sub.add_parser("aliases", help="aliases, the runs they point at, and their history",
                       description="List aliases with their history (newest change first), or "
                       "delete one: driftline aliases delete NAME.")
    add_common(a)
    a.set_defaults(func=aliases_command)
    actions = a.add_subparsers(dest="action", metavar="ACTION")
    d = actions.add_parser("delete", help="remove an alias (kept in its history)")
    d.add_argument("name", metavar="NAME", help="the alias to remove")
    # SUPPRESS: given before `delete`, the options are not reset by the sub-command.
    d.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                   help="machine-readable output")
    d.add_argument("--store", metavar="URL", default=argparse.SUPPRESS,
                   help="lineage store URL")
    d.set_defaults(func=delete_command)


# -- promote ------------------------------------------------------------------------------
def promote_command(args: argparse.Namespace) -> int:
    from driftline.engine.output.render import to_json

    with open_store(args) as store:
        change = store.set_alias(args.alias, args.run)
    print(to_json(change) if args.json else describe_change(change))
    return ExitCode.OK


def describe_change(change: dict[str, Any]) -> str:
    """``production: 1a2b3c4d5e6f -> 9f8e7d6c5b4a`` (or ``(new) ->``, or ``(unchanged)``)."""
    name, new = change["name"], _short(change["run_id"])
    if not change["changed"]:
        return f"{name}: {new} (unchanged: it already pointed at this run)"
    return f"{name}: {_short(change['previous_run_id']) or NEW} -> {new}"


# -- aliases ------------------------------------------------------------------------------
def aliases_command(args: argparse.Namespace) -> int:
    from driftline.engine.output.render import to_json

    with open_store(args) as store:
        found = store.list_aliases()
    if args.json:
        print(to_json(found))
    elif not found:
        print("no aliases yet; create one with: driftline promote RUN ALIAS")
    else:
        print("\n\n".join(render_alias(alias) for alias in found))
    return ExitCode.OK


def render_alias(alias: dict[str, Any]) -> str:
    """The alias, its run and status, then its history as a table (newest first)."""
    from driftline.engine.output.render import table

    status = alias.get("run_status") or "run no longer in the store"
    head = (f"{alias['name']} -> {_short(alias['run_id'])}  ({status}, since "
            f"{fmt_time(alias['updated_at'])})")
    rows = [[fmt_time(h["at"]), _short(h["run_id"]) or DELETED,
             _short(h["previous_run_id"]) or NEW] for h in alias["history"]]
    body = table(["when", "run", "previous"], rows)
    return head + "\n" + "\n".join("  " + line for line in body.splitlines())


# -- aliases delete -----------------------------------------------------------------------
def delete_command(args: argparse.Namespace) -> int:
    from driftline.engine.output.render import to_json

    with open_store(args) as store:
        removed = store.delete_alias(args.name)
    if args.json:
        print(to_json(removed))
    else:
        print(f"{removed['name']}: {_short(removed['run_id'])} -> {DELETED}")
    return ExitCode.OK


def _short(run_id: str | None) -> str:
    return run_id[:SHORT_ID] if run_id else ""

