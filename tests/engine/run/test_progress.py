"""Stage lines: the time shown is what the user waited for."""

from __future__ import annotations

import logging
import time

from driftline.engine.run.progress import StageReporter


def test_a_stage_whose_work_started_earlier_counts_from_then(caplog):
    reporter = StageReporter(2, interactive=False)
    started = time.perf_counter()
    time.sleep(0.2)  # e.g. building components while the data was read in the background
    with caplog.at_level(logging.INFO, logger="driftline"):
        with reporter.stage("load data", since=started):
            pass
        with reporter.stage("train"):
            time.sleep(0.05)
    assert reporter.timings["load data"] >= 0.2
    assert 0.05 <= reporter.timings["train"] < 0.2
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "[1/2] load data ..."
    assert lines[1].startswith("[1/2] load data done in 0.2")
    assert lines[2:] == ["[2/2] train ...", f"[2/2] train done in {reporter.timings['train']:.2f}s"]


def test_plain_progress_logs_a_few_lines_not_every_round(caplog):
    reporter = StageReporter(1, interactive=False)
    with caplog.at_level(logging.INFO, logger="driftline"):
        with reporter.stage("train"):
            for done in range(1, 201):
                reporter.progress(done, 200, "train")
    counts = [r.getMessage() for r in caplog.records if r.getMessage().startswith("    train")]
    assert counts[-1] == "    train 200/200" and len(counts) <= 5
