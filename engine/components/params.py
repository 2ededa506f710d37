"""Checking a component's parameters against the dataclass that declares them.

A component declares its parameters once, as a dataclass (``Params``) with a comment
over every field.  Ranges go in field metadata: ``field(default=31, metadata={"ge": 2})``
(keys ``ge``, ``gt``, ``le``, ``lt``, ``choices``).  :func:`parse_params` turns the
config node into an instance and rejects unknown keys (with the closest valid one),
wrong types and out-of-range values, naming the full config key.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, Union, get_args, get_origin

from driftline.engine.errors import ConfigError, did_you_mean

_MISSING = dataclasses.MISSING


def parse_params(cls: type, values: Mapping[str, Any] | None, *, where: str) -> Any:
    """Build ``cls`` (a dataclass) from ``values``; ``where`` is the config key path."""
    values = dict(values or {})
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = typing.get_type_hints(cls)
    for key in values:
        if key not in fields:
            raise ConfigError(
                f"unknown parameter '{key}' (key: {_join(where, key)}).{did_you_mean(key, fields)}",
                key=_join(where, key),
                options=sorted(fields),
            )
    kwargs = {}
    for name, f in fields.items():
        key = _join(where, name)
        if name not in values:
            if f.default is _MISSING and f.default_factory is _MISSING:
                raise ConfigError(f"missing required parameter '{name}' (key: {key}).", key=key)
            continue
        value = _coerce(values[name], hints[name], key)
        _check_range(value, f.metadata, key)
        kwargs[name] = value
    return cls(**kwargs)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``tp``; return it in the declared type."""
    if tp is Any:
        return value
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key)
            except ConfigError as exc:
                errors.append(exc)
        raise ConfigError(f"wrong type for {key}: got {value!r}, expected {_type_name(tp)}.", key=key)
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ConfigError(
                f"invalid value {value!r} for {key}. Valid: {', '.join(map(str, allowed))}.", key=key
            )
        return value
    if origin in (list, tuple) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"wrong type for {key}: got {value!r}, expected a list.", key=key)
        (item_tp,) = get_args(tp)[:1] or (Any,)
        return [_coerce(v, item_tp, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict or tp is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"wrong type for {key}: got {value!r}, expected a mapping.", key=key)
        args = get_args(tp)
        val_tp = args[1] if len(args) == 2 else Any
        return {str(k): _coerce(v, val_tp, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise ConfigError(f"wrong type for {key}: got {value!r}, expected a mapping.", key=key)
        return parse_params(tp, value, where=key)
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    elif isinstance(tp, type) and isinstance(value, tp):
        return value
    raise ConfigError(
        f"wrong type for {key}: got {value!r} ({type(value).__name__}), expected {_type_name(tp)}.",
        key=key,
    )


def _check_range(value: Any, meta: Mapping[str, Any], key: str) -> None:
    if value is None:
        return
    bounds = {"ge": (lambda v, b: v >= b, ">="), "gt": (lambda v, b: v > b, ">"),
              "le": (lambda v, b: v <= b, "<="), "lt": (lambda v, b: v < b, "<")}
    for name, (ok, sym) in bounds.items():
        if name in meta and not ok(value, meta[name]):
            raise ConfigError(f"out of range: {key}={value!r}, must be {sym} {meta[name]}.", key=key)
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(
            f"invalid value {value!r} for {key}.{did_you_mean(str(value), map(str, meta['choices']))}",
            key=key,
        )


def params_as_dict(params: Any) -> dict[str, Any]:
    """The parameters as plain data (for recording and JSON)."""
    return dataclasses.asdict(params)
