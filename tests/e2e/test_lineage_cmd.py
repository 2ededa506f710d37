"""`driftline lineage PATH_OR_HASH`, and finding runs with `driftline runs` filters."""

from __future__ import annotations

import polars as pl
import pytest

from tests.e2e.conftest import Cli, store_rows

QUICK = ["model.num_boost_round=5"]
ON_FILE = ["data=parquet", "data.path=loans.parquet"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """loans.parquet used by two runs (same split: same train table), other.parquet by none,
    and one demo run on synthetic data; runs listed newest first."""
    folder = tmp_path_factory.mktemp("lineage")
    cli = Cli(folder)
    for seed, name in ((3, "loans.parquet"), (4, "other.parquet")):
        out = cli("data", "synthetic", "--rows", "800", "--seed", str(seed), "--out", name)
        assert out.returncode == 0, out.stderr
    for extra in (["data.rows=500"], [*ON_FILE, "model.num_boost_round=8"], ON_FILE):
        out = cli("run", *QUICK, *extra)
        assert out.returncode == 0, out.stderr
    runs = [cli.json("show", r["id"]) for r in cli.json("runs")]
    return cli, runs


def _roles(run) -> dict[str, str]:
    return {d["role"]: d["hash"] for d in run["datasets"]}


def _one_error_line(out) -> str:
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("driftline: error: "), out.stderr
    return lines[0].removeprefix("driftline: error: ")


def test_a_file_used_by_two_runs_lists_both_with_their_role(project):
    cli, (newest, older, demo) = project
    usage = cli.json("lineage", "loans.parquet")
    # The file, read here with polars directly, hashes to what both runs recorded as source.
    from driftline.engine.lineage.datahash import hash_frame

    expected = hash_frame(pl.read_parquet(cli.cwd / "loans.parquet")).hash
    assert usage["hash"] == expected == _roles(newest)["source"] == _roles(older)["source"]
    assert usage["file"] == {"path": "loans.parquet", "hash": expected, "n_rows": 800,
                             "n_cols": 18, "read_with": "the parquet defaults"}
    assert [(r["id"], r["roles"], r["status"], r["experiment"]) for r in usage["runs"]] == [
        (newest["id"], ["source"], "succeeded", "demo"),
        (older["id"], ["source"], "succeeded", "demo"),
    ]
    text = cli("lineage", "loans.parquet")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "file  loans.parquet: 800 rows x 18 columns, read with the parquet defaults"
    assert lines[1] == f"data  {expected}"
    assert "used by 2 runs (newest first):" in lines
    table = lines[lines.index("used by 2 runs (newest first):") + 3:]
    assert [row.split()[:4] for row in table] == [
        [newest["id"][:12], "demo", "succeeded", "source"],
        [older["id"][:12], "demo", "succeeded", "source"]]
    assert demo["id"][:12] not in text.stdout


def test_a_hash_prefix_finds_the_runs_and_roles(project):
    cli, (newest, older, _) = project
    train = _roles(newest)["train"]
    assert _roles(older)["train"] == train  # same file, same split settings
    usage = cli.json("lineage", train[:10].upper())
    assert usage["hash"] == train and usage["dataset"]["n_rows"] < 800
    listed = [(r["id"], r["roles"]) for r in usage["runs"]]
    # Independently: the table the store keeps, read with sqlite3.
    rows = store_rows(cli.cwd / "runs" / "lineage.db",
                      f"SELECT run_id, role FROM run_datasets WHERE dataset_hash = '{train}'")
    assert sorted((run_id, [role]) for run_id, role in rows) == sorted(listed)
    assert listed == [(newest["id"], ["train"]), (older["id"], ["train"])]


def test_data_no_run_used_is_an_empty_answer(project):
    cli, _ = project
    out = cli("lineage", "other.parquet")
    assert out.returncode == 0, out.stderr
    assert any(line.startswith("no run used this data: read with the defaults")
               for line in out.stdout.splitlines())
    usage = cli.json("lineage", "other.parquet")
    assert usage["runs"] == [] and usage["dataset"] is None and len(usage["hash"]) == 64
    unknown = cli.json("lineage", "0123456789")
    assert (unknown["hash"], unknown["runs"]) == (None, [])


@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param("abc", "invalid data hash 'abc': give the full data hash or a prefix of at "
                     "least 6 hex digits (0-9, a-f), as driftline runs and driftline show print it",
                     id="short-prefix"),
        pytest.param("missing.parquet", "no file 'missing.parquet', and it is not a data hash "
                     "(6-64 hex digits, as driftline runs and driftline show print it). Check the "
                     "path.", id="missing-file"),
        pytest.param("runs", "'runs' is a folder; give a data file (e.g. data/loans.parquet) or "
                     "a data hash", id="folder"),
    ],
)
def test_bad_targets_are_one_line_exit_2(project, target, message):
    cli, _ = project
    assert _one_error_line(cli("lineage", target)) == message


def test_runs_filters_and_metric_order(project):
    cli, (newest, older, demo) = project
    source = _roles(newest)["source"]
    assert [r["id"] for r in cli.json("runs", "--data-hash", source[:8])] == [
        newest["id"], older["id"]]
    auc = {r["id"]: m["value"] for r in (newest, older, demo) for m in r["metrics"]
           if (m["split"], m["slice"], m["name"]) == ("test", "", "auc")}
    by_auc = sorted(auc, key=lambda rid: -auc[rid])
    assert [r["id"] for r in cli.json("runs", "--sort", "test/auc")] == by_auc
    assert [r["id"] for r in cli.json("runs", "--sort", "test/auc", "--asc", "--limit", "2")] == (
        by_auc[::-1][:2])
    text = cli("runs", "--sort", "test/auc", "--limit", "1")
    header, _, first = text.stdout.splitlines()[:3]
    assert header.split()[:6] == ["id", "experiment", "status", "train", "data", "test/auc"]
    best = next(r for r in (newest, older, demo) if r["id"] == by_auc[0])
    train = next(d["hash"] for d in best["datasets"] if d["role"] == "train")
    assert first.split()[3] == train[:12]  # the column says which data it is
    empty = cli("runs", "--experiment", "demo", "--since", "2999-01-01")
    assert empty.stdout.strip() == "no run matches --experiment demo --since 2999-01-01"


@pytest.mark.parametrize(
    ("args", "start"),
    [
        pytest.param(["--since", "yesterday"], "invalid since time 'yesterday'", id="since"),
        pytest.param(["--sort", "auc"], "invalid metric 'auc' to sort by", id="sort-no-split"),
        pytest.param(["--sort", "test/acu"], "no run has the metric 'test/acu' to sort by. Did "
                     "you mean: test/auc?", id="sort-typo"),
        pytest.param(["--sweep", "latest"], "no sweep recorded yet", id="no-sweep"),
        pytest.param(["--data-hash", "xyz"], "invalid data hash 'xyz'", id="data-hash"),
        pytest.param(["--limit", "-3"], "argument --limit: expected a whole number >= 0, got "
                     "'-3'", id="limit"),
    ],
)
def test_runs_bad_filters_are_one_line_exit_2(project, args, start):
    cli, _ = project
    assert _one_error_line(cli("runs", *args)).startswith(start)
