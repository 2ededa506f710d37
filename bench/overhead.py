"""Benchmark: the cost of ``driftline run`` over a bare LightGBM script, as whole processes.

Why: driftline adds config composition, schema validation, data hashing, a lineage store
and evaluation around the training it drives.  The target (issue 2) is a median wall-time
ratio of at most 1.15 on a 1,000,000-row x 30-feature table, with all of that ON.

What is timed (each a fresh process; pairs alternate driftline / bare, after one untimed
warm-up of each so both read the Parquet file from the page cache):

* driftline: ``driftline run`` in a project folder this script writes under ``bench/out``
  (data=parquet, a schema from ``driftline schema infer`` so validation runs, split=random
  with test 0.2 / valid 0, lightgbm with ``num_boost_round`` fixed and early stopping off,
  the default metrics, the default SQLite store);
* bare: ``bench/out/bare_lightgbm.py`` (written by this script): polars reads the Parquet,
  the same rows go to test (same seeded permutation as the random splitter), categoricals
  become integer codes of their sorted training levels and are declared categorical,
  LightGBM trains with driftline's parameters (``LGB_PARAMS``), and predicts the test part.

Before timing, one check run of each verifies that both train the same model: the bare
script's model text must equal driftline's (sha256).  Stage timings of driftline
come from each run's ``summary.timings`` (``driftline show latest --json``).

The machine this runs on is shared.  When other jobs hold the cores, LightGBM's OpenMP
threads spin at every barrier (libgomp's default wait policy), which made single runs
3-6x slower and the ratio meaningless (per-pair ratios 0.3-2.2 in one trial).  So both
processes get ``OMP_WAIT_POLICY=passive`` by default (``--omp default`` leaves it unset),
and the CPU-time ratio is reported beside the wall-time ratio.

Run: ``python bench/overhead.py [--reps 5] [--rounds 100] [--threads 0]
[--omp passive|active|default] [--results]``.
The table is built once and cached in ``bench/out/overhead_1m.parquet``.  With
``--results`` the section "## driftline run overhead (num_threads N, OMP_WAIT_POLICY P)" of
``bench/RESULTS.md`` is rewritten (one section per setting).
Exit status 1 when the median ratio exceeds the target.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from common import (DRIFTLINE, OUT_DIR, PYTHON, ProcTime, code_version, load_average,
                    machine, md_table, median, spread, time_process, today, write_section)

SECTION = "## driftline run overhead"
TARGET_RATIO = 1.15
N_ROWS = 1_000_000
SEED = 0
TEST_SIZE = 0.2
#: Extra numeric features added to the 16 loan features: 30 features in all.
N_EXTRA = 14
DATA = OUT_DIR / "overhead_1m.parquet"
PROJECT = OUT_DIR / "overhead_project"
BARE_SCRIPT = OUT_DIR / "bare_lightgbm.py"
# Problems met while preparing the benchmark, for the report.
NOTES: list[str] = []
#: The LightGBM parameters driftline passes for this config (plugins/models/lightgbm.py:
#: the model group's defaults, FIXED_PARAMS, the run seed and num_threads: 0 = all cores).
LGB_PARAMS = {
    "objective": "binary", "learning_rate": 0.1, "num_leaves": 31, "max_depth": -1,
    "min_data_in_leaf": 20, "min_sum_hessian_in_leaf": 0.001, "feature_fraction": 1.0,
    "bagging_fraction": 1.0, "bagging_freq": 0, "lambda_l1": 0.0, "lambda_l2": 0.0,
    "min_gain_to_split": 0.0, "max_bin": 255, "max_cat_to_onehot": 4, "cat_smooth": 10.0,
    "cat_l2": 10.0, "min_data_per_group": 100, "max_cat_threshold": 32,
    "deterministic": True, "force_col_wise": True, "verbosity": -1,
    "seed": SEED, "num_threads": 0,
}

BARE = '''"""Bare baseline of bench/overhead.py: read Parquet, build features, train, predict.

