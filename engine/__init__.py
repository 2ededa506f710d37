"""driftline's engine: the public API that plugins (built-in and third-party) build on.

Everything a plugin needs is importable from here; modules not re-exported are private.
Importing this package is cheap: polars, pandera, LightGBM and SQLModel load only where used.
"""

from driftline.engine.errors import (
    ConfigError,
    DataError,
    DriftlineError,
    ModelError,
    PluginError,
    RunNotFoundError,
    SchemaValidationError,
    StoreError,
    UsageError,
    did_you_mean,
    format_options,
)
from driftline.engine.components.kinds.alert import Alert
from driftline.engine.components.kinds.base import Component, NoParams, RunContext
from driftline.engine.components.kinds.drift_test import DriftTest, TestResult
from driftline.engine.components.kinds.metric import Metric
from driftline.engine.components.kinds.model import Model, TrainingData
from driftline.engine.components.kinds.schema import Schema
from driftline.engine.components.kinds.source import Source
from driftline.engine.components.kinds.splitter import SPLIT_ROLES, Splitter
from driftline.engine.components.kinds.transform import Transform
from driftline.engine.components.registry import Registry

__version__ = "0.1.0"

__all__ = [
    "Alert", "Component", "ConfigError", "DataError", "DriftlineError", "Metric", "Model",
    "ModelError", "NoParams", "PluginError", "Registry", "RunContext", "RunNotFoundError",
    "SPLIT_ROLES", "Schema", "SchemaValidationError", "Source", "Splitter", "StoreError",
    "TrainingData", "Transform", "UsageError", "__version__", "did_you_mean",
    "format_options",
]

# Drift tests: the protocol (cheap), and what ``compute`` works with.  ColumnProfile,
# CurrentView, drift_stats (the statistics module), and profile_frame / view_frame (which
# build both from frames, for a drift test's own tests) need numpy and polars, so they are
# imported on first use (``from driftline.engine import ColumnProfile``), not with
# ``driftline.engine``.
__all__ += ["ColumnProfile", "CurrentView", "DriftTest", "TestResult", "drift_stats",
            "profile_frame", "view_frame"]

_LAZY = {
    "CheckResult": ("driftline.engine.conformance", "CheckResult"),
    "ComponentContract": ("driftline.engine.conformance", "ComponentContract"),
    "DriftTestContract": ("driftline.engine.conformance", "DriftTestContract"),
    "MetricContract": ("driftline.engine.conformance", "MetricContract"),
    "ModelContract": ("driftline.engine.conformance", "ModelContract"),
    "SchemaContract": ("driftline.engine.conformance", "SchemaContract"),
    "SourceContract": ("driftline.engine.conformance", "SourceContract"),
    "SplitterContract": ("driftline.engine.conformance", "SplitterContract"),
    "TransformContract": ("driftline.engine.conformance", "TransformContract"),
    "check_component": ("driftline.engine.conformance", "check_component"),
    "contract_frame": ("driftline.engine.conformance", "contract_frame"),
    "ColumnProfile": ("driftline.engine.drift.profile", "ColumnProfile"),
    "CurrentView": ("driftline.engine.drift.view", "CurrentView"),
    "drift_stats": ("driftline.engine.drift.stats", None),
    "profile_frame": ("driftline.engine.drift.profile", "profile_frame"),
    "view_frame": ("driftline.engine.drift.view", "view_frame"),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'driftline.engine' has no attribute '{name}'")
    import importlib

    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


# The conformance suite plugin authors' tests subclass (see docs/plugins.md); loaded on
# first use (it imports pytest-style helpers that commands like `driftline runs` never need).
__all__ += [
    "CheckResult", "ComponentContract", "DriftTestContract", "MetricContract",
    "ModelContract", "SchemaContract", "SourceContract", "SplitterContract",
    "TransformContract", "check_component", "contract_frame",
]
