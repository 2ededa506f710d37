"""Running the checks on a component, by name from the registry or as a class: results in order, prerequisites first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from driftline.engine.components.registry import Registry
from driftline.engine.conformance.checks import (
    check_deterministic,
    check_drift_test,
    check_import,
    check_metric,
    check_params,
    check_predict,
    check_protocol,
    check_round_trip,
    check_schema,
    check_source,
    check_splitter,
    check_transform,
    model_tasks,
)
from driftline.engine.conformance.results import (
    CheckFailed,
    CheckResult,
    describe_exc,
    one_line,
)
from driftline.engine.conformance.subject import Subject, registry_subject
from driftline.engine.errors import PluginError, did_you_mean


# -- running ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Check:
    family: str
    label: str
    run: Callable[[], None]


def _checks(s: Subject) -> Iterator[_Check]:
    """The checks for ``s``, in order; the first three must pass for the rest to run."""
    for family, func in (("import", check_import), ("protocol", check_protocol),
                         ("params", check_params)):
        yield _Check(family, family, lambda func=func: func(s))
    if s.kind == "model":
        for family, func in (("predict", check_predict), ("round-trip", check_round_trip),
                             ("deterministic", check_deterministic)):
            for task in model_tasks(s.cls):
                yield _Check(family, f"{family} [{task}]", lambda f=func, t=task: f(s, t))
    elif s.kind == "metric":
        for task in model_tasks(s.cls):
            yield _Check("compute", f"compute [{task}]", lambda t=task: check_metric(s, t))
    elif s.kind in _BEHAVIOUR:
        family, func = _BEHAVIOUR[s.kind]
        yield _Check(family, family, lambda: func(s))


_BEHAVIOUR: dict[str, tuple[str, Callable[[Subject], None]]] = {
    "transform": ("apply", check_transform),
    "source": ("load", check_source),
    "splitter": ("split", check_splitter),
    "schema": ("build", check_schema),
    "drift_test": ("compute", check_drift_test),
}
_PREREQUISITES = ("import", "protocol", "params")


def run_checks(subject: Subject, families: tuple[str, ...] | None = None) -> list[CheckResult]:
    """Run ``subject``'s checks (only ``families`` when given, after the prerequisites)."""
    results = []
    for check in _checks(subject):
        if families is not None and check.family not in families \
                and check.family not in _PREREQUISITES:
            continue
        if check.family == "import" and subject.cls is not None:
            continue
        reason = _outcome(check.run)
        results.append(CheckResult(subject.kind, subject.name, subject.package, subject.version,
                                   check.label, reason is None, reason or ""))
        if reason is not None and check.family in _PREREQUISITES:
            break
    return results


def _outcome(run: Callable[[], None]) -> str | None:
    try:
        run()
    except CheckFailed as exc:
        return one_line(str(exc))
    except Exception as exc:  # a component's own failure is a failed check, not a crash
        return one_line(f"raised {describe_exc(exc)}")
    return None


def check_component(registry: Registry, kind: str, name: str, *,
                    params: dict[str, Any] | None = None) -> list[CheckResult]:
    """Every conformance check of one registered component; never raises for its failures."""
    subject = registry_subject(registry, kind, name, params)
    try:
        return run_checks(subject)
    finally:
        subject.close()


def check_installed(registry: Registry, name: str | None = None) -> list[CheckResult]:
    """Check every registered component, or those called ``name`` (of any kind)."""
    keys = registry_keys(registry)
    if name is not None:
        known = sorted({n for _, n in keys})
        keys = [k for k in keys if k[1] == name]
        if not keys:
            raise PluginError(f"no installed component is called '{name}'."
                              f"{did_you_mean(name, known)}", name=name)
    return [r for kind, n in keys for r in check_component(registry, kind, n)]


def registry_keys(registry: Registry) -> list[tuple[str, str]]:
    """Every registered (kind, name), once each (a name claimed twice is listed once)."""
    return sorted({(e.kind, e.name) for e in registry.entries()})
