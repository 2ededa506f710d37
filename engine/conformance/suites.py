"""The pytest classes a plugin's own tests subclass in one line (``class TestX(ModelContract)``)."""

from __future__ import annotations

import atexit
from typing import Any, ClassVar

from driftline.engine.components.registry import Registry
from driftline.engine.conformance.results import CheckFailed
from driftline.engine.conformance.runner import run_checks
from driftline.engine.conformance.subject import Subject, registry_subject
from driftline.engine.errors import ConfigError


# -- the pytest classes ---------------------------------------------------------------------
_SUBJECTS: dict[type, Subject] = {}


class ComponentContract:
    """Base of the pytest contract classes; subclass one per kind, set one attribute.

    ``component``: the class to check (registered for the test under ``name`` or its
    lower-cased class name); or ``name`` alone: an installed component of this kind.
    ``params``: the config node to build it with (default: its ``example_params``, else
    its defaults).
    """

    kind: ClassVar[str] = ""
    component: ClassVar[Any] = None
    name: ClassVar[str] = ""
    params: ClassVar[dict[str, Any] | None] = None

    @classmethod
    def contract_subject(cls) -> Subject:
        if cls not in _SUBJECTS:
            _SUBJECTS[cls] = _new_subject(cls)
        return _SUBJECTS[cls]

    def assert_checks(self, *families: str) -> None:
        """Run the named check families (after the prerequisites); fail with every reason."""
        results = run_checks(self.contract_subject(), families or None)
        failed = [f"{r.check}: {r.reason}" for r in results if not r.ok]
        if failed:
            raise CheckFailed(f"{self.kind} '{self.contract_subject().name}': " + "; ".join(failed))

    def test_implements_protocol(self) -> None:
        self.assert_checks("import", "protocol")

    def test_params_validate(self) -> None:
        self.assert_checks("params")


def _new_subject(cls: type[ComponentContract]) -> Subject:
    if not cls.kind:
        raise ConfigError(f"{cls.__name__}: subclass a kind's contract (ModelContract, ...).")
    if cls.component is not None:
        name = cls.name or getattr(cls.component, "__name__", "component").lower()
        registry = Registry()
        registry.add(cls.kind, name, cls.component, distribution="<test>")
    elif cls.name:
        name, registry = cls.name, Registry.from_environment()
    else:
        raise ConfigError(f"{cls.__name__}: set 'component' (a class) or 'name' (an installed "
                          f"{cls.kind}).")
    subject = registry_subject(registry, cls.kind, name, cls.params)
    atexit.register(subject.close)
    return subject


class ModelContract(ComponentContract):
    """Model conformance: shapes per task, save/load round trip, deterministic bytes."""

    kind: ClassVar[str] = "model"

    def test_predicts_documented_shape(self) -> None:
        self.assert_checks("predict")

    def test_round_trip_predicts_identically(self) -> None:
        self.assert_checks("round-trip")

    def test_dumps_is_deterministic(self) -> None:
        self.assert_checks("deterministic")


class MetricContract(ComponentContract):
    """Metric conformance: a finite, repeatable float for every task it claims."""

    kind: ClassVar[str] = "metric"

    def test_computes_a_float(self) -> None:
        self.assert_checks("compute")


class TransformContract(ComponentContract):
    """Transform conformance: LazyFrame in, LazyFrame out, and it collects."""

    kind: ClassVar[str] = "transform"

    def test_maps_lazyframe_to_lazyframe(self) -> None:
        self.assert_checks("apply")


class SourceContract(ComponentContract):
    """Source conformance: load returns a non-empty (Lazy)DataFrame."""

    kind: ClassVar[str] = "source"

    def test_loads_a_table(self) -> None:
        self.assert_checks("load")


class SplitterContract(ComponentContract):
    """Splitter conformance: a seeded, order-keeping partition into train/valid/test."""

    kind: ClassVar[str] = "splitter"

    def test_splits_the_rows(self) -> None:
        self.assert_checks("split")


class DriftTestContract(ComponentContract):
    """Drift test conformance: the documented TestResult fields, growing with drift."""

    kind: ClassVar[str] = "drift_test"

    def test_returns_documented_result(self) -> None:
        self.assert_checks("compute")


class SchemaContract(ComponentContract):
    """Schema conformance: build returns a pandera schema."""

    kind: ClassVar[str] = "schema"

    def test_builds_a_schema(self) -> None:
        self.assert_checks("build")
