"""``driftline rerun RUN``: re-execute a recorded run and verify it reproduces."""

from __future__ import annotations

import argparse
from typing import Any

from driftline.engine.errors import ExitCode

# How many differences the text output lists.
MAX_SHOWN = 15


def add_parser(sub: Any) -> None:
    p = sub.add_parser("rerun", help="re-execute a recorded run from its stored config and "
                       "verify data hash, model hash and metrics are identical")
    p.add_argument("run", metavar="RUN", help="run id, unique prefix, alias, latest or latest~N")
    p.add_argument("--allow-data-change", action="store_true",
                   help="run even when the data no longer has the recorded hash")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=rerun_command)


def rerun_command(args: argparse.Namespace) -> int:
    from driftline.engine.config.project import find_project
    from driftline.engine.components.registry import Registry
    from driftline.engine.output.render import to_json
    from driftline.engine.run.summary import print_run_summary
    from driftline.engine.run.rerun import rerun

    result = rerun(args.run, find_project(), Registry.from_environment(),
                   allow_data_change=args.allow_data_change)
    outcome = result.outcome
    if outcome.error is not None:
        print_run_summary(outcome)
        from driftline.engine.errors import DriftlineError

        user = isinstance(outcome.error, DriftlineError) and outcome.error.user_error
        return ExitCode.USAGE_ERROR if user else ExitCode.INTERNAL_ERROR
    a, b = result.original["id"][:12], result.rerun["id"][:12]
    if args.json:
        print(to_json({"original": result.original["id"], "rerun": result.rerun["id"],
                       "reproduced": result.reproduced,
                       "differences": {k: list(v) for k, v in result.differences.items()}}))
    elif result.reproduced:
        n = len(result.rerun.get("metrics", []))
        print(f"rerun {b} reproduces {a}: identical data hashes, model sha256 "
              f"{result.rerun['model']['hash'][:12]}, and {n} metric values")
    else:
        print(f"rerun {b} does NOT reproduce {a}: {len(result.differences)} differences")
        for key, (before, after) in list(result.differences.items())[:MAX_SHOWN]:
            print(f"  {key}: {before} -> {after}")
        print(f"  full diff: driftline diff {a} {b}")
    return ExitCode.OK if result.reproduced else ExitCode.CHECK_FAILED
