"""`driftline diff`: the golden test plants one config change and one changed data cell
between two runs and checks that the diff reports exactly those (and what follows from
them: the model and metrics), nothing else."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import polars as pl
import pytest

from driftline.plugins.sources.synthetic import generate_loans
from tests.e2e.conftest import Cli

BASE = ["run", "data=csv", "data.path=loans.csv", "target=default", "model.num_boost_round=20"]
CHANGED_ROW = 7
HEAVY = ("numpy", "polars", "scipy", "sklearn", "lightgbm", "hydra", "sqlalchemy", "pandera",
         "sqlmodel", "omegaconf")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three runs in one project: A; B = one credit_score cell and num_leaves changed;
    C = A again (same file contents, same command line)."""
    folder = tmp_path_factory.mktemp("diff")
    cli = Cli(folder)
    frame = generate_loans(2000, 1)
    old = frame["credit_score"][CHANGED_ROW]
    new = 600 if old != 600 else 601
    changed = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == CHANGED_ROW).then(new)
        .otherwise(pl.col("credit_score")).alias("credit_score"))
    ids = {}
    for name, data, extra in (("a", frame, []), ("b", changed, ["model.params.num_leaves=15"]),
                              ("c", frame, [])):
        data.write_csv(folder / "loans.csv")  # the same path each time: only the cell differs
        out = cli(*BASE, *extra)
        assert out.returncode == 0, out.stderr
        ids[name] = cli.json("show", "latest")["id"]
    shown = {name: cli.json("show", run_id) for name, run_id in ids.items()}
    return cli, ids, shown


def test_golden_diff_reports_exactly_the_planted_changes(runs):
    cli, ids, shown = runs
    a, b = shown["a"], shown["b"]
    d = cli.json("diff", ids["a"], ids["b"])
    assert d["a"]["id"] == ids["a"] and d["b"]["id"] == ids["b"]
    assert d["same_run"] is False and d["identical"] is False
    leaves_a = a["config"]["model"]["params"]["num_leaves"]
    assert leaves_a != 15
    assert d["config"] == {"added": {}, "removed": {},
                           "changed": {"model.params.num_leaves": {"a": leaves_a, "b": 15}}}
    assert d["overrides"]["added"] == ["model.params.num_leaves=15"]
    assert d["overrides"]["removed"] == []
    assert d["code"] == {}
    assert d["packages"] == {"added": {}, "removed": {}, "changed": {}}

    # Data: the source and exactly one split changed, in exactly the credit_score column.
    hashes = {name: {ds["role"]: ds["hash"] for ds in shown[name]["datasets"]} for name in "ab"}
    assert d["data"]["source"] == {
        "status": "changed", "hash": {"a": hashes["a"]["source"], "b": hashes["b"]["source"]},
        "columns_changed": ["credit_score"]}
    splits = [role for role in ("train", "valid", "test")
              if d["data"][role]["status"] != "same"]
    assert len(splits) == 1
    (split,) = splits
    assert d["data"][split] == {
        "status": "changed", "hash": {"a": hashes["a"][split], "b": hashes["b"][split]},
        "columns_changed": ["credit_score"]}
    for role in {"train", "valid", "test"} - {split}:
        assert d["data"][role] == {"status": "same", "hash": hashes["a"][role]}
    assert list(d["data"]) == ["source", "train", "valid", "test"]

    # Shift: only credit_score's profile can have moved, and only if the cell is in train.
    if split == "train":
        assert d["shift"]["status"] == "compared"
        assert list(d["shift"]["columns"]) == ["credit_score"]
        assert d["shift"]["columns"]["credit_score"]["psi"] < 0.01
    else:
        assert d["shift"]["status"] == "same_data" and d["shift"]["columns"] == {}
    assert d["shift"]["added"] == [] and d["shift"]["removed"] == []

    # Model and metrics: reported exactly where `show` says they differ.
    ma, mb = a["model"], b["model"]
    assert ma["hash"] != mb["hash"]
    fields = {"hash": (ma["hash"], mb["hash"]), "format": (ma["format"], mb["format"]),
              "size_bytes": (ma["size_bytes"], mb["size_bytes"]),
              "n_trees": (ma["summary"]["n_trees"], mb["summary"]["n_trees"]),
              "best_iteration": (ma["summary"]["best_iteration"],
                                 mb["summary"]["best_iteration"])}
    expected = {k: {"a": x, "b": y} for k, (x, y) in fields.items() if x != y}
    assert {k: v for k, v in d["model"].items() if k != "importance"} == expected
    gain_a = ma["summary"]["feature_importance"]
    gain_b = mb["summary"]["feature_importance"]
    assert {r["feature"]: (r["a"], r["b"]) for r in d["model"]["importance"]} == {
        f: (gain_a[f], gain_b[f]) for f in gain_a if gain_a[f] != gain_b[f]}

    def overall(run):
        return {(m["split"], m["name"]): m["value"] for m in run["metrics"] if not m["slice"]}

    va, vb = overall(a), overall(b)
    differ = {k for k in va if not (va[k] == vb[k] or (va[k] is None and vb[k] is None))}
    assert differ, "a different model should change some metric"
    assert {(s, n) for s, names in d["metrics"]["overall"].items() for n in names} == differ
    for split_name, name in differ:
        change = d["metrics"]["overall"][split_name][name]
        assert (change["a"], change["b"]) == (va[(split_name, name)], vb[(split_name, name)])
        if change["delta"] is not None:
            assert change["delta"] == pytest.approx(vb[(split_name, name)] - va[(split_name, name)])
    assert d["metrics"]["added"] == [] and d["metrics"]["removed"] == []
    assert "checks" not in d
    expected_sections = ["config", "overrides", "data", *(["shift"] if split == "train" else []),
                         "model", "metrics"]
    assert d["changed"] == expected_sections


