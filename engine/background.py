"""Work done in the idle moments of the cores while the calling thread does the main work.

Why: a run leaves cores idle at two times.  Building its components imports LightGBM,
scikit-learn and pandera on one core (most of a second): reading and hashing the data can
use the other one meanwhile.  LightGBM's threads leave the cores idle for part of every
boosting round (serial steps between parallel ones): the bookkeeping training does not
need (hashing the split parts, profiling the training data) can use those moments
instead of adding its time before or after training.

How, and why this way:

* The work runs on a thread scheduled ``SCHED_IDLE`` (Linux): the kernel gives it a core
  only when no other thread of the machine wants one, so it never slows LightGBM down.
  (A normal-priority thread next to LightGBM's spinning OpenMP threads stalled small
  trainings up to 10x.)  Threads it starts inherit the policy.
* While it runs, the interpreter's switch interval is lowered to ``SWITCH_INTERVAL_S``:
  when the training thread needs the GIL back between two rounds and the idle thread
  holds it, it waits at most that long (the default, 5 ms, added up over the rounds).
* Where ``SCHED_IDLE`` is not available (or not permitted), nothing runs beside: the
  work runs in the calling thread when its result is asked for, as if done in sequence.

``with Background(fn, *args) as job:`` starts ``fn(cancelled, *args)``; ``job.result()``
waits for it and returns its value or raises its exception.  Leaving the block by an
exception sets ``cancelled``, waits for the thread and drops what it raised.  ``fn``
should check ``cancelled`` between steps and raise :class:`Cancelled` when it is set.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: GIL switch interval while idle-priority work runs (seconds; Python's default is 0.005).
SWITCH_INTERVAL_S = 0.0002


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
        self.cancelled = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved_interval: float | None = None
        self._value: T | None = None
        self._error: BaseException | None = None
        # False until the work has run (beside, or in the caller when it could not).
        self._done = False
        self._name = name

    def __enter__(self) -> Background[T]:
        if idle_scheduling_available():
            self._saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL_S, self._saved_interval))
            self._thread = threading.Thread(target=self._run_idle, name=self._name, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.cancelled.set()
        self._join()

    def result(self) -> T:
        """The function's return value, once it is done; re-raises what it raised."""
        self._join()
        if not self._done:  # no idle thread: run it here, now
            self._call()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._saved_interval is not None:
            sys.setswitchinterval(self._saved_interval)
            self._saved_interval = None

    def _run_idle(self) -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # this thread only
        except OSError:
            return  # not permitted here: result() runs the work in the caller
        self._call()

    def _call(self) -> None:
        try:
            self._value = self._fn(self.cancelled, *self._args)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        self._done = True
