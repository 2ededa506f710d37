"""Benchmark: how often the drift verdict alarms on batches that did not drift, and whether
it alarms on the hard case, under the default rule (drift when any feature column drifts).

Why: the default verdict became strict ("any column"), which is safe only while the
per-column rule (BH-corrected significance AND an effect-size margin) flags no column of
a batch drawn from the reference's own distribution.  Issue 11 states the figure to keep:
20 undrifted batches of 200,000 rows, 0 flagged columns.

Data: the generator of ``bench/drift.py`` (30 columns: 20 numeric of 10 shapes, 10
categorical with 5-50 levels, some nulls).  Reference: 700,000 rows, seed 1, profiled and
recorded as a succeeded run in a temp store.  Undrifted batches: ``--batches`` (20) of
``--rows`` (200,000) rows, seeds 100, 101, ... drawn without drift.  Hard case: one batch
of the same size with bench/drift.py's shifts (five numeric columns by 0.1 std, one
categorical to PSI 0.13).  Each batch goes through ``check_drift`` (the code of
``driftline drift``) with the default settings.

Run: ``python bench/drift_false_alarms.py [--batches 20] [--rows 200000] [--results]``.
Exit status 1 when an undrifted batch alarms or the hard case does not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import md_table, today, write_section
from drift import DRIFTED, REF_ROWS, REF_SEED, build_frame, driftline_check, record_baseline

SECTION = "## Drift verdict: false alarms and the hard case"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--results", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()

    from driftline.engine.components.registry import Registry
    from driftline.engine.lineage.store import LineageStore

    load_start = os.getloadavg()
    reference = build_frame(REF_ROWS, REF_SEED, drift=False)
    registry = Registry.from_environment()
    rows, seconds, alarms = [], [], 0
    with tempfile.TemporaryDirectory() as tmp, LineageStore.open(f"sqlite:///{tmp}/l.db") as store:
        run_id = record_baseline(store, reference)
        work = Path(tmp) / "work"
        for i in range(args.batches):
            batch = build_frame(args.rows, 100 + i, drift=False)
            start = time.perf_counter()
            outcome = driftline_check(store, registry, batch, run_id, work)
            seconds.append(time.perf_counter() - start)
            flagged = outcome.report.drifted_columns
            smallest = min((c.p_adjusted for c in outcome.report.columns
                            if c.p_adjusted is not None), default=float("nan"))
            largest = max(c.effect_size / c.threshold for c in outcome.report.columns
                          if c.effect_size is not None and c.threshold)
            alarms += bool(outcome.drifted)
            rows.append([100 + i, len(flagged), ", ".join(flagged) or "—",
                         "drift" if outcome.drifted else "no drift", f"{smallest:.3g}",
                         f"{largest:.2f}"])
        hard = driftline_check(store, registry, build_frame(args.rows, 2, drift=True), run_id,
                               work)
    caught = set(hard.report.drifted_columns)
    ok = alarms == 0 and hard.drifted and caught == set(DRIFTED)
    flagged_total = sum(r[1] for r in rows)
    lines = [
        f"Date: {today()}; machine: 2 cores, load {load_start[0]:.2f} at the start. Method: "
        f"`bench/drift_false_alarms.py --batches {args.batches} --rows {args.rows}`; reference "
        f"{REF_ROWS:,} rows (seed {REF_SEED}) of bench/drift.py's 30-column generator, "
        f"recorded as a run; each batch checked by `check_drift` with the default settings "
        f"(verdict: any feature column drifted).",
        "",
        f"**Undrifted batches: {flagged_total} flagged columns in {args.batches} batches of "
        f"{args.rows:,} rows, {alarms} drift verdicts** (median check "
        f"{statistics.median(seconds):.3f} s). **Hard case: "
        f"{'drift' if hard.drifted else 'no drift'}, {len(caught & set(DRIFTED))} of "
        f"{len(DRIFTED)} shifted columns flagged, {len(caught - set(DRIFTED))} others.**",
        "",
        md_table(["batch seed", "flagged", "columns", "verdict", "smallest p adj",
                  "largest effect / margin"], rows, "rrllrr"),
    ]
    text = "\n".join(lines)
    print(text)
    if args.results:
        write_section(SECTION, text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