def test_golden_diff_as_text(runs):
    cli, ids, shown = runs
    leaves = shown["a"]["config"]["model"]["params"]["num_leaves"]
    out = cli("diff", ids["a"][:8], ids["b"][:8])
    assert out.returncode == 0, out.stderr
    text = out.stdout
    head = text.splitlines()[0]
    assert head.startswith(f"runs {ids['a'][:12]} -> {ids['b'][:12]} differ in: config (1 key), "
                           f"overrides, data (source, ")
    assert re.search(rf"^  ~ model\.params\.num_leaves  {leaves} -> 15$", text, re.M)
    assert re.search(r"^  \+ model\.params\.num_leaves=15$", text, re.M)
    assert re.search(r"^  source  changed  \w{12} -> \w{12}  columns changed: credit_score$",
                     text, re.M)
    assert "\nmodel\n" in text and "\nmetrics\n" in text
    assert "\ncode\n" not in text and "\npackages\n" not in text
    assert len(text.splitlines()) <= 60  # one screen


def test_same_config_and_data_are_identical(runs):
    cli, ids, _ = runs
    out = cli("diff", ids["a"], ids["c"])
    assert out.returncode == 0, out.stderr
    assert out.stdout == (f"runs {ids['a'][:12]} and {ids['c'][:12]} are identical in config, "
                          f"code, data, model and metrics\n")
    d = cli.json("diff", ids["a"], ids["c"])
    assert d["identical"] is True and d["changed"] == [] and d["same_run"] is False


def test_diff_of_a_run_with_itself(runs):
    cli, ids, _ = runs
    out = cli("diff", "latest", ids["c"][:8])
    assert out.returncode == 0, out.stderr
    assert out.stdout == (f"'latest' and '{ids['c'][:8]}' name the same run {ids['c'][:12]}: "
                          f"nothing to compare\n")
    assert cli.json("diff", "latest", ids["c"])["same_run"] is True


@pytest.mark.parametrize("refs, message", [
    (["nosuchrun", "latest"], "driftline: error: no run matches 'nosuchrun'"),
    (["latest", "latest~9"], "driftline: error: no run matches 'latest~9' (the store has 3 runs)"),
    (["latest", "abc"], "driftline: error: no run matches 'abc' (a run id prefix needs at least"),
], ids=["unknown-alias", "latest-beyond-the-store", "short-prefix"])
def test_unknown_runs_are_one_line_and_exit_2(runs, refs, message):
    cli, _, _ = runs
    out = cli("diff", *refs)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), out.stderr
    assert out.stdout == ""


def test_diff_imports_no_heavy_library(runs):
    cli, ids, _ = runs
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "driftline.engine", "diff", ids["a"],
                          ids["b"]], cwd=cli.cwd, env=cli.env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = {line.split("|")[-1].strip().split(".")[0]
              for line in out.stderr.splitlines() if line.startswith("import time:")}
    assert "driftline" in loaded
    assert sorted(set(HEAVY) & loaded) == []


def test_json_is_strict(runs):
    cli, ids, _ = runs
    out = cli("diff", ids["a"], ids["b"], "--json")
    assert "NaN" not in out.stdout and "Infinity" not in out.stdout
    d = cli.json("diff", ids["a"], ids["b"])
    for split_changes in d["metrics"]["overall"].values():
        for change in split_changes.values():
            assert all(v is None or math.isfinite(v) for v in change.values())
