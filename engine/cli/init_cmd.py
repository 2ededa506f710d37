"""``driftline init [DIR]``: scaffold a project."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from driftline.engine.errors import ExitCode


def add_parser(sub: Any) -> None:
    p = sub.add_parser("init", help="scaffold a project: conf/, runs/, README")
    p.add_argument("dir", nargs="?", default=".", metavar="DIR", help="folder (default: here)")
    p.set_defaults(func=init_command)


def init_command(args: argparse.Namespace) -> int:
    from driftline.engine.output.render import rel
    from driftline.engine.config.scaffold import init_project

    for path in init_project(Path(args.dir)):
        print(f"wrote {rel(path)}")
    print("next: put your data where conf/data/*.yaml says, set `target` in conf/config.yaml, "
          "then run `driftline run`")
    return ExitCode.OK
