"""driftline.engine.lineage.diff: the diff of two runs, on hand-built run dicts (as ``get_run`` returns).

Statistics are checked against independent computations: the numpy/scipy functions of
``driftline.engine.drift.stats`` and scipy, numeric integration, and counts taken on raw values.
"""

from __future__ import annotations

import copy
import math
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from driftline.engine.drift import stats
from driftline.engine.drift.profile import OTHER as PROFILE_OTHER
from driftline.engine.drift.profile import profile_frame
from driftline.engine.lineage.diff import diff_runs, needs_profiles
from driftline.engine.lineage.diff.data import diff_columns
from driftline.engine.lineage.diff.values import diff_keyed, flatten
from driftline.engine.lineage.diff.shift import (
    OTHER,
    PSI_FLOOR,
    cdf_at,
    cdf_grid,
    column_shift,
    jensen_shannon,
    grid_wasserstein,
    psi,
)

H = {c: c * 64 for c in "0123456789abcdef"}  # distinct fake sha256 hex digests


def _columns(**hashes: str) -> list[dict]:
    return [{"name": n, "dtype": "Int64", "hash": h} for n, h in hashes.items()]


def _dataset(role: str, hash_: str, columns: list[dict], n_rows: int = 100) -> dict:
    return {"role": role, "hash": hash_, "hash_scheme": "dl-sha256-v1", "n_rows": n_rows,
            "n_cols": len(columns), "columns": columns, "source": {"kind": "csv"}}


def make_run(run_id: str = "a" * 32, **changes) -> dict:
    """A complete run as LineageStore.get_run returns it."""
    run = {
        "id": run_id, "experiment": "loans", "status": "succeeded",
        "started_at": "2026-01-01T00:00:00.000000Z", "ended_at": None, "error": None,
        "config": {"model": {"kind": "lightgbm", "params": {"num_leaves": 31, "lr": 0.1}},
                   "transforms": {}, "seed": 7, "metrics": {"slice_by": ["grade"]}},
        "overrides": ["model.params.lr=0.1"], "config_hash": "c" * 64,
        "git": {"commit": "1" * 40, "dirty": False, "diff_hash": None},
        "versions": {"python": "3.11.7", "lightgbm": "4.7.0", "plugins": {"driftline": "0.1.0"}},
        "host": "h", "pid": 1, "seed": 7, "task": "binary", "target": "default",
        "run_dir": "runs/x", "sweep_id": None, "parent_run_id": None, "summary": {},
        "datasets": [
            _dataset("source", H["0"], _columns(age=H["1"], score=H["2"], default=H["3"])),
            _dataset("train", H["4"], _columns(age=H["5"], score=H["6"], default=H["7"]), 70),
            _dataset("test", H["8"], _columns(age=H["9"], score=H["a"], default=H["b"]), 30),
        ],
        "model": {"hash": H["c"], "path": "runs/x/model.txt", "format": "lightgbm-text",
                  "size_bytes": 1000, "feature_names": ["age", "score"],
                  "summary": {"n_trees": 10, "best_iteration": 10,
                              "feature_importance": {"age": 30.0, "score": 70.0}}},
        "metrics": [
            {"split": "test", "slice": "", "name": "auc", "value": 0.8},
            {"split": "test", "slice": "", "name": "logloss", "value": 0.4},
            {"split": "test", "slice": "", "name": "zero", "value": 0.0},
            {"split": "test", "slice": "", "name": "undefined", "value": math.nan},
            {"split": "test", "slice": "grade=A", "name": "auc", "value": 0.7},
            {"split": "train", "slice": "", "name": "auc", "value": 0.9},
        ],
        "aliases": [], "has_profiles": True,
    }
    run.update(changes)
    return run


def other(**changes) -> dict:
    return make_run("b" * 32, **changes)


EMPTY_KEYED = {"added": {}, "removed": {}, "changed": {}}


