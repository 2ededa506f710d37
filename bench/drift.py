"""Benchmark: driftline's drift check against a plain scipy loop and Evidently, 1M x 30.

Why: a drift check runs on every production batch, so it must cost a fraction of what
the usual tools cost (issue 3, "Speed"): >= 100x faster than Evidently's default
data-drift preset, >= 10x faster than a plain scipy loop, with peak memory <= 1.5x the
batch's in-memory size -- and with the right verdicts on the "hard case".

Data (seeded numpy; built here, written to ``bench/out/`` for the child processes):
a reference frame (700,000 rows, seed 1) and a batch (1,000,000 rows, seed 2), 30
columns each: 20 numeric (normal, lognormal, uniform, exponential, gamma, beta, and
integer-valued Poisson / uniform / binomial / geometric; one normal column with 3% nulls)
and 10 categorical strings with 5-50 levels (one with 2% nulls).  In the batch five
numeric columns are shifted by 0.1 of their standard deviation (normal, lognormal,
uniform, exponential, integer-valued) and one 12-level categorical column's shares move
to a PSI of 0.13 against the reference; the other 24 columns are drawn unchanged.

Set-up (not timed): the reference is profiled with ``driftline.engine.drift.profile.profile_frame``
and recorded as a succeeded run (no transforms, no schema) in a temp lineage store, as
``driftline run`` does.  Timed, interleaved in one process, median of ``--reps``:

* driftline: ``driftline.engine.drift.check.check_drift(..., output=False)`` on the in-memory batch
  (hashing and profiling/binning the batch, loading the baseline from the store, all
  tests, recording the results);
* scipy loop: ``scipy.stats.ks_2samp`` per numeric column and ``chi2_contingency`` on the
  2 x k table of category counts (``collections.Counter`` on both sides, inside the
  timing) per categorical column, on numpy arrays of the full reference and the batch;
* Evidently (``--evidently-python``, default ``/tmp/evvenv/bin/python``; skipped with a
  note when absent): ``Report([DataDriftPreset()]).run(current, reference)`` on pandas
  frames read from the Parquet files (reading excluded from the timing), in a child process.

Peak memory: a fresh child process runs one warm-up check on a 5,000-row slice (imports,
thread pools), loads the batch from Parquet, resets the kernel's peak-RSS mark (so the
Parquet reader's own peak does not hide the check's), then runs the full check; reported
is the peak RSS (``VmHWM``; ``ru_maxrss`` would be the same mark, but a child keeps the
parent's peak in it across fork + exec) after the check minus the RSS right after
loading, over the batch's ``estimated_size()``.

Run: ``python bench/drift.py [--reps 5] [--results bench/RESULTS.md]``.
Set up Evidently once: ``python3 -m venv /tmp/evvenv && /tmp/evvenv/bin/pip install
evidently 'pandas<3' pyarrow polars``.  ``--profile`` prints a cProfile of one check.
Exit status 1 when a target or a verdict is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from common import (BENCH_DIR, DRIFTLINE, OUT_DIR, cpu_model, md_table, today, version_of,
                    write_section)

SECTION = "## Drift check speed"
BATCH_ROWS = 1_000_000
REF_ROWS = 700_000
REF_SEED, BATCH_SEED = 1, 2
EVIDENTLY_PYTHON = "/tmp/evvenv/bin/python"
# Targets (issue 3, Speed).
TARGET_VS_EVIDENTLY = 100.0
TARGET_VS_SCIPY = 10.0
TARGET_MEMORY = 1.5
# PSI of the drifted categorical column's batch shares against its reference shares.
CATEGORICAL_PSI = 0.13
# Shift of the drifted numeric columns, in standard deviations.
SHIFT_STD = 0.1
ALPHA = 0.05
#: Undrifted batches (verdict accuracy): how many, their rows and seeds (seeds neither the
#: reference nor the hard-case batch uses).  The README's claim: "20 undrifted batches of
#: 200,000 rows flag no column at all".
UNDRIFTED_BATCHES = 20
UNDRIFTED_ROWS = 200_000
UNDRIFTED_SEED0 = 100
#: The test suite's hard case (tests/engine/drift/test_compare.py: ``hard_case``), the
#: generator behind the README's claim: reference seed 11 (1M rows), hard case seed 12.
TEST_GENERATOR = BENCH_DIR.parent / "tests" / "engine" / "drift" / "test_compare.py"
#: The figures recorded before per-split profiles and the any-column verdict (RESULTS.md,
#: bench/drift.py run 2026-11-27 03:27 UTC, 7 rounds, load 1.03 at the start), shown beside
#: the new ones: median wall / CPU seconds and the speed-ups.
BEFORE = {"date": "2026-11-27 03:27 UTC", "driftline": (0.363, 0.665), "scipy": (4.720, 4.732),
          "evidently": 146.44, "vs_scipy": 13.0, "vs_scipy_cpu": 7.1, "vs_evidently": 403,
          "memory": 0.54}


# -- data ---------------------------------------------------------------------------------
def _numeric_specs() -> dict[str, tuple[Callable[[np.random.Generator, int], np.ndarray], float]]:
    """Column -> (sampler, population std).  Integer-valued samplers return int64."""
    return {
        "normal_a": (lambda r, n: r.normal(0.0, 1.0, n), 1.0),
        "normal_b": (lambda r, n: r.normal(100.0, 15.0, n), 15.0),
        "normal_c": (lambda r, n: r.normal(-3.0, 0.5, n), 0.5),
        "normal_nulls": (lambda r, n: r.normal(50.0, 10.0, n), 10.0),
        "lognormal_a": (lambda r, n: r.lognormal(0.0, 1.0, n), math.sqrt((math.e - 1) * math.e)),
        "lognormal_b": (lambda r, n: r.lognormal(3.0, 0.5, n),
                        math.sqrt((math.exp(0.25) - 1) * math.exp(6.25))),
        "lognormal_c": (lambda r, n: r.lognormal(0.0, 1.5, n),
                        math.sqrt((math.exp(2.25) - 1) * math.exp(2.25))),
        "uniform_a": (lambda r, n: r.uniform(0.0, 1.0, n), 12 ** -0.5),
        "uniform_b": (lambda r, n: r.uniform(-5.0, 5.0, n), 10 * 12 ** -0.5),
        "uniform_c": (lambda r, n: r.uniform(0.0, 1000.0, n), 1000 * 12 ** -0.5),
        "exponential_a": (lambda r, n: r.exponential(1.0, n), 1.0),
        "exponential_b": (lambda r, n: r.exponential(3.0, n), 3.0),
        "exponential_c": (lambda r, n: r.exponential(50.0, n), 50.0),
        "gamma": (lambda r, n: r.gamma(2.0, 2.0, n), 2 * math.sqrt(2)),
        "beta": (lambda r, n: r.beta(2.0, 5.0, n), math.sqrt(10 / (49 * 8))),
        "int_poisson": (lambda r, n: r.poisson(3.0, n), math.sqrt(3.0)),
        "int_age": (lambda r, n: r.integers(18, 91, n), math.sqrt((73 ** 2 - 1) / 12)),
        "int_binomial": (lambda r, n: r.binomial(20, 0.3, n), math.sqrt(20 * 0.3 * 0.7)),
        "int_geometric": (lambda r, n: r.geometric(0.2, n), math.sqrt(0.8) / 0.2),
        "int_uniform": (lambda r, n: r.integers(0, 1000, n), math.sqrt((1000 ** 2 - 1) / 12)),
    }


#: Numeric columns shifted by SHIFT_STD in the batch (int_uniform by a whole number: 29).
SHIFTED = ("normal_a", "lognormal_a", "uniform_a", "exponential_a", "int_uniform")
#: Levels and share profile ("flat" or a Zipf exponent) of the categorical columns.
CATEGORICAL = {"cat_5": (5, "flat"), "cat_8": (8, 1.0), "cat_10_nulls": (10, "flat"),
               "cat_12": (12, 0.6), "cat_15": (15, 1.2), "cat_20": (20, "flat"),
               "cat_25": (25, 0.8), "cat_30": (30, "flat"), "cat_40": (40, 1.1),
               "cat_50": (50, "flat")}
#: The categorical column whose shares move to CATEGORICAL_PSI.
SHIFTED_CATEGORY = "cat_12"
NULL_SHARE = {"normal_nulls": 0.03, "cat_10_nulls": 0.02}
DRIFTED = (*SHIFTED, SHIFTED_CATEGORY)


def _shares(levels: int, profile: str | float) -> np.ndarray:
    if profile == "flat":
        return np.full(levels, 1.0 / levels)
    w = 1.0 / np.arange(1, levels + 1) ** float(profile)
    return w / w.sum()


def psi(p: np.ndarray, q: np.ndarray) -> float:
    """Population stability index of shares ``q`` against ``p`` (natural log)."""
    return float(np.sum((q - p) * np.log(q / p)))


def drifted_shares(p: np.ndarray, target: float = CATEGORICAL_PSI) -> np.ndarray:
    """``p`` mixed with its own reversal, ``(1 - t) p + t p[::-1]``, with ``t`` found by
    bisection so that the PSI against ``p`` equals ``target``."""
    lo, hi = 0.0, 1.0
    for _ in range(80):
        t = (lo + hi) / 2
        if psi(p, (1 - t) * p + t * p[::-1]) < target:
            lo = t
        else:
            hi = t
    t = (lo + hi) / 2
    return (1 - t) * p + t * p[::-1]


def build_frame(n: int, seed: int, drift: bool) -> pl.DataFrame:
    """The 30-column benchmark frame (see the module docstring); each column draws from
    its own child generator, so a drifted column leaves the others unchanged."""
    seeds = np.random.SeedSequence(seed).spawn(30)
    cols: dict[str, pl.Series] = {}
    for (name, (sample, std)), ss in zip(_numeric_specs().items(), seeds[:20]):
        rng = np.random.default_rng(ss)
        values = sample(rng, n)
        if drift and name in SHIFTED:
            shift = SHIFT_STD * std
            values = values + (round(shift) if values.dtype.kind == "i" else shift)
        cols[name] = pl.Series(name, values)
        if name in NULL_SHARE:
            cols[name] = cols[name].set(pl.Series(rng.random(n) < NULL_SHARE[name]), None)
    for (name, (levels, profile)), ss in zip(CATEGORICAL.items(), seeds[20:]):
        rng = np.random.default_rng(ss)
        p = _shares(levels, profile)
        if drift and name == SHIFTED_CATEGORY:
            p = drifted_shares(p)
        labels = pl.Series([f"{name}_v{i:02d}" for i in range(levels)], dtype=pl.String)
        series = labels.gather(rng.choice(levels, size=n, p=p)).alias(name)
        if name in NULL_SHARE:
            series = series.set(pl.Series(rng.random(n) < NULL_SHARE[name]), None)
        cols[name] = series
    return pl.DataFrame(list(cols.values()))


def kinds_of(frame: pl.DataFrame) -> dict[str, str]:
    return {c: ("categorical" if dt == pl.String else "numeric") for c, dt in frame.schema.items()}


# -- driftline ----------------------------------------------------------------------------
def record_baseline(store: Any, reference: pl.DataFrame, sample_rows: int | None = None) -> str:
    """Record ``reference``'s profile as a succeeded run, the way ``driftline run`` does:
    since per-split profiles, a run records one profile per split and one of all its
    development data (role ``all``, what a check compares with by default,
    ``drift.reference: all``); here the reference stands for both ``all`` and ``train``.
    ``sample_rows``: profile a seeded sample of at most that many rows, as a run does
    (``PROFILE_MAX_ROWS``); None: every row (the method of the earlier figures)."""
    from driftline.engine.drift.profile import profile_frame

    run_id = uuid.uuid4().hex
    config = {"seed": 0, "task": "binary", "target": "target", "transforms": {}, "schema": None}
    store.create_run(id=run_id, experiment="bench-drift", config=config, overrides=[],
                     config_hash="0" * 64, git={}, versions={}, host="bench", pid=os.getpid(),
                     seed=0, task="binary", target="target", run_dir=OUT_DIR)
    if sample_rows is not None:
        from driftline.engine.data.sampling import sample_frame

        reference = sample_frame(reference, sample_rows, 0)
    profiles = [p.to_dict() for p in profile_frame(reference, kinds_of(reference)).values()]
    for role in ("train", "all"):
        store.record_profiles(run_id, role, profiles)
    store.finish_run(run_id, "succeeded")
    return run_id


def driftline_check(store: Any, registry: Any, batch: pl.DataFrame, run_id: str,
                    work_dir: Path) -> Any:
    from driftline.engine.drift.check import check_drift

    return check_drift(store, registry, batch, baseline_ref=run_id, source="bench",
                       output=False, work_dir=work_dir)


@contextmanager
def stage_timers(totals: dict[str, list[float]]):
    """Wrap the stages of a check (module attributes) with accumulators of wall and
    process-CPU seconds: ``totals[label] = [wall, cpu]``."""
    import driftline.engine.lineage.datahash
    import driftline.engine.drift.check as check
    import driftline.engine.drift.compare as compare

    targets = [(check, "baseline_run", "load baseline run from store"),
               (check, "baseline_profiles", "load baseline profiles (store read + JSON)"),
               (driftline.engine.lineage.datahash, "hash_frame", "hash batch"),
               (check, "prepare_batch", "transforms + schema"),
               (check, "compare_frame", "compare_frame (total)"),
               (compare, "check_batch", "  check_batch"),
               (compare, "view_frame", "  view_frame (profile/bin batch)"),
               (compare, "_column", "  tests (per column)"),
               (compare, "_verdicts", "  verdicts (BH)"),
               (compare, "plot_distribution", "  plot data"),
               (check, "_document", "document"),
               (check, "_record", "record results in store")]
    saved = []
    for module, attr, label in targets:
        original = getattr(module, attr, None)
        if original is None:  # renamed by its owner: that stage is simply not split out
            continue
        saved.append((module, attr, original))

        def timed(*args, __f=original, __label=label, **kwargs):
            start, cpu = time.perf_counter(), time.process_time()
            try:
                return __f(*args, **kwargs)
            finally:
                acc = totals.setdefault(__label, [0.0, 0.0])
                acc[0] += time.perf_counter() - start
                acc[1] += time.process_time() - cpu
        setattr(module, attr, timed)
    try:
        yield totals
    finally:
        for module, attr, original in saved:
            setattr(module, attr, original)


# -- scipy loop ---------------------------------------------------------------------------
def numpy_columns(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """Non-null values of every column as a numpy array (strings as object arrays)."""
    return {c: frame[c].drop_nulls().to_numpy() for c in frame.columns}


def scipy_loop(ref: dict[str, np.ndarray], cur: dict[str, np.ndarray],
               kinds: dict[str, str]) -> dict[str, float]:
    """p-value per column: KS (numeric) or chi-square on the 2 x k count table.

    Categories are counted with ``collections.Counter`` (a C hash loop, ~0.07 s per million
    strings here); ``np.unique`` on the object arrays sorts Python strings and takes ~2 s
    per column and side, which would make this baseline needlessly slow."""
    from scipy import stats

    out = {}
    for name, kind in kinds.items():
        if kind == "numeric":
            out[name] = float(stats.ks_2samp(ref[name], cur[name]).pvalue)
            continue
        ref_counts, cur_counts = Counter(ref[name]), Counter(cur[name])
        levels = sorted(ref_counts.keys() | cur_counts.keys())
        table = np.array([[ref_counts[v] for v in levels], [cur_counts[v] for v in levels]])
        out[name] = float(stats.chi2_contingency(table).pvalue)
    return out


# -- Evidently (child process in its own virtualenv) -----------------------------------------
EVIDENTLY_SCRIPT = r"""
import json, sys, time
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

