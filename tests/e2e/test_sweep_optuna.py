"""Optuna sweeps: driftline gives the sweeper the primary metric's direction, every trial is a
recorded run, and a failed trial is recorded without ending the study."""

from __future__ import annotations

import yaml

from tests.e2e.conftest import store_rows

FAST = ["data.rows=1500", "model.num_boost_round=10"]
OPTUNA = ["hydra/sweeper=optuna"]


def _results(tmp_path) -> dict:
    (found,) = tmp_path.glob("runs/sweeps/*/*/optimization_results.yaml")
    return yaml.safe_load(found.read_text())


def _test_aucs(store, status: str = "succeeded") -> list[float]:
    return [v for (v,) in store_rows(store, (
        "select m.value from metrics m join runs r on r.id = m.run_id where m.split = 'test' "
        f"and m.slice = '' and m.name = 'auc' and r.status = '{status}'"))]


def _summary_values(stdout: str, n: int) -> list[str]:
    """The value column of the first ``n`` rows of the sweep summary table."""
    lines = stdout[stdout.index("\nsweep ") + 1:].splitlines()
    return [line.split()[2] for line in lines[3:3 + n]]


def test_optuna_maximises_the_primary_metric(cli, tmp_path):
    out = cli("run", "-m", *OPTUNA, "hydra.sweeper.n_trials=4", *FAST,
              "model.params.num_leaves=int(interval(8,128))")
    assert out.returncode == 0, out.stderr
    store = tmp_path / "runs" / "lineage.db"
    rows = store_rows(store, "select sweep_id, status from runs")
    assert len(rows) == 4 and len({r[0] for r in rows}) == 1 and rows[0][0]
    aucs = _test_aucs(store)
    assert len(aucs) == 4
    # auc is higher-is-better and the sweeper was not told: driftline made it maximise.
    assert "Directions: ['maximize']" in out.stdout
    assert _results(tmp_path)["best_value"] == max(aucs)
    assert "4 jobs, 4 succeeded, 0 failed; ranked by test/auc" in out.stdout
    shown = _summary_values(out.stdout, 4)
    assert shown == [f"{v:.4f}" for v in sorted(aucs, reverse=True)]


def test_failed_trial_is_recorded_and_the_study_goes_on(cli, tmp_path):
    # With this seed the random sampler draws both targets in 3 trials: 'grade' has 7
    # classes, so its trials fail (task=binary); the 'default' trial succeeds.
    out = cli("run", "-m", *OPTUNA, "hydra/sweeper/sampler=random",
              "hydra.sweeper.sampler.seed=0", "hydra.sweeper.n_trials=3", *FAST,
              "target=choice(default,grade)")
    store = tmp_path / "runs" / "lineage.db"
    runs = store_rows(store, "select status, overrides_json, run_dir from runs")
    statuses = sorted(r[0] for r in runs)
    assert len(runs) == 3 and "failed" in statuses and "succeeded" in statuses, statuses
    assert out.returncode == 1
    for status, overrides, run_dir in runs:
        log = (tmp_path / run_dir / "driftline.log").read_text()
        assert ("target column 'grade' has 7 distinct values" in log) == (status == "failed")
        assert ("target=grade" in overrides) == (status == "failed")
    assert _results(tmp_path)["best_value"] == max(_test_aucs(store))
    assert f"3 jobs, {statuses.count('succeeded')} succeeded, {statuses.count('failed')} failed"\
        in out.stdout
