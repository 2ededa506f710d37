"""`driftline run` end to end: the demo, lineage, determinism, Hydra flags, projects."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.e2e.conftest import FAST, store_rows


def test_demo_run_records_lineage(cli, tmp_path):
    out = cli("run", *FAST)
    assert out.returncode == 0, out.stderr
    assert " succeeded" in out.stdout and "test/auc" in out.stdout
    runs = cli.json("runs")
    assert len(runs) == 1
    run = runs[0]
    assert run["status"] == "succeeded" and run["experiment"] == "demo"
    assert 0.6 < run["metrics"]["test/auc"] <= 1.0
    shown = cli.json("show", "latest")
    assert shown["id"] == run["id"] and shown["error"] is None
    assert shown["config"]["model"]["num_boost_round"] == 30
    roles = {d["role"]: d for d in shown["datasets"]}
    assert {"source", "train", "valid", "test"} <= set(roles)
    assert roles["source"]["n_rows"] == 3000
    assert f"source data hash {roles['source']['hash'][:12]} " in out.stdout
    assert run["data_hash"] == roles["train"]["hash"]  # `runs` shows it as "train data"
    assert sum(roles[r]["n_rows"] for r in ("train", "valid", "test")) == 3000
    model_file = Path(shown["model"]["path"])
    # The recorded hash is the sha256 of the file on disk (independent check with hashlib).
    assert shown["model"]["hash"] == hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert model_file.read_text().startswith("tree")
    names = {(m["split"], m["name"]) for m in shown["metrics"] if m["slice"] == ""}
    assert ("test", "auc") in names and ("train", "logloss") in names
    assert any(m["slice"].startswith("grade=") for m in shown["metrics"])
    assert (tmp_path / "runs" / "lineage.db").exists()
    assert model_file.parent.parent.parent == tmp_path / "runs"


@pytest.mark.parametrize("slice_by", ["[]", "[grade]"])
def test_train_metrics_on_a_sample_of_the_train_split(cli, slice_by):
    out = cli("run", *FAST, "metrics.train_rows=400", f"metrics.slice_by={slice_by}")
    assert out.returncode == 0, out.stderr
    shown = cli.json("show", "latest")
    train = [m for m in shown["metrics"] if m["split"] == "train"]
    assert {m["name"] for m in train if m["slice"] == ""} >= {"auc", "logloss"}
    # 400 rows over the grades: some grade slices have enough rows to be scored.
    assert any(m["slice"].startswith("grade=") for m in train) == (slice_by != "[]")


def test_same_config_and_data_give_identical_model_and_metrics(cli):
    first = cli("run", *FAST)
    second = cli("run", *FAST)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    a, b = (cli.json("show", ref) for ref in ("latest~1", "latest"))
    assert a["id"] != b["id"] and a["run_dir"] != b["run_dir"]
    assert a["model"]["hash"] == b["model"]["hash"]
    assert Path(a["model"]["path"]).read_bytes() == Path(b["model"]["path"]).read_bytes()
    assert a["metrics"] == b["metrics"]
    assert [d["hash"] for d in a["datasets"]] == [d["hash"] for d in b["datasets"]]


def test_override_changes_recorded_config_and_model(cli):
    assert cli("run", *FAST).returncode == 0
    out = cli("run", *FAST, "model.params.num_leaves=7", "seed=3")
    assert out.returncode == 0, out.stderr
    new, old = cli.json("show", "latest"), cli.json("show", "latest~1")
    assert new["config"]["model"]["params"]["num_leaves"] == 7
    assert "model.params.num_leaves=7" in new["overrides"]
    assert new["model"]["hash"] != old["model"]["hash"]


def test_hydra_cfg_flag_prints_config_without_running(cli, tmp_path):
    out = cli("run", "--cfg", "job", "model.params.num_leaves=63")
    assert out.returncode == 0, out.stderr
    assert "num_leaves: 63" in out.stdout and "kind: lightgbm" in out.stdout
    assert store_rows(tmp_path / "runs" / "lineage.db", "select id from runs") == []


def test_run_help_lists_config_groups(cli):
    out = cli("run", "--help")
    assert out.returncode == 0
    assert "model: lightgbm" in out.stdout and "data: csv, parquet, sql, synthetic" in out.stdout


def test_init_project_and_run_from_a_subfolder(cli, tmp_path):
    demo = cli("run", "--cfg", "job")  # sanity: packaged defaults resolve
    assert demo.returncode == 0
    out = cli("init", "myproj")
    assert out.returncode == 0, out.stderr
    proj = tmp_path / "myproj"
    assert (proj / "conf" / "config.yaml").is_file() and (proj / "runs" / ".gitignore").is_file()
    # Give the project data: a CSV written by the synthetic generator.
    gen = ("from driftline.plugins.sources.synthetic import generate_loans; "
           "generate_loans(1500, 1).write_csv('data/myproj.csv')")
    assert (proj / "data").is_dir()  # where conf/data/myproj_data.yaml points
    import subprocess, sys
    subprocess.run([sys.executable, "-c", gen], cwd=proj, check=True)
    (proj / "notebooks").mkdir()
    # Relative data paths in a project resolve against the project root, wherever it runs.
    out = cli("run", "target=default", "model.num_boost_round=10", cwd=proj / "notebooks")
    assert out.returncode == 0, out.stderr
    assert (proj / "runs" / "lineage.db").exists()
    runs = cli.json("runs", cwd=proj)
    assert [r["experiment"] for r in runs] == ["myproj"]


def test_init_refuses_to_overwrite(cli, tmp_path):
    assert cli("init", "p").returncode == 0
    again = cli("init", "p")
    assert again.returncode == 2
    assert again.stderr.strip().endswith("already exists; driftline init does not overwrite a project.")


def test_plugins_lists_builtins_with_package(cli):
    rows = cli.json("plugins")
    found = {(r["kind"], r["name"]): r for r in rows}
    for key in [("source", "synthetic"), ("source", "csv"), ("source", "parquet"), ("source", "sql"),
                ("transform", "sql"), ("splitter", "time"), ("model", "lightgbm"), ("metric", "auc")]:
        assert found[key]["package"] == "driftline" and found[key]["error"] is None
    text = cli("plugins")
    assert text.returncode == 0 and "lightgbm" in text.stdout


def test_console_script_and_module_are_the_same_command():
    import shutil
    import subprocess
    import sys

    exe = Path(sys.executable).parent / "driftline"
    assert exe.exists() or shutil.which("driftline")
    out = subprocess.run([str(exe if exe.exists() else "driftline"), "--help"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "runs" in out.stdout and "show" in out.stdout


def test_show_text_output(cli):
    assert cli("run", *FAST).returncode == 0
    out = cli("show", "latest")
    assert out.returncode == 0
    assert "status     succeeded" in out.stdout and "auc" in out.stdout
    data = json.loads(cli("runs", "--json").stdout)
    assert out.stdout.splitlines()[0].endswith(data[0]["id"])


def test_schema_infer_prints_a_schema_the_data_passes(cli, tmp_path):
    import polars as pl
    import yaml

    from driftline.plugins.sources.synthetic import generate_loans

    generate_loans(800, 3).write_parquet(tmp_path / "loans.parquet")
    out = cli("schema", "infer", "loans.parquet")
    assert out.returncode == 0, out.stderr
    node = yaml.safe_load(out.stdout)
    assert node["kind"] == "yaml"
    assert node["columns"]["grade"]["checks"]["isin"] == list("ABCDEFG")
    frame = pl.read_parquet(tmp_path / "loans.parquet")
    assert node["columns"]["age"]["checks"] == {"in_range": {"min": frame["age"].min(),
                                                              "max": frame["age"].max()}}
    (tmp_path / "conf" / "schema").mkdir(parents=True)
    (tmp_path / "conf" / "schema" / "mine.yaml").write_text(out.stdout)
    (tmp_path / "conf" / "config.yaml").write_text(
        "defaults:\n  - data: parquet\n  - schema: mine\n  - split: random\n  - model: lightgbm\n"
        "  - metrics: default\n  - store: default\n  - _self_\ntarget: default\n"
        "data:\n  path: loans.parquet\n")
    run = cli("run", "model.num_boost_round=5")
    assert run.returncode == 0, run.stderr


def test_schema_infer_unknown_file_type(cli, tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"")
    out = cli("schema", "infer", "x.xlsx")
    assert out.returncode == 2
    assert out.stderr.strip() == ("driftline: error: no installed source reads 'x.xlsx'; "
                                  "known file types: .csv, .parquet, .pq.")


def test_failed_training_still_records_the_data_it_used(cli, tmp_path):
    """Datasets are recorded as soon as they are known: a training failure keeps them."""
    out = cli("run", *FAST, "+model.params.extra.monotone_constraints=[1]")
    assert out.returncode == 2, out.stderr
    assert "monotone_constraints" in out.stderr.strip().splitlines()[-1]
    store = tmp_path / "runs" / "lineage.db"
    [(run_id, status)] = store_rows(store, "select id, status from runs")
    assert status == "failed"
    roles = store_rows(store, f"select role from run_datasets where run_id = '{run_id}' "
                              "order by role")
    assert [r for (r,) in roles] == ["source", "test", "train", "valid"]
    assert store_rows(store, "select distinct role from column_profiles order by role") == [
        ("all",), ("test",), ("train",), ("valid",)]  # no output profile: no model
    assert list(tmp_path.glob("runs/**/model.txt")) == []


def test_the_command_exits_with_its_code_and_everything_written(cli, tmp_path):
    """The console entry ends the process without interpreter teardown: the exit code, the
    printed summary, the run's log file and the store must all be complete anyway."""
    out = cli("run", *FAST)
    assert out.returncode == 0, out.stderr
    assert out.stdout.rstrip().splitlines()[-1].startswith("  details  driftline show ")
    [log_file] = tmp_path.glob("runs/*/*/driftline.log")
    last = log_file.read_text().rstrip().splitlines()[-1]
    assert re.search(r"\[6/6\] record done in \d+\.\d\ds$", last), last
    assert store_rows(tmp_path / "runs" / "lineage.db", "select status from runs") == [
        ("succeeded",)]
    assert cli("run", *FAST, "model.params.num_leaves=one").returncode == 2
    assert cli("--version").returncode == 0
