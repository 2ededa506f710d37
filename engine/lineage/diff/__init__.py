"""What changed between two recorded runs: the answer to "what changed?" at 3am.

:func:`diff_runs` takes two runs as :meth:`LineageStore.get_run` returns them (and, when
their training data differ, their ``train`` column profiles) and returns a JSON-able dict
that holds only differences, grouped by section (the shape is drawn in :func:`diff_runs`).
One module per section: ``values`` (config, overrides, code, packages), ``data``,
``shift``, ``model``, ``results`` (metrics and checks).  Pure functions over plain dicts:
no store, no I/O, and no numpy, so ``driftline diff`` stays fast as a whole process.

A changed value is always ``{"a": before, "b": after}``.  Keyed collections (config keys,
packages) are ``{"added": {key: b}, "removed": {key: a}, "changed": {key: {"a", "b"}}}``.
May import: the standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftline.engine.lineage.diff.data import diff_data
from driftline.engine.lineage.diff.model import diff_model
from driftline.engine.lineage.diff.results import diff_checks, diff_metrics
from driftline.engine.lineage.diff.shift import diff_shift, needs_profiles
from driftline.engine.lineage.diff.values import diff_fields, diff_keyed, diff_overrides, flatten


#: Sections of a diff, in the order they are reported.
SECTIONS = ("config", "overrides", "code", "packages", "data", "shift", "model", "metrics",
            "checks")


# -- the whole diff ------------------------------------------------------------------------
def diff_runs(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    profiles_a: Mapping[str, Mapping[str, Any]] | None = None,
    profiles_b: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything that differs from run ``a`` to run ``b``.

    ``profiles_a`` / ``profiles_b``: the runs' ``train`` profiles by column ({} when none
    were recorded); needed only when :func:`needs_profiles` says so.  Returns::

        {"a": RUN, "b": RUN,            # id, experiment, status, started_at, error
         "same_run": bool, "identical": bool,
         "changed": [section, ...],     # sections with differences, in SECTIONS order
         "config":   {"added", "removed", "changed"},           # dotted keys
         "overrides": {} | {"a", "b", "added", "removed"},
         "code":     {field: {"a", "b"}},                        # commit, dirty, diff_hash
         "packages": {"added", "removed", "changed"},            # dotted names
         "data":     {role: ROLE_DIFF},                          # see diff_data
         "shift":    {"status", "note", "columns", "added", "removed"[, "definitions"]},
         "model":    {} | MODEL_DIFF,                            # see diff_model
         "metrics":  {"overall", "added", "removed", "slices"},  # see diff_metrics
         "checks":   {"added", "removed", "changed"}}            # only when recorded
    """
    same = a["id"] == b["id"]
    if same:
        a = b  # nothing to compare: every section comes out empty
    sections: dict[str, Any] = {
        "config": diff_keyed(flatten(a.get("config") or {}), flatten(b.get("config") or {})),
        "overrides": diff_overrides(a.get("overrides") or [], b.get("overrides") or []),
        "code": diff_fields(a.get("git") or {}, b.get("git") or {},
                            ("commit", "dirty", "diff_hash")),
        "packages": diff_keyed(flatten(a.get("versions") or {}),
                               flatten(b.get("versions") or {})),
        "data": diff_data(a.get("datasets") or [], b.get("datasets") or []),
        "shift": diff_shift(a, b, profiles_a, profiles_b),
        "model": diff_model(a.get("model"), b.get("model")),
        "metrics": diff_metrics(a.get("metrics") or [], b.get("metrics") or []),
    }
    checks = diff_checks(a, b)
    if checks is not None:
        sections["checks"] = checks
    changed = [name for name, section in sections.items() if section_changed(name, section)]
    return {"a": run_summary(a), "b": run_summary(b), "same_run": same,
            "identical": not changed, "changed": changed, **sections}


def run_summary(run: Mapping[str, Any]) -> dict[str, Any]:
    """The few fields that name a run in a diff's header."""
    return {key: run.get(key) for key in ("id", "experiment", "status", "started_at", "error")}


def section_changed(name: str, section: Mapping[str, Any]) -> bool:
    """True when a section of a diff holds a difference."""
    if name == "data":
        return any(role["status"] != "same" for role in section.values())
    if name == "shift":
        return bool(section["columns"] or section["added"] or section["removed"])
    if name == "metrics":
        return bool(section["overall"] or section["added"] or section["removed"]
                    or section["slices"])
    return any(bool(v) for v in section.values())
