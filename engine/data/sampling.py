"""Seeded samples of row positions (the same seed and sizes give the same rows)."""

from __future__ import annotations

import numpy as np
import polars as pl


def sample_rows(height: int, size: int, seed: int) -> np.ndarray:
    """``size`` distinct row positions of ``height`` rows, in increasing order (so a sample
    keeps the frame's order), drawn from a generator seeded by ``(seed, height, size)``."""
    rng = np.random.default_rng([seed, height, size])
    return np.sort(rng.choice(height, size=size, replace=False))


def sample_frame(frame: pl.DataFrame, size: int, seed: int) -> pl.DataFrame:
    """The rows of ``frame`` at :func:`sample_rows` (``frame`` itself when it has at most
    ``size`` rows).  Selected with a boolean mask: the same rows in the same order as a
    gather, and about twice as fast on wide frames."""
    if frame.height <= size:
        return frame
    keep = np.zeros(frame.height, dtype=bool)
    keep[sample_rows(frame.height, size, seed)] = True
    return frame.filter(pl.Series(keep))
