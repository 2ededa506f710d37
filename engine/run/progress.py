"""Showing a run's stages as they happen: one line per stage, a bar for long ones."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("driftline")

# Without a terminal, long stages log at most this many progress lines.
_PLAIN_PROGRESS_STEPS = 4


class StageReporter:
    """Logs ``[i/n] stage ... done in 1.2s`` lines; ``progress`` drives a bar for long stages."""

    def __init__(self, total_stages: int, *, interactive: bool | None = None):
        self.total = total_stages
        self.index = 0
        self.timings: dict[str, float] = {}
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self._bar = None
        self._last_plain = -1

    @contextmanager
    def stage(self, name: str, *, since: float | None = None) -> Iterator[None]:
        """One stage; ``since`` (a ``time.perf_counter()`` value) starts its clock earlier,
        for a stage whose work began in the background before its line was printed, so
        the time shown is what the user waited for."""
        self.index += 1
        log.info("[%d/%d] %s ...", self.index, self.total, name)
        start = time.perf_counter() if since is None else since
        try:
            yield
        finally:
            self._close_bar()
        elapsed = time.perf_counter() - start
        self.timings[name] = elapsed
        log.info("[%d/%d] %s done in %.2fs", self.index, self.total, name, elapsed)

    def progress(self, done: int, total: int, label: str) -> None:
        """Called by components during long work (e.g. boosting rounds)."""
        if self.interactive:
            if self._bar is None:
                from tqdm import tqdm  # only when a terminal wants a bar

                self._bar = tqdm(total=total, desc=label, leave=False, file=sys.stderr)
            self._bar.update(done - self._bar.n)
            return
        step = int(done * _PLAIN_PROGRESS_STEPS / max(total, 1))
        if step > self._last_plain:
            self._last_plain = step
            log.info("    %s %d/%d", label, done, total)

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self._last_plain = -1
