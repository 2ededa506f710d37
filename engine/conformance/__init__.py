"""The conformance suite for components: what ``driftline plugins check`` runs.

Every component is checked for: it imports and subclasses its kind's protocol class, and
overrides every method the protocol leaves unimplemented (``import``, ``protocol``); its
``Params`` is a dataclass whose defaults (or ``example_params``) validate, whose unknown
keys are rejected with a ConfigError, and its ``describe()`` is JSON data (``params``).
Then, by kind, on a tiny seeded frame (:func:`contract_frame`):

* model: for every task it claims (class attribute ``tasks``, default all three) it trains,
  predicts the documented shape (``predict``), round-trips through ``dumps``/``loads`` with
  bit-identical predictions and JSON metadata (``round-trip``), and gives the same bytes
  when trained twice with the same seed (``deterministic``);
* metric: a finite float for every task it claims, the same on the same input;
* transform: maps a LazyFrame to a LazyFrame that collects;
* source: ``load`` returns a (Lazy)DataFrame with rows; a source that declares file
  ``extensions`` and has a ``path`` parameter is given the contract frame written as such
  a file;
* splitter: train and test parts that partition the rows, keep input order, same seed ->
  same split;
* schema: ``build`` returns an object with ``validate``;
* drift test: ``role`` and ``column_kinds`` are valid; for each column kind ``compute``
  returns a :class:`driftline.engine.TestResult` with a finite float statistic, a p-value in [0, 1]
  (significance) or None (effect), a definition and JSON details, repeatably; and a
  clearly shifted batch (:func:`drift_inputs`) gets a larger statistic than an unshifted
  one.

A component whose ``Params`` has a field without a default declares
``example_params: ClassVar[dict]`` (a config node, without ``kind``, that builds it;
column names refer to :func:`contract_frame`).

Two ways in: :func:`check_component` (plain function, used by the CLI) and the pytest
classes (:class:`ModelContract`, ...) a plugin's own tests subclass in one line::

    class TestLogreg(ModelContract):
        component = LogisticModel          # or: name = "logreg" (an installed one)

The package holds one module per noun: ``inputs`` (the seeded frames), ``subject`` (the
component under check), ``checks`` (the checks, by kind), ``runner`` (running them in
order), ``results`` (what a check reports) and ``suites`` (the pytest classes).
Importing it is cheap: numpy and polars load when a check runs.

May import: ``drift``, ``data``, ``lineage``, ``components``, ``errors``; never ``run``
or ``cli``.
"""

from __future__ import annotations

from driftline.engine.conformance.checks import model_tasks, required_methods
from driftline.engine.conformance.inputs import TASKS, contract_frame, drift_inputs
from driftline.engine.conformance.results import CheckFailed, CheckResult
from driftline.engine.conformance.runner import (
    check_component,
    check_installed,
    registry_keys,
    run_checks,
)
from driftline.engine.conformance.subject import Subject
from driftline.engine.conformance.suites import (
    ComponentContract,
    DriftTestContract,
    MetricContract,
    ModelContract,
    SchemaContract,
    SourceContract,
    SplitterContract,
    TransformContract,
)


__all__ = [
    "CheckFailed",
    "CheckResult",
    "ComponentContract",
    "DriftTestContract",
    "MetricContract",
    "ModelContract",
    "SchemaContract",
    "SourceContract",
    "SplitterContract",
    "Subject",
    "TASKS",
    "TransformContract",
    "check_component",
    "check_installed",
    "contract_frame",
    "drift_inputs",
    "model_tasks",
    "registry_keys",
    "required_methods",
    "run_checks",
]
