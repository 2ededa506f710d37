"""The checks themselves: shared by every kind (import, protocol, params), then one family per kind."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
from dataclasses import dataclass, field
from typing import Any

from driftline.engine.components.kinds import kind_base
from driftline.engine.components.params import parse_params
from driftline.engine.conformance.inputs import (
    CONTRACT_ROWS,
    N_CLASSES,
    ROW_ID,
    TASKS,
    contract_frame,
    drift_inputs,
    metric_inputs,
)
from driftline.engine.conformance.results import CheckFailed, call_checked, describe_exc
from driftline.engine.conformance.subject import Subject
from driftline.engine.errors import ConfigError, DriftlineError


#: A parameter name no component declares; the ``params`` check expects it rejected.
UNKNOWN_KEY = "not_a_parameter_of_this_component"
# Names Hydra writes in every run folder (job log named after hydra.job.name, config copy).
_RUN_FOLDER_NAMES = ("driftline.log", ".hydra")


# -- checks shared by every kind --------------------------------------------------------------
def check_import(s: Subject) -> None:
    try:
        s.cls = s.registry.load(s.kind, s.name)
    except DriftlineError as exc:
        raise CheckFailed(str(exc)) from exc


def _is_pandera_model(s: Subject) -> bool:
    base = kind_base(s.kind)
    return s.kind == "schema" and not (isinstance(s.cls, type) and issubclass(s.cls, base))


def check_protocol(s: Subject) -> None:
    if _is_pandera_model(s):
        return  # a pandera DataFrameModel registered directly: pandera's own protocol
    base = kind_base(s.kind)
    missing = [m for m in required_methods(base) if not _overrides(s.cls, base, m)]
    if missing:
        raise CheckFailed(f"does not implement {', '.join(missing)} of the {s.kind} protocol "
                          f"({base.__module__}.{base.__name__}).")
    if s.kind == "model":
        _check_model_names(s.cls)
    claimed = getattr(s.cls, "tasks", None)
    if s.kind in ("model", "metric") and claimed is not None:
        if not claimed or not set(claimed) <= set(TASKS):
            raise CheckFailed(f"'tasks' must be a non-empty subset of {', '.join(TASKS)}; "
                              f"got {sorted(claimed)!r}.")


def _check_model_names(cls: type) -> None:
    from driftline.engine.lineage.model_files import MODEL_CARD
    from driftline.engine.data.validation import SCHEMA_FAILURES_FILE

    for attr in ("format", "file_name"):
        value = getattr(cls, attr, "")
        if not isinstance(value, str) or not value or "/" in value or "\\" in value:
            raise CheckFailed(f"class attribute '{attr}' must be a non-empty name "
                              f"(no path separators); got {value!r}.")
    reserved = {MODEL_CARD, SCHEMA_FAILURES_FILE, *_RUN_FOLDER_NAMES}
    if cls.file_name in reserved:
        raise CheckFailed(f"file_name '{cls.file_name}' is a file driftline writes in the run "
                          f"folder itself ({', '.join(sorted(reserved))}); choose another "
                          f"name, e.g. '{cls.__name__.lower()}.bin'.")


def required_methods(base: type) -> list[str]:
    """Methods ``base`` declares but leaves unimplemented (they raise NotImplementedError)."""
    names = []
    for name, member in vars(base).items():
        func = getattr(member, "__func__", member)
        if not callable(func) or name.startswith("__"):
            continue
        try:
            source = inspect.getsource(func)
        except (OSError, TypeError):
            continue
        if "raise NotImplementedError" in source:
            names.append(name)
    return names


def _overrides(cls: type, base: type, method: str) -> bool:
    for klass in cls.__mro__:
        if method in vars(klass):
            return klass is not base and not issubclass(base, klass)
    return False


def check_params(s: Subject) -> None:
    if _is_pandera_model(s):
        return
    params_cls = getattr(s.cls, "Params", None)
    if not (isinstance(params_cls, type) and dataclasses.is_dataclass(params_cls)):
        raise CheckFailed(f"Params must be a dataclass; got {params_cls!r}.")
    example = s.example()
    required = [f.name for f in dataclasses.fields(params_cls) if f.init
                and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    unset = [n for n in required if n not in (example or {})]
    if unset:
        raise CheckFailed(f"Params field(s) {', '.join(unset)} have no default and no "
                          f"example_params gives them, so the component cannot be built for "
                          f"the checks: give each a default, or declare example_params.")
    where = "example_params" if example is not None else "the default parameters"
    try:
        built = parse_params(params_cls, example or {}, where=s.kind)
    except Exception as exc:
        hint = "" if example is not None else \
            " (declare example_params if the defaults are not meant to build it)"
        raise CheckFailed(f"{where} do not validate: {describe_exc(exc)}{hint}") from exc
    try:
        parse_params(params_cls, dataclasses.asdict(built), where=s.kind)
    except Exception as exc:
        raise CheckFailed(f"{where} do not fit their own declared types or ranges: "
                          f"{describe_exc(exc)}") from exc
    _expect_unknown_key_rejected(params_cls, example or {}, s.kind)
    try:
        component = s.cls(built)
        json.dumps(component.describe())
    except Exception as exc:
        raise CheckFailed(f"building it or describing it as JSON data failed: "
                          f"{describe_exc(exc)}") from exc


def _expect_unknown_key_rejected(params_cls: type, example: dict[str, Any], where: str) -> None:
    try:
        parse_params(params_cls, {**example, UNKNOWN_KEY: 1}, where=where)
    except ConfigError as exc:
        if UNKNOWN_KEY not in str(exc):
            raise CheckFailed(f"an unknown parameter was rejected without naming it: {exc}") from exc
        return
    except Exception as exc:
        raise CheckFailed(f"an unknown parameter raised {describe_exc(exc)} instead of a "
                          f"ConfigError") from exc
    raise CheckFailed(f"an unknown parameter '{UNKNOWN_KEY}' was accepted.")


# -- model ----------------------------------------------------------------------------------
def model_tasks(cls: Any) -> tuple[str, ...]:
    """The tasks a model (or metric) claims: its ``tasks`` attribute, else all of them."""
    claimed = getattr(cls, "tasks", None)
    return tuple(t for t in TASKS if claimed is None or t in claimed)


def check_predict(s: Subject, task: str) -> None:
    import numpy as np

    model, x = s.trained(task)
    out = call_checked(lambda: model.predict(x), f"predict on the {task} task")
    if not isinstance(out, np.ndarray):
        raise CheckFailed(f"predict must return a numpy array; got {type(out).__name__}.")
    want = (x.height, N_CLASSES) if task == "multiclass" else (x.height,)
    if out.shape != want:
        raise CheckFailed(f"predict on the {task} task must return shape {want}; got {out.shape}.")
    if not np.isfinite(out).all():
        raise CheckFailed(f"predict on the {task} task returned non-finite values.")
    if task != "regression" and ((out < 0).any() or (out > 1).any()):
        raise CheckFailed(f"predict on the {task} task must return probabilities in [0, 1].")
    if task == "multiclass" and not np.allclose(out.sum(axis=1), 1.0, atol=1e-6):
        raise CheckFailed("multiclass probabilities must sum to 1 in every row.")


def check_round_trip(s: Subject, task: str) -> None:
    import numpy as np

    model, x = s.trained(task)
    data = call_checked(model.dumps, "dumps()")
    if not isinstance(data, bytes):
        raise CheckFailed(f"dumps() must return bytes; got {type(data).__name__}.")
    meta = call_checked(model.metadata, "metadata()")
    try:
        meta = json.loads(json.dumps(meta))
    except (TypeError, ValueError) as exc:
        raise CheckFailed(f"metadata() must be JSON data: {exc}") from exc
    summary = call_checked(model.summary, "summary()")
    if not isinstance(summary, dict):
        raise CheckFailed(f"summary() must return a dict; got {type(summary).__name__}.")
    loaded = call_checked(lambda: s.cls.loads(data, meta), f"loads() of the {task} model")
    if not isinstance(loaded, kind_base("model")):
        raise CheckFailed(f"loads() must return a model; got {type(loaded).__name__}.")
    before = np.asarray(model.predict(x))
    after = np.asarray(call_checked(lambda: loaded.predict(x), "predict of the loaded model"))
    if before.shape != after.shape or not np.array_equal(before, after, equal_nan=True):
        diff = np.max(np.abs(before - after)) if before.shape == after.shape else "shape"
        raise CheckFailed(f"the model loaded from dumps() predicts differently on the {task} "
                          f"task (largest difference {diff}).")


def check_deterministic(s: Subject, task: str) -> None:
    first, _ = s.trained(task)
    second, _ = s.trained(task, fresh=True)
    a, b = call_checked(first.dumps, "dumps()"), call_checked(second.dumps, "dumps()")
    if a != b:
        at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        raise CheckFailed(f"two trainings with the same data and seed gave different dumps() "
                          f"on the {task} task (first difference at byte {at}).")


def check_metric(s: Subject, task: str) -> None:
    metric = s.build()
    y_true, y_score = metric_inputs(task)
    value = call_checked(lambda: metric.compute(y_true, y_score, task), f"compute on the {task} task")
    if not isinstance(value, float) or isinstance(value, bool):
        raise CheckFailed(f"compute on the {task} task must return a float; got "
                          f"{type(value).__name__}.")
    if not math.isfinite(value):
        raise CheckFailed(f"compute on well-formed {task} inputs returned {value}.")
    again = metric.compute(y_true, y_score, task)
    if again != value:
        raise CheckFailed(f"compute is not repeatable: {value} then {again}.")
    if not isinstance(getattr(s.cls, "higher_is_better", None), bool):
        raise CheckFailed("class attribute 'higher_is_better' must be True or False.")


def check_transform(s: Subject) -> None:
    import polars as pl

    transform = s.build()
    frame = contract_frame()
    out = call_checked(lambda: transform.apply(frame.lazy(), s.context()), "apply")
    if not isinstance(out, pl.LazyFrame):
        raise CheckFailed(f"apply must return a polars LazyFrame; got {type(out).__name__}.")
    call_checked(out.collect, "collecting the transformed frame")


def check_source(s: Subject) -> None:
    import polars as pl

    source = s.build()
    out = call_checked(lambda: source.load(s.context()), "load")
    if not isinstance(out, (pl.LazyFrame, pl.DataFrame)):
        raise CheckFailed(f"load must return a polars LazyFrame or DataFrame; got "
                          f"{type(out).__name__}.")
    frame = call_checked(out.collect, "collecting the loaded frame") if isinstance(out, pl.LazyFrame) else out
    if frame.width == 0 or frame.height == 0:
        raise CheckFailed(f"load returned an empty table ({frame.height} x {frame.width}).")
    if s._file_source_example() is not None and frame.height != CONTRACT_ROWS:
        raise CheckFailed(f"load read {frame.height} rows from a file of {CONTRACT_ROWS}.")


def check_splitter(s: Subject) -> None:
    import polars as pl

    from driftline.engine.components.kinds.splitter import SPLIT_ROLES

    splitter = s.build()
    frame = contract_frame()
    parts = _split(splitter, frame, s)
    unknown = [r for r in parts if r not in SPLIT_ROLES]
    if unknown or not {"train", "test"} <= set(parts):
        raise CheckFailed(f"split must return train and test (and maybe valid); got "
                          f"{sorted(parts)}.")
    for role, part in parts.items():
        if not isinstance(part, pl.DataFrame):
            raise CheckFailed(f"split part '{role}' must be a DataFrame; got {type(part).__name__}.")
    ids = {role: part[ROW_ID].to_list() for role, part in parts.items()}
    if sorted(i for part in ids.values() for i in part) != list(range(frame.height)):
        raise CheckFailed("the split parts do not hold every row exactly once.")
    for role, part in ids.items():
        if part != sorted(part):
            raise CheckFailed(f"split part '{role}' does not keep the input row order.")
    again = {role: part[ROW_ID].to_list() for role, part in _split(splitter, frame, s).items()}
    if again != ids:
        raise CheckFailed("the same frame and seed gave a different split.")


def _split(splitter: Any, frame: Any, s: Subject) -> dict[str, Any]:
    parts = call_checked(lambda: splitter.split(frame, s.context()), "split")
    if not isinstance(parts, dict):
        raise CheckFailed(f"split must return a dict of parts; got {type(parts).__name__}.")
    return {role: part for role, part in parts.items() if part is not None}


def check_schema(s: Subject) -> None:
    if _is_pandera_model(s):
        built = call_checked(s.cls.to_schema, "to_schema")
    else:
        built = call_checked(s.build().build, "build")
    if not callable(getattr(built, "validate", None)):
        raise CheckFailed(f"build must return a pandera schema (with validate); got "
                          f"{type(built).__name__}.")


def check_drift_test(s: Subject) -> None:
    from driftline.engine.components.kinds.drift_test import COLUMN_KINDS, ROLES

    role, kinds = getattr(s.cls, "role", ""), getattr(s.cls, "column_kinds", ())
    if role not in ROLES:
        raise CheckFailed(f"class attribute 'role' must be one of {', '.join(ROLES)}; got {role!r}.")
    if not kinds or not set(kinds) <= set(COLUMN_KINDS):
        raise CheckFailed(f"'column_kinds' must be a non-empty subset of "
                          f"{', '.join(COLUMN_KINDS)}; got {sorted(kinds)!r}.")
    test = s.build()
    for kind in sorted(kinds):
        results = {label: _drift_result(test, ref, cur, kind, role)
                   for label, (ref, cur) in drift_inputs(kind).items()}
        if not results["shifted"].statistic > results["same"].statistic:
            raise CheckFailed(f"on a {kind} column, a clearly shifted batch got statistic "
                              f"{results['shifted'].statistic} <= {results['same'].statistic} of "
                              f"a batch from the same distribution; the statistic must grow "
                              f"with drift.")


def _drift_result(test: Any, ref: Any, cur: Any, kind: str, role: str) -> Any:
    from driftline.engine.components.kinds.drift_test import TestResult

    result = call_checked(lambda: test.compute(ref, cur), f"compute on a {kind} column")
    if not isinstance(result, TestResult):
        raise CheckFailed(f"compute must return an engine TestResult; got {type(result).__name__}.")
    stat, p = result.statistic, result.p_value
    if not isinstance(stat, float) or isinstance(stat, bool) or not math.isfinite(stat):
        raise CheckFailed(f"TestResult.statistic must be a finite float; got {stat!r} on a "
                          f"{kind} column.")
    if role == "significance" and not (isinstance(p, float) and 0.0 <= p <= 1.0):
        raise CheckFailed(f"a significance test's p_value must be a float in [0, 1]; got {p!r}.")
    if role == "effect" and p is not None:
        raise CheckFailed(f"an effect test's p_value must be None; got {p!r}.")
    if not isinstance(result.definition, str) or not result.definition.strip():
        raise CheckFailed("TestResult.definition must say what was computed (non-empty text).")
    try:
        json.dumps(dict(result.details))
    except (TypeError, ValueError) as exc:
        raise CheckFailed(f"TestResult.details must be JSON data: {exc}") from exc
    again = test.compute(ref, cur)
    if (again.statistic, again.p_value) != (stat, p):
        raise CheckFailed(f"compute is not repeatable on a {kind} column: {stat} then "
                          f"{again.statistic}.")
    return result