ref_path, cur_path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
reference, current = pd.read_parquet(ref_path), pd.read_parquet(cur_path)
numeric = [c for c in reference.columns if reference[c].dtype.kind in "fiu"]
categorical = [c for c in reference.columns if c not in numeric]
definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
walls, snapshot = [], None
for _ in range(reps):
    start = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition))
    walls.append(time.perf_counter() - start)
columns = {}
for metric in snapshot.dict()["metrics"]:
    cfg = metric["config"]
    if cfg.get("type", "").endswith("ValueDrift"):
        value, threshold, method = metric["value"], cfg["threshold"], cfg["method"]
        drifted = value < threshold if "p_value" in method else value >= threshold
        columns[cfg["column"]] = {"method": method, "value": value, "threshold": threshold,
                                  "drifted": bool(drifted)}
import evidently
print(json.dumps({"walls": walls, "columns": columns, "version": evidently.__version__,
                  "pandas": pd.__version__}))
"""


def run_evidently(python: str, ref_path: Path, cur_path: Path, reps: int) -> dict[str, Any]:
    proc = subprocess.run([python, "-c", EVIDENTLY_SCRIPT, str(ref_path), str(cur_path),
                           str(reps)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the Evidently child failed ({proc.returncode}):\n"
                           f"{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- memory (child process) -------------------------------------------------------------------
def _status_bytes(key: str) -> int:
    """``VmRSS`` (resident now) or ``VmHWM`` (peak resident) from /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def _maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_child(store_url: str, run_id: str, batch_path: str) -> dict[str, Any]:
    """Warm up on a slice, load the batch, run one check; RSS facts as JSON-able data.

    The peak is the kernel's high-water mark ``VmHWM``, reset after loading.  (``ru_maxrss``
    is the same mark, but it also keeps the maximum inherited across fork + exec -- this
    child starts with the parent's peak of several GB -- so it cannot be reset here; it is
    recorded for reference.)"""
    start = _maxrss_bytes()
    from driftline.engine.components.registry import Registry
    from driftline.engine.lineage.store import LineageStore

    registry = Registry.from_environment()
    with LineageStore.open(store_url) as store, tempfile.TemporaryDirectory() as tmp:
        warm = pl.read_parquet(batch_path, n_rows=5000)
        driftline_check(store, registry, warm, run_id, Path(tmp))
        del warm
        batch = pl.read_parquet(batch_path)
        gc.collect()
        facts = {"maxrss_start": start, "peak_loaded": _status_bytes("VmHWM"),
                 "maxrss_loaded": _maxrss_bytes(), "reset": _reset_peak()}
        facts["rss_loaded"] = _status_bytes("VmRSS")
        driftline_check(store, registry, batch, run_id, Path(tmp))
        facts.update(peak_after=_status_bytes("VmHWM"), maxrss_after=_maxrss_bytes(),
                     batch_bytes=batch.estimated_size())
        return facts


