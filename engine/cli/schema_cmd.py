"""``driftline schema infer DATA``: print a schema YAML to start from.

The file is read the way the source for its type reads it in a run, with the read
settings given here on top (``--null-values NA``, ``data.KEY=VALUE``, as ``driftline
drift`` takes them), so the types in the schema are the ones the run will see.
"""

from __future__ import annotations

import argparse
from typing import Any

from driftline.engine.errors import ExitCode, UsageError

#: Default of --max-categories.
DEFAULT_MAX_CATEGORIES = 50


def add_parser(sub: Any) -> None:
    p = sub.add_parser("schema", help="work with data schemas")
    ssub = p.add_subparsers(dest="schema_command", metavar="SUBCOMMAND", parser_class=type(p))
    infer = ssub.add_parser(
        "infer", help="print a schema YAML inferred from a data file",
        description="Print a schema YAML (kind: yaml) that the file passes: dtypes, whether "
                    "nulls were seen, value ranges and category sets. Identifier, year and "
                    "steadily increasing columns get no exact range (a comment says why). "
                    "The file is read as the source for its type reads it in a run; give "
                    "the same read settings here as in conf/data.")
    infer.add_argument("data", metavar="DATA", help="a data file (.csv, .parquet, ...)")
    infer.add_argument("overrides", nargs="*", metavar="data.KEY=VALUE",
                       help="read settings of the file's source, as for `driftline drift` "
                            "(e.g. data.separator=';' data.schema_overrides={zip: String})")
    infer.add_argument("--null-values", action="append", default=[], metavar="VALUES",
                       help="strings read as missing, comma-separated or repeated "
                            "(e.g. --null-values NA,N/A); adds to data.null_values")
    infer.add_argument("--max-categories", type=int, default=DEFAULT_MAX_CATEGORIES,
                       metavar="N", help="string columns with at most N distinct values get "
                                         f"an `isin` check; 0 turns it off (default "
                                         f"{DEFAULT_MAX_CATEGORIES})")
    infer.set_defaults(func=infer_command)


def parse_null_values(items: list[str]) -> list[str]:
    """``["NA,N/A", "-"]`` -> ``["NA", "N/A", "-"]``; UsageError for an empty list."""
    values: list[str] = []
    for item in items:
        parts = [v.strip() for v in item.split(",") if v.strip()]
        if not parts:
            raise UsageError(f"--null-values needs at least one value, got '{item}' "
                             f"(e.g. --null-values NA,N/A).")
        values += [v for v in parts if v not in values]
    return values


def read_options(registry: Any, path: str, args: argparse.Namespace) -> dict[str, Any]:
    """The source parameters given on the command line: ``data.KEY=VALUE`` overrides, and
    ``--null-values`` added to ``null_values``."""
    import dataclasses

    from driftline.engine.data.files import read_overrides, source_kind_for_path

    read = read_overrides(args.overrides)
    nulls = parse_null_values(args.null_values)
    if nulls:
        kind = source_kind_for_path(registry, path)
        params = registry.load("source", kind).Params
        if "null_values" not in {f.name for f in dataclasses.fields(params)}:
            raise UsageError(f"--null-values does not apply to {path}: the {kind} source "
                             f"that reads it has no null_values setting.")
        given = read.get("null_values", [])
        if not isinstance(given, list):
            raise UsageError(f"data.null_values must be a list (data.null_values=[NA]), got "
                             f"{given!r}.")
        read["null_values"] = given + [v for v in nulls if v not in given]
    return read


def infer_command(args: argparse.Namespace) -> int:
    from driftline.engine.components.registry import Registry
    from driftline.engine.data.files import read_data_file
    from driftline.engine.data.schema_infer import infer_schema_and_notes, render_schema_yaml

    if args.max_categories < 0:
        raise UsageError(f"--max-categories must be 0 or more, got {args.max_categories}.")
    registry = Registry.from_environment()
    read = read_options(registry, args.data, args)
    frame = read_data_file(registry, args.data, overrides=read)
    node, notes = infer_schema_and_notes(frame, max_categories=args.max_categories)
    print(render_schema_yaml(node, source=args.data, rows=frame.height, notes=notes,
                             read_with=read), end="")
    return ExitCode.OK
