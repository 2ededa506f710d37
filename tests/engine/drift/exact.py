"""Independent computations the drift tests compare against: exact counts from a sort."""

from __future__ import annotations

import numpy as np


def exact_le_lt(values: np.ndarray, points) -> tuple[np.ndarray, np.ndarray]:
    """How many values are <= and < each point (from a full sort and binary search)."""
    s = np.sort(values)
    return (np.searchsorted(s, points, side="right"), np.searchsorted(s, points, side="left"))


def lower_partial_moments(values: np.ndarray, points) -> np.ndarray:
    """mean(max(point - value, 0)) at each point."""
    return np.array([np.maximum(p - values, 0.0).mean() for p in points])
