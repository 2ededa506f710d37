"""``driftline schema infer DATA``: print a schema YAML to start from."""

from __future__ import annotations

import argparse
from typing import Any

from driftline.engine.errors import ExitCode


def add_parser(sub: Any) -> None:
    p = sub.add_parser("schema", help="work with data schemas")
    ssub = p.add_subparsers(dest="schema_command", metavar="SUBCOMMAND", parser_class=type(p))
    infer = ssub.add_parser("infer", help="print a schema YAML inferred from a data file")
    infer.add_argument("data", metavar="DATA", help="a data file (.csv, .parquet, ...)")
    infer.add_argument("--max-categories", type=int, default=50,
                       help="string columns with at most this many values get an `isin` check")
    infer.set_defaults(func=infer_command)


def infer_command(args: argparse.Namespace) -> int:
    from driftline.engine.data.files import read_data_file
    from driftline.engine.components.registry import Registry
    from driftline.engine.data.schema_infer import infer_schema, render_schema_yaml

    frame = read_data_file(Registry.from_environment(), args.data)
    node = infer_schema(frame, max_categories=args.max_categories)
    print(render_schema_yaml(node, source=args.data, rows=frame.height), end="")
    return ExitCode.OK
