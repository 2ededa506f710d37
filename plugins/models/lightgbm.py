"""LightGBM as a driftline model: native categoricals, deterministic training, text format.

Features become a float64 matrix (:mod:`driftline.plugins.models.features`).

Training is deterministic by default: ``deterministic=True``, a fixed histogram strategy
(``force_col_wise``, see :data:`FIXED_PARAMS`), the run seed (LightGBM derives its bagging,
feature-fraction and other seeds from it), and ``verbosity=-1``.  The same data and
parameters give a bit-identical model file in any process.  Note that LightGBM writes every
parameter into the model text; ``num_threads`` (how training ran, not what was learnt; the
trees do not depend on it with ``force_col_wise``) is dropped from it, so a sweep job with
one thread and a run with all cores write the same file.

The model is saved in LightGBM's own text format, cut at the best iteration, and the
fitted model predicts from that same text, so a reloaded model predicts identically.
Nothing is ever pickled.
"""

from __future__ import annotations

import difflib
import functools
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import lightgbm as lgb
import numpy as np
import polars as pl
from lightgbm.basic import LightGBMError

from driftline.engine import (
    ConfigError,
    DataError,
    Model,
    ModelError,
    RunContext,
    TrainingData,
)
from driftline.plugins.models.features import FeatureEncoder

log = logging.getLogger("driftline")


#: Config key of this model's node (the ``model`` group); used to name keys in errors.
CONFIG_ROOT = "model"
#: ``ctx.progress`` is called at most this many times per fit.
MAX_PROGRESS_CALLS = 50
#: Objective chosen when ``params.objective`` is null.
DEFAULT_OBJECTIVE = {"binary": "binary", "multiclass": "multiclass", "regression": "regression"}
#: LightGBM objectives (and aliases) whose predictions fit each task's output convention.
OBJECTIVES_BY_TASK = {
    "binary": ("binary", "cross_entropy", "xentropy"),
    "multiclass": ("multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr"),
    "regression": (
        "regression", "regression_l2", "l2", "mean_squared_error", "mse", "l2_root",
        "root_mean_squared_error", "rmse", "regression_l1", "l1", "mean_absolute_error", "mae",
        "huber", "fair", "poisson", "quantile", "mape", "mean_absolute_percentage_error",
        "gamma", "tweedie",
    ),
}
#: Set on every fit.  LightGBM picks row- or column-wise histograms by timing both when
#: neither is forced, so one must be fixed for reproducible models.  Column-wise: LightGBM
#: recommends it for few threads (<= 16) and it does not double the Dataset's memory the way
#: row-wise does.  ``extra`` may override these (e.g. ``force_row_wise: true``).
FIXED_PARAMS: dict[str, Any] = {"deterministic": True, "force_col_wise": True, "verbosity": -1}
#: LightGBM parameters driftline sets itself -> the config key to use instead.
OWNED_PARAMS = {
    "num_iterations": f"{CONFIG_ROOT}.num_boost_round",
    "early_stopping_round": f"{CONFIG_ROOT}.early_stopping_rounds",
    "seed": "seed (the run seed)",
    "num_threads": "the run's thread setting",
    "num_class": "the task (classes come from the target)",
    "categorical_feature": "the data (categorical columns are detected from their dtype)",
}
# The source location LightGBM appends to its check failures.
_LGB_LOCATION = re.compile(r"\s+at\s+\S+,\s+line\s+\d+\s*\.?\s*$")


