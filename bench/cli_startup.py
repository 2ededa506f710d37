"""Benchmark: cold start of ``driftline --help`` and ``driftline runs`` on a 300-run store.

Why: these are typed many times a day; they must answer in <= 0.5 s (issue 2), which
means listing runs may not import LightGBM, pandera or polars (each costs 0.3-1.5 s).

Method: a project folder under ``bench/out`` with a ``conf/config.yaml`` and a store
``runs/lineage.db`` holding ``N_RUNS`` finished runs (written once through
``driftline.engine.lineage.store.LineageStore``, with datasets, a model and 12 metrics each, as a real run
records).  Then, as whole fresh processes, round-robin so load hits all alike, after one
untimed warm-up of each: ``python -c pass`` (the interpreter's own start, the floor),
``driftline --help`` and ``driftline runs``.  ``PYTHONDONTWRITEBYTECODE`` is removed from
the children's environment so, as on a user's machine, byte code is cached.
Finally ``python -X importtime`` of each command lists the modules it loads: the heavy
ones must be absent from ``driftline runs``.

Run: ``python bench/cli_startup.py [--reps 15] [--results]``.  With
``--results`` the section "## CLI start-up" of ``bench/RESULTS.md`` is rewritten.
Exit status 1 when a target is missed or a heavy module is imported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass

from common import (DRIFTLINE, OUT_DIR, PYTHON, ProcTime, code_version, load_average,
                    machine, md_table, median, spread, time_process, today, publish)

SECTION = "## CLI start-up"
TARGET_S = 0.5
N_RUNS = 300
PROJECT = OUT_DIR / "cli_project"
#: Modules ``driftline runs`` must not import (top-level package names).
FORBIDDEN = ("lightgbm", "pandera", "polars")
#: Also reported: other heavy packages, present or not.
WATCHED = (*FORBIDDEN, "numpy", "sklearn", "scipy", "sqlalchemy", "sqlmodel", "hydra",
           "omegaconf", "pydantic", "yaml")
TOP_IMPORTS = 8
METRICS = ("auc", "logloss", "accuracy", "f1", "precision", "recall")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("DRIFTLINE_STORE_URL", None)  # the project's own store, not one from outside
    return env


# -- the store ----------------------------------------------------------------------------
def build_store(n_runs: int = N_RUNS) -> None:
    """A project with ``n_runs`` recorded runs (cached: rebuilt only if the count differs)."""
    db = PROJECT / "runs" / "lineage.db"
    marker = PROJECT / "runs" / "bench.json"
    if db.exists() and marker.exists() and json.loads(marker.read_text()) == {"runs": n_runs}:
        return
    import hashlib
    import random
    import shutil

    from driftline.engine.lineage.store import LineageStore

    if PROJECT.exists():
        shutil.rmtree(PROJECT)
    (PROJECT / "conf").mkdir(parents=True)
    (PROJECT / "runs").mkdir()
    (PROJECT / "conf" / "config.yaml").write_text(
        "# Written by bench/cli_startup.py: a project whose store holds many runs.\n"
        "defaults:\n  - data: synthetic\n  - schema: loans\n  - split: random\n"
        "  - model: lightgbm\n  - metrics: default\n  - store: default\n  - _self_\n"
        "experiment: bench\nseed: 0\ntask: binary\ntarget: default\n")
    rng = random.Random(0)
    config = {"data": {"kind": "synthetic", "rows": 20000}, "model": {"kind": "lightgbm"},
              "seed": 0, "task": "binary", "target": "default"}
    columns = [{"name": f"c{i}", "dtype": "Float64", "hash": "0" * 64} for i in range(18)]
    with LineageStore.open(f"sqlite:///{db}") as store:
        for i in range(n_runs):
            run_id = hashlib.md5(f"run{i}".encode()).hexdigest()
            store.create_run(
                id=run_id, experiment=f"exp{i % 5}", config=config, overrides=[f"seed={i}"],
                config_hash=hashlib.sha256(str(i).encode()).hexdigest(),
                git={"commit": "0" * 40, "dirty": False, "diff_hash": None},
                versions={"python": "3.11", "driftline": "0.1"}, host="bench", pid=1,
                seed=i, task="binary", target="default", run_dir=str(PROJECT / "runs" / str(i)))
            for role in ("source", "train", "test"):
                digest = hashlib.sha256(f"{role}{i // 10}".encode()).hexdigest()
                store.record_dataset(run_id, role, hash=digest, hash_scheme="dl-sha256-v1",
                                     source={"kind": "synthetic"}, n_rows=20000, n_cols=18,
                                     columns=columns)
            store.record_model(run_id, path=f"runs/{i}/model.txt", sha256="0" * 64,
                               format="lightgbm-text", size_bytes=100000,
                               feature_names=[c["name"] for c in columns], summary={})
            store.record_metrics(run_id, [(split, "", name, rng.random())
                                          for split in ("train", "test") for name in METRICS])
            store.finish_run(run_id, "succeeded", summary={"timings": {}})
    marker.write_text(json.dumps({"runs": n_runs}))


# -- timing ---------------------------------------------------------------------------------
def commands() -> dict[str, list[str]]:
    return {"python -c pass": [PYTHON, "-c", "pass"],
            "driftline --help": [DRIFTLINE, "--help"],
            "driftline runs": [DRIFTLINE, "runs"]}


def measure(reps: int) -> dict[str, list[ProcTime]]:
    env, cmds = child_env(), commands()
    for argv in cmds.values():  # warm-up: byte code, page cache
        time_process(argv, cwd=PROJECT, env=env)
    times: dict[str, list[ProcTime]] = {name: [] for name in cmds}
    for _ in range(reps):
        for name, argv in cmds.items():
            times[name].append(time_process(argv, cwd=PROJECT, env=env))
    listed = len(re.findall(r"^[0-9a-f]{12} ", times["driftline runs"][-1].stdout, re.M))
    if listed != N_RUNS:
        raise SystemExit(f"`driftline runs` listed {listed} runs, expected {N_RUNS}")
    return times


# -- what is imported ------------------------------------------------------------------------
@dataclass
class Import:
    """One line of ``-X importtime``: a module, its own and cumulative microseconds."""

    name: str
    self_us: int
    cum_us: int
    depth: int
    parent: str = ""
    heaviest_child_us: int = 0


def import_times(argv: list[str]) -> list[Import]:
    """Every import of a command, from ``python -X importtime``, with its importer.

    importtime prints a module after the modules it imports (post-order), indented by
    nesting depth, so a line's children are the deeper lines just before it.
    """
    proc = time_process([PYTHON, "-X", "importtime", *argv], cwd=PROJECT, env=child_env())
    rows: list[Import] = []
    pending: dict[int, list[Import]] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = line[len("import time:"):].split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        row = Import(name.strip(), int(self_us), int(cum_us), depth)
        for child in pending.pop(depth + 1, []):
            child.parent = row.name
            row.heaviest_child_us = max(row.heaviest_child_us, child.cum_us)
        pending.setdefault(depth, []).append(row)
        rows.append(row)
    return rows


def heaviest(rows: list[Import], n: int = TOP_IMPORTS) -> list[Import]:
    """The costliest imports, skipping wrappers whose cost is mostly one child's."""
    real = [r for r in rows if r.heaviest_child_us < 0.8 * r.cum_us]
    return sorted(real, key=lambda r: -r.cum_us)[:n]