# -- the whole diff ------------------------------------------------------------------------
def test_identical_runs_have_only_empty_sections():
    d = diff_runs(make_run(), other())
    assert d["identical"] is True and d["changed"] == [] and d["same_run"] is False
    assert d["config"] == EMPTY_KEYED and d["packages"] == EMPTY_KEYED
    assert d["overrides"] == {} and d["code"] == {} and d["model"] == {}
    assert d["data"] == {"source": {"status": "same", "hash": H["0"]},
                         "train": {"status": "same", "hash": H["4"]},
                         "test": {"status": "same", "hash": H["8"]}}
    assert d["shift"] == {"status": "same_data", "note": "identical training data",
                          "columns": {}, "added": [], "removed": []}
    assert d["metrics"] == {"overall": {}, "added": [], "removed": [], "slices": {}}
    assert "checks" not in d
    assert d["a"] == {"id": "a" * 32, "experiment": "loans", "status": "succeeded",
                      "started_at": "2026-01-01T00:00:00.000000Z", "error": None}


def test_a_run_against_itself_is_the_same_run_and_identical():
    run = make_run()
    d = diff_runs(run, copy.deepcopy(run))
    assert d["same_run"] is True and d["identical"] is True and d["changed"] == []


def test_sections_that_differ_are_listed_in_order():
    b = other(config_hash="d" * 64, overrides=["model.params.lr=0.2"],
              git={"commit": "2" * 40, "dirty": True, "diff_hash": "f" * 64})
    b["config"]["model"]["params"]["lr"] = 0.2
    b["versions"]["lightgbm"] = "4.8.0"
    b["model"] = dict(b["model"], hash=H["d"])
    b["metrics"][0] = dict(b["metrics"][0], value=0.85)
    d = diff_runs(make_run(), b)
    assert d["changed"] == ["config", "overrides", "code", "packages", "model", "metrics"]
    assert d["identical"] is False
    assert d["config"] == {"added": {}, "removed": {},
                           "changed": {"model.params.lr": {"a": 0.1, "b": 0.2}}}
    assert d["overrides"] == {"a": ["model.params.lr=0.1"], "b": ["model.params.lr=0.2"],
                              "added": ["model.params.lr=0.2"],
                              "removed": ["model.params.lr=0.1"]}
    assert d["code"] == {"commit": {"a": "1" * 40, "b": "2" * 40},
                         "dirty": {"a": False, "b": True}, "diff_hash": {"a": None, "b": "f" * 64}}
    assert d["packages"] == {"added": {}, "removed": {},
                             "changed": {"lightgbm": {"a": "4.7.0", "b": "4.8.0"}}}
    assert d["model"] == {"hash": {"a": H["c"], "b": H["d"]}}


# -- config and packages -------------------------------------------------------------------
def test_flatten_uses_dotted_keys_and_keeps_lists_and_empty_dicts_as_leaves():
    tree = {"a": {"b": {"c": 1}, "d": [1, {"x": 2}]}, "e": {}, "f": None}
    assert flatten(tree) == {"a.b.c": 1, "a.d": [1, {"x": 2}], "e": {}, "f": None}


def test_config_keys_added_removed_and_changed():
    b = other()
    b["config"]["model"]["params"]["num_leaves"] = 15
    del b["config"]["model"]["params"]["lr"]
    b["config"]["model"]["params"]["max_depth"] = 6
    b["config"]["metrics"]["slice_by"] = ["grade", "region"]
    b["config"]["transforms"] = {"log": {"kind": "log", "columns": ["income"]}}
    d = diff_runs(make_run(), b)
    # An empty dict that grew keys is reported as the keys, not as a removed {}.
    assert d["config"] == {
        "added": {"model.params.max_depth": 6, "transforms.log.columns": ["income"],
                  "transforms.log.kind": "log"},
        "removed": {"model.params.lr": 0.1},
        "changed": {"metrics.slice_by": {"a": ["grade"], "b": ["grade", "region"]},
                    "model.params.num_leaves": {"a": 31, "b": 15}},
    }


def test_a_dict_emptied_or_a_type_change_is_reported():
    assert diff_keyed({"t.x": 1}, {"t": {}}) == {"added": {}, "removed": {"t.x": 1},
                                                 "changed": {}}
    assert diff_keyed({"t": {}}, {"u": {}}) == {"added": {"u": {}}, "removed": {"t": {}},
                                                "changed": {}}
    # YAML true and 1 are different values; NaN equals NaN.
    assert diff_keyed({"k": True, "n": math.nan}, {"k": 1, "n": math.nan})["changed"] == {
        "k": {"a": True, "b": 1}}