@dataclass
class LightGBMParams:
    """LightGBM's own training parameters: names and defaults as in LightGBM's documentation."""

    # Loss to optimise; null picks it from the task: binary, multiclass or regression.
    objective: str | None = None
    # Shrinkage of each new tree's contribution (step size); smaller needs more rounds.
    learning_rate: float = field(default=0.1, metadata={"gt": 0.0})
    # Maximum number of leaves in one tree (main complexity control).
    num_leaves: int = field(default=31, metadata={"ge": 2, "le": 131072})
    # Maximum depth of a tree; -1 (or any value <= 0) means no limit.
    max_depth: int = field(default=-1, metadata={"ge": -1})
    # Minimum number of training rows in a leaf.
    min_data_in_leaf: int = field(default=20, metadata={"ge": 0})
    # Minimum sum of hessians (loss curvature) in a leaf.
    min_sum_hessian_in_leaf: float = field(default=1e-3, metadata={"ge": 0.0})
    # Share of features sampled for each tree (1.0 = all).
    feature_fraction: float = field(default=1.0, metadata={"gt": 0.0, "le": 1.0})
    # Share of rows sampled at each bagging step; used only when bagging_freq > 0.
    bagging_fraction: float = field(default=1.0, metadata={"gt": 0.0, "le": 1.0})
    # Draw a new row sample every this many rounds; 0 disables bagging.
    bagging_freq: int = field(default=0, metadata={"ge": 0})
    # L1 regularisation of leaf values.
    lambda_l1: float = field(default=0.0, metadata={"ge": 0.0})
    # L2 regularisation of leaf values.
    lambda_l2: float = field(default=0.0, metadata={"ge": 0.0})
    # Minimum loss reduction (gain) a split must bring.
    min_gain_to_split: float = field(default=0.0, metadata={"ge": 0.0})
    # Maximum number of histogram bins per numeric feature.
    max_bin: int = field(default=255, metadata={"ge": 2})
    # Categorical features with at most this many levels are split one-level-vs-rest.
    max_cat_to_onehot: int = field(default=4, metadata={"ge": 1})
    # Smoothing of per-level statistics in categorical splits (damps rare levels).
    cat_smooth: float = field(default=10.0, metadata={"ge": 0.0})
    # L2 regularisation in categorical splits.
    cat_l2: float = field(default=10.0, metadata={"ge": 0.0})
    # Minimum number of rows per level group in a categorical split.
    min_data_per_group: int = field(default=100, metadata={"ge": 1})
    # Maximum number of levels on one side of a categorical split.
    max_cat_threshold: int = field(default=32, metadata={"ge": 1})
    # Any other LightGBM parameter, passed verbatim (e.g. {is_unbalance: true}); names are
    # checked against LightGBM's list, and may not repeat a field above or one driftline sets.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class LightGBMModelParams:
    """Parameters of the ``lightgbm`` model."""

    # Maximum number of boosting rounds (one tree per class per round).
    num_boost_round: int = field(default=200, metadata={"ge": 1})
    # Stop when the valid split's loss has not improved for this many rounds; null = never.
    # Used only when the split has a valid part; the model keeps the best round.
    early_stopping_rounds: int | None = field(default=20, metadata={"ge": 1})
    # LightGBM's training parameters.
    params: LightGBMParams = field(default_factory=LightGBMParams)


