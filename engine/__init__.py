"""driftline's engine: the public API that plugins (built-in and third-party) build on.

Everything a plugin needs is importable from here; modules not re-exported are private.
Importing this package is cheap: polars, pandera, LightGBM and SQLModel load only where used.
"""

from engine.errors import (
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
)
from engine.kinds.alert import Alert
from engine.kinds.base import Component, NoParams, RunContext
from engine.kinds.drift_test import DriftTest, TestResult
from engine.kinds.metric import Metric
from engine.kinds.model import Model, TrainingData
from engine.kinds.schema import Schema
from engine.kinds.source import Source
from engine.kinds.splitter import SPLIT_ROLES, Splitter
from engine.kinds.transform import Transform
from engine.registry import Registry

__version__ = "0.1.0"

__all__ = [
    "Alert", "Component", "ConfigError", "DataError", "DriftlineError", "Metric", "Model",
    "ModelError", "NoParams", "PluginError", "Registry", "RunContext", "RunNotFoundError",
    "SPLIT_ROLES", "Schema", "SchemaValidationError", "Source", "Splitter", "StoreError",
    "TrainingData", "Transform", "UsageError", "__version__", "did_you_mean",
]

# Drift tests: the protocol (cheap), and what ``compute`` works with.  ColumnProfile,
# CurrentView and drift_stats (the statistics module) need numpy and polars, so they are
# imported on first use (``from engine import ColumnProfile``), not with ``engine``.
__all__ += ["ColumnProfile", "CurrentView", "DriftTest", "TestResult", "drift_stats"]

_LAZY = {
    "CheckResult": ("engine.contract", "CheckResult"),
    "ComponentContract": ("engine.contract", "ComponentContract"),
    "DriftTestContract": ("engine.contract", "DriftTestContract"),
    "MetricContract": ("engine.contract", "MetricContract"),
    "ModelContract": ("engine.contract", "ModelContract"),
    "SchemaContract": ("engine.contract", "SchemaContract"),
    "SourceContract": ("engine.contract", "SourceContract"),
    "SplitterContract": ("engine.contract", "SplitterContract"),
    "TransformContract": ("engine.contract", "TransformContract"),
    "check_component": ("engine.contract", "check_component"),
    "contract_frame": ("engine.contract", "contract_frame"),
    "ColumnProfile": ("engine.drift.profile", "ColumnProfile"),
    "CurrentView": ("engine.drift.profile", "CurrentView"),
    "drift_stats": ("engine.drift.stats", None),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'engine' has no attribute '{name}'")
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