def test_overrides_reordered_only():
    d = diff_runs(make_run(overrides=["x=1", "y=2"]), other(overrides=["y=2", "x=1"]))
    assert d["overrides"] == {"a": ["x=1", "y=2"], "b": ["y=2", "x=1"], "added": [],
                              "removed": []}
    assert d["changed"] == ["overrides"]


def test_plugin_versions_are_dotted_package_names():
    b = other(versions={"python": "3.11.7", "plugins": {"driftline": "0.2.0", "acme": "1.0"}})
    assert diff_runs(make_run(), b)["packages"] == {
        "added": {"plugins.acme": "1.0"}, "removed": {"lightgbm": "4.7.0"},
        "changed": {"plugins.driftline": {"a": "0.1.0", "b": "0.2.0"}}}


# -- data ----------------------------------------------------------------------------------
def test_one_changed_column_in_source_and_train():
    b = other()
    b["datasets"] = copy.deepcopy(b["datasets"])
    b["datasets"][0].update(hash=H["d"], columns=_columns(age=H["1"], score=H["e"],
                                                         default=H["3"]))
    b["datasets"][1].update(hash=H["f"], columns=_columns(age=H["5"], score=H["0"],
                                                         default=H["7"]))
    d = diff_runs(make_run(), b, {}, {})
    assert d["data"] == {
        "source": {"status": "changed", "hash": {"a": H["0"], "b": H["d"]},
                   "columns_changed": ["score"]},
        "train": {"status": "changed", "hash": {"a": H["4"], "b": H["f"]},
                  "columns_changed": ["score"]},
        "test": {"status": "same", "hash": H["8"]},
    }
    assert "data" in d["changed"]


def test_schema_changes_rows_and_roles():
    a = make_run()
    b = other()
    b["datasets"] = [
        _dataset("source", H["d"], [
            {"name": "years", "dtype": "Int64", "hash": H["1"]},     # age renamed
            {"name": "score", "dtype": "Float64", "hash": H["e"]},   # dtype change
            {"name": "default", "dtype": "Int64", "hash": H["3"]},
            {"name": "region", "dtype": "String", "hash": H["f"]},   # new
        ], n_rows=120),
        _dataset("valid", H["9"], _columns(age=H["9"]), 10),
    ]
    d = diff_runs(a, b, {}, {})
    assert d["data"] == {
        "source": {"status": "changed", "hash": {"a": H["0"], "b": H["d"]},
                   "rows": {"a": 100, "b": 120}, "columns_changed": ["score"],
                   "columns_added": ["region"], "columns_renamed": {"age": "years"},
                   "dtypes_changed": {"score": {"a": "Int64", "b": "Float64"}}},
        "train": {"status": "removed", "hash": H["4"], "rows": 70},
        "valid": {"status": "added", "hash": H["9"], "rows": 10},
        "test": {"status": "removed", "hash": H["8"], "rows": 30},
    }


def test_column_order_and_removed_columns():
    a = _columns(x=H["1"], y=H["2"], z=H["3"])
    b = _columns(y=H["2"], x=H["1"])
    assert diff_columns(a, b) == {"columns_removed": ["z"], "column_order_changed": True}


def test_a_different_hash_scheme_does_not_compare_column_hashes():
    a = _dataset("source", H["0"], _columns(x=H["1"]))
    b = dict(_dataset("source", H["0"], _columns(x=H["2"])), hash_scheme="dl-sha256-v2")
    d = diff_runs(make_run(datasets=[a]), other(datasets=[b]), {}, {})
    assert d["data"]["source"] == {
        "status": "changed", "hash": {"a": H["0"], "b": H["0"]},
        "hash_scheme": {"a": "dl-sha256-v1", "b": "dl-sha256-v2"}}


# -- training-data shift -------------------------------------------------------------------
def _profiles(frame: pl.DataFrame, seed: int = 0) -> dict[str, dict]:
    return {name: p.to_dict() for name, p in profile_frame(frame, seed=seed).items()}


