"""``driftline lineage PATH_OR_HASH``: which runs used this exact data, and in which role.

A path to an existing file is read through the source that handles its type (with that
source's default options, as ``data=parquet data.path=...`` reads it) and hashed with the
data hash every run records; anything else is taken as a data hash or a prefix of one.
Data no run used is a question with an empty answer (exit 0); a malformed or ambiguous hash
is a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from driftline.engine.cli.query_cmds import add_common, open_store
from driftline.engine.errors import ExitCode, UsageError

#: Characters of run ids and hashes shown in tables.
SHORT = 12

_HEXISH = re.compile(r"[0-9a-fA-F]+")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("lineage", help="which runs used this exact data, and in which role",
                       description="Which runs used this exact data, and in which role (source, "
                       "train, valid, test, batch). A data file is read by the source for its "
                       "type, with default options, and hashed as runs hash their data.")
    p.add_argument("target", metavar="PATH_OR_HASH", help="a data file (csv, parquet, ...), or "
                   "a data hash or prefix of >= 6 hex digits as driftline runs/show print it")
    add_common(p)
    p.set_defaults(func=lineage_command)


def lineage_command(args: argparse.Namespace) -> int:
    from driftline.engine.output.render import to_json

    target = args.target
    file_facts = hash_file(Path(target)) if Path(target).is_file() else None
    if file_facts is None:
        _check_not_a_path(target)
    with open_store(args) as store:
        usage = store.data_usage(file_facts["hash"] if file_facts else target)
    usage["file"] = file_facts
    print(to_json(usage) if args.json else render(usage))
    return ExitCode.OK


def hash_file(path: Path) -> dict[str, Any]:
    """Path, data hash, rows and columns of the table in ``path`` (read by its source)."""
    from driftline.engine.data.files import read_data_file
    from driftline.engine.lineage.datahash import hash_frame
    from driftline.engine.components.registry import Registry

    frame = read_data_file(Registry.from_environment(), str(path))
    digest = hash_frame(frame)
    return {"path": str(path), "hash": digest.hash, "n_rows": frame.height,
            "n_cols": frame.width}


def _check_not_a_path(target: str) -> None:
    if Path(target).is_dir():
        raise UsageError(f"'{target}' is a folder; give a data file (e.g. data/loans.parquet) "
                         "or a data hash")
    if _HEXISH.fullmatch(target.strip()) is None:
        raise UsageError(f"no file '{target}', and it is not a data hash (6-64 hex digits, as "
                         "driftline runs and driftline show print it). Check the path.")


# -- text output --------------------------------------------------------------------------
def render(usage: dict[str, Any]) -> str:
    """The data, the runs that used it (newest first) and the drift checks of it."""
    lines = _about_data(usage)
    runs = usage["runs"]
    if not runs:
        lines.append("no run used this data")
    else:
        lines.append(f"used by {len(runs)} run{'' if len(runs) == 1 else 's'} (newest first):")
        lines += _indent(_runs_table(runs))
    checks = usage["drift_checks"]
    if checks:
        times = f"{len(checks)} time{'' if len(checks) == 1 else 's'}"
        lines.append(f"drift-checked as a batch {times}:")
        lines += _indent(_checks_table(checks))
    return "\n".join(lines)


def _about_data(usage: dict[str, Any]) -> list[str]:
    file, data = usage.get("file"), usage.get("dataset")
    lines = []
    if file is not None:
        lines.append(f"file  {file['path']}: {file['n_rows']} rows x {file['n_cols']} columns")
    if usage["hash"] is None:
        lines.append(f"data  no recorded data has a hash starting '{usage['query']}'")
        return lines
    lines.append(f"data  {usage['hash']}")
    if data is not None:
        lines.append(f"      {data['n_rows']} rows x {data['n_cols']} columns, first recorded "
                     f"{_when(data['first_seen_at'])} from {describe_source(data['source'])}")
    return lines


def describe_source(source: Any) -> str:
    """Where data was read from, in a few words: a path, a split of a table, or the kind."""
    if not isinstance(source, dict):
        return "?"
    if source.get("path"):
        return f"{source.get('kind', 'file')} {source['path']}"
    if source.get("of"):
        kind = (source.get("split") or {}).get("kind", "")
        return f"{kind + ' ' if kind else ''}split of {str(source['of'])[:SHORT]}"
    return str(source.get("kind", "?"))


def _runs_table(runs: list[dict[str, Any]]) -> list[str]:
    from driftline.engine.output.render import table

    rows = [[r["id"][:SHORT], r["experiment"], r["status"], ", ".join(r["roles"]),
             _when(r["started_at"])] for r in runs]
    return table(["id", "experiment", "status", "role", "started"], rows).splitlines()


def _checks_table(checks: list[dict[str, Any]]) -> list[str]:
    from driftline.engine.output.render import table

    rows = [[c["id"][:SHORT], c["baseline_run_id"][:SHORT], "yes" if c["drifted"] else "no",
             f"{c['share']:.0%}", _when(c["created_at"])] for c in checks]
    return table(["check", "baseline", "drifted", "share", "when"], rows).splitlines()


def _indent(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]


def _when(value: str | None) -> str:
    return value[:19].replace("T", " ") if value else ""