Written by bench/overhead.py; arguments: DATA ROUNDS PARAMS_JSON [--model-out FILE].
Prints one JSON line of phase timings (seconds).
"""
import json
import sys
import time

t0 = time.perf_counter()
import lightgbm as lgb
import numpy as np
import polars as pl

data, rounds, params = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
target, test_size, seed = "default", %(test_size)r, params["seed"]
t1 = time.perf_counter()
frame = pl.read_parquet(data)
t2 = time.perf_counter()
# Same rows as driftline's random splitter: the first round(n * test_size) rows of a
# PCG64(seed) permutation are test; each part keeps the input order.
n = frame.height
is_test = np.zeros(n, dtype=bool)
is_test[np.random.Generator(np.random.PCG64(seed)).permutation(n)[:int(n * test_size + 0.5)]] = True
train, test = frame.filter(pl.Series(~is_test)), frame.filter(pl.Series(is_test))
features = [c for c, t in frame.schema.items() if c != target and not t.is_temporal()]
categorical = [c for c in features if frame.schema[c] == pl.String]
levels = {c: sorted(train[c].drop_nulls().unique().to_list()) for c in categorical}


def matrix(part):
    return part.select(
        pl.col(c).cast(pl.Enum(levels[c])).to_physical().cast(pl.Float64) if c in levels
        else pl.col(c).cast(pl.Float64) for c in features).to_numpy()


x_train, y_train = matrix(train), train[target].to_numpy().astype(np.float64)
x_test = matrix(test)
t3 = time.perf_counter()
dataset = lgb.Dataset(x_train, y_train, feature_name=features, free_raw_data=True,
                      categorical_feature=[features.index(c) for c in categorical])
booster = lgb.train(params, dataset, num_boost_round=rounds)
t4 = time.perf_counter()
scores = booster.predict(x_test)
t5 = time.perf_counter()
if "--model-out" in sys.argv:
    with open(sys.argv[sys.argv.index("--model-out") + 1], "w") as f:
        f.write(booster.model_to_string())
print(json.dumps({"import": t1 - t0, "read": t2 - t1, "features": t3 - t2, "train": t4 - t3,
                  "predict": t5 - t4, "n_test": len(scores), "mean_score": float(scores.mean())}))
'''


# -- the data -----------------------------------------------------------------------------
def build_data(path: Path = DATA) -> None:
    """The loan table (16 features, date, target) plus 14 seeded numeric features, cached."""
    meta = path.with_suffix(".json")
    spec = {"rows": N_ROWS, "seed": SEED, "extra": N_EXTRA, "version": 1}
    if path.exists() and meta.exists() and json.loads(meta.read_text()) == spec:
        return
    import numpy as np
    import polars as pl

    from driftline.plugins.sources.synthetic import generate_loans

    frame = generate_loans(N_ROWS, SEED)
    rng = np.random.Generator(np.random.PCG64(SEED + 1))
    signal = frame["credit_score"].cast(pl.Float64).to_numpy()
    extra = {}
    for i in range(N_EXTRA):
        if i % 2 == 0:  # floats, some related to the credit score, ~2% nulls in a few
            values = rng.standard_normal(N_ROWS) + (signal - 680) / 80 * (i % 4 == 0)
            mask = rng.random(N_ROWS) < (0.02 if i % 3 == 0 else 0.0)
            extra[f"x{i:02d}"] = pl.Series(values).scatter(np.flatnonzero(mask), None)
        else:  # counts
            extra[f"x{i:02d}"] = pl.Series(rng.poisson(2 + i, N_ROWS).astype(np.int64))
    frame = frame.with_columns(**extra)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.write_parquet(tmp)
    os.replace(tmp, path)
    meta.write_text(json.dumps(spec))


# -- the two contenders ---------------------------------------------------------------------
def child_env(omp_policy: str) -> dict[str, str]:
    """The environment of both contenders: ours, plus ``OMP_WAIT_POLICY`` unless 'default'."""
    env = dict(os.environ)
    env.pop("DRIFTLINE_STORE_URL", None)
    env.pop("OMP_WAIT_POLICY", None)
    if omp_policy != "default":
        env["OMP_WAIT_POLICY"] = omp_policy
    return env


def write_project(rounds: int, threads: int) -> None:
    """A driftline project: conf/config.yaml and an inferred conf/schema/bench.yaml."""
    if PROJECT.exists():
        shutil.rmtree(PROJECT)
    (PROJECT / "conf" / "schema").mkdir(parents=True)
    (PROJECT / "conf" / "schema" / "bench.yaml").write_text(infer_schema_yaml())
    (PROJECT / "conf" / "config.yaml").write_text(f"""\
