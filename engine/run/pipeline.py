"""One run, start to finish: load, transform, validate, split, train, evaluate, record.

Every stage is recorded in the lineage store as it completes.  Hashing the split parts
and profiling the train part (the drift baseline) run beside training, in the moments it
leaves the cores idle (:mod:`driftline.engine.run.background`); they are recorded when training ends,
also when it failed.  The run is recorded as ``running`` once its config is known to hold together (every
component built; a mistake found before that records nothing, except in a sweep, whose
summary accounts for every job from the store) and finished as
``succeeded`` only after everything else is written; any later error finishes it as
``failed`` with the error, so nothing is ever half-recorded as done.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline.engine.errors import DataError, DriftlineError
from driftline.engine.components.kinds.base import RunContext
from driftline.engine.config.project import Project
from driftline.engine.components.registry import Registry

log = logging.getLogger("driftline")

#: Status of an outcome whose run was never recorded: the config failed before any data
#: was read (a type error, an unknown component), so there is nothing to look up later.
NOT_RECORDED = "not recorded"
STAGES = ("load data", "transform and validate", "split", "train", "evaluate", "record")
#: Timing key of the work done beside training (``RunOutcome.background_timings``).
BESIDE_TRAINING = "hash parts and profile train (beside training)"
LOAD_BESIDE = "read and hash the data (beside building components)"
# The drift baseline profiles a seeded sample of at most this many training rows: beyond
# it, tests gain nothing measurable and profiling time grows with the rows.
PROFILE_MAX_ROWS = 250_000


@dataclass
class RunRequest:
    """Everything needed to execute one run."""

    # The resolved config, as plain data (no Hydra node).
    config: dict[str, Any]
    # The command-line overrides that produced it.
    overrides: list[str]
    run_id: str
    run_dir: Path
    project: Project
    registry: Registry
    # Folder relative data paths are resolved against (where the user ran the command).
    base_dir: Path = field(default_factory=Path.cwd)
    sweep_id: str | None = None
    parent_run_id: str | None = None
    # A rerun expects the source data to hash to this (None: no expectation).
    expected_source_hash: str | None = None
    # Upper bound on threads (a sweep job's share of the cores); None = no cap.
    thread_cap: int | None = None


@dataclass
class RunOutcome:
    run_id: str
    status: str
    run_dir: Path
    metrics: dict[str, float] = field(default_factory=dict)
    primary: tuple[str, float] | None = None
    # Direction of the primary metric (sweepers optimise it; `runs --sort` ranks by it).
    higher_is_better: bool = True
    model_path: Path | None = None
    model_sha256: str | None = None
    error: BaseException | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # Work that ran beside the stages (its time overlaps theirs).
    background_timings: dict[str, float] = field(default_factory=dict)


def config_hash(config: dict[str, Any]) -> str:
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def execute_run(req: RunRequest) -> RunOutcome:
    """Run the pipeline; never raises for a run that reached the store (see ``error``)."""
    from driftline.engine.lineage.store import LineageStore

    store_url = req.project.store_url((req.config.get("store") or {}).get("url"))
    store = LineageStore.open(store_url)
    outcome = RunOutcome(req.run_id, NOT_RECORDED, req.run_dir)

    def record_start() -> None:
        if outcome.status == NOT_RECORDED:
            _record_start(store, req)
            outcome.status = "running"

    try:
        if req.sweep_id:  # every job of a sweep is recorded: its summary reads the store
            record_start()
        try:
            _run_stages(store, req, outcome, record_start)
            outcome.status = "succeeded"
            store.finish_run(req.run_id, "succeeded", summary=_summary(outcome))
        except KeyboardInterrupt as exc:
            recorded = outcome.status != NOT_RECORDED
            outcome.status, outcome.error = "interrupted" if recorded else NOT_RECORDED, exc
            if recorded:
                store.finish_run(req.run_id, "interrupted", error="interrupted by the user")
        except Exception as exc:  # recorded (once the run is), then reported by the caller
            if outcome.status == NOT_RECORDED:
                outcome.error = exc  # a config mistake found before any data was read
                return outcome
            outcome.status, outcome.error = "failed", exc
            message = str(exc) if isinstance(exc, DriftlineError) else f"{type(exc).__name__}: {exc}"
            store.finish_run(req.run_id, "failed", error=message)
        return outcome
    finally:
        store.close()


def _record_start(store: Any, req: RunRequest) -> None:
    from driftline.engine.lineage.codeversion import git_state, package_versions

    cfg = req.config
    store.create_run(
        id=req.run_id, experiment=str(cfg.get("experiment", "default")), config=cfg,
        overrides=list(req.overrides), config_hash=config_hash(cfg),
        git=git_state(req.project.root), versions=package_versions(_plugin_distributions(req)),
        host=socket.gethostname(), pid=os.getpid(), seed=cfg.get("seed"),
        task=cfg.get("task"), target=cfg.get("target"), run_dir=str(req.run_dir),
        sweep_id=req.sweep_id, parent_run_id=req.parent_run_id,
    )


def _plugin_distributions(req: RunRequest) -> list[str]:
    """The packages that provide the components this config selects (for the record)."""
    cfg = req.config
    selected = [("source", cfg.get("data")), ("splitter", cfg.get("split")),
                ("model", cfg.get("model")), ("schema", cfg.get("schema"))]
    selected += [("transform", node) for key in ("transforms", "label_transforms")
                 for node in (cfg.get(key) or {}).values()]
    task_metrics = (cfg.get("metrics") or {}).get(cfg.get("task") or "", {}) or {}
    selected += [("metric", {"kind": (node or {}).get("kind", name)})
                 for name, node in task_metrics.items()]
    used = []
    for kind, node in selected:
        name = node.get("kind") if isinstance(node, dict) else None
        if isinstance(name, str):
            try:
                used.append(req.registry.entry(kind, name).distribution)
            except DriftlineError:
                pass
    return [d for d in used if not d.startswith("<")]


def _run_stages(store: Any, req: RunRequest, out: RunOutcome,
                record_start: Any) -> None:
    from driftline.engine.run.background import Background
    from driftline.engine.lineage.datahash import HASH_SCHEME, FrameHash
    from driftline.engine.drift.settings import DriftSettings
    from driftline.engine.drift.profile import output_profile
    from driftline.engine.data.feature_checks import feature_warnings
    from driftline.engine.run.evaluation import (
        build_metrics,
        primary_metric,
        score_split,
        slice_columns,
        small_slices,
    )
    from driftline.engine.components.kinds.model import TrainingData
    from driftline.engine.lineage.model_files import save_model
    from driftline.engine.run.progress import StageReporter
    from driftline.engine.config.runconf import parse_run_conf
    from driftline.engine.data.preparation import apply_transforms, collect_steps, label_inputs
    from driftline.engine.data.targets import choose_features, fit_target
    from driftline.engine.data.validation import SCHEMA_FAILURES_FILE, build_schema, validate

    conf = parse_run_conf(req.config)
    reg = req.registry
    reporter = StageReporter(len(STAGES))
    threads = conf.num_threads
    if req.thread_cap:
        threads = min(threads, req.thread_cap) if threads else req.thread_cap
    ctx = RunContext(seed=conf.seed, task=conf.task, target=conf.target, run_dir=req.run_dir,
                     base_dir=req.base_dir, num_threads=threads,
                     progress=reporter.progress)

    def record_data(role: str, digest: FrameHash, description: dict[str, Any]) -> None:
        store.record_dataset(req.run_id, role, hash=digest.hash, hash_scheme=HASH_SCHEME,
                             source=description, n_rows=digest.n_rows,
                             n_cols=len(digest.columns),
                             columns=[c.as_dict() for c in digest.columns])

    # Build every component first: a config mistake fails before any data is used.  The
    # source is built first, and reading and hashing its data start at once on an idle-
    # priority thread (driftline.engine.run.background): building the other components imports their
    # libraries on one core.
    source = reg.create("source", conf.data, where="data")
    load_started = time.perf_counter()
    with Background(_load_source, source, ctx, {}, name="driftline-load") as loading:
        transforms = [(f"transforms.{name}", reg.create("transform", node,
                                                        where=f"transforms.{name}"))
                      for name, node in conf.transforms.items()]
        label_transforms = [(f"label_transforms.{name}", reg.create(
            "transform", node, where=f"label_transforms.{name}"))
            for name, node in conf.label_transforms.items()]
        schema = build_schema(reg, conf.schema, where="schema")
        splitter = reg.create("splitter", conf.split, where="split")
        model = reg.create("model", conf.model, where="model")
        metrics = build_metrics(reg, conf.task, getattr(conf.metrics, conf.task))
        primary = primary_metric(conf.task, conf.metrics.primary, metrics)
        DriftSettings.from_config(conf.drift)  # a drift setting mistake fails now, not later
        # The config holds together: from here on the run is recorded, also when it fails.
        record_start()

        # Its time runs from when the read started: what the user waited for the data.
        with reporter.stage("load data", since=load_started):
            raw, source_digest, seconds = loading.result()
            out.background_timings[LOAD_BESIDE] = seconds
            source_hash = source_digest.hash
            record_data("source", source_digest, source.describe())
            if req.expected_source_hash and source_hash != req.expected_source_hash:
                raise DataError(
                    f"the data changed since run {req.parent_run_id or ''}: its source hash "
                    f"was {req.expected_source_hash[:12]}, now {source_hash[:12]} "
                    f"({_describe(source)}). Restore the data, or rerun with "
                    f"--allow-data-change.")
            # The stage's own time is only the wait left once the components were built.
            log.info("    %d rows x %d columns, source data hash %s (read and hashed in %.2fs, "
                     "beside building the components)", raw.height, raw.width,
                     source_hash[:12], seconds)

    with reporter.stage("transform and validate"):
        inputs = (label_inputs(apply_transforms(raw.lazy(), transforms, ctx), label_transforms,
                               ctx, target=conf.target) if label_transforms else [])
        check_label_inputs(inputs, conf.features)
        frame = collect_steps(raw.lazy(), [*transforms, *label_transforms], ctx)
        if frame.height != raw.height:
            log.info("    the transforms kept %d of %d rows (%d removed)", frame.height,
                     raw.height, raw.height - frame.height)
        if inputs:
            log.info("    label inputs (never features): %s", ", ".join(inputs))
        if schema is not None:
            frame = validate(frame, schema, failures_path=req.run_dir / SCHEMA_FAILURES_FILE)
        features, categorical = choose_features(frame, target=conf.target,
                                                exclude=[*conf.exclude, *inputs],
                                                features=conf.features)
        encoding = fit_target(frame[conf.target], conf.task)
        slices = conf.metrics.slice_by
        slice_columns(frame, slices)
        warn(store, req.run_id, [w.as_dict() for w in feature_warnings(frame, features,
                                                                       categorical)])

    with reporter.stage("split"):
        parts = {role: part for role, part in splitter.split(frame, ctx).items() if part is not None}
        for role, part in parts.items():
            if part.height == 0:
                raise DataError(f"the {role} split is empty (key: split); adjust the split sizes.")
            log.info("    %s: %d rows", role, part.height)

    def record_beside(described: _DescribedParts) -> None:
        for role, digest in described.hashes.items():
            record_data(role, digest, {"split": splitter.describe(), "of": source_hash})
        for role, profiles in described.profiles.items():
            store.record_profiles(req.run_id, role, [p.to_dict() for p in profiles])
        out.background_timings[BESIDE_TRAINING] = described.seconds

    # Hashing the parts and profiling the train part (the drift baseline) are not needed to
    # train: they use the moments training leaves the cores idle (driftline.engine.run.background).
    with Background(_describe_parts, parts, frame, profile_kinds(frame, features, conf.target,
                                                                 conf.task),
                    conf.seed, name="driftline-parts") as beside:
        try:
            with reporter.stage("train"):
                targets = {role: encoding.encode(part[conf.target])
                           for role, part in parts.items()}
                data = TrainingData(train=parts["train"], y_train=targets["train"],
                                    features=features, categorical=categorical, task=conf.task,
                                    n_classes=encoding.n_classes, valid=parts.get("valid"),
                                    y_valid=targets.get("valid"))
                model.fit(data, ctx)
                saved = save_model(model, req.run_dir, extra={
                    "run_id": req.run_id, "target": conf.target, "features": features,
                    "categorical": categorical, "target_encoding": encoding.as_dict(),
                    "label_inputs": inputs})
                out.model_path, out.model_sha256 = saved.path, saved.sha256

            with reporter.stage("evaluate"):
                values = []
                scores = {}
                min_rows = conf.metrics.slice_min_rows
                for role, part in parts.items():
                    scores[role], split_values = score_split(
                        model, metrics, role, part, targets[role], features, conf.task,
                        slices, train_rows=conf.metrics.train_rows, seed=conf.seed,
                        slice_min_rows=min_rows)
                    values += split_values
                warn(store, req.run_id, [
                    {"code": "small_slice", "column": label.split("=", 1)[0],
                     "stage": "evaluate", "message": f"slice {label} of the {role} split has "
                     f"{n} row{'s' if n != 1 else ''}, under metrics.slice_min_rows="
                     f"{min_rows}: not scored there"}
                    for role, part in parts.items() if role != "train"
                    for label, n in small_slices(part, slices, min_rows)])
                # The last split (test, else valid, else train) gives the primary metric and
                # the recorded output distribution.
                final = "test" if "test" in parts else "valid" if "valid" in parts else "train"
                outputs = output_profile(scores[final], conf.task, encoding.classes,
                                         seed=conf.seed)
                out.metrics = {f"{v.split}/{v.name}": v.value for v in values if v.slice == ""}
                key = f"{final}/{primary}"
                out.primary = (key, out.metrics[key])
                out.higher_is_better = metrics[primary].higher_is_better
        except Exception:
            # The data a run saw is recorded also when training or evaluation failed.
            described = _result_or_none(beside)
            if described is not None:
                record_beside(described)
            raise

        with reporter.stage("record"):
            record_beside(beside.result())
            store.record_model(req.run_id, path=str(saved.path), sha256=saved.sha256,
                               format=saved.format, size_bytes=saved.size_bytes,
                               feature_names=features, summary=_jsonable(model.summary()))
            store.record_metrics(req.run_id, [(v.split, v.slice, v.name, v.value)
                                              for v in values])
            store.record_profiles(req.run_id, "output", [p.to_dict() for p in outputs.values()])
    out.timings = reporter.timings


def warn(store: Any, run_id: str, warnings: list[dict[str, Any]]) -> None:
    """Print each warning as a line of the run's output and record them with the run."""
    for warning in warnings:
        log.warning("    warning: %s", warning["message"])
    store.record_warnings(run_id, warnings)


