"""``driftline lineage PATH_OR_HASH``: which runs used this exact data, and in which role.

A path to an existing file is read through the source that handles its type and hashed
with the data hash every run records -- with that source's defaults, then with the read
settings of each recorded source of the same type (a run hashed its data as it read it),
plus any ``data.KEY=VALUE`` given; anything else is taken as a data hash or a prefix of one.
Data no run used is a question with an empty answer (exit 0); a malformed or ambiguous hash
is a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from driftline.engine.cli.query_cmds import add_common, open_store
from driftline.engine.output.render import fmt_time
from driftline.engine.errors import ExitCode, UsageError

#: Characters of run ids and hashes shown in tables.
SHORT = 12

_HEXISH = re.compile(r"[0-9a-fA-F]+")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("lineage", help="which runs used this exact data, and in which role",
                       description="Which runs used this exact data, and in which role (source, "
                       "train, valid, test, batch). A data file is read by the source for its "
                       "type, with its defaults and with each recorded source's read "
                       "settings, and hashed as runs hash their data.")
    p.add_argument("target", metavar="PATH_OR_HASH", help="a data file (csv, parquet, ...), or "
                   "a data hash or prefix of >= 6 hex digits as driftline runs/show print it")
    p.add_argument("overrides", nargs="*", metavar="data.KEY=VALUE",
                   help="read settings for the file (e.g. data.null_values=[NA]), on top of "
                   "those tried: the source's defaults and every recorded source's of its type")
    add_common(p)
    p.set_defaults(func=lineage_command)


def lineage_command(args: argparse.Namespace) -> int:
    from driftline.engine.data.files import read_overrides
    from driftline.engine.output.render import to_json

    target = args.target
    read = read_overrides(args.overrides)
    if not Path(target).is_file():
        _check_not_a_path(target)
    with open_store(args) as store:
        if Path(target).is_file():
            usage = file_usage(store, Path(target), read)
        else:
            usage = store.data_usage(target)
            usage["file"] = None
    print(to_json(usage) if args.json else render(usage))
    return ExitCode.OK


def file_usage(store: Any, path: Path, read: dict[str, Any]) -> dict[str, Any]:
    """Where the table in ``path`` was used.  A run hashed the table as its source read it,
    so the file is read with each distinct read setting a recorded source of its type used
    (after the type's defaults), until one gives a hash the store knows; when none does,
    ``why`` says what was tried and whether a run read a file at this very path."""
    from driftline.engine.components.registry import Registry
    from driftline.engine.data.files import read_data_file, read_settings, source_kind_for_path
    from driftline.engine.errors import DataError
    from driftline.engine.lineage.datahash import hash_frame

    registry = Registry.from_environment()
    kind = source_kind_for_path(registry, str(path))
    recorded = [s for s in store.recorded_sources() if s["source"].get("kind") == kind]
    defaults = read_settings(registry, str(path), overrides=read)
    candidates = [defaults]
    for source in recorded:
        node = read_settings(registry, str(path), like=source["source"], overrides=read)
        if node not in candidates:
            candidates.append(node)
    first, failures = None, []
    for node in candidates:
        try:
            frame = read_data_file(registry, str(path), like=node)
        except DataError as exc:
            failures.append(str(exc))
            continue
        digest = hash_frame(frame).hash
        facts = {"path": str(path), "hash": digest, "n_rows": frame.height,
                 "n_cols": frame.width, "read_with": _settings_text(node, defaults)}
        usage = store.data_usage(digest)
        if usage["runs"] or usage["drift_checks"]:
            usage["file"] = facts
            return usage
        first = first or (usage, facts)
    if first is None:
        raise DataError(failures[0])
    usage, facts = first
    usage["file"] = facts
    usage["why"] = _why_not_found(path, recorded, len(candidates))
    return usage


def _settings_text(node: dict[str, Any], defaults: dict[str, Any]) -> str:
    changed = [f"{k}={v!r}" for k, v in node.items() if k != "path" and defaults.get(k) != v]
    return ", ".join(changed) or f"the {node['kind']} defaults"


def _why_not_found(path: Path, recorded: list[dict[str, Any]], tried: int) -> str:
    here = str(path.resolve())
    same_path = [s for s in recorded
                 if here in (s["source"].get("files") or []) or s["source"].get("path") == here]
    settings = "the defaults" if tried == 1 else f"{tried} read settings (the defaults and " \
        f"those of the recorded {recorded[0]['source']['kind']} sources)"
    if same_path:
        hashes = ", ".join(sorted({s["hash"][:SHORT] for s in same_path}))
        return (f"runs read a file at this path as data {hashes}, but read with {settings} it "
                f"now hashes differently: the file changed since they read it")
    return (f"read with {settings}, no recorded run or drift check used this content, and no "
            f"run read a file at this path")


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
        lines.append("no run used this data" + (f": {usage['why']}" if usage.get("why") else ""))
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
        lines.append(f"file  {file['path']}: {file['n_rows']} rows x {file['n_cols']} columns, "
                     f"read with {file['read_with']}")
    if usage["hash"] is None:
        lines.append(f"data  no recorded data has a hash starting '{usage['query']}'")
        return lines
    lines.append(f"data  {usage['hash']}")
    if data is not None:
        lines.append(f"      {data['n_rows']} rows x {data['n_cols']} columns, first recorded "
                     f"{fmt_time(data['first_seen_at'])} from {describe_source(data['source'])}")
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
             fmt_time(r["started_at"])] for r in runs]
    return table(["id", "experiment", "status", "role", "started"], rows).splitlines()


def _checks_table(checks: list[dict[str, Any]]) -> list[str]:
    from driftline.engine.output.render import table

    rows = [[c["id"][:SHORT], c["baseline_run_id"][:SHORT], "yes" if c["drifted"] else "no",
             f"{c['share']:.0%}", fmt_time(c["created_at"])] for c in checks]
    return table(["check", "baseline", "drifted", "share", "when"], rows).splitlines()


def _indent(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]

