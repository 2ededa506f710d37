"""Benchmark: lineage queries on a store of 10,000 runs, as whole cold processes.

Why: ``driftline runs``, ``show`` and ``diff`` are what a person types at 3am; the targets
(issue 4) are ``runs`` <= 1 s and ``show``/``diff`` <= 0.5 s with 10,000 runs in the store
(MLflow's UI takes minutes with hundreds, mlflow#1517).

The store (``bench/out/lineage_project/runs/lineage.db``, cached; rebuilt when missing or
with ``--rebuild``):

1. one real ``driftline run`` (data.rows=5000) in the project folder: its rows in every
   table are the template, so configs, dataset column lists, model summaries and column
   profiles have the size and shape real ones have;
2. 9,999 more runs written with raw ``INSERT``s (``sqlite3`` module, one transaction, in the
   store's own tables, schema created by ``LineageStore.open``): 8 experiments, statuses
   90% succeeded / 6% failed / 3% rejected / 1% interrupted, 30% of runs in sweeps of 12,
   a new data version (source/train/valid/test tables) every 33 runs, 30 overall and slice
   metrics per finished run (6 metrics x train/valid/test + auc and logloss on 6 slices),
   a model per succeeded or rejected run, the template's column profiles for every 50th run
   and every alias target (profiles of all 10,000 would be ~2.5 GB: 19 columns x ~13 KB),
   3 aliases with 25 promotions each, and 100 drift checks of 18 columns.  Raw inserts
   take seconds; the store API (one transaction per record, as a run writes) would take
   minutes and measures nothing this benchmark is about.

Timing: each command runs ``--reps`` times (>= 5) as a fresh process, round-robin, after
one untimed warm-up of each ("cold" = a new interpreter; the file is in the page cache).
Baselines in the same run: ``python -c pass`` (interpreter start) and the ``sqlite3`` shell
running the equivalent SQL (what the command's answer costs without Python).  ``diff`` is
timed when ``engine/cli/diff_cmd.py`` is present.

Run: ``python bench/lineage.py [--reps 7] [--rebuild] [--results]``.  With
``--results`` the section "## Lineage queries (10,000 runs)" of ``bench/RESULTS.md`` is
rewritten.  Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import (BENCH_DIR, DRIFTLINE, OUT_DIR, PYTHON, ProcTime, load_average, machine,
                    md_table, median, spread, time_process, today, publish)

SECTION = "## Lineage queries (10,000 runs)"
N_RUNS = 10_000
PROJECT = OUT_DIR / "lineage_project"
DB = PROJECT / "runs" / "lineage.db"
MARKER = PROJECT / "runs" / "bench.json"
TEMPLATE_RUN = ["run", "data.rows=5000", "model.num_boost_round=50", "experiment=loans"]
TARGETS = {"runs": 1.0, "show": 0.5, "diff": 0.5}
EXPERIMENTS = ["loans", "loans", "loans", "cards", "churn", "fraud", "pricing", "limits"]
STATUSES = (["succeeded"] * 90 + ["failed"] * 6 + ["rejected"] * 3 + ["interrupted"])
METRICS = {"auc": (0.78, 0.03), "logloss": (0.38, 0.03), "accuracy": (0.86, 0.02),
           "f1": (0.35, 0.08), "precision": (0.6, 0.08), "recall": (0.25, 0.06)}
SLICES = [f"grade={g}" for g in "ABCDEF"]
RUNS_PER_DATA_VERSION = 33
SWEEP_SIZE = 12
PROFILE_EVERY = 50
ALIASES = {"production": "loans", "staging": "loans", "champion-cards": "cards"}
PROMOTIONS = 25
N_CHECKS = 100
STORED = "%Y-%m-%dT%H:%M:%S.%fZ"


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for key in [k for k in env if k.startswith(("DRIFTLINE_", "HYDRA_"))]:
        env.pop(key)
    return env


# -- the store ------------------------------------------------------------------------------
def build_store(rebuild: bool) -> dict:
    """The 10,000-run store (cached); returns facts about it (sizes, ids to query)."""
    if not rebuild and DB.exists() and MARKER.exists():
        facts = json.loads(MARKER.read_text())
        if facts.get("runs") == N_RUNS:
            return facts
    if PROJECT.exists():
        shutil.rmtree(PROJECT)
    (PROJECT / "conf").mkdir(parents=True)
    # A project of its own (else commands would find the repository's conf/ above it).
    shutil.copy(BENCH_DIR.parent / "conf" / "config.yaml", PROJECT / "conf" / "config.yaml")
    start = time.perf_counter()
    time_process([DRIFTLINE, *TEMPLATE_RUN], cwd=PROJECT, env=child_env())
    real_run_s = time.perf_counter() - start
    start = time.perf_counter()
    with sqlite3.connect(DB, isolation_level=None) as conn:
        template = read_template(conn)
        facts = generate(conn, template)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    facts.update(runs=N_RUNS, real_run_s=round(real_run_s, 1),
                 generate_s=round(time.perf_counter() - start, 1),
                 size_mb=round(DB.stat().st_size / 1e6, 1))
    MARKER.write_text(json.dumps(facts, indent=1))
    return facts


def read_template(conn: sqlite3.Connection) -> dict:
    """Every row the one real run wrote, by table."""
    conn.row_factory = sqlite3.Row
    (run,) = conn.execute("SELECT * FROM runs").fetchall()
    rows = {
        "run": dict(run),
        "datasets": {r["role"]: dict(r) for r in conn.execute(
            "SELECT rd.role, d.* FROM run_datasets rd "
            "JOIN datasets d ON d.hash = rd.dataset_hash")},
        "model": dict(conn.execute("SELECT * FROM models").fetchone()),
        "profiles": [dict(r) for r in conn.execute("SELECT * FROM column_profiles")],
    }
    conn.row_factory = None
    return rows


def _hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def generate(conn: sqlite3.Connection, template: dict) -> dict:
    """Insert N_RUNS - 1 runs shaped like the template, older than it; return ids to query."""
    rng = random.Random(20261127)
    real = template["run"]
    newest = datetime.strptime(real["started_at"], STORED).replace(tzinfo=timezone.utc)
    config = json.loads(real["config_json"])
    commits = [_hex(rng, 160) for _ in range(40)]
    tables: dict[str, list[tuple]] = {name: [] for name in (
        "runs", "datasets", "run_datasets", "models", "metrics", "column_profiles")}
    seen_data: set[str] = set()
    runs: list[tuple[str, str, str, int]] = []  # (id, experiment, status, data version)
    n_new = N_RUNS - 1
    for i in range(n_new):
        run_id = _hex(rng, 128)
        started = newest - timedelta(minutes=4 * (n_new - i)) + timedelta(seconds=rng.random())
        experiment = rng.choice(EXPERIMENTS)
        status = rng.choice(STATUSES)
        version = i // RUNS_PER_DATA_VERSION
        block = i // SWEEP_SIZE
        sweep = hashlib.md5(f"sweep{block}".encode()).hexdigest() if block % 10 < 3 else None
        leaves, rate = rng.choice([15, 31, 63, 127]), rng.choice([0.03, 0.05, 0.1])
        cfg = {**config, "experiment": experiment, "seed": i,
               "model": {**config["model"], "params": {**config["model"]["params"],
                                                       "num_leaves": leaves,
                                                       "learning_rate": rate}}}
        cfg_json = json.dumps(cfg)
        overrides = [f"model.params.num_leaves={leaves}", f"model.params.learning_rate={rate}",
                     f"seed={i}"]
        error = {"failed": "target column 'default' has 1 distinct value; task=binary needs "
                           "exactly 2 (key: target)",
                 "rejected": "model check 'min_auc' failed: test/auc 0.61 < 0.65",
                 "interrupted": "process ended without finishing (killed or crashed)"}.get(status)
        took = timedelta(seconds=30 + 300 * rng.random())
        ended = None if status == "interrupted" else started + took
        tables["runs"].append((
            run_id, experiment, status, started.strftime(STORED),
            ended.strftime(STORED) if ended else None, cfg_json, json.dumps(overrides),
            hashlib.sha256(cfg_json.encode()).hexdigest(), rng.choice(commits),
            int(rng.random() < 0.1), None, real["versions_json"], "bench", 1, i,
            real["task"], real["target"], f"runs/bench/{i:05d}", sweep, None, error,
            real["summary_json"] if status == "succeeded" else None))
        roles = ("source",) if status == "failed" else ("source", "train", "valid", "test")
        for role in roles:
            data_hash = hashlib.sha256(f"data{version}/{role}".encode()).hexdigest()
            if data_hash not in seen_data:
                seen_data.add(data_hash)
                tables["datasets"].append(_dataset_row(template, role, data_hash, version,
                                                       started))
            tables["run_datasets"].append((run_id, role, data_hash))
        if status in ("succeeded", "rejected"):
            model = template["model"]
            tables["models"].append((run_id, f"runs/bench/{i:05d}/model.txt", _hex(rng, 256),
                                     model["format"], model["size_bytes"] + rng.randrange(5000),
                                     model["feature_names_json"], model["summary_json"]))
            tables["metrics"] += _metric_rows(rng, run_id)
        runs.append((run_id, experiment, status, version))
    facts = _aliases_and_checks(conn, rng, runs, newest, tables, template)
    _insert_all(conn, tables)
    return facts


def _dataset_row(template: dict, role: str, data_hash: str, version: int,
                 seen: datetime) -> tuple:
    base = template["datasets"][role]
    columns = [{**c, "hash": hashlib.sha256(f"{data_hash}{c['name']}".encode()).hexdigest()}
               for c in json.loads(base["columns_json"])]
    source = json.loads(base["source_json"])
    if role == "source":
        source = {"kind": "parquet", "path": f"data/loans_v{version:03d}.parquet"}
    return (data_hash, base["hash_scheme"], json.dumps(source), base["n_rows"], base["n_cols"],
            json.dumps(columns), seen.strftime(STORED))


def _metric_rows(rng: random.Random, run_id: str) -> list[tuple]:
    rows = []
    for split, bonus in (("train", 0.08), ("valid", 0.0), ("test", 0.0)):
        for name, (mean, sd) in METRICS.items():
            sign = -1 if name == "logloss" else 1
            rows.append((run_id, split, "", name, rng.gauss(mean + sign * bonus, sd)))
    for slice_ in SLICES:
        rows.append((run_id, "test", slice_, "auc", rng.gauss(0.75, 0.05)))
        rows.append((run_id, "test", slice_, "logloss", rng.gauss(0.4, 0.05)))
    return rows


def _aliases_and_checks(conn: sqlite3.Connection, rng: random.Random, runs: list[tuple],
                        newest: datetime, tables: dict, template: dict) -> dict:
    """Alias histories over succeeded runs, drift checks against production, profiles."""
    alias_rows, history_rows, targets = [], [], set()
    for name, experiment in ALIASES.items():
        pool = [r for r in runs if r[1] == experiment and r[2] == "succeeded"]
        chosen = sorted(rng.sample(range(len(pool)), PROMOTIONS))
        previous = None
        for k, index in enumerate(chosen):
            at = (newest - timedelta(days=PROMOTIONS - k, minutes=rng.randrange(600)))
            history_rows.append((name, pool[index][0], previous, at.strftime(STORED)))
            previous = pool[index][0]
            targets.add(previous)
        alias_rows.append((name, previous, history_rows[-1][3]))
    production = alias_rows[0][1]
    # `show` and `diff` targets: production, and the newest succeeded loans run on other data.
    prod_version = next(r[3] for r in runs if r[0] == production)
    newer = next(r for r in reversed(runs)
                 if r[1] == "loans" and r[2] == "succeeded" and r[3] != prod_version)
    targets.add(newer[0])
    with_profiles = {r[0] for i, r in enumerate(runs) if i % PROFILE_EVERY == 0
                     and r[2] in ("succeeded", "rejected")} | targets
    for run_id in with_profiles:
        tables["column_profiles"] += [(run_id, p["role"], p["column_name"], p["position"],
                                       p["dtype"], p["kind"], p["profile_json"])
                                      for p in template["profiles"]]
    names = [p["column_name"] for p in template["profiles"] if p["role"] == "train"]
    checks, results = [], []
    for k in range(N_CHECKS):
        check_id = _hex(rng, 128)
        drifted = [rng.random() < 0.15 for _ in names]
        at = newest - timedelta(hours=N_CHECKS - k)
        checks.append((check_id, production, _hex(rng, 256),
                       json.dumps({"kind": "parquet", "path": f"batches/b{k:03d}.parquet"}),
                       20000, at.strftime(STORED), int(sum(drifted) >= 3),
                       sum(drifted) / len(names), json.dumps({"alpha": 0.05, "share": 0.15}),
                       None, None))
        for pos, (column, flag) in enumerate(zip(names, drifted)):
            results.append((check_id, column, pos, "numeric", "ks", rng.random(), rng.random(),
                            rng.random(), rng.random() / 5, "wasserstein_norm", 0.05, int(flag),
                            "p_adj < 0.05 and W/std >= 0.05", "{}"))
    tables["aliases"], tables["alias_history"] = alias_rows, history_rows
    tables["drift_checks"], tables["drift_results"] = checks, results
    return {"show": production, "diff": [production, newer[0]],
            "profiled_runs": len(with_profiles)}


def _insert_all(conn: sqlite3.Connection, tables: dict[str, list[tuple]]) -> None:
    columns = {
        "alias_history": "(name, run_id, previous_run_id, at)",
    }
    conn.execute("BEGIN")
    for name, rows in tables.items():
        if not rows:
            continue
        marks = ", ".join("?" * len(rows[0]))
        conn.executemany(f"INSERT INTO {name} {columns.get(name, '')} VALUES ({marks})", rows)
    conn.execute("COMMIT")


# -- timing ---------------------------------------------------------------------------------
LIST_SQL = """
SELECT r.id, r.experiment, r.status, r.started_at, r.ended_at,
       COALESCE(t.dataset_hash, s.dataset_hash), m.sha256
