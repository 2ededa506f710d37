"""``driftline drift DATA``: compare a batch with the baseline run's recorded profile."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from driftline.engine.errors import ExitCode


def add_parser(sub: Any) -> None:
    p = sub.add_parser("drift", help="compare a data batch with a baseline run's training "
                       "profile; exit 1 when drift is found")
    p.add_argument("data", metavar="DATA", help="the batch: a data file (.csv, .parquet, ...)")
    p.add_argument("overrides", nargs="*", metavar="drift.KEY=VALUE|data.KEY=VALUE",
                   help="drift settings for this check, on top of the project's current "
                   "conf/drift (e.g. drift.numeric_margin=0.02 drift.critical=[age]); read "
                   "settings for the batch, on top of the baseline run's own source settings "
                   "(e.g. data.null_values=[NA] data.separator=';')")
    p.add_argument("--baseline", metavar="RUN", help="baseline run (default: the `production` "
                   "alias, else the latest succeeded run)")
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.add_argument("--report", metavar="FILE.html", help="also write a self-contained HTML report")
    p.add_argument("--no-output", action="store_true",
                   help="skip the model-output drift check (no predictions on the batch)")
    p.add_argument("--store", metavar="URL", help="lineage store URL")
    p.set_defaults(func=drift_command)


def drift_command(args: argparse.Namespace) -> int:
    from driftline.engine.data.files import read_data_file, read_overrides
    from driftline.engine.drift.check import baseline_run, check_drift, default_baseline
    from driftline.engine.drift.check import distributions
    from driftline.engine.drift.report_text import render_json, render_table
    from driftline.engine.drift.settings import current_settings
    from driftline.engine.errors import UsageError
    from driftline.engine.config.project import find_project
    from driftline.engine.components.registry import Registry
    from driftline.engine.lineage.store import LineageStore

    if args.report and not args.report.lower().endswith((".html", ".htm")):
        raise UsageError(f"--report must name an .html file, got '{args.report}'.")
    project = find_project()
    registry = Registry.from_environment()
    reads = [o for o in args.overrides if o.lstrip("+~").startswith("data.")]
    settings, _node = current_settings(project, registry,
                                       [o for o in args.overrides if o not in reads])
    read = read_overrides(reads)
    with LineageStore.open(args.store or project.store_url()) as store:
        baseline = baseline_run(store, args.baseline or default_baseline(store))
        # The batch is read the way the baseline run read its training data.
        batch = read_data_file(registry, args.data, like=baseline["config"].get("data"),
                               overrides=read)
        outcome = check_drift(store, registry, batch, baseline_ref=baseline["id"],
                              source=str(Path(args.data)), output=not args.no_output,
                              work_dir=project.runs_dir / "drift", settings=settings)
    if args.report:
        from driftline.engine.drift.report_html import render_html, write_html

        title = f"driftline drift: {Path(args.data).name} vs run {outcome.baseline['id'][:12]}"
        write_html(args.report, render_html(outcome.document, distributions(outcome), title=title))
    print(render_json(outcome.document) if args.json else render_table(outcome.document))
    return ExitCode.CHECK_FAILED if outcome.drifted else ExitCode.OK
