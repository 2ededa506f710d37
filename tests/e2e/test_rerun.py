"""`driftline rerun`: re-execute from the stored config and verify bit-identical results."""

from __future__ import annotations

import polars as pl

from driftline.plugins.sources.synthetic import generate_loans

RUN = ["data=csv", "data.path=loans.csv", "target=default", "model.num_boost_round=20"]


def _write(tmp_path, frame):
    frame.write_csv(tmp_path / "loans.csv")


def test_rerun_reproduces_and_links_to_original(cli, tmp_path):
    _write(tmp_path, generate_loans(2000, 5))
    assert cli("run", *RUN).returncode == 0
    original = cli.json("show", "latest")
    out = cli("rerun", original["id"][:8])
    assert out.returncode == 0, out.stderr
    assert "reproduces" in out.stdout
    new = cli.json("show", "latest")
    assert new["parent_run_id"] == original["id"]
    assert new["model"]["hash"] == original["model"]["hash"]
    assert new["config"] == original["config"]


def test_rerun_uses_stored_config_not_todays_conf(cli, tmp_path):
    _write(tmp_path, generate_loans(2000, 5))
    assert cli("run", *RUN).returncode == 0
    original = cli.json("show", "latest")
    # A project config appears afterwards; rerun must ignore it.
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "config.yaml").write_text("defaults:\n  - data: synthetic\n")
    out = cli("rerun", "latest")
    assert out.returncode == 0, out.stderr
    assert cli.json("show", "latest")["model"]["hash"] == original["model"]["hash"]


def test_rerun_refuses_changed_data_unless_allowed(cli, tmp_path):
    frame = generate_loans(2000, 5)
    _write(tmp_path, frame)
    assert cli("run", *RUN).returncode == 0
    first = cli.json("show", "latest")["id"]
    changed = frame.with_columns(pl.when(pl.int_range(pl.len()) == 10).then(701)
                                 .otherwise(pl.col("credit_score")).alias("credit_score"))
    _write(tmp_path, changed)
    out = cli("rerun", first)
    assert out.returncode == 2
    line = out.stderr.strip().splitlines()
    assert len(line) == 1 and "the data changed since run" in line[0]
    assert "--allow-data-change" in line[0]
    allowed = cli("rerun", first, "--allow-data-change")
    assert allowed.returncode == 1
    assert "does NOT reproduce" in allowed.stdout and "data/source" in allowed.stdout


def test_rerun_with_missing_data_file(cli, tmp_path):
    _write(tmp_path, generate_loans(2000, 5))
    assert cli("run", *RUN).returncode == 0
    (tmp_path / "loans.csv").unlink()
    out = cli("rerun", "latest")
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "loans.csv" in out.stderr


def test_rerun_of_failed_run_is_refused(cli, tmp_path):
    out = cli("run", "target=nope", "data.rows=500")
    assert out.returncode == 2
    again = cli("rerun", "latest")
    assert again.returncode == 2
    assert "is failed; only succeeded runs can be re-executed" in again.stderr