FROM runs r {join}
LEFT JOIN run_datasets t ON t.run_id = r.id AND t.role = 'train'
LEFT JOIN run_datasets s ON s.run_id = r.id AND s.role = 'source'
LEFT JOIN models m ON m.run_id = r.id
{order} {limit};
SELECT mt.run_id, mt.split || '/' || mt.name, mt.value FROM metrics mt {select}
WHERE mt.slice = '' AND mt.split IN ('test') ORDER BY mt.run_id, mt.split, mt.name;
SELECT run_id, name FROM aliases ORDER BY name;"""
SELECTED = "JOIN (SELECT r.id FROM runs r {join} {order} {limit}) sel ON sel.id = mt.run_id"
SORT_JOIN = ("LEFT JOIN metrics sm ON sm.run_id = r.id AND sm.split = 'test' "
             "AND sm.slice = '' AND sm.name = 'auc'")
SHOW_SQL = """
SELECT * FROM runs WHERE id = '{id}';
SELECT rd.role, d.* FROM run_datasets rd JOIN datasets d ON d.hash = rd.dataset_hash
WHERE rd.run_id = '{id}';
SELECT * FROM models WHERE run_id = '{id}';
SELECT split, slice, name, value FROM metrics WHERE run_id = '{id}' ORDER BY split, slice, name;
SELECT name FROM aliases WHERE run_id = '{id}';"""
PROFILES_SQL = "SELECT * FROM column_profiles WHERE run_id = '{id}' AND role = 'train';"


def commands(facts: dict, with_diff: bool) -> dict[str, tuple[str, list[str]]]:
    """name -> (target group, argv)."""
    sqlite3_shell = shutil.which("sqlite3") or "sqlite3"
    show_id = facts["show"]
    a, b = facts["diff"]
    listing = LIST_SQL.format(join="", order="ORDER BY r.started_at DESC, r.id DESC", limit="",
                              select="")
    top_parts = {"join": SORT_JOIN, "limit": "LIMIT 20", "order": "ORDER BY (sm.value IS NULL), "
                 "sm.value DESC, r.started_at DESC, r.id DESC"}
    top = LIST_SQL.format(select=SELECTED.format(**top_parts), **top_parts)
    cmds = {
        "python -c pass": ("", [PYTHON, "-c", "pass"]),
        "sqlite3: runs query": ("", [sqlite3_shell, str(DB), listing]),
        "driftline runs": ("runs", [DRIFTLINE, "runs"]),
        "driftline runs --json (every metric of every run)": ("", [DRIFTLINE, "runs", "--json"]),
        "sqlite3: sorted top-20 query": ("", [sqlite3_shell, str(DB), top]),
        "driftline runs --sort test/auc --limit 20": (
            "runs", [DRIFTLINE, "runs", "--sort", "test/auc", "--limit", "20"]),
        "sqlite3: show queries": ("", [sqlite3_shell, str(DB), SHOW_SQL.format(id=show_id)]),
        f"driftline show {show_id[:12]}": ("show", [DRIFTLINE, "show", show_id[:12]]),
    }
    if with_diff:
        both = "".join(SHOW_SQL.format(id=i) + PROFILES_SQL.format(id=i) for i in (a, b))
        cmds["sqlite3: diff queries (2 runs + profiles)"] = ("", [sqlite3_shell, str(DB), both])
        cmds[f"driftline diff {a[:12]} {b[:12]}"] = ("diff", [DRIFTLINE, "diff", a[:12], b[:12]])
    return cmds


def measure(cmds: dict, reps: int) -> dict[str, list[ProcTime]]:
    env = child_env()
    for _, argv in cmds.values():  # warm-up: byte code, page cache
        time_process(argv, cwd=PROJECT, env=env)
    times: dict[str, list[ProcTime]] = {name: [] for name in cmds}
    for _ in range(reps):
        for name, (_, argv) in cmds.items():
            times[name].append(time_process(argv, cwd=PROJECT, env=env))
    return times


def check_answers(times: dict[str, list[ProcTime]]) -> None:
    """The timed commands answered what was asked (not an error that happened to be fast)."""
    listed = next(ps for n, ps in times.items() if n == "driftline runs")[-1].stdout
    if listed.count("\n") - 2 != N_RUNS:
        raise SystemExit(f"`driftline runs` listed {listed.count(chr(10)) - 2} runs, not {N_RUNS}")
    top = next(ps for n, ps in times.items() if "--sort" in n)[-1].stdout
    if top.count("\n") - 2 != 20:
        raise SystemExit("`driftline runs --sort test/auc --limit 20` did not list 20 runs")


# -- the report -------------------------------------------------------------------------------
def report(cmds: dict, times: dict[str, list[ProcTime]], facts: dict, reps: int,
           load_before: str, with_diff: bool) -> tuple[str, bool]:
    floor = median([p.wall for p in times["python -c pass"]])
    rows, ok = [], True
    for name, ps in times.items():
        group = cmds[name][0]
        wall = median([p.wall for p in ps])
        target = TARGETS.get(group)
        met = "—" if target is None else ("yes" if wall <= target else "**no**")
        ok &= met != "**no**"
        rows.append([f"`{name}`", f"{wall:.3f}", spread([p.wall for p in ps]),
                     f"{median([p.cpu for p in ps]):.3f}",
                     "—" if name.startswith("python") else f"{wall - floor:.3f}",
                     "—" if target is None else f"{target:g}", met])
    diff_note = ("`driftline diff` compares production with the newest succeeded loans run on "
                 "other data (both with profiles: data, distribution shift, model, metrics)."
                 if with_diff else "`driftline diff` was not timed: engine/cli/diff_cmd.py is "
                 "not present.")
    lines = [
        SECTION, "",
        f"Date: {today()}. Machine: {machine(('polars', 'sqlalchemy'))}; SQLite "
        f"{sqlite3.sqlite_version} (Python), shell {_shell_version()}. Load average (1/5/15 "
        f"min) before: {load_before}, after: {load_average()} (shared machine, other jobs "
        "running).",
        "",
        f"Store: {N_RUNS:,} runs ({facts['size_mb']} MB): one real `driftline run` "
        f"({facts['real_run_s']} s) as the template, then {N_RUNS - 1:,} runs like it written "
        f"with raw INSERTs in {facts['generate_s']} s (`bench/lineage.py` docstring: 8 "
        "experiments, 90/6/3/1% succeeded/failed/rejected/interrupted, sweeps, a data version "
        f"every {RUNS_PER_DATA_VERSION} runs, 30 metrics and a model per finished run, "
        f"column profiles for {facts['profiled_runs']} runs, 3 aliases x {PROMOTIONS} "
        f"promotions, {N_CHECKS} drift checks).",
        "",
        f"Method: each command {reps} times as a fresh process, round-robin, after one untimed "
        "warm-up of each (\"cold\" = new interpreter; the store is in the page cache). "
        "Baselines: `python -c pass` (interpreter start) and the `sqlite3` shell running the "
        "equivalent SQL (same statements the command issues, output to a pipe). CPU = user + "
        "system; \"minus interpreter\" subtracts the median of `python -c pass`. "
        "`driftline runs` prints all 10,000 rows; its table shows test metrics, so it reads "
        "only those (the sqlite3 baseline does the same); `--json` reads and prints all 18 "
        "overall metrics of each run (no target: shown for scale). " + diff_note,
        "",
        md_table(["command", "median wall s", "min–max s", "median CPU s",
                  "minus interpreter s", "target s", "met"], rows),
        "",
        f"All targets met: {'yes' if ok else '**no**'}.",
        "",
    ]
    return "\n".join(lines), ok


def _shell_version() -> str:
    shell = shutil.which("sqlite3")
    if shell is None:
        return "not installed"
    return time_process([shell, "--version"]).stdout.split()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="timed runs per command (>= 5)")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the store")
    parser.add_argument("--results", action="store_true", help="write bench/RESULTS.md")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reps < 5:
        parser.error("--reps must be at least 5")
    if args.build_only:
        build_store(args.rebuild)
        return 0
    # Built in a child process: children forked from a big parent report its peak RSS.
    time_process([PYTHON, __file__, "--build-only", *(["--rebuild"] if args.rebuild else [])])
    facts = json.loads(MARKER.read_text())
    with_diff = (BENCH_DIR.parent / "engine" / "cli" / "diff_cmd.py").is_file()
    cmds = commands(facts, with_diff)
    load_before = load_average()
    times = measure(cmds, args.reps)
    check_answers(times)
    text, ok = report(cmds, times, facts, args.reps, load_before, with_diff)
    return publish(SECTION, text, ok, results=args.results)


if __name__ == "__main__":
    sys.exit(main())