def packages(rows: list[Import]) -> set[str]:
    return {r.name.split(".")[0] for r in rows}


# -- the report -------------------------------------------------------------------------------
def report(times: dict[str, list[ProcTime]], reps: int, imports: dict[str, list[Import]],
           load_before: str) -> tuple[str, bool]:
    floor = median([p.wall for p in times["python -c pass"]])
    rows, ok = [], True
    for name, ps in times.items():
        wall = median([p.wall for p in ps])
        met = "—" if name.startswith("python") else ("yes" if wall <= TARGET_S else "**no**")
        ok &= met != "**no**"
        rows.append([f"`{name}`", f"{wall:.3f}", spread([p.wall for p in ps]),
                     f"{median([p.cpu for p in ps]):.3f}",
                     "—" if name.startswith("python") else f"{wall - floor:.3f}",
                     f"{median([p.max_rss_mb for p in ps]):.0f}", met])
    seen = {cmd: packages(rows_) for cmd, rows_ in imports.items()}
    import_rows = [[f"`{mod}`", *("imported" if mod in seen[c] else "no" for c in imports)]
                   for mod in WATCHED]
    bad = sorted(set(FORBIDDEN) & seen["driftline runs"])
    ok &= not bad
    lines = [
        SECTION, "",
        f"Date: {today()}; driftline at {code_version()}. Machine: "
        f"{machine(('polars', 'lightgbm', 'pandera', 'sqlalchemy', 'hydra-core'))}. "
        f"Load average (1/5/15 min) before: {load_before}, after: {load_average()} (shared "
        "machine).",
        "",
        f"Method: `bench/cli_startup.py`; a project whose `runs/lineage.db` holds {N_RUNS} "
        "finished runs (3 datasets, a model, 12 metrics each), written with "
        f"`driftline.engine.lineage.store.LineageStore`. Each command run {reps} times as a fresh process, "
        "round-robin with the others, after one untimed warm-up of each (byte code cached, "
        "files in the page cache: \"cold\" = new interpreter, not an empty disk cache). "
        "CPU = user + system; \"minus interpreter\" subtracts the median of `python -c pass`.",
        "",
        md_table(["command", "median wall s", "min–max s", "median CPU s",
                  "minus interpreter s", "peak RSS MB", f"<= {TARGET_S} s"], rows),
        "",
        f"Imports (`python -X importtime`): `driftline runs` imports "
        f"{'none of ' + ', '.join(FORBIDDEN) if not bad else '**' + ', '.join(bad) + '**'}.",
        "",
        md_table(["package", *(f"`{c}`" for c in imports)], import_rows, "l" + "l" * len(imports)),
        "",
    ]
    for cmd, rows_ in imports.items():
        total = sum(r.self_us for r in rows_) / 1e6
        lines += [f"Costliest imports of `{cmd}` ({len(rows_)} modules, {total:.3f} s of "
                  "import time in all; cumulative ms, imported by; wrappers whose time is "
                  "mostly one child's are skipped): " + ", ".join(
                      f"`{r.name}` {r.cum_us / 1e3:.0f} ms"
                      + (f" (by `{r.parent}`)" if r.parent else "") for r in heaviest(rows_))
                  + ".", ""]
    return "\n".join(lines), ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15, help="timed runs per command (>= 10)")
    parser.add_argument("--results", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    build_store()
    load_before = load_average()
    times = measure(args.reps)
    imports = {"driftline --help": import_times([DRIFTLINE, "--help"]),
               "driftline runs": import_times([DRIFTLINE, "runs"])}
    text, ok = report(times, args.reps, imports, load_before)
    return publish(SECTION, text, ok, results=args.results)


if __name__ == "__main__":
    sys.exit(main())
