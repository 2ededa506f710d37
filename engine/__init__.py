"""driftline's engine: the public API that plugins (built-in and third-party) build on.

Everything a plugin needs is importable from here; modules not re-exported are private.
Importing this package is cheap: polars, pandera, LightGBM and SQLModel load only where used.
"""

from engine.contract import (
    CheckResult,
    ComponentContract,
    MetricContract,
    ModelContract,
    SchemaContract,
    SourceContract,
    SplitterContract,
    TransformContract,
    check_component,
    contract_frame,
)
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

# The conformance suite plugin authors' tests subclass (see docs/plugins.md).
__all__ += [
    "CheckResult", "ComponentContract", "MetricContract", "ModelContract", "SchemaContract",
    "SourceContract", "SplitterContract", "TransformContract", "check_component",
    "contract_frame",
]