def _with_train(run: dict, hash_: str) -> dict:
    run = copy.deepcopy(run)
    run["datasets"][1]["hash"] = hash_
    return run


def test_needs_profiles_only_when_training_data_may_differ():
    a = make_run()
    assert not needs_profiles(a, other())
    assert not needs_profiles(a, a)
    assert needs_profiles(a, _with_train(other(), H["f"]))
    assert needs_profiles(make_run(datasets=[]), other(datasets=[]))


def test_shift_without_profiles_says_so():
    b = _with_train(other(), H["f"])
    d = diff_runs(make_run(), b, {}, {"x": {}})
    assert d["shift"] == {"status": "unavailable", "columns": {}, "added": [], "removed": [],
                          "note": "no training-data profiles recorded for run aaaaaaaaaaaa"}
    d = diff_runs(make_run(), b, None, None)
    assert d["shift"]["note"] == ("no training-data profiles recorded for run aaaaaaaaaaaa "
                                  "and bbbbbbbbbbbb")


def test_shift_lists_only_columns_whose_profile_changed_largest_first():
    rng = np.random.default_rng(1)
    n = 4000
    base = {"same": rng.normal(0, 1, n), "small": rng.normal(0, 1, n),
            "big": rng.normal(0, 1, n),
            "cat": rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2])}
    moved = dict(base, small=base["small"] + 0.1, big=base["big"] + 1.0,
                 cat=rng.choice(["x", "y", "w"], n, p=[0.2, 0.3, 0.5]))
    pa = _profiles(pl.DataFrame(base))
    pb = _profiles(pl.DataFrame(moved).drop("same").with_columns(new=pl.lit(1.0)))
    pb = {"same": pa["same"], **pb}
    d = diff_runs(make_run(), _with_train(other(), H["f"]), pa, pb)
    shift = d["shift"]
    assert shift["status"] == "compared" and shift["note"] is None
    assert list(shift["columns"]) == ["cat", "big", "small"]  # by PSI, largest first
    assert shift["added"] == ["new"] and shift["removed"] == []
    assert shift["columns"]["cat"]["categories_added"] == ["w"]
    assert shift["columns"]["cat"]["categories_removed"] == ["z"]
    assert set(shift["definitions"]) == {"psi", "wasserstein", "wasserstein_norm",
                                         "jensen_shannon"}
    assert "shift" in d["changed"]


def test_a_different_sample_alone_is_no_shift():
    frame = pl.DataFrame({"x": np.arange(3000, dtype=np.float64) % 97})
    pa, pb = _profiles(frame, seed=1), _profiles(frame, seed=2)
    assert pa["x"]["sample"] != pb["x"]["sample"]
    shift = diff_runs(make_run(), _with_train(other(), H["f"]), pa, pb)["shift"]
    assert shift["columns"] == {} and shift["status"] == "compared"


def test_numeric_shift_matches_raw_value_statistics():
    rng = np.random.default_rng(7)
    xa, xb = rng.normal(10, 2, 20000), rng.normal(11, 2.5, 15000)
    xb[:300] = np.nan
    pa = _profiles(pl.DataFrame({"v": xa}))["v"]
    pb = _profiles(pl.DataFrame({"v": xb}))["v"]
    s = column_shift(pa, pb)
    assert s["kind"] == "numeric" and s["rows"] == {"a": 20000, "b": 15000}
    assert s["null_rate"] == {"a": 0.0, "b": 300 / 15000}
    finite_b = xb[np.isfinite(xb)]
    assert s["mean"]["b"] == pytest.approx(finite_b.mean(), rel=1e-12)
    assert s["std"]["a"] == pytest.approx(xa.std(ddof=1), rel=1e-12)
    # Wasserstein from the quantile grids vs scipy on every value.
    exact = wasserstein_distance(xa, finite_b)
    assert s["wasserstein"] == pytest.approx(exact, abs=0.01 * xa.std(ddof=1))
    assert s["wasserstein_norm"] == pytest.approx(s["wasserstein"] / xa.std(ddof=1))
    # PSI on A's decile bins vs the PSI of the true counts of B's values in those bins.
    edges = np.asarray(pa["psi_edges"])
    true_counts = np.histogram(finite_b, bins=edges)[0]  # edges are never hit exactly
    assert s["psi"] == pytest.approx(stats.psi(pa["psi_counts"], true_counts), rel=0.02)


