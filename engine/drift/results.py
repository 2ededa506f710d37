"""What a drift check finds: one result per column, and the report with the dataset verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ColumnResult:
    """The outcome for one column (``to_dict`` is its JSON shape)."""

    column: str
    # "numeric" or "categorical".
    type: str
    # Significance test, its statistic, p-value and BH-adjusted p-value.
    test: str | None
    statistic: float | None
    p_value: float | None
    p_adjusted: float | None
    # Effect-size test (its name is the measure), the effect size and its margin.
    effect_measure: str | None
    effect_size: float | None
    threshold: float
    alpha: float
    drifted: bool
    critical: bool
    # Why it drifted: any of "distribution", "null_rate", "unseen".
    reasons: list[str]
    # Largest ratio of an effect (effect size, null-rate change, unseen share) to its margin.
    severity: float
    # Exact definitions of the statistic and the effect size.
    definition: str
    # Non-null values compared (reference, batch).
    n_ref: int
    n_cur: int
    null_rate_ref: float
    null_rate_cur: float
    null_p_value: float | None
    null_p_adjusted: float | None
    unseen_share: float | None
    unseen_examples: list[str]
    # Facts the tests returned (method, degrees of freedom, ...), by role.
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def null_rate_change(self) -> float:
        return self.null_rate_cur - self.null_rate_ref

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column, "type": self.type, "test": self.test,
            "statistic": self.statistic, "p_value": self.p_value, "p_adjusted": self.p_adjusted,
            "effect_size": self.effect_size, "effect_measure": self.effect_measure,
            "threshold": self.threshold, "alpha": self.alpha, "drifted": self.drifted,
            "critical": self.critical, "reasons": list(self.reasons), "severity": self.severity,
            "definition": self.definition, "n_ref": self.n_ref, "n_cur": self.n_cur,
            "null_rate_ref": self.null_rate_ref, "null_rate_cur": self.null_rate_cur,
            "null_rate_change": self.null_rate_change, "null_p_value": self.null_p_value,
            "null_p_adjusted": self.null_p_adjusted, "unseen_share": self.unseen_share,
            "unseen_examples": list(self.unseen_examples), "details": self.details,
        }


@dataclass
class DriftReport:
    """The outcome of comparing one batch with one profile."""

    drifted: bool
    # Share of the compared columns that drifted.
    share: float
    columns: list[ColumnResult]
    # Batch columns the reference does not have (ignored).
    extra_columns: list[str]
    # Rows of the batch.
    rows: int
    settings: dict[str, Any]
    # Per column, reference vs batch distribution for plots (driftline.engine.drift.report_html).
    distributions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The drifted columns' share of the model's feature importance (None: not known).
    importance_share: float | None = None
    # Why the batch drifts, one phrase each (empty when it does not).
    reasons: list[str] = field(default_factory=list)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    @property
    def critical_drifted(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted and c.critical]

    def to_dict(self) -> dict[str, Any]:
        return {"drifted": self.drifted, "share": self.share,
                "importance_share": self.importance_share, "reasons": list(self.reasons),
                "rows": self.rows,
                "n_columns": len(self.columns), "n_drifted": len(self.drifted_columns),
                "critical_drifted": self.critical_drifted, "settings": dict(self.settings),
                "columns": [c.to_dict() for c in self.columns],
                "extra_columns": list(self.extra_columns)}
