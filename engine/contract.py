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
  returns a :class:`engine.TestResult` with a finite float statistic, a p-value in [0, 1]
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

Importing this module is cheap: numpy and polars load when a check runs.
"""

from __future__ import annotations

import atexit
import dataclasses
import inspect
import json
import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from engine.errors import ConfigError, DriftlineError, PluginError, did_you_mean
from engine.kinds import KINDS, kind_base
from engine.kinds.base import RunContext
from engine.params import parse_params
from engine.registry import Registry

#: Tasks a model or metric may claim.
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")
#: Rows of the contract frame.
CONTRACT_ROWS = 240
#: Columns of the contract frame that are never features.
ROW_ID = "row_id"
TARGETS: dict[str, str] = {"binary": "y_binary", "multiclass": "y_multiclass",
                           "regression": "y_regression"}
#: Classes of the multiclass target.
N_CLASSES = 3
#: A parameter name no component declares; the ``params`` check expects it rejected.
UNKNOWN_KEY = "not_a_parameter_of_this_component"
#: Longest failure reason shown, in characters.
MAX_REASON_CHARS = 400
#: Seed of the contract data and runs.
SEED = 7
# Names Hydra writes in every run folder (job log named after hydra.job.name, config copy).
_RUN_FOLDER_NAMES = ("driftline.log", ".hydra")
#: Polars writer method per file ending, for sources that declare ``extensions``.
_WRITERS: dict[str, str] = {".csv": "write_csv", ".parquet": "write_parquet",
                            ".ipc": "write_ipc", ".arrow": "write_ipc", ".feather": "write_ipc",
                            ".ndjson": "write_ndjson", ".jsonl": "write_ndjson",
                            ".json": "write_json"}


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on one component."""

    kind: str
    name: str
    # Distribution providing the component, and its version ("" when added in code).
    package: str
    version: str
    check: str
    ok: bool
    # Why it failed (one line); "" when ok.
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class CheckFailed(AssertionError):
    """A conformance check failed; the message is the reason (one line)."""


# -- the contract frame ------------------------------------------------------------------
def contract_frame(seed: int = SEED, rows: int = CONTRACT_ROWS) -> Any:
    """A small seeded table: numeric, categorical, boolean and date columns, three targets.

    Columns: ``row_id`` (Int64, 0..rows-1), ``num_a`` (Float64, ~5% null), ``num_b``
    (Int64 counts), ``cat`` (String a/b/c, ~5% null), ``flag`` (Boolean), ``day`` (Date),
    ``y_binary`` (0/1), ``y_multiclass`` (0..2), ``y_regression`` (Float64).
    """
    import datetime as dt

    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    row_id = np.arange(rows)
    num_a = rng.normal(0.0, 1.0, rows)
    num_b = rng.poisson(3.0, rows)
    cat = rng.choice(np.array(["a", "b", "c"]), rows, p=[0.5, 0.3, 0.2])
    flag = rng.random(rows) < 0.4
    signal = 1.5 * num_a + 1.0 * (cat == "a") - 0.3 * (num_b - 3) + 0.6 * flag
    y_binary = (rng.random(rows) < 1.0 / (1.0 + np.exp(-signal))).astype(np.int64)
    noisy = signal + rng.normal(0.0, 0.5, rows)
    y_multiclass = np.digitize(noisy, np.quantile(noisy, [1 / 3, 2 / 3])).astype(np.int64)
    y_regression = 2.0 * signal + rng.normal(0.0, 0.3, rows)
    null_a, null_cat = rng.random(rows) < 0.05, rng.random(rows) < 0.05
    return pl.DataFrame({
        ROW_ID: row_id.astype(np.int64),
        "num_a": pl.Series(num_a).set(pl.Series(null_a), None),
        "num_b": num_b.astype(np.int64),
        "cat": pl.Series(cat).set(pl.Series(null_cat), None),
        "flag": flag,
        "day": [dt.date(2024, 1, 1) + dt.timedelta(days=int(i)) for i in row_id],
        TARGETS["binary"]: y_binary,
        TARGETS["multiclass"]: y_multiclass,
        TARGETS["regression"]: y_regression,
    })


