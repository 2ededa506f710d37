"""engine.background: work on an idle-priority thread, or in the caller where it cannot."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from engine import background
from engine.background import Background, Cancelled, idle_scheduling_available

linux_only = pytest.mark.skipif(not idle_scheduling_available(),
                                reason="SCHED_IDLE exists only on Linux")


def where_it_ran(cancelled, box):
    box["thread"] = threading.current_thread()
    box["policy"] = os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else None
    box["interval"] = sys.getswitchinterval()
    return "value"


@linux_only
def test_work_runs_on_an_idle_priority_thread_with_a_short_switch_interval():
    before = sys.getswitchinterval()
    box: dict = {}
    with Background(where_it_ran, box) as job:
        assert job.result() == "value"
    assert box["thread"] is not threading.main_thread()
    assert box["policy"] == os.SCHED_IDLE
    assert box["interval"] == pytest.approx(background.SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == before  # restored once the work is done
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the caller's policy is untouched


def test_without_idle_scheduling_the_work_runs_in_the_caller(monkeypatch):
    monkeypatch.setattr(background, "idle_scheduling_available", lambda: False)
    box: dict = {}
    with Background(where_it_ran, box) as job:
        assert box == {}  # nothing ran beside
        assert job.result() == "value"
    assert box["thread"] is threading.main_thread()


@linux_only
def test_when_idle_scheduling_is_refused_the_work_runs_in_the_caller(monkeypatch):
    def refuse(*args):
        raise PermissionError("not here")

    monkeypatch.setattr(background.os, "sched_setscheduler", refuse)
    box: dict = {}
    with Background(where_it_ran, box) as job:
        assert job.result() == "value"
    assert box["thread"] is threading.main_thread()


def test_the_works_error_is_raised_by_result():
    def fail(cancelled):
        raise ValueError("broken part")

    with Background(fail) as job:
        with pytest.raises(ValueError, match="broken part"):
            job.result()


def test_leaving_by_an_error_cancels_waits_and_keeps_the_callers_error():
    started, seen = threading.Event(), {}

    def steps(cancelled):
        started.set()
        for _ in range(1000):
            if cancelled.wait(0.01):
                seen["cancelled"] = True
                raise Cancelled()
        raise AssertionError("never cancelled")

    with pytest.raises(KeyError, match="caller"):
        with Background(steps) as job:
            if idle_scheduling_available():
                assert started.wait(5)
            raise KeyError("caller")
    assert job.cancelled.is_set()
    if idle_scheduling_available():
        assert seen == {"cancelled": True}  # it stopped, and was waited for