def check_label_inputs(inputs: list[str], features: list[str] | None) -> None:
    """DataError when the configured features name a column the label is built from."""
    clash = [c for c in features or [] if c in inputs]
    if clash:
        raise DataError(f"feature '{clash[0]}' (key: features) is an input of the label "
                        f"transforms (key: label_transforms): it only exists once the outcome is "
                        f"known, so the model could not use it to predict; remove it from "
                        f"features.")


def _load_source(cancelled: Any, source: Any, ctx: RunContext, read: dict[str, Any]
                 ) -> tuple[Any, Any, float]:
    """The source's data as a DataFrame, its hash, and the seconds both took.

    Runs at idle priority; the frame is kept in ``read`` as soon as it is read, so a
    caller taking the work over (driftline.engine.run.background) hashes it instead of reading it again
    (the reading itself runs in polars' threads, at their priority).
    """
    import time

    from driftline.engine.run.background import Cancelled
    from driftline.engine.lineage.datahash import hash_frame

    start = time.perf_counter()
    if "frame" not in read:
        read["frame"] = _collect(source.load(ctx), "data")
    raw = read["frame"]
    if raw.height == 0:
        raise DataError(f"the data has no rows (key: data, {_describe(source)}); "
                        f"check the file or query.")
    if cancelled.is_set():
        raise Cancelled()
    return raw, hash_frame(raw, workers=1), time.perf_counter() - start


