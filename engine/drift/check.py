"""``driftline drift``: a batch against the baseline run's recorded profile.

The lineage store is the baseline: the training split's profile and the model's output
profile were recorded by the run, so no reference data has to be kept around.  The batch
goes through the baseline run's own transforms and schema first (a validation failure
is reported as such, not as drift), then every column is compared, the model's outputs
on the batch are compared with its recorded output distribution, the check is recorded,
and alerts are called when drift is found.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from driftline.engine.drift.compare import compare_frame
from driftline.engine.drift.results import DriftReport
from driftline.engine.drift.settings import DriftSettings
from driftline.engine.drift.profile import ColumnProfile, output_frame
from driftline.engine.errors import ConfigError, DataError, RunNotFoundError, StoreError
from driftline.engine.components.kinds.base import RunContext
from driftline.engine.components.registry import Registry

log = logging.getLogger("driftline")

#: The alias a drift check uses as its baseline when none is given.
DEFAULT_BASELINE_ALIAS = "production"


@dataclass
class DriftOutcome:
    check_id: str
    baseline: dict[str, Any]
    report: DriftReport
    output: DriftReport | None
    label: DriftReport | None
    # The JSON-shaped report the renderers take.
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        return bool(self.document.get("drifted"))


def default_baseline(store: Any) -> str:
    """The ``production`` alias when it exists, else the latest succeeded run."""
    try:
        return store.resolve(DEFAULT_BASELINE_ALIAS)
    except RunNotFoundError:
        runs = store.list_runs(status="succeeded", limit=1)
        if not runs:
            raise RunNotFoundError("no baseline: no run has succeeded yet. Train one with "
                                   "`driftline run`, or name one with --baseline RUN.") from None
        return runs[0]["id"]


@dataclass
class BaselineProfiles:
    """What a batch is compared with: profiles the baseline run recorded."""

    # The profile role the features and the label are compared with (drift.reference).
    reference: str
    # Feature columns (and any other column profiled), by name; the target is not here.
    features: dict[str, ColumnProfile]
    # The target column's profile (categorical for a classification task), if recorded.
    label: ColumnProfile | None
    # The model's outputs on the held-out split.
    output: dict[str, ColumnProfile]
    # Why the reference differs from the one asked for (a run recorded before per-split
    # profiles has only its train split's); None when it does not.
    note: str | None = None


def baseline_run(store: Any, ref: str) -> dict[str, Any]:
    """The baseline run; StoreError unless it succeeded."""
    run = store.get_run(ref)
    if run["status"] != "succeeded":
        raise StoreError(f"baseline run {run['id'][:12]} is {run['status']}; a drift baseline "
                         f"must be a succeeded run (--baseline RUN).")
    return run


def baseline_profiles(store: Any, run: dict[str, Any], reference: str = "all"
                      ) -> BaselineProfiles:
    """The profiles of ``reference`` (a split, or ``all``) and of the outputs of ``run``."""
    def read(role: str) -> dict[str, ColumnProfile]:
        recorded = store.get_profiles(run["id"], role)
        return {k: ColumnProfile.from_dict(v) for k, v in recorded.items()}

    short = run["id"][:12]
    profiles, used, note = read(reference), reference, None
    if not profiles:
        if reference != "all" and read("all"):  # a run with per-split profiles lacks it
            raise ConfigError(f"drift.reference is '{reference}', but baseline run {short} has no "
                              f"{reference} split; use train, test (when it has one) or all.",
                              key="drift.reference")
        train = read("train") if reference != "train" else {}
        if not train:
            raise DataError(f"baseline run {short} has no recorded profile (it was recorded "
                            f"before profiles existed); re-run its training with this driftline "
                            f"(`driftline rerun {short}`) and use that run as the baseline.")
        profiles, used = train, "train"
        note = (f"reference: the train split (run {short} was recorded before profiles of "
                f"every split; `driftline rerun {short}` records them)")
    target = run["config"].get("target")
    label = profiles.pop(target, None) if target else None
    return BaselineProfiles(used, profiles, label, read("output"), note)


@dataclass
class PreparedBatch:
    """A batch after the baseline run's preparation."""

    # After the feature transforms and the schema: what features are compared on.
    frame: pl.DataFrame
    # The label (target column) after the label transforms; None for an unlabelled batch.
    label: pl.DataFrame | None
    # Rows as read, and after the feature transforms (a WHERE can remove some).
    rows_read: int
    rows_prepared: int


