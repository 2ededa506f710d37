"""The component under check: its class, parameters, built instance and a scratch folder."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline.engine.components.kinds import KINDS
from driftline.engine.components.kinds.base import RunContext
from driftline.engine.components.params import parse_params
from driftline.engine.components.registry import Registry
from driftline.engine.conformance.inputs import (
    N_CLASSES,
    ROW_ID,
    SEED,
    TARGETS,
    contract_frame,
)
from driftline.engine.conformance.results import CheckFailed, describe_exc
from driftline.engine.errors import PluginError, did_you_mean


#: Polars writer method per file ending, for sources that declare ``extensions``.
FILE_WRITERS: dict[str, str] = {".csv": "write_csv", ".parquet": "write_parquet",
                            ".ipc": "write_ipc", ".arrow": "write_ipc", ".feather": "write_ipc",
                            ".ndjson": "write_ndjson", ".jsonl": "write_ndjson",
                            ".json": "write_json"}


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
        ext = next((e for e in getattr(self.cls, "extensions", ()) if e in FILE_WRITERS), None)
        if ext is None or "path" not in names:
            return None
        path = self.tmp / f"contract{ext}"
        if not path.exists():
            getattr(contract_frame(), FILE_WRITERS[ext])(path)
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
    from driftline.engine.components.kinds.model import TrainingData
    from driftline.engine.data.targets import choose_features

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
        raise CheckFailed(f"fit on the {task} task raised {describe_exc(exc)}") from exc
    return model, test.select(features)


def registry_subject(registry: Registry, kind: str, name: str, params: dict[str, Any] | None) -> Subject:
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
