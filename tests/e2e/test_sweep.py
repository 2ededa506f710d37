"""Sweeps: every job its own recorded run with a sweep id, a ranked summary, failures isolated."""

from __future__ import annotations

from tests.e2e.conftest import store_rows

FAST = ["data.rows=1500", "model.num_boost_round=10"]


def test_basic_sweep_records_every_job_and_ranks_them(cli, tmp_path):
    out = cli("run", "-m", *FAST, "model.params.num_leaves=7,15", "seed=1,2")
    assert out.returncode == 0, out.stderr
    rows = store_rows(tmp_path / "runs" / "lineage.db",
                      "select sweep_id, status, run_dir from runs")
    assert len(rows) == 4 and {r[1] for r in rows} == {"succeeded"}
    assert len({r[0] for r in rows}) == 1 and rows[0][0]
    assert len({r[2] for r in rows}) == 4  # its own folder each
    summary = out.stdout[out.stdout.index("sweep "):]
    assert "4 jobs, 4 succeeded, 0 failed; ranked by test/auc" in summary
    table = [line.split() for line in summary.splitlines()[3:7]]
    aucs = [float(t[2]) for t in table]
    assert aucs == sorted(aucs, reverse=True)
    listed = cli.json("runs", "--sweep", "latest")
    assert len(listed) == 4


def test_sweep_summary_reads_the_store_the_config_names(cli, tmp_path):
    out = cli("run", "-m", *FAST, "store.url=sqlite:///elsewhere.db", "model.params.num_leaves=7,15")
    assert out.returncode == 0, out.stderr
    assert "2 jobs, 2 succeeded, 0 failed" in out.stdout
    assert len(store_rows(tmp_path / "elsewhere.db", "select id from runs")) == 2
    assert not (tmp_path / "runs" / "lineage.db").exists()


def test_failing_job_is_recorded_and_others_finish(cli, tmp_path):
    out = cli("run", "-m", *FAST, "target=default,grade")
    assert out.returncode == 1
    statuses = sorted(s for (s,) in store_rows(tmp_path / "runs" / "lineage.db",
                                               "select status from runs"))
    assert statuses == ["failed", "succeeded"]
    assert "2 jobs, 1 succeeded, 1 failed" in out.stdout
    assert "target column 'grade' has 7 distinct values" in out.stderr
    logs = list(tmp_path.glob("runs/sweeps/**/driftline.log"))
    assert any("target column 'grade'" in p.read_text() for p in logs)


def test_joblib_launcher_runs_jobs_in_parallel_processes(cli, tmp_path):
    out = cli("run", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *FAST,
              "model.params.learning_rate=0.05,0.2")
    assert out.returncode == 0, out.stderr
    pids = {p for (p,) in store_rows(tmp_path / "runs" / "lineage.db", "select pid from runs")}
    assert len(pids) == 2


def test_sweep_value_of_wrong_type_fails_only_its_job(cli, tmp_path):
    out = cli("run", "-m", *FAST, "model.params.num_leaves=7,many")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "driftline: error: wrong type for model.params.num_leaves: got 'many' (str), expected int."]
    statuses = sorted(s for (s,) in store_rows(tmp_path / "runs" / "lineage.db",
                                               "select status from runs"))
    assert statuses == ["failed", "succeeded"]


def test_sweep_with_unknown_option_is_one_line(cli, tmp_path):
    out = cli("run", "-m", *FAST, "model=lightgbn,lightgbm")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "driftline: error: unknown config option 'lightgbn' for group 'model' "
        "(override: model=lightgbn). Did you mean: lightgbm? Available: lightgbm."]
    assert store_rows(tmp_path / "runs" / "lineage.db", "select id from runs") == []


def test_a_launcher_that_is_not_installed_names_the_extra_that_brings_it(cli, tmp_path):
    import importlib.util

    candidates = {"ray": ("hydra_plugins.hydra_ray_launcher", "ray"),
                  "submitit_slurm": ("hydra_plugins.hydra_submitit_launcher", "submitit")}
    missing = [(option, extra) for option, (module, extra) in candidates.items()
               if importlib.util.find_spec(module) is None]
    assert missing, "this test needs one of the ray / submitit launchers to be absent"
    option, extra = missing[0]
    out = cli("run", "-m", f"hydra/launcher={option}", "seed=1,2")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"driftline: error: config option '{option}' for group 'hydra/launcher' (override: "
        f"hydra/launcher={option}) comes with a Hydra plugin that is not installed; install "
        f"it: pip install 'driftline[{extra}]'"]
    assert store_rows(tmp_path / "runs" / "lineage.db", "select id from runs") == []
