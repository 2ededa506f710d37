"""Protocol of a drift test: one number comparing a batch column with its reference profile.

A drift test has a *role*: a ``significance`` test answers "could this difference be
chance?" with a p-value (KS, chi-square); an ``effect`` test answers "how large is it?"
with an effect size compared against a margin (Wasserstein, PSI, Jensen-Shannon).  The
engine runs one of each per column, corrects the p-values across columns and flags a
column only when both say so (``driftline.engine.drift.compare``).

``compute`` gets the column's :class:`engine.ColumnProfile` (the training baseline) and
its :class:`engine.CurrentView` (the batch counted against that profile; raw values in
``values`` when the batch is small) and returns a :class:`TestResult` whose
``definition`` states exactly what was computed -- it is stored with every result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from driftline.engine.components.kinds.base import Component

if TYPE_CHECKING:
    from driftline.engine.drift.profile import ColumnProfile
    from driftline.engine.drift.view import CurrentView

#: What a drift test gives: a p-value, or an effect size.
ROLES = ("significance", "effect")
#: Column kinds a drift test may apply to.
COLUMN_KINDS = ("numeric", "categorical")


@dataclass(frozen=True)
class TestResult:
    """What a drift test found on one column."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    # The test's statistic: KS D, chi-square, normalised Wasserstein, PSI, ...
    statistic: float
    # The p-value (significance tests); None for effect sizes.
    p_value: float | None
    # Exactly what was computed (estimator, bins, floor, log base); stored with the result.
    definition: str
    # Further facts worth keeping (method used, degrees of freedom, sample sizes).
    details: Mapping[str, Any] = field(default_factory=dict)


class DriftTest(Component):
    """One statistic on one column; subclasses set the class variables and ``compute``."""

    #: Column kinds this test applies to ("numeric", "categorical").
    column_kinds: ClassVar[frozenset[str]] = frozenset()
    #: "significance" (gives a p-value) or "effect" (gives an effect size).
    role: ClassVar[str] = ""

    def compute(self, ref: ColumnProfile, cur: CurrentView) -> TestResult:
        raise NotImplementedError