class LightGBMModel(Model):
    """Gradient-boosted trees (LightGBM) for binary, multiclass and regression tasks."""

    Params: ClassVar[type] = LightGBMModelParams
    format: ClassVar[str] = "lightgbm-text"
    file_name: ClassVar[str] = "model.txt"

    def __init__(self, params: LightGBMModelParams | None = None):
        super().__init__(params)
        _check_extra(self.params.params)
        self._text: str | None = None
        self._booster: lgb.Booster | None = None
        self._encoder: FeatureEncoder | None = None
        self._facts: dict[str, Any] = {}
        self._train_scores: np.ndarray | None = None

    # -- training ---------------------------------------------------------------------
    def fit(self, data: TrainingData, ctx: RunContext) -> None:
        encoder = FeatureEncoder.learn(data.train, data.features, data.categorical)
        n_classes = _n_classes(data)
        params, keys = self._lgb_params(data.task, n_classes, ctx)
        x = encoder.matrix(data.train, "train")
        y = _check_target(data.y_train, data.task, n_classes, len(x), "train")
        train_set = lgb.Dataset(x, y, feature_name=encoder.lgb_names(), free_raw_data=True,
                                categorical_feature=encoder.categorical_indices())
        valid_sets = self._valid_sets(data, encoder, n_classes, train_set)
        total = self.params.num_boost_round
        progress = ctx.progress if callable(ctx.progress) else None
        callbacks = [_progress_callback(progress, total)] if progress is not None else []
        if valid_sets:
            callbacks.append(lgb.early_stopping(
                self.params.early_stopping_rounds, first_metric_only=True, verbose=False))
        booster = _lgb_call("train the model", keys, params, lambda: lgb.train(
            params, train_set, num_boost_round=total, valid_sets=valid_sets,
            valid_names=["valid"] * len(valid_sets), callbacks=callbacks,
            keep_training_booster=True))
        done = booster.current_iteration()
        best = booster.best_iteration if valid_sets and booster.best_iteration > 0 else done
        if done < total:
            log.info("    train stopped early at round %d of %d (no gain on the valid split "
                     "for %d rounds; the model keeps round %d)", done, total,
                     self.params.early_stopping_rounds, best)
        facts = {"task": data.task, "n_classes": n_classes, "best_iteration": int(best),
                 "objective": params["objective"]}
        text = _without_runtime_params(booster.model_to_string(num_iteration=best))
        self._set_trained(text, encoder, facts)
        self._train_scores = _training_scores(booster, text) if best == done else None

    def _valid_sets(self, data: TrainingData, encoder: FeatureEncoder, n_classes: int,
                    train_set: lgb.Dataset) -> list[lgb.Dataset]:
        """The valid split as a LightGBM Dataset, when early stopping is on and it has rows."""
        if self.params.early_stopping_rounds is None or data.valid is None \
                or data.valid.height == 0:
            return []
        x = encoder.matrix(data.valid, "valid")
        y = _check_target(data.y_valid, data.task, n_classes, len(x), "valid")
        return [lgb.Dataset(x, y, reference=train_set)]

    def _lgb_params(self, task: str, n_classes: int, ctx: RunContext
                    ) -> tuple[dict[str, Any], dict[str, str]]:
        """LightGBM's parameter dict, and each parameter's config key (for error messages)."""
        p = self.params.params
        objective = p.objective or DEFAULT_OBJECTIVE[task]
        if objective not in OBJECTIVES_BY_TASK[task]:
            raise ConfigError(
                f"objective '{objective}' does not fit task '{task}' (key: "
                f"{CONFIG_ROOT}.params.objective). Valid: {', '.join(OBJECTIVES_BY_TASK[task])}, "
                f"or null to choose by task.", key=f"{CONFIG_ROOT}.params.objective")
        declared = {f.name: getattr(p, f.name) for f in fields(p)
                    if f.name not in ("objective", "extra")}
        params = {"objective": objective, **declared, **FIXED_PARAMS,
                  "seed": ctx.seed % 2**31, "num_threads": ctx.num_threads}
        if task == "multiclass":
            params["num_class"] = n_classes
        if _truthy(p.extra.get("force_row_wise")):
            params["force_col_wise"] = False
        params.update(p.extra)
        keys = {name: f"{CONFIG_ROOT}.params.{name}" for name in ("objective", *declared)}
        keys.update({name: f"{CONFIG_ROOT}.params.extra.{name}" for name in p.extra})
        keys["seed"] = "seed"
        return params, keys

    def _set_trained(self, text: str, encoder: FeatureEncoder, facts: dict[str, Any]) -> None:
        self._booster = _load_booster(text)
        if self._booster.num_feature() != len(encoder.features):
            raise ModelError(
                f"the saved LightGBM model has {self._booster.num_feature()} features but its "
                f"metadata lists {len(encoder.features)}; the model file and metadata do not "
                f"belong together. Retrain or restore both from the same run.")
        self._text, self._encoder, self._facts = text, encoder, facts

    # -- using ------------------------------------------------------------------------
    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        booster, encoder = self._trained()
        x = encoder.matrix(frame, "data to predict")
        multiclass = self._facts["task"] == "multiclass"
        if len(x) == 0:
            return np.empty((0, self._facts["n_classes"]) if multiclass else (0,))
        out = _lgb_call("predict", {}, {}, lambda: booster.predict(x))
        return np.asarray(out, dtype=np.float64)

    def training_predictions(self) -> np.ndarray | None:
        """LightGBM's own scores of the training rows (kept while boosting, so free).

        Only for plain gradient boosting whose every round is kept: the scores are then
        exactly what :meth:`predict` returns for those rows.  Not after early stopping
        (the booster scored rounds the model drops), nor for dart, rf or linear trees
        (their scores differ from a prediction in the last bits).
        """
        return self._train_scores

    def dumps(self) -> bytes:
        self._trained()
        return self._text.encode("utf-8")

    def metadata(self) -> dict[str, Any]:
        _, encoder = self._trained()
        return {
            "format": self.format,
            "features": list(encoder.features),
            "categorical": {name: list(levels) for name, levels in encoder.levels.items()},
            **self._facts,
            "lightgbm_version": lgb.__version__,
        }

    @classmethod
    def loads(cls, data: bytes, metadata: dict[str, Any], params: Any = None) -> LightGBMModel:
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModelError(
                f"the saved model is not LightGBM text (not UTF-8 at byte {exc.start}); the "
                f"file is damaged or of another format. Retrain or restore it.") from exc
        missing = [k for k in ("features", "categorical", "task", "n_classes", "best_iteration",
                               "objective") if k not in metadata]
        if missing:
            raise ModelError(
                f"model metadata lacks {', '.join(missing)}; it was not written by the lightgbm "
                f"model. Retrain, or restore the metadata recorded with the run.")
        encoder = FeatureEncoder(list(metadata["features"]),
                           {k: list(v) for k, v in metadata["categorical"].items()})
        model = cls(params)
        facts = {k: metadata[k] for k in ("task", "n_classes", "best_iteration", "objective")}
        model._set_trained(text, encoder, facts)
        return model

    def summary(self) -> dict[str, Any]:
        booster, encoder = self._trained()
        gains = booster.feature_importance(importance_type="gain")
        return {
            "n_trees": int(booster.num_trees()),
            "best_iteration": self._facts["best_iteration"],
            "feature_importance": {f: float(g) for f, g in zip(encoder.features, gains)},
        }

    def _trained(self) -> tuple[lgb.Booster, FeatureEncoder]:
        if self._booster is None or self._encoder is None:
            raise ModelError("the lightgbm model is not trained: call fit() or loads() first.")
        return self._booster, self._encoder