def prepare_batch(batch: pl.DataFrame, baseline: dict[str, Any], registry: Registry,
                  failures_dir: Path) -> PreparedBatch:
    """The baseline run's feature transforms and schema; its label transforms when the
    batch has their inputs (see driftline.engine.data.preparation)."""
    from driftline.engine.data.preparation import collect_steps, is_labelled
    from driftline.engine.data.validation import build_schema, validate
    from driftline.engine.lineage.model_files import read_model_card

    if batch.height == 0:
        raise DataError("the batch has no rows; nothing to compare.")
    config = baseline["config"]
    ctx = RunContext(seed=int(config.get("seed") or 0), task=config.get("task", "binary"),
                     target=config.get("target", "target"))

    def built(key: str) -> list[tuple[str, Any]]:
        return [(f"{key}.{name}", registry.create("transform", node, where=f"{key}.{name}"))
                for name, node in (config.get(key) or {}).items()]

    frame = collect_steps(batch.lazy(), built("transforms"), ctx)
    label_steps = built("label_transforms")
    inputs: list[str] = []
    if label_steps:
        model_path = (baseline.get("model") or {}).get("path")
        if model_path:
            inputs = list(read_model_card(Path(model_path).parent).get("label_inputs") or [])
    label = None
    if label_steps and is_labelled(frame.columns, inputs):
        labelled = collect_steps(frame.lazy(), label_steps, ctx)
        label = labelled.select(ctx.target) if ctx.target in labelled.columns else None
    elif ctx.target in frame.columns:
        label = frame.select(ctx.target)
    schema = build_schema(registry, config.get("schema"), where="schema")
    if schema is not None:
        # Batches usually come without labels, and without what labels are built from.
        absent = [c for c in [ctx.target, *inputs]
                  if c not in frame.columns and c in schema.columns]
        if absent:
            schema = schema.remove_columns(absent)
        frame = validate(frame, schema, failures_path=failures_dir / "schema_failures.csv")
    return PreparedBatch(frame, label, batch.height, frame.height)


def check_drift(store: Any, registry: Registry, batch: pl.DataFrame, *, baseline_ref: str | None,
                source: str, output: bool = True, work_dir: Path,
                settings: DriftSettings | None = None) -> DriftOutcome:
    """Compare, record and alert; the caller renders ``outcome.document``.

    ``settings``: the drift settings to check with (``driftline drift`` composes them from
    the project's current config and its overrides); default: those the baseline run
    recorded.
    """
    from driftline.engine.lineage.datahash import hash_frame

    ref = baseline_ref or default_baseline(store)
    baseline = baseline_run(store, ref)
    config = baseline["config"]
    if settings is None:
        settings = DriftSettings.from_config(config.get("drift"))
    check_id = uuid.uuid4().hex
    # The batch's hash (for the record) is computed while the profiles load and the
    # comparison runs: both spend most of their time outside the GIL.  (It starts once
    # the baseline run and its settings are known to be good, so a wrong --baseline or
    # drift config fails at once.)
    with ThreadPoolExecutor(1) as pool:
        hashing = pool.submit(hash_frame, batch)
        profiles = baseline_profiles(store, baseline, settings.reference)
        prepared = prepare_batch(batch, baseline, registry, work_dir / check_id)
        frame = prepared.frame
        target = config.get("target")
        report = compare_frame(frame.drop(target, strict=False), profiles.features, settings,
                               registry, importance=feature_importance(baseline))
        label_report = None
        if profiles.label is not None and prepared.label is not None:
            label_report = compare_frame(prepared.label, {target: profiles.label},
                                         settings.for_output(), registry)
            label_report.drifted = bool(label_report.drifted_columns)
        batch_hash = hashing.result().hash
    output_report = None
    if output and profiles.output:
        output_report = _output_drift(store, registry, baseline, frame, profiles.output, settings)
    document = _document(report, output_report, label_report, baseline, settings, profiles,
                         prepared, batch_hash, source)
    _record(store, check_id, baseline, batch_hash, source, report, output_report, document)
    if document["drifted"]:
        _alert(registry, settings, document, check_id)
    return DriftOutcome(check_id, baseline, report, output_report, label_report, document)


def _output_drift(store: Any, registry: Registry, baseline: dict[str, Any], frame: pl.DataFrame,
                  reference: dict[str, ColumnProfile], settings: DriftSettings) -> DriftReport:
    from driftline.engine.lineage.model_files import load_model

    model_info = baseline.get("model") or {}
    model, card = load_model(registry, Path(model_info["path"]).parent, model_info["hash"])
    features = card.get("features") or model_info.get("feature_names") or []
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise DataError(f"the batch lacks the model's feature column(s) {missing[:5]}; "
                        f"add them or run with --no-output.")
    classes = (card.get("target_encoding") or {}).get("classes") or []
    outputs = output_frame(model.predict(frame.select(features)), baseline["task"], classes)
    # Output drift is judged column by column; it is reported separately from the inputs.
    out_settings = settings.for_output()
    report = compare_frame(outputs, reference, out_settings, registry)
    report.drifted = bool(report.drifted_columns)
    return report