def test_numeric_psi_is_exact_on_a_discrete_column():
    rng = np.random.default_rng(3)
    xa, xb = rng.integers(0, 20, 5000), rng.integers(3, 25, 7000)
    pa = _profiles(pl.DataFrame({"v": xa}))["v"]
    pb = _profiles(pl.DataFrame({"v": xb}))["v"]
    edges = pa["psi_edges"]
    # Bins are right-closed: (e[i-1], e[i]].
    true_counts = [int(((xb > lo) & (xb <= hi)).sum()) for lo, hi in zip(edges, edges[1:])]
    expected = stats.psi(pa["psi_counts"], true_counts)
    assert column_shift(pa, pb)["psi"] == pytest.approx(expected, rel=1e-12)


def test_categorical_shift_matches_scipy():
    pa = {"name": "c", "dtype": "String", "kind": "categorical", "count": 110, "nulls": 10,
          "categories": {"x": 50, "y": 30, "z": 20}}
    pb = {"name": "c", "dtype": "String", "kind": "categorical", "count": 100, "nulls": 0,
          "categories": {"x": 40, "y": 30, "w": 25, OTHER: 5}}
    s = column_shift(pa, pb)
    ref, cur = [50, 30, 20, 0, 0], [40, 30, 0, 25, 5]  # x y z w other
    assert s["psi"] == pytest.approx(stats.psi(ref, cur), rel=1e-12)
    assert s["jensen_shannon"] == pytest.approx(jensenshannon(ref, cur, base=2), rel=1e-9)
    assert s["categories_added"] == ["w"] and s["categories_removed"] == ["z"]
    assert s["null_rate"] == {"a": 10 / 110, "b": 0.0}


def test_a_kind_change_is_reported_without_statistics():
    pa = {"name": "c", "kind": "numeric", "count": 10, "nulls": 0, "dtype": "Int64"}
    pb = {"name": "c", "kind": "categorical", "count": 10, "nulls": 5, "dtype": "String",
          "categories": {"a": 5}}
    assert column_shift(pa, pb) == {
        "kind": "categorical", "rows": {"a": 10, "b": 10}, "null_rate": {"a": 0.0, "b": 0.5},
        "kind_changed": {"a": "numeric", "b": "categorical"}}


def test_statistics_of_an_all_null_column_are_none():
    empty = {"name": "v", "kind": "numeric", "count": 5, "nulls": 5, "dtype": "Float64",
             "mean": None, "std": None}
    full = _profiles(pl.DataFrame({"v": [1.0, 2.0, 3.0, 4.0, 5.0]}))["v"]
    for a, b in ((empty, full), (full, empty)):
        s = column_shift(a, b)
        assert s["psi"] is None and s["wasserstein"] is None and s["wasserstein_norm"] is None


def test_psi_and_js_agree_with_the_drift_statistics():
    assert PSI_FLOOR == stats.PSI_FLOOR and OTHER == PROFILE_OTHER
    cases = [([10, 20, 30], [30, 20, 10]), ([5, 0, 5], [1, 8, 1]), ([1, 2], [1, 2]),
             ([0, 0, 7], [3, 0, 4])]
    for ref, cur in cases:
        assert psi(ref, cur) == pytest.approx(stats.psi(ref, cur), rel=1e-12, abs=1e-15)
        assert jensen_shannon(ref, cur) == pytest.approx(
            jensenshannon(ref, cur, base=2), rel=1e-9, abs=1e-12)


def _grid_profile(points, le, lt, n):
    return {"kind": "numeric", "count": n, "nulls": 0, "quantiles": list(points),
            "cdf_le": list(le), "cdf_lt": list(lt)}


