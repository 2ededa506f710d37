"""Telling whether the process that started a run still exists (pid reuse included)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from driftline.engine.lineage.store.liveness import process_gone, process_start_time


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_a_finished_process_is_gone():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert process_gone(proc.pid, _iso(time.time() - 5)) is True


def test_this_process_is_alive_for_a_run_it_started():
    assert process_gone(os.getpid(), _iso(time.time())) is False


def test_a_process_started_after_the_run_holds_a_reused_pid():
    assert process_gone(os.getpid(), _iso(time.time() - 3600 * 24 * 365)) is True


@pytest.mark.parametrize("pid", [None, 0, -1])
def test_no_usable_pid_is_never_taken_as_gone(pid):
    assert process_gone(pid, _iso(time.time() - 5)) is False


def test_an_unreadable_start_time_is_not_taken_as_gone():
    assert process_gone(os.getpid(), "yesterday") is False


def test_start_time_of_a_new_process_is_when_it_was_started():
    before = time.time()
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        started = process_start_time(proc.pid)
        after = time.time()
    finally:
        proc.kill()
        proc.wait()
    # /proc's boot time has one-second resolution.
    assert started is not None and before - 1.5 <= started <= after + 1.5