# -- what a check is run on ----------------------------------------------------------------
@dataclass
class Subject:
    """One component under check: how to build it, and what was learnt while checking."""

    kind: str
    name: str
    registry: Registry
    # Parameters to build it with (a config node without ``kind``); None = the component's
    # own ``example_params``, else its defaults.
    params: dict[str, Any] | None = None
    package: str = ""
    version: str = ""
    # The loaded component (set by the import check).
    cls: Any = None
    _tmp: Path | None = field(default=None, init=False, repr=False)
    _trained: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    # -- resources ---------------------------------------------------------------------
    @property
    def tmp(self) -> Path:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="driftline-contract-"))
        return self._tmp

    def close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self._trained.clear()

    def context(self, task: str = "binary", seed: int = SEED) -> RunContext:
        return RunContext(seed=seed, task=task, target=TARGETS[task], run_dir=self.tmp,
                          base_dir=self.tmp, num_threads=1)

    # -- building ----------------------------------------------------------------------
    def example(self) -> dict[str, Any] | None:
        """The config node the checks build the component from (None = defaults)."""
        if self.params is not None:
            return dict(self.params)
        declared = getattr(self.cls, "example_params", None)
        if declared is not None:
            return dict(declared)
        if self.kind == "source":
            return self._file_source_example()
        return None

    def _file_source_example(self) -> dict[str, Any] | None:
        names = {f.name for f in dataclasses.fields(self.cls.Params)} \
            if dataclasses.is_dataclass(self.cls.Params) else set()
        ext = next((e for e in getattr(self.cls, "extensions", ()) if e in _WRITERS), None)
        if ext is None or "path" not in names:
            return None
        path = self.tmp / f"contract{ext}"
        if not path.exists():
            getattr(contract_frame(), _WRITERS[ext])(path)
        return {"path": str(path)}

    def build(self) -> Any:
        params = parse_params(self.cls.Params, self.example() or {}, where=self.kind)
        return self.cls(params)

    def trained(self, task: str, *, fresh: bool = False) -> tuple[Any, Any]:
        """(model fitted on the contract frame for ``task``, test feature frame)."""
        if not fresh and task in self._trained:
            return self._trained[task]
        result = _fit_model(self, task)
        if not fresh:
            self._trained[task] = result
        return result


def _fit_model(subject: Subject, task: str) -> tuple[Any, Any]:
    from engine.kinds.model import TrainingData
    from engine.targets import choose_features

    frame = contract_frame()
    target = TARGETS[task]
    others = [c for c in TARGETS.values() if c != target]
    features, categorical = choose_features(frame, target=target, exclude=[ROW_ID, *others],
                                            features=None)
    fold = frame[ROW_ID] % 5
    train, valid, test = frame.filter(fold < 3), frame.filter(fold == 3), frame.filter(fold == 4)
    y = {part: df[target].to_numpy() for part, df in (("train", train), ("valid", valid))}
    n_classes = {"binary": 2, "multiclass": N_CLASSES, "regression": 1}[task]
    data = TrainingData(train=train, y_train=y["train"], features=features,
                        categorical=categorical, task=task, n_classes=n_classes,
                        valid=valid, y_valid=y["valid"])
    model = subject.build()
    try:
        model.fit(data, subject.context(task))
    except Exception as exc:
        raise CheckFailed(f"fit on the {task} task raised {_describe_exc(exc)}") from exc
    return model, test.select(features)


# -- checks shared by every kind --------------------------------------------------------------
def _check_import(s: Subject) -> None:
    try:
        s.cls = s.registry.load(s.kind, s.name)
    except DriftlineError as exc:
        raise CheckFailed(str(exc)) from exc


def _is_pandera_model(s: Subject) -> bool:
    base = kind_base(s.kind)
    return s.kind == "schema" and not (isinstance(s.cls, type) and issubclass(s.cls, base))


def _check_protocol(s: Subject) -> None:
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
    from engine.model_io import MODEL_CARD
    from engine.pipeline import SCHEMA_FAILURES_FILE

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


def _check_params(s: Subject) -> None:
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
        raise CheckFailed(f"{where} do not validate: {_describe_exc(exc)}{hint}") from exc
    try:
        parse_params(params_cls, dataclasses.asdict(built), where=s.kind)
    except Exception as exc:
        raise CheckFailed(f"{where} do not fit their own declared types or ranges: "
                          f"{_describe_exc(exc)}") from exc
    _expect_unknown_key_rejected(params_cls, example or {}, s.kind)
    try:
        component = s.cls(built)
        json.dumps(component.describe())
    except Exception as exc:
        raise CheckFailed(f"building it or describing it as JSON data failed: "
                          f"{_describe_exc(exc)}") from exc


def _expect_unknown_key_rejected(params_cls: type, example: dict[str, Any], where: str) -> None:
    try:
        parse_params(params_cls, {**example, UNKNOWN_KEY: 1}, where=where)
    except ConfigError as exc:
        if UNKNOWN_KEY not in str(exc):
            raise CheckFailed(f"an unknown parameter was rejected without naming it: {exc}") from exc
        return
    except Exception as exc:
        raise CheckFailed(f"an unknown parameter raised {_describe_exc(exc)} instead of a "
                          f"ConfigError") from exc
    raise CheckFailed(f"an unknown parameter '{UNKNOWN_KEY}' was accepted.")


