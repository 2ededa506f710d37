"""The ``driftline`` command: parse, call one engine function per command, print.

Errors are converted once, here: a DriftlineError prints one line and exits 2 (the user can
fix it) or 3; ``--debug`` (anywhere on the line) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from driftline.engine.errors import DriftlineError, ExitCode, UsageError

DEBUG_FLAG = "--debug"
DEBUG_ENV = "DRIFTLINE_DEBUG"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is a UsageError (one line, exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see: {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    from driftline.engine import __version__
    from driftline.engine.cli import (
        data_cmd,
        drift_cmd,
        init_cmd,
        plugins_cmd,
        query_cmds,
        rerun_cmd,
        schema_cmd,
    )
    from driftline.engine.cli import diff_cmd
    from driftline.engine.cli import alias_cmds, lineage_cmd

    parser = _Parser(prog="driftline", description=(
        "Config-driven tabular ML pipelines with a lineage store. "
        "`driftline run --help` shows the run's config groups and Hydra's flags; "
        "`driftline plugins show [GROUP[/OPTION]]` every group's options and their parameters."))
    parser.add_argument("--version", action="version", version=f"driftline {__version__}")
    parser.add_argument(DEBUG_FLAG, action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.add_parser("run", help="train, evaluate and record one run (or a sweep with -m); "
                   "takes Hydra overrides and flags", add_help=False)
    query_cmds.add_parsers(sub)
    diff_cmd.add_parser(sub)
    alias_cmds.add_parser(sub)
    lineage_cmd.add_parser(sub)
    plugins_cmd.add_parser(sub)
    schema_cmd.add_parser(sub)
    init_cmd.add_parser(sub)
    data_cmd.add_parser(sub)
    rerun_cmd.add_parser(sub)
    drift_cmd.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in args or bool(os.environ.get(DEBUG_ENV))
    args = [a for a in args if a != DEBUG_FLAG]
    if debug:
        os.environ[DEBUG_ENV] = "1"
    try:
        if args and args[0] == "run":
            from driftline.engine.cli.run_cmd import run_command

            return run_command(args[1:])
        parser = build_parser()
        ns, extra = parser.parse_known_args(args)
        if extra:
            # KEY=VALUE overrides may come after options (`drift B --json drift.alpha=0.01`).
            if hasattr(ns, "overrides") and all("=" in a and not a.startswith("-")
                                                for a in extra):
                ns.overrides = [*ns.overrides, *extra]
            else:
                ns = parser.parse_args(args)  # reports the unrecognised arguments
        if not getattr(ns, "func", None):
            parser.print_help()
            return ExitCode.OK
        return int(ns.func(ns))
    except DriftlineError as exc:
        if debug:
            traceback.print_exc()
        print(f"driftline: error: {exc}", file=sys.stderr)
        code = ExitCode.USAGE_ERROR if exc.user_error else ExitCode.INTERNAL_ERROR
        _json_error(args, str(exc), code, type(exc).__name__)
        return code
    except KeyboardInterrupt:
        print("driftline: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # e.g. `driftline runs | head`
        return ExitCode.OK
    except Exception as exc:  # a defect: say so plainly, keep the traceback for --debug
        if debug:
            traceback.print_exc()
        print(f"driftline: internal error: {type(exc).__name__}: {exc} "
              f"(rerun with --debug for the traceback)", file=sys.stderr)
        _json_error(args, f"internal error: {type(exc).__name__}: {exc}",
                    ExitCode.INTERNAL_ERROR, "InternalError")
        return ExitCode.INTERNAL_ERROR


def _json_error(args: list[str], message: str, code: int, kind: str) -> None:
    """With ``--json``, an error is a JSON object on stdout too, so a script that parses the
    output gets ``{"error": {...}}`` instead of nothing (the line on stderr stays)."""
    if "--json" not in args:
        return
    import json

    try:
        print(json.dumps({"error": {"message": message, "type": kind, "exit_code": int(code)}}))
    except (BrokenPipeError, ValueError):
        pass


def entry() -> None:
    """The console script: run :func:`main`, then leave without tearing the interpreter down.

    After a run, Python's own shutdown (freeing every module and object one by one) takes
    0.25-0.35 s, longer than most commands.  Everything that must happen at exit still
    does: output is flushed and ``atexit`` handlers run (logging closes its files); every
    store and file was closed by the command itself.  Then the process ends at once (as
    mypy does for the same reason).  A process that still has other threads or child
    processes (joblib's workers after a parallel sweep) shuts down the usual way, so they
    are stopped and joined in order.
    """
    try:
        code = main()
    except SystemExit as exc:  # argparse's --help and --version
        if exc.code is not None and not isinstance(exc.code, int):
            raise
        code = exc.code or 0
    if not _alone():
        sys.exit(code)  # threads or worker processes (a parallel sweep): the usual shutdown
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # reader went away, or stream closed
            pass
    import atexit

    atexit._run_exitfuncs()  # no public equivalent; stable since Python 2
    os._exit(code)


def _alone() -> bool:
    """True when this process has no other thread and no child process left."""
    import threading

    if threading.active_count() > 1:
        return False
    multiprocessing = sys.modules.get("multiprocessing")
    return multiprocessing is None or not multiprocessing.active_children()


if __name__ == "__main__":  # pragma: no cover
    entry()