def _n_classes(data: TrainingData) -> int:
    if data.task == "regression":
        return 1
    if data.task == "binary":
        return 2
    if data.task == "multiclass":
        if data.n_classes < 2:
            raise DataError(f"multiclass task with n_classes={data.n_classes}: the target needs "
                            f"at least 2 classes (use task=binary for two).")
        return int(data.n_classes)
    raise ConfigError(f"unknown task '{data.task}' (key: task). Valid: binary, multiclass, "
                      f"regression.", key="task")


def _check_target(y: np.ndarray | None, task: str, n_classes: int, n_rows: int,
                  role: str) -> np.ndarray:
    """The encoded target as float64, after checking it fits the task."""
    if y is None:
        raise DataError(f"the {role} split has rows but no target values.")
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if len(y) != n_rows:
        raise DataError(f"the {role} target has {len(y)} values for {n_rows} rows.")
    if not np.isfinite(y).all():
        raise DataError(f"the {role} target has {int((~np.isfinite(y)).sum())} null, NaN or "
                        f"infinite values; drop or fill those rows.")
    if task != "regression":
        bad = (y != np.round(y)) | (y < 0) | (y >= n_classes)
        if bad.any():
            raise DataError(
                f"the {role} target of a {task} task must be class codes 0..{n_classes - 1}; "
                f"found {float(y[bad][0]):g} in {int(bad.sum())} row(s).")
    return y


def _progress_callback(progress: Callable[..., Any], total: int) -> Callable[[Any], None]:
    """A LightGBM callback reporting ``progress(done, total, "train")`` at most 50 times."""
    step = max(1, math.ceil(total / MAX_PROGRESS_CALLS))

    def report(env: Any) -> None:
        done = env.iteration - env.begin_iteration + 1
        if done % step == 0 or done == total:
            progress(done, total, "train")

    report.order = 5  # before early stopping (order 30), so a stopping round is reported
    return report


def _load_booster(text: str) -> lgb.Booster:
    try:
        return lgb.Booster(model_str=text)
    except LightGBMError as exc:
        raise ModelError(f"the saved model is not a valid LightGBM model ({_first_line(exc)}); "
                         f"the file is damaged or of another format. Retrain or restore it."
                         ) from exc


