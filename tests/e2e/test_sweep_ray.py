"""A sweep through Hydra's Ray launcher on a local Ray cluster (``pip install 'driftline[ray]'``).

Ray is a large optional dependency: this module is skipped when ``ray`` is not importable.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import store_rows

pytest.importorskip("ray", reason="needs ray: pip install 'driftline[ray]'")

FAST = ["data.rows=1500", "model.num_boost_round=10"]
# A local cluster of 2 CPUs, without the dashboard, usage reports or a token in ~/.ray.
RAY_LOCAL = ["hydra/launcher=ray", "+hydra.launcher.ray.init.num_cpus=2",
             "+hydra.launcher.ray.init.include_dashboard=false"]
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


def test_ray_launcher_records_every_job_of_the_sweep(cli, tmp_path):
    cli.env.update(RAY_ENV)
    out = cli("run", "-m", *RAY_LOCAL, *FAST, "model.params.num_leaves=7,many")
    assert "Ray Launcher is launching 2 jobs" in out.stdout, out.stderr[-2000:]
    assert out.returncode == 1  # one job failed
    rows = store_rows(tmp_path / "runs" / "lineage.db",
                      "select status, sweep_id, overrides_json, run_dir, pid from runs")
    assert sorted(r[0] for r in rows) == ["failed", "succeeded"]
    assert len({r[1] for r in rows}) == 1 and rows[0][1]
    assert len({r[3] for r in rows}) == 2
    failed = next(r for r in rows if r[0] == "failed")
    assert "model.params.num_leaves=many" in failed[2]
    log = (tmp_path / failed[3] / "driftline.log").read_text()
    assert "wrong type for model.params.num_leaves: got 'many' (str), expected int." in log
    assert "2 jobs, 1 succeeded, 1 failed; ranked by test/auc" in out.stdout