# -- model ----------------------------------------------------------------------------------
def model_tasks(cls: Any) -> tuple[str, ...]:
    """The tasks a model (or metric) claims: its ``tasks`` attribute, else all of them."""
    claimed = getattr(cls, "tasks", None)
    return tuple(t for t in TASKS if claimed is None or t in claimed)


def _check_predict(s: Subject, task: str) -> None:
    import numpy as np

    model, x = s.trained(task)
    out = _call(lambda: model.predict(x), f"predict on the {task} task")
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


def _check_round_trip(s: Subject, task: str) -> None:
    import numpy as np

    model, x = s.trained(task)
    data = _call(model.dumps, "dumps()")
    if not isinstance(data, bytes):
        raise CheckFailed(f"dumps() must return bytes; got {type(data).__name__}.")
    meta = _call(model.metadata, "metadata()")
    try:
        meta = json.loads(json.dumps(meta))
    except (TypeError, ValueError) as exc:
        raise CheckFailed(f"metadata() must be JSON data: {exc}") from exc
    summary = _call(model.summary, "summary()")
    if not isinstance(summary, dict):
        raise CheckFailed(f"summary() must return a dict; got {type(summary).__name__}.")
    loaded = _call(lambda: s.cls.loads(data, meta), f"loads() of the {task} model")
    if not isinstance(loaded, kind_base("model")):
        raise CheckFailed(f"loads() must return a model; got {type(loaded).__name__}.")
    before = np.asarray(model.predict(x))
    after = np.asarray(_call(lambda: loaded.predict(x), "predict of the loaded model"))
    if before.shape != after.shape or not np.array_equal(before, after, equal_nan=True):
        diff = np.max(np.abs(before - after)) if before.shape == after.shape else "shape"
        raise CheckFailed(f"the model loaded from dumps() predicts differently on the {task} "
                          f"task (largest difference {diff}).")


def _check_deterministic(s: Subject, task: str) -> None:
    first, _ = s.trained(task)
    second, _ = s.trained(task, fresh=True)
    a, b = _call(first.dumps, "dumps()"), _call(second.dumps, "dumps()")
    if a != b:
        at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        raise CheckFailed(f"two trainings with the same data and seed gave different dumps() "
                          f"on the {task} task (first difference at byte {at}).")


# -- metric, transform, source, splitter, schema ------------------------------------------
def _metric_inputs(task: str) -> tuple[Any, Any]:
    import numpy as np

    rng = np.random.default_rng(SEED)
    n = 60
    if task == "regression":
        y = rng.normal(0.0, 1.0, n)
        return y, y + rng.normal(0.0, 0.5, n)
    k = 2 if task == "binary" else N_CLASSES
    y = np.arange(n) % k
    if task == "binary":
        return y, np.clip(0.3 * y + 0.7 * rng.random(n), 0.0, 1.0)
    scores = rng.random((n, k)) + np.eye(k)[y]
    return y, scores / scores.sum(axis=1, keepdims=True)


def _check_metric(s: Subject, task: str) -> None:
    metric = s.build()
    y_true, y_score = _metric_inputs(task)
    value = _call(lambda: metric.compute(y_true, y_score, task), f"compute on the {task} task")
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


def _check_transform(s: Subject) -> None:
    import polars as pl

    transform = s.build()
    frame = contract_frame()
    out = _call(lambda: transform.apply(frame.lazy(), s.context()), "apply")
    if not isinstance(out, pl.LazyFrame):
        raise CheckFailed(f"apply must return a polars LazyFrame; got {type(out).__name__}.")
    _call(out.collect, "collecting the transformed frame")


def _check_source(s: Subject) -> None:
    import polars as pl

    source = s.build()
    out = _call(lambda: source.load(s.context()), "load")
    if not isinstance(out, (pl.LazyFrame, pl.DataFrame)):
        raise CheckFailed(f"load must return a polars LazyFrame or DataFrame; got "
                          f"{type(out).__name__}.")
    frame = _call(out.collect, "collecting the loaded frame") if isinstance(out, pl.LazyFrame) else out
    if frame.width == 0 or frame.height == 0:
        raise CheckFailed(f"load returned an empty table ({frame.height} x {frame.width}).")
    if s._file_source_example() is not None and frame.height != CONTRACT_ROWS:
        raise CheckFailed(f"load read {frame.height} rows from a file of {CONTRACT_ROWS}.")


def _check_splitter(s: Subject) -> None:
    import polars as pl

    from engine.kinds.splitter import SPLIT_ROLES

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
    parts = _call(lambda: splitter.split(frame, s.context()), "split")
    if not isinstance(parts, dict):
        raise CheckFailed(f"split must return a dict of parts; got {type(parts).__name__}.")
    return {role: part for role, part in parts.items() if part is not None}