def _reset_peak() -> bool:
    """Reset the peak-RSS mark (Linux: ``5`` to /proc/self/clear_refs), so the peak after
    the check is the check's own and not the Parquet reader's; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def run_memory_child(store_url: str, run_id: str, batch_path: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--memory-child", store_url, run_id,
                           str(batch_path)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the memory child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- verdict accuracy (the `driftline drift` command) -------------------------------------------
def test_suite_generator() -> tuple[Callable[..., pl.DataFrame], set[str]] | None:
    """``hard_case(n, seed, drift)`` and its drifted columns from the test suite, or None
    when that file (or a name in it) is gone."""
    import importlib.util

    if not TEST_GENERATOR.exists():
        return None
    spec = importlib.util.spec_from_file_location("_bench_drift_test_compare", TEST_GENERATOR)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module.hard_case, set(module.DRIFTED)
    except (AttributeError, ImportError):
        return None


def cli_check(batch_path: Path, run_id: str, store_url: str, cwd: Path) -> dict[str, Any]:
    """``driftline drift BATCH --baseline RUN --store URL --no-output --json`` in a folder
    with no project (so the packaged drift settings, the default verdict rule, apply): its
    exit code, verdict and flagged columns."""
    proc = subprocess.run([DRIFTLINE, "drift", str(batch_path), "--baseline", run_id,
                           "--store", store_url, "--no-output", "--json"], cwd=cwd,
                          capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"driftline drift exited with {proc.returncode}:\n"
                           f"{(proc.stderr or proc.stdout)[-3000:]}")
    doc = json.loads(proc.stdout)
    return {"exit": proc.returncode, "drifted": bool(doc["drifted"]),
            "reference": doc.get("reference"), "reasons": list(doc.get("reasons") or []),
            "columns": sorted(c["column"] for c in doc["columns"] if c["drifted"])}


def accuracy_case(name: str, store_url: str, run_id: str, hard_path: Path,
                  expected: set[str], undrifted: Callable[[int], pl.DataFrame], n_batches: int,
                  tmp: Path) -> dict[str, Any]:
    """The hard case and ``n_batches`` undrifted batches through the command."""
    cwd = tmp / "cli"
    cwd.mkdir(exist_ok=True)
    hard = cli_check(hard_path, run_id, store_url, cwd)
    batches = []
    for i in range(n_batches):
        seed = UNDRIFTED_SEED0 + i
        path = tmp / f"undrifted_{seed}.parquet"
        undrifted(seed).write_parquet(path)
        batches.append({"seed": seed, **cli_check(path, run_id, store_url, cwd)})
        path.unlink()
        print(f"  {name}: undrifted batch {i + 1}/{n_batches} (seed {seed}): exit "
              f"{batches[-1]['exit']}, flagged {batches[-1]['columns'] or 'none'}",
              file=sys.stderr)
    return {"name": name, "expected": expected, "hard": hard, "undrifted": batches}


def case_ok(case: dict[str, Any]) -> bool:
    hard, batches = case["hard"], case["undrifted"]
    return (set(hard["columns"]) == case["expected"] and hard["exit"] == 1
            and all(b["exit"] == 0 and not b["columns"] for b in batches))


def run_accuracy(args: argparse.Namespace, store_url: str, run_id: str, batch_path: Path,
                 reference: pl.DataFrame, tmp: Path) -> list[dict[str, Any]]:
    """Verdicts of the command under the default rule on three references: the bench's
    reference profiled on every row (the method of the speed figures), the same reference
    profiled on a seeded sample of PROFILE_MAX_ROWS rows (what a run records), and the test
    suite's generator (the README's claim)."""
    from driftline.engine.lineage.store import LineageStore
    from driftline.engine.run.pipeline import PROFILE_MAX_ROWS

    n = args.undrifted
    rows = args.undrifted_rows
    cases = []
    bench_batches = lambda seed: build_frame(rows, seed, drift=False)  # noqa: E731
    cases.append(accuracy_case(f"bench frame, reference every row ({args.ref_rows:,})",
                               store_url, run_id, batch_path, set(DRIFTED), bench_batches, n,
                               tmp))
    with LineageStore.open(store_url) as store:
        sampled = record_baseline(store, reference, sample_rows=PROFILE_MAX_ROWS)
    cases.append(accuracy_case(f"bench frame, reference sampled to {PROFILE_MAX_ROWS:,} rows as "
                               f"a run records it", store_url, sampled, batch_path,
                               set(DRIFTED), bench_batches, n, tmp))
    found = test_suite_generator()
    if found is not None:
        hard_case, expected = found
        test_ref = hard_case(1_000_000, 11, drift=False)
        with LineageStore.open(store_url) as store:
            test_run = record_baseline(store, test_ref)
        del test_ref
        hard_path = tmp / "test_hard_case.parquet"
        hard_case(1_000_000, 12, drift=True).write_parquet(hard_path)
        cases.append(accuracy_case("test suite's `hard_case` (README claim), reference every "
                                   "row (1,000,000)", store_url, test_run, hard_path, expected,
                                   lambda seed: hard_case(rows, seed, drift=False), n, tmp))
    return cases


def accuracy_lines(args: argparse.Namespace, cases: list[dict[str, Any]]) -> list[str]:
    rows = []
    for case in cases:
        hard, batches = case["hard"], case["undrifted"]
        caught = set(hard["columns"]) & case["expected"]
        false = sorted(set(hard["columns"]) - case["expected"])
        flagged = sum(len(b["columns"]) for b in batches)
        rows.append([case["name"], f"{len(caught)} of {len(case['expected'])}",
                     ", ".join(false) or "0",
                     f"{'drift' if hard['drifted'] else 'no drift'}, exit {hard['exit']}",
                     flagged, sum(b["drifted"] for b in batches),
                     ", ".join(f"{k} x{v}" for k, v in sorted(
                         Counter(b["exit"] for b in batches).items())),
                     hard["reference"]])
    lines = [
        f"Verdicts of the command under the default rule (any feature column drifts, or the "
        f"model output; `drift.share` and `drift.importance_share` unset): `driftline drift "
        f"BATCH --baseline RUN --store URL --no-output --json` run as a process in a folder "
        f"without a project (so the packaged `conf/drift/default.yaml` applies; no model, so "
        f"no output check), on the hard-case batch and on {args.undrifted} undrifted batches "
        f"of {args.undrifted_rows:,} rows (seeds {UNDRIFTED_SEED0}-"
        f"{UNDRIFTED_SEED0 + args.undrifted - 1}, Parquet). Baselines: recorded runs with the "
        f"profile under `all` (what a check reads by default) and `train`.",
        "",
        md_table(["reference", "hard case: caught", "false alarms", "verdict",
                  "undrifted: columns flagged (all batches)", "batches drifted", "exit codes",
                  "profile compared"], rows, "lrrlrrll"),
        "",
    ]
    for case in cases:
        flagged = [f"seed {b['seed']}: {', '.join(b['columns'])}" for b in case["undrifted"]
                   if b["columns"]]
        if flagged:
            lines += [f"Flagged on undrifted batches ({case['name']}): {'; '.join(flagged)}.", ""]
    lines += [f"Before ({BEFORE['date']}, the bench's in-process check, reference every row): "
              f"hard case 6 of 6 caught, 0 false alarms; verdict then by the share rule "
              f"(drift.share 0.5: 6 of 30 columns gave no drift). The README's claim (test "
              f"suite's generator, `compare_frame`): 20 undrifted batches of 200,000 rows flag "
              f"no column.", ""]
    return lines


# -- the run --------------------------------------------------------------------------------
def interleaved(fns: dict[str, Callable[[], Any]], reps: int
                ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and process-CPU seconds (all threads) of each function, ``reps`` rounds, one
    call of each per round."""
    walls: dict[str, list[float]] = {name: [] for name in fns}
    cpus: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            gc.collect()
            start, cpu = time.perf_counter(), time.process_time()
            fn()
            walls[name].append(time.perf_counter() - start)
            cpus[name].append(time.process_time() - cpu)
    return walls, cpus