def _lgb_call(what: str, keys: dict[str, str], params: dict[str, Any],
              call: Callable[[], Any]) -> Any:
    """Run ``call``; turn a LightGBMError into one ModelError line naming the config key."""
    try:
        return call()
    except LightGBMError as exc:
        message = _first_line(exc)
        key = _guilty_key(message, keys, params)
        where = f" (key: {key}). Fix or remove that value" if key else \
            f". Check {CONFIG_ROOT}.params and the training data"
        raise ModelError(f"LightGBM could not {what}: {message}{where}; see LightGBM's "
                         f"parameter documentation.") from exc


def _first_line(exc: Exception) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return _LGB_LOCATION.sub("", lines[0]) if lines else type(exc).__name__


def _guilty_key(message: str, keys: dict[str, str], params: dict[str, Any]) -> str | None:
    """The config key of the parameter a LightGBM message is about, when it names one."""
    for name, key in keys.items():
        if re.search(rf"\b{re.escape(name)}\b", message):
            return key
    for name, value in params.items():
        if isinstance(value, str) and value and name in keys \
                and re.search(rf"(?<![\w.]){re.escape(value)}(?![\w.])", message):
            return keys[name]
    return None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1", "+")


def _check_extra(p: LightGBMParams) -> None:
    """Reject unknown names in ``params.extra`` and ones that duplicate another key."""
    aliases = _lightgbm_aliases()
    if aliases is None:  # the list is unavailable in this LightGBM build: pass through
        return
    canonical = {alias: name for name, names in aliases.items() for alias in names}
    declared = {f.name for f in fields(p)} - {"extra"}
    for key in p.extra:
        where = f"{CONFIG_ROOT}.params.extra.{key}"
        if key not in canonical:
            close = difflib.get_close_matches(key, sorted(canonical), n=1, cutoff=0.6)
            hint = f" Did you mean: {close[0]}?" if close else ""
            raise ConfigError(f"unknown LightGBM parameter '{key}' (key: {where}).{hint} See "
                              f"LightGBM's parameter documentation for valid names.", key=where)
        name = canonical[key]
        if name in declared:
            raise ConfigError(f"'{key}' is LightGBM's {name}, which has its own key: set "
                              f"{CONFIG_ROOT}.params.{name} instead of {where}.", key=where)
        if name in OWNED_PARAMS:
            raise ConfigError(f"'{key}' cannot be set in {where}: it is set from "
                              f"{OWNED_PARAMS[name]}.", key=where)


@functools.lru_cache(maxsize=1)
def _lightgbm_aliases() -> dict[str, list[str]] | None:
    """LightGBM's parameter names -> their aliases (from the library itself), or None."""
    try:
        from lightgbm.basic import _ConfigAliases

        return _ConfigAliases._get_all_param_aliases()
    except Exception:  # a private helper of LightGBM: absent or changed in another version
        return None


# Parameters that describe how training ran, not the model; dropped from the saved text.
_RUNTIME_PARAMS = ("num_threads",)


def _training_scores(booster: lgb.Booster, text: str) -> np.ndarray | None:
    """The booster's scores of its training rows, in ``predict``'s shape; None when they are
    not exactly what the saved model predicts (see ``training_predictions``)."""
    if "\n[boosting: gbdt]\n" not in text or "\n[linear_tree: 0]\n" not in text:
        return None
    kept: list[np.ndarray] = []

    def keep(scores: np.ndarray, _data: Any) -> tuple[str, float, bool]:
        kept.append(np.array(scores, dtype=np.float64, order="C"))  # a copy: LightGBM reuses it
        return "kept", 0.0, True

    # eval_train hands a custom metric the training scores LightGBM kept while boosting
    # (with the objective's transform applied: probabilities for binary and multiclass).
    booster.eval_train(feval=keep)
    return kept[0] if kept else None


def _without_runtime_params(text: str) -> str:
    """The model text without the ``[num_threads: N]`` line of its parameters block."""
    lines = text.split("\n")
    return "\n".join(line for line in lines
                     if not any(line.startswith(f"[{p}: ") for p in _RUNTIME_PARAMS))
