"""driftline.engine.run.background: work on an idle-priority thread, waited for only while it runs."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from driftline.engine.run import background
from driftline.engine.run.background import Background, Cancelled, idle_scheduling_available

linux_only = pytest.mark.skipif(not idle_scheduling_available(),
                                reason="SCHED_IDLE exists only on Linux")


def where_it_ran(cancelled, box, done=None):
    box.setdefault("threads", []).append(threading.current_thread())
    box["policy"] = os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else None
    box["interval"] = sys.getswitchinterval()
    if done is not None:
        done.set()
    return threading.current_thread().name


@linux_only
def test_idle_work_done_in_time_comes_from_the_idle_thread():
    before = sys.getswitchinterval()
    box: dict = {}
    done = threading.Event()
    with Background(where_it_ran, box, done, name="idle-worker") as job:
        assert done.wait(10)
        job._finished.wait(10)  # the outcome is stored right after the function returns
        assert job.result() == "idle-worker"
    assert box["policy"] == os.SCHED_IDLE
    assert box["interval"] == pytest.approx(background.SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == before  # restored once the result is taken
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the caller's policy is untouched


@linux_only
def test_idle_work_not_done_is_done_by_the_caller_and_the_thread_dropped():
    release, started = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(cancelled):
        calls.append(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            started.set()
            release.wait(10)  # a thread the machine gives no time to
            return "from the thread"
        return "from the caller"

    with Background(slow, name="starved") as job:
        assert started.wait(10)
        assert job.result() == "from the caller"
        assert job.cancelled.is_set()
        release.set()
        assert job.result() == "from the caller"  # the late thread does not replace it
    assert calls == ["starved", "MainThread"]


def test_without_idle_scheduling_idle_work_runs_in_the_caller(monkeypatch):
    monkeypatch.setattr(background, "idle_scheduling_available", lambda: False)
    box: dict = {}
    with Background(where_it_ran, box) as job:
        assert box == {}  # nothing ran beside
        assert job.result() == "MainThread"
    assert box["threads"] == [threading.main_thread()]


@linux_only
def test_when_idle_scheduling_is_refused_the_work_runs_in_the_caller(monkeypatch):
    def refuse(*args):
        raise PermissionError("not here")

    monkeypatch.setattr(background.os, "sched_setscheduler", refuse)
    box: dict = {}
    with Background(where_it_ran, box) as job:
        assert job.result() == "MainThread"
    assert box["threads"] == [threading.main_thread()]


def test_the_works_error_is_raised_by_result():
    def fail(cancelled):
        raise ValueError("broken part")

    with Background(fail) as job:
        with pytest.raises(ValueError, match="broken part"):
            job.result()


@linux_only
def test_leaving_by_an_error_cancels_the_work_and_keeps_the_callers_error():
    started, stopped = threading.Event(), threading.Event()

    def steps(cancelled):
        started.set()
        for _ in range(1000):
            if cancelled.wait(0.01):
                stopped.set()
                raise Cancelled()
        raise AssertionError("never cancelled")

    with pytest.raises(KeyError, match="caller"):
        with Background(steps) as job:
            assert started.wait(10)
            raise KeyError("caller")
    assert job.cancelled.is_set()
    assert stopped.wait(10)  # the thread saw it and stopped


@linux_only
def test_idle_work_that_gets_cpu_time_is_waited_for(monkeypatch):
    # Left at normal priority (so the test does not depend on the machine being idle):
    # a thread busy computing for longer than two progress checks is not taken over.
    monkeypatch.setattr(background.os, "sched_setscheduler", lambda *args: None)
    calls: list[str] = []

    def busy(cancelled):
        calls.append(threading.current_thread().name)
        deadline = time.thread_time() + 4 * background.PROGRESS_CHECK_S
        while time.thread_time() < deadline:
            pass
        return threading.current_thread().name

    with Background(busy, name="busy") as job:
        assert job.result() == "busy"
    assert calls == ["busy"]
