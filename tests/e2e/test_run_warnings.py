"""Training data a run can go on with, but should not without a word: warnings printed,
recorded in the store, and listed by ``show``."""

from __future__ import annotations

import numpy as np
import polars as pl

from tests.e2e.conftest import store_rows

N = 3000


def hostile_csv(path) -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(size=N)
    pl.DataFrame({
        "x": x,
        "flat": np.full(N, 7),
        "missing": pl.Series([None] * N, dtype=pl.Float64),
        "spikes": np.where(np.arange(N) % 300 == 0, np.inf, rng.normal(size=N)),
        "account_id": rng.integers(0, 50, N),
        "score": rng.random(N),
        "grade": rng.choice(["A", "B", "Z"], N, p=[0.6, 0.397, 0.003]),
        "y": (x + rng.normal(size=N) > 0).astype(int),
    }).write_csv(path)


def test_warnings_are_printed_recorded_and_shown(cli, tmp_path):
    hostile_csv(tmp_path / "hostile.csv")
    out = cli("run", "data=csv", "data.path=hostile.csv", "target=y", "schema=none",
              "metrics.slice_by=[grade]", "metrics.slice_min_rows=25",
              "model.num_boost_round=20")
    assert out.returncode == 0, out.stdout + out.stderr
    printed = [line.strip() for line in out.stdout.splitlines() if "warning:" in line]
    expected = {"constant": "flat", "all_null": "missing", "infinite_values": "spikes",
                "id_like": "account_id", "prediction_like": "score"}
    for code, column in expected.items():
        assert any(f"'{column}'" in line for line in printed), (code, printed)
    assert any("infinite values" in line and "'spikes'" in line for line in printed)
    # grade=Z: about 0.3% of 600 test rows, far under 25; A and B are far over it
    assert any(line.startswith("warning: slice grade=Z of the test split has") and
               "metrics.slice_min_rows=25" in line for line in printed), printed

    store = tmp_path / "runs" / "lineage.db"
    rows = store_rows(store, "SELECT code, column_name, stage FROM run_warnings ORDER BY position")
    assert [(c, col) for c, col, _ in rows if c != "small_slice"] == list(expected.items())
    slices = [(col, stage) for c, col, stage in rows if c == "small_slice"]
    assert ("grade", "evaluate") in slices and all(col == "grade" for col, _ in slices)

    shown = cli("show", "latest")
    assert shown.returncode == 0, shown.stderr
    assert f"warnings ({len(rows)})" in shown.stdout
    for line in printed:
        assert line.removeprefix("warning: ") in shown.stdout
    run = cli.json("show", "latest")
    assert [w["code"] for w in run["warnings"]] == [c for c, _, _ in rows]


def test_show_lists_slice_metrics_with_their_row_counts(cli, tmp_path):
    hostile_csv(tmp_path / "hostile.csv")
    out = cli("run", "data=csv", "data.path=hostile.csv", "target=y", "schema=none",
              "exclude=[flat,missing,spikes,account_id,score]", "metrics.slice_by=[grade]",
              "model.num_boost_round=20")
    assert out.returncode == 0, out.stdout + out.stderr
    store = tmp_path / "runs" / "lineage.db"
    rows = dict(store_rows(store, "SELECT slice, value FROM metrics WHERE split = 'test' "
                                  "AND name = 'n_rows' AND slice != ''"))
    (test_rows,) = store_rows(store, "SELECT d.n_rows FROM run_datasets rd JOIN datasets d "
                                     "ON d.hash = rd.dataset_hash WHERE rd.role = 'test'")[0]
    small = store_rows(store, "SELECT message FROM run_warnings WHERE code = 'small_slice'")
    # every test row is in a scored slice or in a slice named as too small
    dropped = sum(int(m.split(" has ")[1].split(" row")[0]) for (m,) in small
                  if "of the test split" in m)
    assert sum(rows.values()) + dropped == test_rows and set(rows) >= {"grade=A", "grade=B"}
    shown = cli("show", "latest").stdout
    table = shown[shown.index("\nslices\n"):]
    line = next(line for line in table.splitlines() if line.startswith("test   grade=A"))
    assert line.split()[2] == str(int(rows["grade=A"]))
    assert "auc" in table.splitlines()[2] and "rows" in table.splitlines()[2]
    assert "warnings (0)" not in shown
    assert "feature '" not in shown  # the excluded columns earn no warning
