"""Work done on a second thread while the calling thread does the main work.

Why: a run leaves cores idle at two times.  Building its components imports LightGBM,
scikit-learn and pandera on one core (most of a second): reading and hashing the data can
use the other one meanwhile.  LightGBM's threads leave the cores idle for part of every
boosting round (serial steps between parallel ones): the bookkeeping training does not
need (hashing the split parts, profiling the training data) can use those moments
instead of adding its time before or after training.

The work runs on a thread scheduled ``SCHED_IDLE`` (Linux): the kernel gives it a core
only when no other thread of the machine wants one, so it cannot slow the main work down.
(An ordinary thread beside LightGBM's spinning OpenMP threads stalled small trainings up
to 10x; beside the imports it competed with them for the cores and the GIL and gained
nothing.)  When its result is asked for, the caller waits for it only while it gets CPU
time (its thread's CPU clock advances).  On a machine kept busy by other processes such a
thread may get no time at all: then the caller does the work itself at its own priority
and the idle thread's attempt is dropped (it stops at its next check of ``cancelled``).
Where ``SCHED_IDLE`` is missing or refused, the caller does the work when the result is
asked for, as if in sequence.  The work should start no threads of its own (they would
be joined at exit) and may be done twice (the thread's attempt, then the caller's), so it
must not write anything.

While the thread runs, the interpreter's switch interval is ``SWITCH_INTERVAL_S``: when
the main thread needs the GIL back (between two boosting rounds, after a polars call) and
the idle thread holds it, it waits at most that long (Python's default is 5 ms).

``with Background(fn, *args) as job:`` starts ``fn(cancelled, *args)``; ``job.result()``
returns its value or raises its exception.  Leaving the block by an exception sets
``cancelled`` (``fn`` should check it between steps and raise :class:`Cancelled`) and
drops what the work raised; the thread is not waited for.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: GIL switch interval while idle work runs (seconds; Python's default is 0.005).
SWITCH_INTERVAL_S = 0.0002
#: Waiting for idle work: how often its thread's CPU time is looked at (seconds), and the
#: share of a core below which it counts as starved.  Two starved looks in a row and the
#: caller takes the work over.  (Time the work spends in polars' own threads does not
#: count as its thread's, hence a low share and two looks.)
PROGRESS_CHECK_S = 0.1
STARVED_SHARE = 0.1


class Cancelled(Exception):
    """Raised inside the work to stop early because the caller gave up."""


def idle_scheduling_available() -> bool:
    """True where threads can be given the idle scheduling policy (Linux)."""
    return sys.platform.startswith("linux") and hasattr(os, "SCHED_IDLE")


class Background(Generic[T]):
    """One function on one idle-priority thread; see the module docstring."""

    def __init__(self, fn: Callable[..., T], *args: Any, name: str = "driftline-background"):
        self._fn = fn
        self._args = args
        self._name = name
        self.cancelled = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved_interval: float | None = None
        # Set by the thread once its outcome is final (never, if it could not run).
        self._finished = threading.Event()
        # Orders "the thread stores its outcome" against "the caller takes the work over".
        self._lock = threading.Lock()
        self._outcome: tuple[T | None, BaseException | None] = (None, None)

    def __enter__(self) -> Background[T]:
        if idle_scheduling_available():
            self._saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL_S, self._saved_interval))
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.cancelled.set()
        self._restore_interval()

    def result(self) -> T:
        """The function's return value; re-raises what it raised (see the module
        docstring for who computes it)."""
        if self._thread is not None:
            self._wait_while_it_progresses(self._thread)
        with self._lock:
            take_over = not self._finished.is_set()
            if take_over:  # not done (or never started): drop the thread's attempt
                self.cancelled.set()
        if take_over:
            self._outcome = _call(self._fn, threading.Event(), self._args)
            self._finished.set()
        self._restore_interval()
        value, error = self._outcome
        if error is not None:
            raise error
        return value  # type: ignore[return-value]

    def _wait_while_it_progresses(self, thread: threading.Thread) -> None:
        """Wait for the idle thread as long as the machine gives it CPU time."""
        try:
            clock = time.pthread_getcpuclockid(thread.ident)  # type: ignore[arg-type]
            used = time.clock_gettime(clock)
        except (AttributeError, OSError):  # no per-thread clock, or the thread is gone
            return
        starved = 0
        while not self._finished.wait(PROGRESS_CHECK_S):
            try:
                now = time.clock_gettime(clock)
            except OSError:  # the thread ended without an outcome (refused SCHED_IDLE)
                return
            starved = starved + 1 if now - used < STARVED_SHARE * PROGRESS_CHECK_S else 0
            if starved >= 2:
                return
            used = now

    def _run(self) -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # this thread only
        except OSError:
            return  # not permitted here: result() does the work in the caller
        outcome = _call(self._fn, self.cancelled, self._args)
        with self._lock:
            if not self.cancelled.is_set():
                self._outcome = outcome
                self._finished.set()

    def _restore_interval(self) -> None:
        if self._saved_interval is not None:
            sys.setswitchinterval(self._saved_interval)
            self._saved_interval = None


def _call(fn: Callable[..., Any], cancelled: threading.Event,
          args: tuple[Any, ...]) -> tuple[Any, BaseException | None]:
    try:
        return fn(cancelled, *args), None
    except BaseException as exc:  # handed to the caller by result()
        return None, exc