# Written by bench/overhead.py.
defaults:
  - data: parquet
  - schema: bench
  - split: random
  - model: lightgbm
  - metrics: default
  - store: default
  - _self_

experiment: overhead
seed: {SEED}
task: binary
target: default
exclude: []
num_threads: {threads}
data:
  path: {DATA}
split:
  test_size: {TEST_SIZE}
  valid_size: 0.0
model:
  num_boost_round: {rounds}
  early_stopping_rounds: null
""")
    BARE_SCRIPT.write_text(BARE % {"test_size": TEST_SIZE})


def infer_schema_yaml() -> str:
    """``driftline schema infer DATA``; if the command fails, the same engine functions
    it calls (noted in the report: the schema is the same, only the CLI lookup differs)."""
    proc = time_process([DRIFTLINE, "schema", "infer", str(DATA)], check=False)
    if proc.returncode == 0:
        return proc.stdout
    NOTES.append(f"`driftline schema infer` failed ({proc.stderr.strip()}); the schema was "
                 "inferred with `driftline.engine.data.schema_infer.infer_schema` / `render_schema_yaml`, "
                 "the functions that command calls.")
    import polars as pl

    from driftline.engine.data.schema_infer import infer_schema, render_schema_yaml

    return render_schema_yaml(infer_schema(pl.read_parquet(DATA)), source=str(DATA))


def run_driftline(env: dict[str, str]) -> tuple[ProcTime, dict]:
    proc = time_process([DRIFTLINE, "run"], cwd=PROJECT, env=env)
    shown = time_process([DRIFTLINE, "show", "latest", "--json"], cwd=PROJECT, env=env)
    return proc, json.loads(shown.stdout)


def run_bare(rounds: int, threads: int, env: dict[str, str],
             model_out: Path | None = None) -> tuple[ProcTime, dict]:
    params = {**LGB_PARAMS, "num_threads": threads}
    argv = [PYTHON, str(BARE_SCRIPT), str(DATA), str(rounds), json.dumps(params)]
    if model_out is not None:
        argv += ["--model-out", str(model_out)]
    proc = time_process(argv, env=env)
    return proc, json.loads(proc.stdout.strip().splitlines()[-1])


def check_same_model(rounds: int, threads: int, env: dict[str, str]) -> str:
    """One untimed run of each; both must write the same LightGBM model text (compared
    without the ``[num_threads: N]`` line, which driftline drops as a runtime setting)."""
    _, shown = run_driftline(env)
    model_out = OUT_DIR / "bare_model.txt"
    _, phases = run_bare(rounds, threads, env, model_out)
    ours = _model_digest(Path(shown["model"]["path"]))
    bare = _model_digest(model_out)
    if bare != ours:
        raise SystemExit(f"the bare script trains a different model: sha256 {bare[:12]} vs "
                         f"driftline {ours[:12]} (without num_threads); the comparison would "
                         "be unfair.")
    n_test = next(d["n_rows"] for d in shown["datasets"] if d["role"] == "test")
    if n_test != phases["n_test"]:
        raise SystemExit(f"test parts differ: driftline {n_test} rows, bare {phases['n_test']}")
    return ours


def _model_digest(path: Path) -> str:
    import hashlib

    lines = path.read_text().split("\n")
    kept = "\n".join(line for line in lines if not line.startswith("[num_threads: "))
    return hashlib.sha256(kept.encode()).hexdigest()


# -- the measurement --------------------------------------------------------------------------
def measure(reps: int, rounds: int, threads: int, env: dict[str, str]) -> dict:
    load_before = load_average()
    ours, bare, stages, phases, beside = [], [], [], [], []
    for i in range(reps):
        proc, shown = run_driftline(env)
        ours.append(proc)
        stages.append(shown["summary"]["timings"])
        beside.append(shown["summary"].get("background_timings") or {})
        proc, phase = run_bare(rounds, threads, env)
        bare.append(proc)
        phases.append(phase)
        print(f"  pair {i + 1}/{reps}: driftline {ours[-1].wall:.2f}s, bare {bare[-1].wall:.2f}s, "
              f"load {load_average()}", file=sys.stderr)
    return {"ours": ours, "bare": bare, "stages": stages, "phases": phases, "beside": beside,
            "load_before": load_before, "load_after": load_average()}


def section_title(threads: int, omp_policy: str) -> str:
    return f"{SECTION} (num_threads {threads}, OMP_WAIT_POLICY {omp_policy})"


#: driftline stage -> (what it does, the bare phases doing the same job).  A stage not
#: listed here (a newer driftline may add some) has no bare counterpart.
STAGE_WORK = {
    "load data": ("from the start of the read: building the components, with the read + hash beside it / read",
                  ("read",)),
    "transform and validate": ("transforms, schema validation / —", ()),
    "split": ("filter the parts / (in features)", ()),
    # Older driftline versions hashed the parts and profiled the train part in stages of
    # their own; now both run beside training (summary.background_timings).
    "profile": ("profile the train part (drift baseline) / —", ()),
    "train": ("encode + Dataset + boost + save / split + features + Dataset + boost",
              ("features", "train")),
    "evaluate": ("predict every part, metrics / predict test", ("predict",)),
    "record": ("wait for the work beside training; record it, the model and metrics / —",
               ()),
}
BARE_PHASES = ("import", "read", "features", "train", "predict")


def attribution(m: dict) -> list[list[str]]:
    """driftline's stages next to the bare phases doing the same job; the difference is
    what driftline adds (medians of each side, so the rows need not sum exactly)."""
    st = {k: median([t[k] for t in m["stages"]]) for k in m["stages"][0]}
    ph = {k: median([p[k] for p in m["phases"]]) for k in BARE_PHASES}
    ours_wall, bare_wall = median([o.wall for o in m["ours"]]), median([b.wall for b in m["bare"]])
    outside_ours = ours_wall - median([sum(t.values()) for t in m["stages"]])
    outside_bare = bare_wall - median([sum(p[k] for k in BARE_PHASES) for p in m["phases"]])
    rows = [("outside the stages: start-up, imports, Hydra, store, exit / imports, start-up, "
             "exit", outside_ours, ph["import"] + outside_bare)]
    for stage, seconds in st.items():
        what, phases = STAGE_WORK.get(stage, ("(no bare counterpart) / —", ()))
        rows.append((f"{stage}: {what}", seconds, sum(ph[p] for p in phases)))
    rows.append(("**whole process** (median wall)", ours_wall, bare_wall))
    table = [[name, f"{a:.2f}", f"{b:.2f}", f"{a - b:+.2f}"] for name, a, b in rows]
    for name in sorted({k for b in m["beside"] for k in b}):
        seconds = median([b.get(name, 0.0) for b in m["beside"]])
        table.insert(-1, [f"{name}: runs on a second thread, its time overlaps the stages "
                          f"(not added)", f"({seconds:.2f})", "", ""])
    return table


def report(m: dict, s: dict) -> str:
    ours, bare = m["ours"], m["bare"]
    ratios = [a.wall / b.wall for a, b in zip(ours, bare)]
    ratio = median([a.wall for a in ours]) / median([b.wall for b in bare])
    cpu_ratio = median([a.cpu for a in ours]) / median([b.cpu for b in bare])
    rows = [[name, f"{median([p.wall for p in ps]):.2f}", spread([p.wall for p in ps]),
             f"{median([p.cpu for p in ps]):.2f}", f"{median([p.max_rss_mb for p in ps]):.0f}"]
            for name, ps in (("driftline run", ours), ("bare script", bare))]
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    omp = ("unset (libgomp's default: spin, then sleep)" if s["omp"] == "default" else
           f"`{s['omp']}` for both processes, so waiting OpenMP threads sleep instead of "
           "spinning while other jobs hold the cores")
    return "\n".join([
        section_title(s["threads"], s["omp"]), "",
        f"Date: {today()}; driftline at {code_version()}. Machine: {machine()}. "
        f"Load average (1/5/15 min) before: "
        f"{m['load_before']}, after: {m['load_after']} — the machine is shared with other "
        "jobs, so absolute times vary; both sides alternate so load hits them alike.",
        "",
        f"Data: {N_ROWS:,} rows x 32 columns in Parquet ({s['size_mb']:.0f} MB file): the "
        f"loan table (`generate_loans`, seed {SEED}: 11 numeric + 5 string features, a date, "
        f"the target) plus {N_EXTRA} seeded numeric features = 30 features.",
        f"Method: `bench/overhead.py --threads {s['threads']} --omp {s['omp']}`; "
        f"{s['reps']} timed pairs, alternating driftline / bare, each a whole process, after "
        "one untimed check pair. driftline: `driftline run` with data=parquet, a schema "
        "inferred from the file (validation on: dtype, nullability and range checks on all "
        f"32 columns), split=random (test {TEST_SIZE}, no valid part), lightgbm with "
        f"{s['rounds']} rounds and no early stopping, `num_threads: {s['threads']}`, default "
        "metrics (6 binary metrics, on train and test), SQLite store (source, train and test "
        "hashed and recorded). Bare: polars read, same test rows, categorical codes, "
        "`lgb.train` with driftline's parameters, predict test. Both train the same model: "
        f"the two model texts are identical (sha256 {s['model_sha'][:12]}, without the "
        f"`[num_threads: N]` line driftline drops). OMP_WAIT_POLICY: {omp}. "
        "CPU = user + system of the process; RSS = peak resident memory.",
        "",
        md_table(["process", "median wall s", "min–max s", "median CPU s", "peak RSS MB"], rows),
        "",
        f"**Median ratio (driftline / bare wall time): {ratio:.3f}** — target <= "
        f"{TARGET_RATIO}: {verdict}. Per-pair ratios {', '.join(f'{r:.3f}' for r in ratios)} "
        f"(median {median(ratios):.3f}); CPU-time ratio {cpu_ratio:.3f}.",
        "",
        "Where the time goes (median seconds; driftline's stages from each run's "
        "`summary.timings`, the bare script's own phase timers):",
        "",
        md_table(["work (driftline / bare)", "driftline s", "bare s", "difference s"],
                 attribution(m)),
        "",
        *(f"Note: {n}" for n in NOTES),
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="timed pairs (>= 5)")
    parser.add_argument("--rounds", type=int, default=100, help="boosting rounds, both sides")
    parser.add_argument("--threads", type=int, default=0,
                        help="LightGBM num_threads, both sides (0 = all cores)")
    parser.add_argument("--omp", default="passive", choices=["passive", "active", "default"],
                        help="OMP_WAIT_POLICY of both processes ('default' leaves it unset)")
    parser.add_argument("--results", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    env = child_env(args.omp)
    build_data()
    write_project(args.rounds, args.threads)
    model_sha = check_same_model(args.rounds, args.threads, env)
    m = measure(args.reps, args.rounds, args.threads, env)
    raw = OUT_DIR / f"overhead_raw_t{args.threads}_{args.omp}.json"
    raw.write_text(json.dumps({k: [vars(p) if isinstance(p, ProcTime) else p for p in v]
                               if isinstance(v, list) else v for k, v in m.items()}, indent=1))
    settings = {"reps": args.reps, "rounds": args.rounds, "threads": args.threads,
                "omp": args.omp, "model_sha": model_sha, "size_mb": DATA.stat().st_size / 1e6}
    text = report(m, settings)
    print(text)
    if args.results:
        write_section(section_title(args.threads, args.omp), text)
    ratio = median([a.wall for a in m["ours"]]) / median([b.wall for b in m["bare"]])
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
