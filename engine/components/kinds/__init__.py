"""The component kinds and their protocols: one small base class per kind, one module each.

A plugin subclasses the base of its kind, declares a ``Params`` dataclass and fills in
the one or two methods the kind needs; the engine does validation, timing and recording.
"""

from __future__ import annotations

import importlib

#: kind -> "module:Base" of the protocol a registered object must implement.
KIND_BASES: dict[str, str] = {
    "source": "driftline.engine.components.kinds.source:Source",
    "transform": "driftline.engine.components.kinds.transform:Transform",
    "splitter": "driftline.engine.components.kinds.splitter:Splitter",
    "model": "driftline.engine.components.kinds.model:Model",
    "metric": "driftline.engine.components.kinds.metric:Metric",
    "schema": "driftline.engine.components.kinds.schema:Schema",
    "alert": "driftline.engine.components.kinds.alert:Alert",
    "drift_test": "driftline.engine.components.kinds.drift_test:DriftTest",
}

KINDS: tuple[str, ...] = tuple(KIND_BASES)


def kind_base(kind: str) -> type:
    """The protocol class for ``kind`` (imported on first use)."""
    module, _, attr = KIND_BASES[kind].partition(":")
    return getattr(importlib.import_module(module), attr)