def median(values: list[float]) -> float:
    return float(np.median(values))


class InlineExecutor:
    """A stand-in for ThreadPoolExecutor that runs every task at once in the calling
    thread, so cProfile (which sees one thread) sees all of a check's work."""

    def __init__(self, *args: Any, **kwargs: Any):
        pass

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future

    def map(self, fn: Callable[..., Any], *iterables: Any) -> Any:
        return [fn(*args) for args in zip(*iterables)]

    def shutdown(self, wait: bool = True) -> None:
        return None


#: Functions of a check whose cumulative time the profile table shows: (label, file part,
#: function name); nested ones are indented.
PROFILED = [
    ("check_drift (serialised)", "engine/drift/check.py", "check_drift"),
    ("hash_frame", "engine/lineage/datahash.py", "hash_frame"),
    ("  sha256 update", "~", "<method 'update' of '_hashlib.HASH' objects>"),
    ("  string columns: lengths + bytes", "engine/lineage/datahash.py", "_string_values"),
    ("  float columns", "engine/lineage/datahash.py", "_float_values"),
    ("baseline_profiles (store read + JSON)", "engine/drift/check.py", "baseline_profiles"),
    ("compare_frame", "engine/drift/compare.py", "compare_frame"),
    ("  view_frame", "engine/drift/view.py", "view_frame"),
    ("    _batch_categories (10 group_by)", "engine/drift/view.py", "_batch_categories"),
    ("    _numeric_view x20", "engine/drift/view.py", "_numeric_view"),
    ("      finite_values (to_numpy)", "engine/drift/counting.py", "finite_values"),
    ("      distinct_integers (bincount)", "engine/drift/counting.py", "distinct_integers"),
    ("      moments (mean, std, min, max)", "engine/drift/counting.py", "moments"),
    ("      counter_for (grid set-up)", "engine/drift/counting.py", "counter_for"),
    ("      Counter.count", "engine/drift/counting.py", "count"),
    ("        _by_table (floats, block by block)", "engine/drift/counting.py", "_by_table"),
    ("        _weighted (integers, per value)", "engine/drift/counting.py", "_weighted"),
    ("  tests (_column x30)", "engine/drift/compare.py", "_column"),
    ("  plot_distribution x30", "engine/drift/compare.py", "plot_distribution"),
    ("_record (store write)", "engine/drift/check.py", "_record"),
]


