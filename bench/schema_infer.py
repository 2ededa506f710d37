"""Benchmark: ``driftline schema infer`` on a 336,000-row CSV against a plain ``pl.read_csv``.

Why: a user reported 12.5 s for ``schema infer`` on a 336,000-row CSV.  The command is a
read through the csv source (types decided from every row, layout checked) followed by
the schema inference; the read is the bulk of it, so the target is the command at most
2x a plain polars read of the same file, in the same process.

Data (seeded numpy, written to a temp folder, never the repo): ``--rows`` rows (default
336,000, ~32 MB): the table of ``bench/csv_read.py`` (an integer id, a ``2024-01-01
10:11:12`` timestamp, three integer columns with ~3% ``NA``, three floats, two string
categories, a true/false flag, a quoted free-text column with ~10% empty values) plus an
``origination_year`` column (2015..2024).

Timed, interleaved in one process, median of ``--reps`` runs after one warm-up of each:

* baseline: ``pl.read_csv(path, null_values=["NA"], try_parse_dates=True)``;
* the command in process: ``main(["schema", "infer", path, "--null-values", "NA"])``
  with stdout captured (registry, read, inference, YAML);
* its parts: the read alone (``read_data_file`` with ``null_values: [NA]``) and the
  inference plus YAML alone (``infer_schema_and_notes`` + ``render_schema_yaml`` on the
  read frame);
* the whole process, interpreter start included: ``driftline schema infer PATH
  --null-values NA``, against a process that imports polars and runs the baseline read;
* once (``--old-reps``, default 1; 0 skips it): the read the command did before the csv
  source was rewritten (polars' schema inference over every row, then the read), plus the
  inference -- where the reported 12.5 s went.

Checked before timing: the YAML validates the file through the yaml schema plugin, the
``NA`` integer columns are nullable Int64, and the id and year columns have no range.
Run: ``python bench/schema_infer.py [--reps 7] [--results]``; with ``--results`` the
section "## schema infer" of ``bench/RESULTS.md`` is (re)written.  Exit status 1 when the
target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from common import (timed, DRIFTLINE, PYTHON, code_version, cpu_model, load_average, md_table,
                    publish, time_process, today, version_of)
from csv_read import build, nproc, old_method

from driftline.engine import Registry
from driftline.engine.cli.main import main as driftline_main
from driftline.engine.data.files import read_data_file
from driftline.engine.data.schema_infer import infer_schema_and_notes, render_schema_yaml
from driftline.plugins.schemas import YamlSchema

SECTION = "## schema infer"
TARGET_RATIO = 2.0
ROWS = 336_000


def table(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(1)
    return build(n).with_columns(pl.Series("origination_year", rng.integers(2015, 2025, n)))


def command(path: Path) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = driftline_main(["schema", "infer", str(path), "--null-values", "NA"])
    assert code == 0, code
    return out.getvalue()


def check(text: str, frame: pl.DataFrame) -> None:
    """The YAML is a schema the file passes, with NA integers nullable and no id/year range."""
    node = yaml.safe_load(text)
    reg = Registry()
    reg.add("schema", "yaml", YamlSchema)
    schema = reg.create("schema", node, where="schema").build()
    assert schema.validate(frame, lazy=True).equals(frame)
    cols = node["columns"]
    assert all(cols[f"count_{i}"]["dtype"] == "Int64" and cols[f"count_{i}"]["nullable"]
               for i in range(3)), cols
    assert "checks" not in cols["id"] and "checks" not in cols["origination_year"], cols
    assert "in_range" in cols["amount_0"]["checks"], cols


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--old-reps", type=int, default=1)
    parser.add_argument("--results", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="schema-infer-bench-") as tmp:
        path = Path(tmp) / "loans.csv"
        table(args.rows).write_csv(path, null_value="NA", datetime_format="%Y-%m-%d %H:%M:%S")
        size_mb = path.stat().st_size / 1e6
        registry = Registry.from_environment()
        frame = read_data_file(registry, str(path), overrides={"null_values": ["NA"]})
        check(command(path), frame)

        def infer_and_render() -> str:
            node, notes = infer_schema_and_notes(frame)
            return render_schema_yaml(node, source=str(path), rows=frame.height, notes=notes)

        plain = (f"import polars as pl; pl.read_csv({str(path)!r}, null_values=['NA'], "
                 f"try_parse_dates=True)")
        runs: dict[str, Callable[[], object]] = {
            "baseline": lambda: pl.read_csv(path, null_values=["NA"], try_parse_dates=True),
            "command": lambda: command(path),
            "read": lambda: read_data_file(registry, str(path), overrides={"null_values": ["NA"]}),
            "infer": infer_and_render,
            "process baseline": lambda: time_process([PYTHON, "-c", plain]),
            "process": lambda: time_process([DRIFTLINE, "schema", "infer", str(path),
                                             "--null-values", "NA"]),
        }
        for fn in runs.values():  # warm-up
            fn()
        walls: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.reps):
            for name, fn in runs.items():
                walls[name].append(timed(fn))
        if args.old_reps:
            walls["old"] = [timed(lambda: infer_schema_and_notes(old_method(path)))
                            for _ in range(args.old_reps)]
    med = {k: statistics.median(v) for k, v in walls.items()}
    ratio = med["command"] / med["baseline"]
    ok = ratio <= TARGET_RATIO
    labels = {
        "baseline": '`pl.read_csv(path, null_values=["NA"], try_parse_dates=True)` (baseline)',
        "command": '`schema infer PATH --null-values NA`, in process (`main([...])`)',
        "read": "part of the command: the read (`read_data_file`, csv source)",
        "infer": "part of the command: inference + YAML (`infer_schema_and_notes`, render)",
        "process baseline": "process: `python -c` importing polars + the baseline read",
        "process": "process: `driftline schema infer PATH --null-values NA`",
        "old": "before: polars inference over every row, then read, + inference",
    }
    base = {"process": "process baseline", "process baseline": "process baseline"}
    rows = [[labels[k], f"{med[k]:.3f}", f"{min(v):.3f}–{max(v):.3f}",
             f"{med[k] / med[base.get(k, 'baseline')]:.2f}x"] for k, v in walls.items()]
    text = "\n".join([
        SECTION, "",
        f"Date: {today()}; driftline at {code_version()}. Machine: {cpu_model()}, "
        f"{nproc()} cores (`nproc`); Python {sys.version.split()[0]}, polars "
        f"{version_of('polars')}, numpy {np.__version__}. Load average (1/5/15 min) before: "
        f"{load_before}, after: {load_average()} (shared machine).", "",
        f"Data: {args.rows:,} rows x 13 columns, {size_mb:.1f} MB CSV in a temp folder "
        f"(`bench/schema_infer.py table`: the `bench/csv_read.py` table -- int id, "
        f"`%Y-%m-%d %H:%M:%S` timestamp, 3 ints with ~3% `NA`, 3 floats, 2 string "
        f"categories, a flag, a quoted text column -- plus an int `origination_year`).", "",
        f"Method: `bench/schema_infer.py`; median of {args.reps} runs after one warm-up, the "
        f"timings interleaved in one process (the old method: {args.old_reps} run(s) after "
        f"them). Before timing, the YAML is checked to validate the file through the yaml "
        f"schema plugin, with the `NA` columns nullable Int64 and no range on `id` and "
        f"`origination_year`. In-process rows are relative to the in-process baseline, "
        f"process rows to the process baseline.", "",
        md_table(["step", "median wall s", "min–max s", "/ baseline"], rows), "",
        f"**Ratio (command in process / pl.read_csv median): {ratio:.2f}x** — target <= "
        f"{TARGET_RATIO}x: {'met' if ok else 'missed'}. Of the command's {med['command']:.3f} "
        f"s, the read is {med['read']:.3f} s and inference plus YAML {med['infer']:.3f} s; "
        f"the whole process takes {med['process']:.3f} s, against {med['process baseline']:.3f} "
        f"s for a plain polars read in a fresh interpreter. Where the reported 12.5 s went: "
        f"the read before the csv source's rewrite (commit 2a91321), polars' type inference "
        f"over every row ({med.get('old', float('nan')):.1f} s here with the inference); the "
        f"inference itself takes hundredths of a second on this table, before this change and "
        f"after. Without `data.KEY=VALUE`, `read_overrides` returns before importing "
        f"Hydra's parser (0.1–0.2 s).",
    ])
    return publish(SECTION, text, ok, results=args.results)


if __name__ == "__main__":
    raise SystemExit(main())