def feature_importance(run: dict[str, Any]) -> dict[str, float]:
    """The feature importance (gain) the run's model recorded; {} when it recorded none."""
    summary = (run.get("model") or {}).get("summary") or {}
    return dict(summary.get("feature_importance") or {})


def _document(report: DriftReport, output: DriftReport | None, label: DriftReport | None,
              baseline: dict[str, Any], settings: DriftSettings, profiles: BaselineProfiles,
              prepared: PreparedBatch, batch_hash: str, source: str) -> dict[str, Any]:
    doc = report.to_dict()
    reasons = list(report.reasons)
    if output is not None and output.drifted and settings.output_critical:
        reasons.append(f"model output drifted: {', '.join(output.drifted_columns)}")
    if label is not None and label.drifted and settings.label_critical:
        reasons.append(f"label drifted: {', '.join(label.drifted_columns)}")
    target = baseline["config"].get("target")
    label_doc = None
    if label is not None:
        label_doc = _section(label)
    elif profiles.label is not None:
        label_doc = {"drifted": None, "columns": [],
                     "note": f"the batch has no '{target}' column (no labels): label drift "
                             f"not checked"}
    doc.update(drifted=bool(reasons), reasons=reasons, baseline_run=baseline["id"],
               reference=profiles.reference, output=_section(output) if output else None,
               label=label_doc, batch={"hash": batch_hash, "rows": prepared.rows_read,
                                       "rows_prepared": prepared.rows_prepared, "source": source})
    frame = prepared.frame
    skipped = unprofiled_columns(frame, report.extra_columns)
    doc["extra_columns"] = [c for c in report.extra_columns if c not in skipped]
    notes = [profiles.note] if profiles.note else []
    notes += [f"not compared: {c} ({frame.schema[c]}: columns of this type are not profiled)"
              for c in skipped]
    if notes:
        doc["notes"] = notes
    return doc


def unprofiled_columns(frame: pl.DataFrame, extra: list[str]) -> list[str]:
    """The batch columns a check does not compare because no profile covers their dtype
    (dates, times, nested, binary): they are not 'missing from the baseline'."""
    from driftline.engine.drift.profile import column_kind

    return [c for c in extra if c in frame.schema and column_kind(frame.schema[c]) is None]


def _section(report: DriftReport) -> dict[str, Any]:
    return {"drifted": report.drifted, "columns": [c.to_dict() for c in report.columns]}


def distributions(outcome: DriftOutcome) -> dict[str, Any]:
    """Reference-vs-batch distributions of every compared column (for the HTML report)."""
    dists = dict(outcome.report.distributions)
    for section in (outcome.output, outcome.label):
        if section is not None:
            dists.update(section.distributions)
    return dists


def _record(store: Any, check_id: str, baseline: dict[str, Any], batch_hash: str, source: str,
            report: DriftReport, output: DriftReport | None, document: dict[str, Any]) -> None:
    results = [{k: c[k] for k in ("column", "type", "test", "statistic", "p_value", "p_adjusted",
                                  "effect_size", "effect_measure", "threshold", "drifted",
                                  "definition")}
               | {"details": {k: v for k, v in c.items() if k not in _RESULT_KEYS}}
               for c in document["columns"]]
    store.record_drift_check({
        "id": check_id, "baseline_run_id": baseline["id"], "batch_hash": batch_hash,
        "batch_source": {"path": source, "rows_read": document["batch"]["rows"]},
        "n_rows": report.rows, "drifted": document["drifted"],
        "share": report.share, "settings": report.settings, "output": document["output"],
        "report": {"extra_columns": report.extra_columns, "input_drifted": report.drifted,
                   "importance_share": report.importance_share,
                   "reasons": document["reasons"], "reference": document["reference"],
                   "label": document["label"]}}, results)


_RESULT_KEYS = {"column", "type", "test", "statistic", "p_value", "p_adjusted", "effect_size",
                "effect_measure", "threshold", "drifted", "definition"}


def _alert(registry: Registry, settings: DriftSettings, document: dict[str, Any],
           check_id: str) -> None:
    from driftline.engine.components.kinds.alert import deliver, drift_event

    event = drift_event(document, check_id=check_id)
    for i, node in enumerate(settings.alerts):
        deliver(registry.create("alert", node, where=f"drift.alerts[{i}]"), event)