def profile_table(stats: pstats.Stats) -> list[list[str]]:
    """Rows (label, calls, cumulative s, share of the check) for PROFILED functions."""
    found: dict[str, tuple[int, float]] = {}
    for (filename, _, func), (_, calls, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        for label, part, name in PROFILED:
            if func == name and (part == filename or filename.endswith(part)):
                n, t = found.get(label, (0, 0.0))
                found[label] = (n + calls, t + cum)
    total = found.get(PROFILED[0][0], (0, 0.0))[1] or 1.0
    return [[label, found[label][0], f"{found[label][1]:.3f}", f"{found[label][1] / total:.0%}"]
            for label, _, _ in PROFILED if label in found]


def profile_once(fn: Callable[[], Any], top: int = 30) -> tuple[str, pstats.Stats]:
    """cProfile of one call with the drift and hash thread pools run inline (the work is
    the same, serialised): the top functions by cumulative and by own time."""
    import driftline.engine.drift.check
    import driftline.engine.drift.profile
    import driftline.engine.drift.view
    import driftline.engine.lineage.datahash

    modules = [m for m in (driftline.engine.drift.check, driftline.engine.drift.profile,
                           driftline.engine.drift.view, driftline.engine.lineage.datahash)
               if hasattr(m, "ThreadPoolExecutor")]
    saved = [(m, m.ThreadPoolExecutor) for m in modules]
    for module in modules:
        module.ThreadPoolExecutor = InlineExecutor
    prof = cProfile.Profile()
    try:
        prof.enable()
        fn()
        prof.disable()
    finally:
        for module, original in saved:
            module.ThreadPoolExecutor = original
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return buf.getvalue(), stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="timed rounds (driftline, scipy)")
    parser.add_argument("--evidently-reps", type=int, default=1)
    parser.add_argument("--evidently-python", default=EVIDENTLY_PYTHON)
    parser.add_argument("--rows", type=int, default=BATCH_ROWS)
    parser.add_argument("--ref-rows", type=int, default=REF_ROWS)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one check")
    parser.add_argument("--undrifted", type=int, default=UNDRIFTED_BATCHES,
                        help="undrifted batches per reference for the verdict accuracy (0: skip)")
    parser.add_argument("--undrifted-rows", type=int, default=UNDRIFTED_ROWS)
    parser.add_argument("--memory-child", nargs=3, metavar=("STORE", "RUN", "BATCH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(memory_child(*args.memory_child)))
        return 0
    return run(args)


def run(args: argparse.Namespace) -> int:
    import scipy

    from driftline.engine.components.registry import Registry
    from driftline.engine.lineage.store import LineageStore

    load_start = os.getloadavg()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    reference = build_frame(args.ref_rows, REF_SEED, drift=False)
    batch = build_frame(args.rows, BATCH_SEED, drift=True)
    ref_path, batch_path = OUT_DIR / "drift_reference.parquet", OUT_DIR / "drift_batch.parquet"
    reference.write_parquet(ref_path)
    batch.write_parquet(batch_path)
    kinds = kinds_of(batch)
    ref_np, cur_np = numpy_columns(reference), numpy_columns(batch)
    registry = Registry.from_environment()
    facts: dict[str, Any] = {"batch_mb": batch.estimated_size() / 1e6, "load_start": load_start}
    with tempfile.TemporaryDirectory() as tmp:
        store_url = f"sqlite:///{tmp}/lineage.db"
        with LineageStore.open(store_url) as store:
            run_id = record_baseline(store, reference)
            work = Path(tmp) / "work"
            check = lambda: driftline_check(store, registry, batch, run_id, work)  # noqa: E731
            outcome = check()  # warm-up: imports, thread pools
            walls, cpus = interleaved({"driftline": check,
                                 "scipy": lambda: scipy_loop(ref_np, cur_np, kinds)}, args.reps)
            stages: dict[str, list[float]] = {}
            with stage_timers(stages):
                for _ in range(args.reps):
                    check()
            stages = {k: [v / args.reps for v in wc] for k, wc in stages.items()}
            scipy_parts = _scipy_parts(ref_np, cur_np, kinds)
            text, stats = profile_once(check)
            facts["profile"] = profile_table(stats)
            if args.profile:
                print(text)
        memory = run_memory_child(store_url, run_id, batch_path)
        pvalues = scipy_loop(ref_np, cur_np, kinds)
        del ref_np, cur_np
        gc.collect()
        facts["load_accuracy"] = os.getloadavg()
        accuracy = (run_accuracy(args, store_url, run_id, batch_path, reference, Path(tmp))
                    if args.undrifted > 0 else [])
    evidently = None
    if Path(args.evidently_python).exists():
        facts["load_evidently"] = os.getloadavg()
        evidently = run_evidently(args.evidently_python, ref_path, batch_path, args.evidently_reps)
    facts.update(load_end=os.getloadavg(), scipy_version=scipy.__version__)
    verdicts = {"driftline": set(outcome.report.drifted_columns),
                "scipy loop (p < 0.05)": {c for c, p in pvalues.items() if p < ALPHA}}
    if evidently is not None:
        verdicts["Evidently"] = {c for c, r in evidently["columns"].items() if r["drifted"]}
    section, ok = report(args, walls, cpus, stages, scipy_parts, memory, evidently, verdicts,
                         outcome, facts, accuracy)
    print(section)
    if args.results:
        write_section(SECTION, section, args.results)
    return 0 if ok else 1


def _scipy_parts(ref: dict[str, np.ndarray], cur: dict[str, np.ndarray],
                 kinds: dict[str, str]) -> dict[str, float]:
    """One more timed loop, split: the KS columns and the chi-square columns."""
    parts = {}
    for kind in ("numeric", "categorical"):
        subset = {c: k for c, k in kinds.items() if k == kind}
        start = time.perf_counter()
        scipy_loop(ref, cur, subset)
        parts[kind] = time.perf_counter() - start
    return parts


def _verdict_rows(verdicts: dict[str, set[str]]) -> list[list[str]]:
    expected = set(DRIFTED)
    rows = []
    for method, flagged in verdicts.items():
        hit, false = sorted(flagged & expected), sorted(flagged - expected)
        missed = sorted(expected - flagged)
        rows.append([method, f"{len(hit)} of {len(expected)}", len(false),
                     ", ".join(missed) or "—", ", ".join(false) or "—"])
    return rows


def report(args: argparse.Namespace, walls: dict[str, list[float]], cpus: dict[str, list[float]],
           stages: dict[str, float],
           scipy_parts: dict[str, float], memory: dict[str, Any], evidently: dict[str, Any] | None,
           verdicts: dict[str, set[str]], outcome: Any, facts: dict[str, Any],
           accuracy: list[dict[str, Any]]) -> tuple[str, bool]:
    dl, sp = median(walls["driftline"]), median(walls["scipy"])
    ev = median(evidently["walls"]) if evidently else None
    mem_ratio = (memory["peak_after"] - memory["rss_loaded"]) / memory["batch_bytes"]
    verdict_ok = verdicts["driftline"] == set(DRIFTED)
    ok = (sp / dl >= TARGET_VS_SCIPY and mem_ratio <= TARGET_MEMORY and verdict_ok
          and all(case_ok(c) for c in accuracy))
    dl_cpu, sp_cpu = median(cpus["driftline"]), median(cpus["scipy"])
    b = BEFORE
    rows = [["driftline check_drift", f"{dl:.3f}", _spread(walls["driftline"]), f"{dl_cpu:.3f}",
             "—", "—", f"{b['driftline'][0]:.3f}", f"{b['driftline'][1]:.3f}", "—"],
            ["scipy loop", f"{sp:.3f}", _spread(walls["scipy"]), f"{sp_cpu:.3f}",
             f"{sp / dl:.1f}x", f"{sp_cpu / dl_cpu:.1f}x", f"{b['scipy'][0]:.3f}",
             f"{b['scipy'][1]:.3f}", f"{b['vs_scipy']:.1f}x (CPU {b['vs_scipy_cpu']:.1f}x)"]]
    if ev is not None:
        ok = ok and ev / dl >= TARGET_VS_EVIDENTLY
        rows.append(["Evidently DataDriftPreset", f"{ev:.2f}", _spread(evidently["walls"]),
                     "", f"{ev / dl:.0f}x", "", f"{b['evidently']:.2f}", "",
                     f"{b['vs_evidently']}x"])
    load = facts["load_start"]
    lines = [
        SECTION, "",
        f"Data: batch {args.rows:,} rows x 30 columns (20 numeric: normal, lognormal, uniform, "
        f"exponential, gamma, beta, 5 integer-valued; 10 String categorical with 5-50 levels; "
        f"one column of each kind with 2-3% nulls), `estimated_size()` = "
        f"{facts['batch_mb']:.1f} MB; reference {args.ref_rows:,} rows (other seed), profiled "
        f"and recorded as a succeeded run in a temp SQLite lineage store (set-up, not timed). "
        f"The batch holds the hard case: {', '.join(SHIFTED)} shifted by {SHIFT_STD} std, "
        f"{SHIFTED_CATEGORY} (12 levels) moved to PSI {CATEGORICAL_PSI}; 24 columns unchanged.",
        "",
        f"Method: `bench/drift.py` (run {today()}); driftline and the scipy loop interleaved in "
        f"one process, median of {args.reps} rounds after one warm-up check; driftline = "
        f"`check_drift(..., output=False)` on the in-memory batch (hash, transforms/schema, "
        f"profile/bin the batch, load the baseline from the store, all tests, record the "
        f"results); scipy loop = `ks_2samp` per numeric column + `collections.Counter` counts "
        f"and `chi2_contingency` on the 2 x k table per categorical column, on numpy arrays of "
        f"the full reference and batch (conversion not timed; `np.unique` on the string arrays "
        f"would add ~2 s per column and side); CPU s = process CPU time, all threads; Evidently "
        + (f"{evidently['version']} (pandas {evidently['pandas']}) = "
           f"`Report([DataDriftPreset()]).run(current, reference)` with "
           f"a `DataDefinition` naming the numeric and categorical columns, in its own virtualenv "
           f"(pandas frames read from Parquet, reading not timed), {len(evidently['walls'])} "
           f"run(s)." if evidently else
           f"SKIPPED: no interpreter at {args.evidently_python}.")
        + " The Evidently virtualenv (never driftline's own; current Evidently needs pandas<3): "
          "`python3 -m venv /tmp/evvenv && /tmp/evvenv/bin/pip install evidently 'pandas<3' "
          "pyarrow polars`; `--evidently-python PATH` names another one.",
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} logical cores; Python "
        f"{sys.version.split()[0]}, polars {version_of('polars')}, numpy {np.__version__}, "
        f"scipy {facts['scipy_version']}; load average (1/5/15 min) {load[0]:.2f} / "
        f"{load[1]:.2f} / {load[2]:.2f} at the start, "
        + (f"{facts['load_accuracy'][0]:.2f} when the verdict checks started, "
           if "load_accuracy" in facts else "")
        + (f"{facts['load_evidently'][0]:.2f} when Evidently started, "
           if "load_evidently" in facts else "")
        + f"{facts['load_end'][0]:.2f} at the end "
        f"(the machine is shared; other jobs ran alongside).",
        "",
        md_table(["method", "median wall s", "min–max wall s", "median CPU s",
                  "driftline speed-up (wall)", "(CPU)", "before: wall s", "before: CPU s",
                  "before: speed-up"], rows),
        "",
        "Targets: " + ", ".join([
            f">= {TARGET_VS_SCIPY:.0f}x vs scipy: {_hit(sp / dl >= TARGET_VS_SCIPY)} "
            f"({sp / dl:.1f}x)",
            (f">= {TARGET_VS_EVIDENTLY:.0f}x vs Evidently: {_hit(ev / dl >= TARGET_VS_EVIDENTLY)} "
             f"({ev / dl:.0f}x)") if ev is not None else "vs Evidently: not measured",
            f"peak memory <= {TARGET_MEMORY}x batch: {_hit(mem_ratio <= TARGET_MEMORY)} "
            f"({mem_ratio:.2f}x; before {BEFORE['memory']:.2f}x)"]) + "." + (
            f" For 10x against this run's scipy loop the check would have to take <= "
            f"{sp / TARGET_VS_SCIPY:.3f} s wall (it took {dl:.3f} s) or, on CPU, <= "
            f"{sp_cpu / TARGET_VS_SCIPY:.3f} s (it used {dl_cpu:.3f} s)."
            if sp / dl < TARGET_VS_SCIPY else ""),
        "",
        f"scipy loop split (one extra run): KS on 20 numeric columns "
        f"{scipy_parts['numeric']:.2f} s, counts + chi-square on 10 categorical columns "
        f"{scipy_parts['categorical']:.2f} s.",
        "",
        f"driftline breakdown (mean of {args.reps} more rounds with the stages wrapped in "
        f"timers; nested rows indented; shares of the median check above):",
        "",
        md_table(["stage", "wall s", "CPU s", "share of wall", "share of CPU"],
                 [[k, f"{w:.3f}", f"{c:.3f}", f"{w / max(dl, 1e-9):.0%}",
                   f"{c / max(dl_cpu, 1e-9):.0%}"] for k, (w, c) in stages.items()]),
        "",
        "Where the time goes (cProfile of one check with the thread pools of `check_drift` "
        "(hashing), `view_frame` and `hash_frame` run inline, so every function is seen; "
        "serialised, so the total is "
        "about the check's CPU time; cProfile adds its own overhead):",
        "",
        md_table(["function", "calls", "cumulative s", "share"], facts["profile"], "lrrr"),
        "",
        f"Peak memory (fresh child: warm-up check on 5,000 rows, load the batch from Parquet, "
        f"{'reset the peak-RSS mark (`/proc/self/clear_refs`), ' if memory['reset'] else ''}"
        f"then the full check): RSS after loading {memory['rss_loaded'] / 1e6:.0f} MB, peak RSS "
        f"(`VmHWM`) after the check {memory['peak_after'] / 1e6:.0f} MB (peak while loading "
        f"{memory['peak_loaded'] / 1e6:.0f} MB): the check's peak is "
        f"{(memory['peak_after'] - memory['rss_loaded']) / 1e6:.0f} MB over the loaded batch = "
        f"{mem_ratio:.2f}x its `estimated_size()` ({memory['batch_bytes'] / 1e6:.0f} MB). "
        f"`ru_maxrss` is the same kernel mark but also keeps the peak inherited across fork + "
        f"exec (this child started at {memory['maxrss_start'] / 1e6:.0f} MB, the parent's "
        f"peak), so it cannot be reset; `VmHWM` is read instead.",
        "",
        f"Verdicts on the hard case (expected drifted: {', '.join(DRIFTED)}):",
        "",
        md_table(["method", "drifted caught", "false alarms", "missed", "false alarms on"],
                 _verdict_rows(verdicts), "lrrll"),
    ]
    if evidently is not None:
        ev_rows = [[c, r["method"], f"{r['value']:.4g}", r["threshold"],
                    "yes" if r["drifted"] else ""] for c, r in evidently["columns"].items()
                   if c in DRIFTED or r["drifted"]]
        lines += ["", "Evidently's scores on the drifted columns (and any it flags):", "",
                  md_table(["column", "method", "score", "threshold", "drift"], ev_rows, "lllrl")]
    dl_rows = [[c.column, c.test, f"{c.p_adjusted:.2g}", c.effect_measure,
                f"{c.effect_size:.4f}", c.threshold, "yes" if c.drifted else ""]
               for c in outcome.report.columns if c.column in DRIFTED or c.drifted]
    lines += ["", "driftline on the drifted columns (BH-adjusted p, effect size vs margin):", "",
              md_table(["column", "test", "p adj", "effect", "size", "margin", "drift"],
                       dl_rows, "lllrrrl")]
    if accuracy:
        lines += ["", *accuracy_lines(args, accuracy)]
    return "\n".join(lines).rstrip("\n") + "\n", ok


def _spread(values: list[float]) -> str:
    return f"{min(values):.3f}–{max(values):.3f}"


def _hit(ok: bool) -> str:
    return "met" if ok else "MISSED"


if __name__ == "__main__":
    sys.exit(main())
