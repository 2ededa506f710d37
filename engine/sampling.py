"""Seeded samples of row positions (the same seed and sizes give the same rows)."""

from __future__ import annotations

import numpy as np


def sample_rows(height: int, size: int, seed: int) -> np.ndarray:
    """``size`` distinct row positions of ``height`` rows, in increasing order (so a sample
    keeps the frame's order), drawn from a generator seeded by ``(seed, height, size)``."""
    rng = np.random.default_rng([seed, height, size])
    return np.sort(rng.choice(height, size=size, replace=False))