@dataclass
class _DescribedParts:
    hashes: dict[str, Any]          # role -> FrameHash
    profiles: dict[str, list[Any]]  # profile role (each split, "all") -> its ColumnProfiles
    seconds: float


def profile_kinds(frame: Any, features: list[str], target: str, task: str) -> dict[str, str]:
    """Profile kind of each feature (by dtype) and of the target (by task: a class label is
    categorical even when it is stored as 0/1)."""
    from driftline.engine.drift.profile import column_kind

    kinds = {c: k for c in features if (k := column_kind(frame.schema[c])) is not None}
    kinds[target] = "numeric" if task == "regression" else "categorical"
    return kinds


def _describe_parts(cancelled: Any, parts: dict[str, Any], frame: Any, kinds: dict[str, str],
                    seed: int) -> _DescribedParts:
    """Hash every split part; profile (a sample of) every part and the whole development
    data (role ``all``).  Runs at idle priority, so it starts no threads of its own (see
    driftline.engine.run.background)."""
    import time

    from driftline.engine.run.background import Cancelled
    from driftline.engine.lineage.datahash import hash_frame
    from driftline.engine.drift.profile import profile_frame
    from driftline.engine.data.sampling import sample_frame

    start = time.perf_counter()
    hashes = {}
    for role, part in parts.items():
        if cancelled.is_set():
            raise Cancelled()
        hashes[role] = hash_frame(part, workers=1)
    profiles = {}
    for role, part in [*parts.items(), ("all", frame)]:
        if cancelled.is_set():
            raise Cancelled()
        sample = sample_frame(part.select(list(kinds)), PROFILE_MAX_ROWS, seed)
        profiles[role] = list(profile_frame(sample, kinds, seed=seed, threads=1).values())
    return _DescribedParts(hashes, profiles, time.perf_counter() - start)


def _result_or_none(job: Any) -> Any:
    try:
        return job.result()
    except Exception:
        return None


def _collect(frame: Any, where: str) -> Any:
    import polars as pl

    if isinstance(frame, pl.DataFrame):
        return frame
    try:
        return frame.collect()
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"could not read or transform the data (key: {where}): {first}") from exc


def _describe(component: Any) -> str:
    desc = component.describe()
    return ", ".join(f"{k}={v}" for k, v in desc.items() if k in ("kind", "path", "url"))


def _summary(out: RunOutcome) -> dict[str, Any]:
    return {"primary": list(out.primary) if out.primary else None,
            "higher_is_better": out.higher_is_better,
            "model_path": str(out.model_path) if out.model_path else None,
            "timings": {k: round(v, 3) for k, v in out.timings.items()},
            "background_timings": {k: round(v, 3) for k, v in out.background_timings.items()}}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=float))
