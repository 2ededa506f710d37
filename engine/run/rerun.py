"""``driftline rerun RUN``: execute a recorded run again from its stored config and check
that it reproduces: same data hash, bit-identical model file, identical metrics.

The stored *resolved* config is used, not today's ``conf/``, so edits made since do not
leak in.  The new run is recorded with a link to the original (``parent_run_id``).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline.engine.lineage.atomic import atomic_write_text
from driftline.engine.errors import StoreError
from driftline.engine.config.project import Project
from driftline.engine.components.registry import Registry

log = logging.getLogger("driftline")


@dataclass
class RerunResult:
    original: dict[str, Any]
    rerun: dict[str, Any]
    outcome: Any
    # What differs: "model" and/or metric keys "split/slice/name": (before, after).
    differences: dict[str, Any] = field(default_factory=dict)

    @property
    def reproduced(self) -> bool:
        return self.outcome.error is None and not self.differences


def rerun(ref: str, project: Project, registry: Registry, *, allow_data_change: bool = False
          ) -> RerunResult:
    from driftline.engine.run.hydra_app import new_run_id
    from driftline.engine.run.pipeline import RunRequest, execute_run
    from driftline.engine.lineage.store import LineageStore

    with LineageStore.open(project.store_url()) as store:
        original = store.get_run(ref)
    if original["status"] != "succeeded":
        raise StoreError(f"run {original['id'][:12]} is {original['status']}; only succeeded runs "
                         f"can be re-executed and verified.")
    source = next((d for d in original["datasets"] if d["role"] == "source"), None)
    run_id = new_run_id()
    now = dt.datetime.now()
    run_dir = project.runs_dir / now.strftime("%Y-%m-%d") / f"{now:%H%M%S}-{run_id[:8]}"
    run_dir.mkdir(parents=True, exist_ok=True)
    _write_config(run_dir, original)
    handlers = _log_to(run_dir)
    try:
        log.info("rerun of %s from its stored config", original["id"][:12])
        outcome = execute_run(RunRequest(
            config=original["config"], overrides=list(original.get("overrides") or []),
            run_id=run_id, run_dir=run_dir, project=project, registry=registry,
            base_dir=project.root or Path.cwd(), parent_run_id=original["id"],
            expected_source_hash=None if allow_data_change or not source else source["hash"]))
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()
    with LineageStore.open(project.store_url()) as store:
        new = store.get_run(run_id)
    return RerunResult(original, new, outcome, _differences(original, new))


def _write_config(run_dir: Path, run: dict[str, Any]) -> None:
    import json

    atomic_write_text(run_dir / "rerun_of.json", json.dumps(
        {"rerun_of": run["id"], "config": run["config"], "overrides": run.get("overrides")},
        indent=2, default=str))


def _log_to(run_dir: Path) -> list[logging.Handler]:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter("%(message)s"))
    file = logging.FileHandler(run_dir / "driftline.log")
    file.setFormatter(logging.Formatter("[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"))
    for handler in (console, file):
        root.addHandler(handler)
    return [console, file]


def _differences(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    diffs: dict[str, Any] = {}
    model_a, model_b = a.get("model") or {}, b.get("model") or {}
    if model_a.get("hash") != model_b.get("hash"):
        diffs["model"] = (model_a.get("hash"), model_b.get("hash"))
    for role in ("source", "train", "valid", "test"):
        ha = next((d["hash"] for d in a["datasets"] if d["role"] == role), None)
        hb = next((d["hash"] for d in b["datasets"] if d["role"] == role), None)
        if ha != hb:
            diffs[f"data/{role}"] = (ha, hb)
    values_a = {_key(m): m["value"] for m in a.get("metrics", [])}
    values_b = {_key(m): m["value"] for m in b.get("metrics", [])}
    for key in sorted(set(values_a) | set(values_b)):
        va, vb = values_a.get(key), values_b.get(key)
        if not _same(va, vb):
            diffs[key] = (va, vb)
    return diffs


def _key(m: dict[str, Any]) -> str:
    return "/".join(p for p in (m["split"], m["slice"], m["name"]) if p)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


