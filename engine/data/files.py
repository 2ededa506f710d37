"""Reading a data file named on the command line through the source that handles its type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from driftline.engine.errors import DataError, PluginError
from driftline.engine.components.kinds.base import RunContext
from driftline.engine.components.registry import Registry


def source_for_path(registry: Registry, path: str) -> Any:
    """The registered source whose ``extensions`` match ``path``, built with ``path=path``."""
    lowered = path.lower()
    known: list[str] = []
    for name in registry.names("source"):
        try:
            cls = registry.load("source", name)
        except PluginError:
            continue
        known += cls.extensions
        if any(lowered.endswith(ext) for ext in cls.extensions):
            return registry.create("source", {"kind": name, "path": path}, where="DATA")
    raise DataError(f"no installed source reads '{Path(path).name}'; known file types: "
                    f"{', '.join(sorted(set(known))) or '(none)'}.")


def read_data_file(registry: Registry, path: str) -> Any:
    """The whole table in ``path`` as a polars DataFrame."""
    import polars as pl

    frame = source_for_path(registry, path).load(RunContext())
    if isinstance(frame, pl.LazyFrame):
        try:
            frame = frame.collect()
        except pl.exceptions.PolarsError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise DataError(f"could not read {path}: {first}") from exc
    return frame