def _check_schema(s: Subject) -> None:
    if _is_pandera_model(s):
        built = _call(s.cls.to_schema, "to_schema")
    else:
        built = _call(s.build().build, "build")
    if not callable(getattr(built, "validate", None)):
        raise CheckFailed(f"build must return a pandera schema (with validate); got "
                          f"{type(built).__name__}.")


# -- drift test -------------------------------------------------------------------------------
#: How far the shifted contract batch moves: numbers by this many standard deviations,
#: and this share of categorical rows is redrawn as the rarest level.
DRIFT_SHIFT = 2.0
DRIFT_SHARE = 0.6
# Contract frame column used per column kind of a drift test.
_DRIFT_COLUMNS = {"numeric": "num_a", "categorical": "cat"}


def drift_inputs(column_kind: str) -> dict[str, tuple[Any, Any]]:
    """(reference profile, current view) of a contract column: for a batch from the same
    distribution (``same``) and for a clearly shifted one (``shifted``)."""
    import numpy as np
    import polars as pl

    from engine.drift.profile import profile_frame, view_frame

    column = _DRIFT_COLUMNS[column_kind]
    reference = profile_frame(contract_frame(), {column: column_kind}, seed=SEED)
    batch = contract_frame(seed=SEED + 1).select(column)
    if column_kind == "numeric":
        std = float(batch[column].std() or 1.0)
        shifted = batch.with_columns(pl.col(column) + DRIFT_SHIFT * std)
    else:
        move = pl.Series(np.random.default_rng(SEED).random(batch.height) < DRIFT_SHARE)
        shifted = batch.with_columns(pl.when(move).then(pl.lit("c")).otherwise(pl.col(column))
                                     .alias(column))
    ref = reference[column]
    return {label: (ref, view_frame(frame, reference)[column])
            for label, frame in (("same", batch), ("shifted", shifted))}


def _check_drift_test(s: Subject) -> None:
    from engine.kinds.drift_test import COLUMN_KINDS, ROLES

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
    from engine.kinds.drift_test import TestResult

    result = _call(lambda: test.compute(ref, cur), f"compute on a {kind} column")
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


# -- running ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Check:
    family: str
    label: str
    run: Callable[[], None]


def _checks(s: Subject) -> Iterator[_Check]:
    """The checks for ``s``, in order; the first three must pass for the rest to run."""
    for family, func in (("import", _check_import), ("protocol", _check_protocol),
                         ("params", _check_params)):
        yield _Check(family, family, lambda func=func: func(s))
    if s.kind == "model":
        for family, func in (("predict", _check_predict), ("round-trip", _check_round_trip),
                             ("deterministic", _check_deterministic)):
            for task in model_tasks(s.cls):
                yield _Check(family, f"{family} [{task}]", lambda f=func, t=task: f(s, t))
    elif s.kind == "metric":
        for task in model_tasks(s.cls):
            yield _Check("compute", f"compute [{task}]", lambda t=task: _check_metric(s, t))
    elif s.kind in _BEHAVIOUR:
        family, func = _BEHAVIOUR[s.kind]
        yield _Check(family, family, lambda: func(s))


_BEHAVIOUR: dict[str, tuple[str, Callable[[Subject], None]]] = {
    "transform": ("apply", _check_transform),
    "source": ("load", _check_source),
    "splitter": ("split", _check_splitter),
    "schema": ("build", _check_schema),
    "drift_test": ("compute", _check_drift_test),
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
        return _one_line(str(exc))
    except Exception as exc:  # a component's own failure is a failed check, not a crash
        return _one_line(f"raised {_describe_exc(exc)}")
    return None


def check_component(registry: Registry, kind: str, name: str, *,
                    params: dict[str, Any] | None = None) -> list[CheckResult]:
    """Every conformance check of one registered component; never raises for its failures."""
    subject = _subject(registry, kind, name, params)
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


def _subject(registry: Registry, kind: str, name: str, params: dict[str, Any] | None) -> Subject:
    if kind not in KINDS:
        raise PluginError(f"unknown component kind '{kind}'.{did_you_mean(kind, KINDS)}")
    try:
        entry = registry.entry(kind, name)
        package, version = entry.distribution, entry.version
    except PluginError:  # reported by the import check
        claims = [e for e in registry.entries() if (e.kind, e.name) == (kind, name)]
        package = " + ".join(e.distribution for e in claims)
        version = " + ".join(e.version for e in claims)
    return Subject(kind, name, registry, params, package, version)


def _call(func: Callable[[], Any], what: str) -> Any:
    try:
        return func()
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(f"{what} raised {_describe_exc(exc)}") from exc


def _describe_exc(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS - 3] + "..."


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
    subject = _subject(registry, cls.kind, name, cls.params)
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
