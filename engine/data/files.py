"""Reading a data file named on the command line through the source that handles its type.

A batch is read the way a run read its training data: when the run's source is of the
same kind as the one for the file's type (``csv`` for ``.csv``), its read settings
(``null_values``, ``separator``, ``schema_overrides``, ...) apply to the file too, and
``data.KEY=VALUE`` read overrides from the command line go on top.  A CSV with ``NA`` for
missing values is then typed as the training data was, and hashes as it did.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from driftline.engine.errors import DataError, PluginError, UsageError
from driftline.engine.components.kinds.base import RunContext
from driftline.engine.components.registry import Registry

#: Keys of a source node that say where the data is, not how to read it.
LOCATION_KEYS = frozenset({"kind", "path", "files"})


def source_kind_for_path(registry: Registry, path: str) -> str:
    """The name of the registered source whose ``extensions`` match ``path``."""
    lowered = path.lower()
    known: list[str] = []
    for name in registry.names("source"):
        try:
            cls = registry.load("source", name)
        except PluginError:
            continue
        known += cls.extensions
        if any(lowered.endswith(ext) for ext in cls.extensions):
            return name
    raise DataError(f"no installed source reads '{Path(path).name}'; known file types: "
                    f"{', '.join(sorted(set(known))) or '(none)'}.")


def read_settings(registry: Registry, path: str, *, like: Mapping[str, Any] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The source node that reads ``path``: its kind's defaults, the read settings of
    ``like`` (a run's ``data`` node) when it is of the same kind, then ``overrides``."""
    kind = source_kind_for_path(registry, path)
    node: dict[str, Any] = {"kind": kind}
    if like and like.get("kind") == kind:
        node.update({k: v for k, v in like.items() if k not in LOCATION_KEYS})
    for key, value in (overrides or {}).items():
        if isinstance(value, Mapping) and isinstance(node.get(key), Mapping):
            node[key] = {**node[key], **value}  # data.schema_overrides.id=String adds one
        else:
            node[key] = value
    node["path"] = path
    return node


def source_for_path(registry: Registry, path: str, node: Mapping[str, Any] | None = None) -> Any:
    """The source built from ``node`` (default: the defaults for ``path``'s type)."""
    node = dict(node or read_settings(registry, path))
    return registry.create("source", node, where="DATA")


def read_data_file(registry: Registry, path: str, *, like: Mapping[str, Any] | None = None,
                   overrides: Mapping[str, Any] | None = None) -> Any:
    """The whole table in ``path`` as a polars DataFrame (see the module docstring)."""
    import polars as pl

    if not set("*?[") & set(path) and not Path(path).exists():
        raise DataError(f"no file {path}: check the DATA argument (relative paths start at "
                        f"{Path.cwd()}).")
    if set("*?[") & set(path) and not glob.glob(path, recursive=True):
        raise DataError(f"no file matches {path}: check the DATA argument's pattern.")
    node = read_settings(registry, path, like=like, overrides=overrides)
    frame = source_for_path(registry, path, node).load(RunContext())
    if isinstance(frame, pl.LazyFrame):
        try:
            frame = frame.collect()
        except pl.exceptions.PolarsError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise DataError(f"could not read {path}: {first}") from exc
    return frame


def read_overrides(overrides: Sequence[str]) -> dict[str, Any]:
    """``data.KEY=VALUE`` command-line overrides as source parameters (Hydra's grammar:
    ``data.null_values=[NA]``, ``data.separator=';'``, ``data.schema_overrides={id: String}``)."""
    out: dict[str, Any] = {}
    if not overrides:
        return out  # without importing Hydra's parser (0.1-0.2 s)
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except OverrideParseException as exc:
        first = (str(exc).strip().splitlines() or ["cannot parse"])[0]
        raise UsageError(f"bad read override: {first} (quote values with special characters: "
                         f"data.separator=';').") from exc
    for text, override in zip(overrides, parsed, strict=True):
        keys = override.key_or_group.split(".")
        if keys[0] != "data" or len(keys) < 2 or keys[1] in LOCATION_KEYS:
            raise UsageError(f"'{text}' is not a read setting; give data.KEY=VALUE for a "
                             f"parameter of the file's source (e.g. data.null_values=[NA]).")
        target = out
        for key in keys[1:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = override.value()
    return out
