"""``mean_shift``: how far a numeric column's mean moved, in reference standard deviations.

An *effect* test: ``|mean(batch) - mean(reference)| / std(reference)`` (sample standard
deviation, ddof=1, of the training column), compared by driftline against the margin
configured for effect tests.  A constant reference column (std 0) is measured in the
column's own units instead; a batch with no values gives NaN (nothing to compare).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

from driftline.engine import DriftTest, TestResult

if TYPE_CHECKING:
    from driftline.engine import ColumnProfile, CurrentView

DEFINITION = ("|mean(current) - mean(reference)| / std(reference, ddof=1); the raw "
              "difference when std(reference) is 0")


class MeanShift(DriftTest):
    """Standardised difference of means (an effect size, no p-value)."""

    column_kinds: ClassVar[frozenset[str]] = frozenset({"numeric"})
    role: ClassVar[str] = "effect"

    def compute(self, ref: ColumnProfile, cur: CurrentView) -> TestResult:
        if cur.mean is None or ref.mean is None:
            return TestResult(math.nan, None, DEFINITION, {"current_values": cur.n})
        scale = ref.std if ref.std else 1.0
        shift = abs(cur.mean - ref.mean) / scale
        return TestResult(float(shift), None, DEFINITION,
                          {"reference_mean": ref.mean, "current_mean": cur.mean,
                           "reference_std": ref.std, "current_values": cur.n})