def test_grid_wasserstein_of_a_translate_is_the_shift():
    a = _grid_profile([0.0, 1.0, 1.0, 3.0, 7.0], [1, 5, 5, 9, 10], [0, 4, 4, 8, 9], 10)
    b = dict(a, quantiles=[x + 0.75 for x in a["quantiles"]])
    assert grid_wasserstein(a, b) == pytest.approx(0.75, rel=1e-12)
    assert grid_wasserstein(b, a) == pytest.approx(0.75, rel=1e-12)
    assert grid_wasserstein(a, a) == 0.0


def test_grid_wasserstein_by_hand_with_crossing_cdfs():
    # A: uniform mass on [0, 2] (F linear 0 -> 1); B: half its mass at 0.5, half at 1.5.
    a = _grid_profile([0.0, 2.0], [0, 4], [0, 4], 4)
    b = _grid_profile([0.5, 1.5], [2, 4], [0, 2], 4)
    # |F_a - F_b|: on [0, .5] x/2 -> .25; [.5, 1.5] |x/2 - .5| (two triangles); [1.5, 2]
    # |x/2 - 1|: areas 1/16 + 2 * 1/16 + 1/16.
    assert grid_wasserstein(a, b) == pytest.approx(0.25, rel=1e-12)


def test_grid_wasserstein_is_exact_on_a_discrete_column():
    rng = np.random.default_rng(5)
    xa, xb = rng.integers(0, 20, 6000), rng.integers(2, 25, 9000)
    pa = _profiles(pl.DataFrame({"v": xa}))["v"]
    pb = _profiles(pl.DataFrame({"v": xb}))["v"]
    assert grid_wasserstein(pa, pb) == pytest.approx(wasserstein_distance(xa, xb), rel=1e-9)


def test_cdf_at_is_exact_at_grid_points_and_linear_between():
    prof = {"quantiles": [0.0, 1.0, 1.0, 4.0], "cdf_le": [2, 6, 6, 10],
            "cdf_lt": [0, 2, 2, 9], "count": 12, "nulls": 2}
    grid = cdf_grid(prof)
    assert grid == ([0.0, 1.0, 4.0], [0.0, 0.2, 0.9], [0.2, 0.6, 1.0])
    assert [cdf_at(grid, x) for x in (-1.0, 0.0, 1.0, 4.0, 9.0)] == [
        (0.0, 0.0), (0.0, 0.2), (0.2, 0.6), (0.9, 1.0), (1.0, 1.0)]
    # Between 1 (6 of 10 values <= 1) and 4 (9 of 10 < 4): linear.
    assert cdf_at(grid, 2.5) == pytest.approx((0.75, 0.75))
    assert cdf_at(grid, 0.5) == pytest.approx((0.2, 0.2))
    assert cdf_grid(dict(prof, nulls=12)) == ([], [], [])


# -- model ---------------------------------------------------------------------------------
def test_model_fields_features_and_importance_changes():
    b = other()
    b["model"] = {"hash": H["d"], "path": "runs/y/model.txt", "format": "lightgbm-text",
                  "size_bytes": 1500, "feature_names": ["score", "region"],
                  "summary": {"n_trees": 12, "best_iteration": 10,
                              "feature_importance": {"score": 60.0, "region": 20.0}}}
    d = diff_runs(make_run(), b)
    assert d["model"] == {
        "hash": {"a": H["c"], "b": H["d"]}, "size_bytes": {"a": 1000, "b": 1500},
        "n_trees": {"a": 10, "b": 12},
        "features_added": ["region"], "features_removed": ["age"],
        "importance": [
            # share change: age 0.3 -> 0, region 0 -> 0.25, score 0.7 -> 0.75
            {"feature": "age", "a": 30.0, "b": None, "delta": -30.0, "share_a": 0.3,
             "share_b": 0.0},
            {"feature": "region", "a": None, "b": 20.0, "delta": 20.0, "share_a": 0.0,
             "share_b": 0.25},
            {"feature": "score", "a": 70.0, "b": 60.0, "delta": -10.0, "share_a": 0.7,
             "share_b": 0.75},
        ],
    }


