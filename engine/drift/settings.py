"""Drift settings: the ``drift`` config node as typed values (tests, margins, alpha, rules).

Which tests run, per column kind or per column, the margins an effect must reach, the
significance level, column rules and critical columns.  :meth:`DriftSettings.summary`
is what a check records with its results; :func:`current_settings` composes them at
check time from the project's current config and the command line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from driftline.engine.components.params import parse_params
from driftline.engine.errors import UsageError

if TYPE_CHECKING:
    from driftline.engine.components.registry import Registry
    from driftline.engine.config.project import Project


@dataclass
class NumericTests:
    """Tests for numeric columns."""

    # Significance test (a registered drift_test with role "significance").
    significance: str = "ks"
    # Effect size (a registered drift_test with role "effect").
    effect: str = "wasserstein"


@dataclass
class CategoricalTests:
    """Tests for categorical columns."""

    # Significance test (a registered drift_test with role "significance").
    significance: str = "chi2"
    # Effect size (a registered drift_test with role "effect").
    effect: str = "psi"


@dataclass
class DefaultTests:
    """The tests used for each column kind, unless a column names its own."""

    numeric: NumericTests = field(default_factory=NumericTests)
    categorical: CategoricalTests = field(default_factory=CategoricalTests)


@dataclass
class ColumnRule:
    """Settings of one column that override the defaults (every key optional)."""

    # Significance test for this column; null = the default for its kind.
    test: str | None = None
    # Effect-size test for this column; null = the default for its kind.
    effect: str | None = None
    # Significance level for this column; null = drift.alpha.
    alpha: float | None = field(default=None, metadata={"gt": 0.0, "lt": 1.0})
    # Effect-size margin (in the effect test's units); null = the kind's margin.
    margin: float | None = field(default=None, metadata={"ge": 0.0})


@dataclass
class DriftSettings:
    """The ``drift`` config node (plugins/conf/drift/default.yaml documents each key)."""

    # Significance level for the Benjamini-Hochberg-adjusted p-values.
    alpha: float = field(default=0.05, metadata={"gt": 0.0, "lt": 1.0})
    # Numeric columns: smallest effect size (normalised Wasserstein by default) that drifts.
    numeric_margin: float = field(default=0.05, metadata={"ge": 0.0})
    # Categorical columns: smallest effect size (PSI by default) that drifts.
    categorical_margin: float = field(default=0.1, metadata={"ge": 0.0})
    # The verdict: by default the batch drifts when any feature column drifts.  Set, this
    # share of its feature columns must drift instead (0 < x <= 1).
    share: float | None = field(default=None, metadata={"gt": 0.0, "le": 1.0})
    # Set, the drifted columns must also hold at least this share of the model's feature
    # importance (gain, recorded with the model) for the batch to drift (0 < x <= 1).
    importance_share: float | None = field(default=None, metadata={"gt": 0.0, "le": 1.0})
    # Columns whose drift alone makes the dataset drift.
    critical: list[str] = field(default_factory=list)
    # Whether a drift of the model's output alone makes the check drift.
    output_critical: bool = True
    # Whether a drift of the label (a batch with the target column) alone makes the check
    # drift; label drift is always reported, in its own section.
    label_critical: bool = False
    # The baseline profile features and the label are compared with: the run's train split,
    # its valid or test split, or all of its development data (before the split).
    reference: str = field(default="all", metadata={"choices": ("train", "valid", "test", "all")})
    # Columns with fewer non-null batch values keep raw values for exact tests.
    min_rows_for_distance: int = field(default=1000, metadata={"ge": 0})
    # Absolute change of a column's null share that counts as drift (when significant).
    null_rate_margin: float = field(default=0.05, metadata={"ge": 0.0, "le": 1.0})
    # Share of a batch column's values in never-seen categories that counts as drift.
    unseen_share: float = field(default=0.01, metadata={"gt": 0.0, "le": 1.0})
    # Per-column overrides: column name -> {test, effect, alpha, margin}.
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    # Default tests per column kind.
    tests: DefaultTests = field(default_factory=DefaultTests)
    # Alerts to call when drift is found: a list of {kind: NAME, ...parameters}.
    alerts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_config(cls, node: Mapping[str, Any] | None, where: str = "drift") -> DriftSettings:
        """Settings from the ``drift`` config node (a plain mapping), checked."""
        return parse_params(cls, node or {}, where=where)

    def for_output(self) -> DriftSettings:
        """These settings for the model-output check: no column rules (they name input
        columns), and any output column drifting is output drift; whether that alone makes
        the check drift is ``output_critical``."""
        return dataclasses.replace(self, critical=[], columns={}, share=None,
                                   importance_share=None)

    def summary(self) -> dict[str, Any]:
        """The settings a report shows next to its verdict."""
        return {"alpha": self.alpha, "numeric_margin": self.numeric_margin,
                "categorical_margin": self.categorical_margin, "share": self.share,
                "importance_share": self.importance_share, "critical": list(self.critical),
                "output_critical": self.output_critical,
                "label_critical": self.label_critical, "reference": self.reference,
                "null_rate_margin": self.null_rate_margin,
                "unseen_share": self.unseen_share,
                "min_rows_for_distance": self.min_rows_for_distance}

    def margin_for(self, column: str, kind: str) -> float:
        rule = self.columns.get(column)
        if rule is not None and rule.margin is not None:
            return rule.margin
        return self.numeric_margin if kind == "numeric" else self.categorical_margin

    def alpha_for(self, column: str) -> float:
        rule = self.columns.get(column)
        return rule.alpha if rule is not None and rule.alpha is not None else self.alpha

    def test_names(self, column: str, kind: str) -> tuple[str, str]:
        """(significance test, effect test) for a column."""
        defaults = self.tests.numeric if kind == "numeric" else self.tests.categorical
        rule = self.columns.get(column) or ColumnRule()
        return rule.test or defaults.significance, rule.effect or defaults.effect


def current_settings(project: Project, registry: Registry,
                     overrides: Sequence[str] = ()) -> tuple[DriftSettings, dict[str, Any]]:
    """The settings a check uses: the project's current ``drift`` config (its conf/drift and
    the packaged defaults, composed by Hydra as a run would) with ``overrides`` on top
    (``drift.numeric_margin=0.02``, ``drift.critical=[age]``, ``drift=strict``).

    Returns the settings and the composed node (what the check records).  Only drift keys
    can be overridden: anything else would not change a check.
    """
    from omegaconf import OmegaConf

    from driftline.engine.config.compose import check_composition, config_locations

    for text in overrides:
        key = text.split("=", 1)[0].lstrip("+~")
        if key != "drift" and not key.startswith("drift."):
            raise UsageError(
                f"'{text}' is not a drift setting; a check takes drift.KEY=VALUE overrides "
                f"(e.g. drift.numeric_margin=0.02 drift.critical=[age]) and data.KEY=VALUE read "
                f"settings (e.g. data.null_values=[NA]).")
    conf_dir, searchpath = config_locations(project, registry)
    composed = check_composition(conf_dir, searchpath, list(overrides))
    node = OmegaConf.to_container(composed.get("drift") or {}, resolve=True)
    return DriftSettings.from_config(node), node
