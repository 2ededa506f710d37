"""A target built by a label transform: trained on, never a feature, and drift checks of
unlabelled batches still work; a transform's WHERE shows in the row counts."""

from __future__ import annotations

import json

import numpy as np
import polars as pl

LATE = ("+label_transforms.late={kind:sql,query:'SELECT *, CAST(arr_delay > 15 AS INT) AS late "
        "FROM data'}")
RUN = ["run", "data=parquet", "data.path=flights.parquet", "schema=none", "target=late",
       "split=random", "model.num_boost_round=10", "metrics.slice_by=[]", LATE]


def _flights(rows: int, seed: int, *, labelled: bool = True) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    hour = rng.integers(5, 23, rows)
    distance = rng.gamma(4.0, 250.0, rows)
    carrier = rng.choice(["AA", "DL", "UA", "WN"], rows)
    delay = rng.normal(0, 20, rows) + (hour - 12) * 2.5 + (carrier == "WN") * 8
    frame = pl.DataFrame({"dep_hour": hour, "distance": distance, "carrier": carrier,
                          "arr_delay": delay})
    return frame if labelled else frame.drop("arr_delay")


def test_label_inputs_are_not_features_and_unlabelled_batches_check(cli, tmp_path):
    _flights(6000, 1).write_parquet(tmp_path / "flights.parquet")
    out = cli(*RUN)
    assert out.returncode == 0, out.stderr
    assert "label inputs (never features): arr_delay" in out.stdout + out.stderr
    run = cli.json("show", "latest")
    assert sorted(run["model"]["feature_names"]) == ["carrier", "dep_hour", "distance"]

    # Before the outcome is known: no arr_delay, no label. Features are still compared.
    _flights(3000, 2, labelled=False).write_parquet(tmp_path / "today.parquet")
    out = cli("drift", "today.parquet", "--json")
    assert out.returncode == 0, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert sorted(c["column"] for c in doc["columns"]) == ["carrier", "dep_hour", "distance"]
    assert doc["label"]["drifted"] is None and "no labels" in doc["label"]["note"]

    # Once it is known, the label is built and compared in its own section, by the task's
    # type: the share of late flights moved (every flight 30 minutes later).
    later = _flights(3000, 3).with_columns(pl.col("arr_delay") + 30)
    later.write_parquet(tmp_path / "yesterday.parquet")
    doc = json.loads(cli("drift", "yesterday.parquet", "--json").stdout)
    [label] = doc["label"]["columns"]
    assert (label["column"], label["type"]) == ("late", "categorical")
    assert label["drifted"] is True
    assert "arr_delay" in doc["extra_columns"]  # an input of the label, not a feature


def test_a_label_input_named_as_a_feature_is_refused(cli, tmp_path):
    _flights(2000, 1).write_parquet(tmp_path / "flights.parquet")
    out = cli(*RUN, "features=[dep_hour,arr_delay]")
    assert out.returncode == 2
    line = out.stderr.strip().splitlines()[-1]
    assert "arr_delay" in line and "label transforms" in line and "remove it" in line


def test_rows_removed_by_a_transform_are_counted(cli, tmp_path):
    _flights(4000, 1).write_parquet(tmp_path / "flights.parquet")
    where = ("+transforms.short={kind:sql,query:'SELECT * FROM data WHERE distance < 2000'}")
    out = cli(*RUN, where)
    assert out.returncode == 0, out.stderr
    frame = _flights(4000, 1)
    kept = int((frame["distance"] < 2000).sum())
    assert f"the transforms kept {kept} of 4000 rows ({4000 - kept} removed)" in out.stdout + out.stderr

    batch = _flights(3000, 5, labelled=False)
    batch.write_parquet(tmp_path / "batch.parquet")
    kept = int((batch["distance"] < 2000).sum())
    doc = json.loads(cli("drift", "batch.parquet", "--json").stdout)
    assert (doc["batch"]["rows"], doc["batch"]["rows_prepared"]) == (3000, kept)
    text = cli("drift", "batch.parquet").stdout
    assert f"3,000 rows, {kept:,} after the transforms ({3000 - kept:,} removed)" in text
