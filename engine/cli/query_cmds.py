"""``driftline runs`` and ``driftline show``: read the lineage store."""

from __future__ import annotations

import argparse
from typing import Any

from driftline.engine.errors import ExitCode

#: Metrics shown as columns by `driftline runs` (the first found of each run's test metrics).
RUNS_TABLE_METRICS = 3
RUNS_HELP = """List runs, newest first; filters combine (AND).

examples:
  driftline runs --experiment loans --status succeeded --sort test/auc --limit 10
  driftline runs --sort test/logloss --asc          lowest log-loss first
  driftline runs --data-hash 3f2a9c                 runs that used this data (any role)
  driftline runs --sweep latest                     the runs of the latest sweep
  driftline runs --since 2026-11-01 --until 2026-11-30T18:00
"""


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("runs", help="list runs (newest first), filtered and sorted",
                       description=RUNS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--experiment", help="only runs of this experiment")
    p.add_argument("--status", help="only runs with this status", choices=[
        "running", "succeeded", "failed", "rejected", "interrupted"])
    p.add_argument("--data-hash", metavar="HASH", help="only runs that used this data in any "
                   "role (a data hash or a prefix of >= 6 hex digits)")
    p.add_argument("--sweep", metavar="SWEEP", help="only runs of this sweep (id, unique prefix, "
                   "or latest)")
    p.add_argument("--since", metavar="WHEN", help="only runs started at or after WHEN (ISO date "
                   "or date-time; UTC unless it has an offset)")
    p.add_argument("--until", metavar="WHEN", help="only runs started until WHEN (a date "
                   "includes its whole day)")
    p.add_argument("--sort", metavar="SPLIT/METRIC", help="order by this metric, e.g. test/auc: "
                   "highest first (runs without it last)")
    p.add_argument("--asc", action="store_true", help="lowest metric first with --sort (e.g. "
                   "--sort test/logloss --asc); oldest first without it")
    p.add_argument("--limit", type=_count, default=None, help="at most this many runs")
    add_common(p)
    p.set_defaults(func=runs_command)
    s = sub.add_parser("show", help="everything recorded about one run")
    s.add_argument("run", metavar="RUN", help="run id, unique id prefix, alias, or latest / "
                   "latest~N")
    add_common(s)
    s.set_defaults(func=show_command)


def _count(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got '{text}'")
    return int(text)


def add_common(p: argparse.ArgumentParser) -> None:
    """The options every store-reading command takes: --json and --store."""
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--store", metavar="URL", help="lineage store URL (default: $DRIFTLINE_STORE_URL "
                   "or <project>/runs/lineage.db)")


def open_store(args: argparse.Namespace) -> Any:
    """The lineage store of ``--store``, else of the project the command runs in."""
    from driftline.engine.config.project import find_project
    from driftline.engine.lineage.store import LineageStore

    return LineageStore.open(args.store or find_project().store_url())


def runs_command(args: argparse.Namespace) -> int:
    from driftline.engine.output.render import fmt_time, table, to_json

    with open_store(args) as store:
        runs = store.list_runs(
            experiment=args.experiment, status=args.status, limit=args.limit,
            data_hash=args.data_hash, sweep_id=args.sweep, since=args.since, until=args.until,
            sort=args.sort, descending=not args.asc,
            # The table shows test metrics (and the sort key); --json has every split.
            metric_splits=None if args.json else _shown_splits(args.sort),
        )
    if args.json:
        print(to_json(runs))
        return ExitCode.OK
    if not runs:
        print(_nothing_found(args))
        return ExitCode.OK
    names = _metric_columns(runs, args.sort)
    rows = [[r["id"][:12], r["experiment"], r["status"], (r.get("data_hash") or "")[:12],
             *(r["metrics"].get(n) for n in names), fmt_time(r["started_at"])] for r in runs]
    # The train split's data hash (the source's when a run has no train split recorded);
    # `driftline run` prints the source's, labelled as such.
    print(table(["id", "experiment", "status", "train data", *names, "started"], rows))
    return ExitCode.OK


def _nothing_found(args: argparse.Namespace) -> str:
    filters = [f"--{name.replace('_', '-')} {value}" for name, value in vars(args).items()
               if name in ("experiment", "status", "data_hash", "sweep", "since", "until")
               and value is not None]
    if filters:
        return f"no run matches {' '.join(filters)}"
    return "no runs recorded yet; start one with: driftline run"


def _shown_splits(sort: str | None) -> list[str]:
    split = (sort or "").strip().partition("/")[0]
    return ["test"] if split in ("", "test") else ["test", split]


def _metric_columns(runs: list[dict[str, Any]], sort: str | None = None) -> list[str]:
    names: list[str] = [sort.strip()] if sort else []
    for r in runs:
        names += [n for n in r["metrics"] if n.startswith("test/") and n not in names]
        if len(names) >= RUNS_TABLE_METRICS:
            break
    return names[:RUNS_TABLE_METRICS]


def show_command(args: argparse.Namespace) -> int:
    from driftline.engine.output.render import to_json

    with open_store(args) as store:
        run = store.get_run(args.run)
    if args.json:
        print(to_json(run))
        return ExitCode.OK
    from driftline.engine.cli.run_view import render_run

    print(render_run(run))
    return ExitCode.OK