def test_a_run_without_model():
    d = diff_runs(make_run(), other(model=None, status="failed", error="boom"))
    assert d["model"] == {"hash": {"a": H["c"], "b": None}, "format": {"a": "lightgbm-text",
                                                                       "b": None},
                          "size_bytes": {"a": 1000, "b": None}, "n_trees": {"a": 10, "b": None},
                          "best_iteration": {"a": 10, "b": None}}
    assert d["b"]["status"] == "failed" and d["b"]["error"] == "boom"
    assert diff_runs(make_run(model=None), other(model=None))["model"] == {}


# -- metrics -------------------------------------------------------------------------------
def test_metric_changes_overall_slices_added_and_removed():
    b = other()
    b["metrics"] = [
        {"split": "test", "slice": "", "name": "auc", "value": 0.9},        # 0.8 -> 0.9
        {"split": "test", "slice": "", "name": "logloss", "value": 0.4},    # same
        {"split": "test", "slice": "", "name": "zero", "value": 0.5},       # 0 -> 0.5
        {"split": "test", "slice": "", "name": "undefined", "value": math.nan},  # NaN = NaN
        {"split": "test", "slice": "grade=A", "name": "auc", "value": 0.6},
        {"split": "train", "slice": "", "name": "auc", "value": math.nan},  # 0.9 -> NaN
        {"split": "valid", "slice": "", "name": "auc", "value": 0.7},       # new
    ]
    m = diff_runs(make_run(), b)["metrics"]
    assert m["overall"]["test"]["auc"] == {"a": 0.8, "b": 0.9, "delta": pytest.approx(0.1),
                                           "rel_delta": pytest.approx(0.125)}
    assert m["overall"] == {
        "test": {"auc": m["overall"]["test"]["auc"],
                 "zero": {"a": 0.0, "b": 0.5, "delta": 0.5, "rel_delta": None}},
        "train": {"auc": {"a": 0.9, "b": m["overall"]["train"]["auc"]["b"], "delta": None,
                          "rel_delta": None}},
    }
    assert math.isnan(m["overall"]["train"]["auc"]["b"])
    assert m["slices"] == {"test": {"grade=A": {"auc": {
        "a": 0.7, "b": 0.6, "delta": pytest.approx(-0.1), "rel_delta": pytest.approx(-1 / 7)}}}}
    assert m["added"] == ["valid/auc"] and m["removed"] == []
    assert list(m["overall"]) == ["test", "train"]


def test_metrics_are_ordered_test_valid_train():
    rows = [{"split": s, "slice": "", "name": "auc", "value": 0.5}
            for s in ("extra", "train", "valid", "test")]
    moved = [dict(r, value=0.6) for r in rows]
    m = diff_runs(make_run(metrics=rows), other(metrics=moved))["metrics"]
    assert list(m["overall"]) == ["test", "valid", "train", "extra"]


def test_removed_slice_metric_is_labelled_with_its_slice():
    b = other(metrics=make_run()["metrics"][:4])
    m = diff_runs(make_run(), b)["metrics"]
    assert m["removed"] == ["test/auc[grade=A]", "train/auc"]


# -- checks --------------------------------------------------------------------------------
def test_checks_section_only_when_checks_are_recorded():
    a = make_run(checks=[{"name": "auc_min", "status": "passed", "value": 0.8, "id": 1},
                         {"name": "shape", "status": "passed"}])
    b = other(checks=[{"name": "auc_min", "status": "failed", "value": 0.6, "id": 2},
                      {"name": "latency", "status": "passed"}])
    d = diff_runs(a, b)
    assert d["checks"] == {
        "added": {"latency": {"status": "passed"}},
        "removed": {"shape": {"status": "passed"}},
        "changed": {"auc_min": {"a": {"status": "passed", "value": 0.8},
                                "b": {"status": "failed", "value": 0.6}}},
    }
    assert d["changed"] == ["checks"]
    same = diff_runs(a, make_run("c" * 32, checks=copy.deepcopy(a["checks"])))
    assert same["checks"] == EMPTY_KEYED and same["identical"]


def test_run_diff_imports_nothing_heavy():
    code = ("import sys, driftline.engine.lineage.diff, driftline.engine.cli.diff_cmd; "
            "heavy = {'numpy', 'polars', 'scipy', 'sklearn', 'lightgbm', 'hydra', "
            "'sqlalchemy', 'pandera', 'sqlmodel'}; "
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
