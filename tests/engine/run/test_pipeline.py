"""Pipeline helpers that are not covered end to end."""

import numpy as np

from driftline.engine.run.pipeline import config_hash
from driftline.engine.data.sampling import sample_rows as _sample_rows


def test_sample_rows_is_seeded_sorted_and_unique():
    a = _sample_rows(10_000, 500, seed=3)
    assert np.array_equal(a, _sample_rows(10_000, 500, seed=3))
    assert not np.array_equal(a, _sample_rows(10_000, 500, seed=4))
    assert len(a) == 500 and len(np.unique(a)) == 500
    assert np.all(np.diff(a) > 0) and a.min() >= 0 and a.max() < 10_000


def test_config_hash_is_sha256_of_canonical_json():
    import hashlib
    import json

    config = {"b": [1, 2], "a": {"y": 1.5, "x": None}}
    expected = hashlib.sha256(b'{"a":{"x":null,"y":1.5},"b":[1,2]}').hexdigest()
    assert config_hash(config) == expected == config_hash(json.loads(json.dumps(config)))


def test_sample_frame_is_the_gather_of_the_sampled_rows():
    import polars as pl

    from driftline.engine.data.sampling import sample_frame

    frame = pl.DataFrame({"i": range(5_000), "s": [f"v{i % 7}" for i in range(5_000)]})
    rows = np.sort(np.random.default_rng([9, 5_000, 300]).choice(5_000, 300, replace=False))
    assert sample_frame(frame, 300, seed=9).equals(frame[rows])
    assert sample_frame(frame, 5_000, seed=9) is frame


def test_taking_the_load_over_hashes_what_the_idle_thread_already_read():
    import threading

    import polars as pl

    from driftline.engine.lineage.datahash import hash_frame
    from driftline.engine.components.kinds.base import RunContext
    from driftline.engine.run.pipeline import _load_source

    class CountingSource:
        loads = 0

        def load(self, ctx):
            CountingSource.loads += 1
            return pl.DataFrame({"a": [1, 2, 3]})

        def describe(self):
            return {"kind": "counting"}

    read: dict = {}
    source = CountingSource()
    first, digest, _ = _load_source(threading.Event(), source, RunContext(), read)
    again, digest_again, _ = _load_source(threading.Event(), source, RunContext(), read)
    assert CountingSource.loads == 1 and again is first
    assert digest == digest_again == hash_frame(pl.DataFrame({"a": [1, 2, 3]}))
