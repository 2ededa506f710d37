"""Several processes (a sweep) writing to one new SQLite store at once lose nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from driftline.engine.lineage.store import SCHEMA_VERSION

N_WORKERS = 4
RUNS_EACH = 25
SHARED_HASHES = 5  # every worker records the same few train datasets: dedup under contention

WORKER = """
import os, socket, sys, uuid
from driftline.engine.lineage.store import LineageStore

url, worker = sys.argv[1], int(sys.argv[2])
with LineageStore.open(url) as store:  # all workers race to create the store
    for i in range({runs}):
        run_id = uuid.uuid4().hex
        store.create_run(
            id=run_id, experiment=f"sweep", config={{"worker": worker, "i": i}},
            overrides=[f"seed={{i}}"], config_hash="0" * 64,
            git={{"commit": None, "dirty": None, "diff_hash": None}}, versions={{}},
            host=socket.gethostname(), pid=os.getpid(), seed=i, task="binary",
            target="y", run_dir="runs/" + run_id, sweep_id="sweep-1")
        for role, h in (("train", str(i % {shared}) * 64), ("test", run_id * 2)):
            store.record_dataset(run_id, role, hash=h, hash_scheme="dl1", source={{}},
                                 n_rows=10, n_cols=2, columns=[])
        store.record_metrics(run_id, [(s, "", m, 0.5) for s in ("train", "test")
                                      for m in ("auc", "logloss", "f1")])
        store.finish_run(run_id, "succeeded")
"""


def test_four_processes_write_100_runs_to_one_store(tmp_path: Path):
    db = tmp_path / "runs" / "lineage.db"
    url = f"sqlite:///{db}"
    script = WORKER.format(runs=RUNS_EACH, shared=SHARED_HASHES)
    workers = [
        subprocess.Popen([sys.executable, "-c", script, url, str(w)], stderr=subprocess.PIPE,
                         text=True)
        for w in range(N_WORKERS)
    ]
    errors = [w.communicate(timeout=120)[1] for w in workers]
    assert [w.returncode for w in workers] == [0] * N_WORKERS, errors

    conn = sqlite3.connect(db)
    try:
        def one(sql: str):
            return conn.execute(sql).fetchone()[0]

        total = N_WORKERS * RUNS_EACH
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert one("SELECT COUNT(*) FROM runs WHERE status = 'succeeded'") == total
        assert one("SELECT COUNT(DISTINCT id) FROM runs") == total
        assert one("SELECT COUNT(*) FROM run_datasets") == 2 * total
        assert one("SELECT COUNT(*) FROM datasets") == SHARED_HASHES + total
        assert one("SELECT COUNT(*) FROM metrics") == 6 * total
        assert one("SELECT value FROM meta WHERE key = 'schema_version'") == str(SCHEMA_VERSION)
    finally:
        conn.close()
