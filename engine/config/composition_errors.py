"""Hydra and OmegaConf errors, translated into one-line driftline ConfigErrors."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from driftline.engine.errors import ConfigError, did_you_mean

#: Hydra plugins driftline knows how to install: (group, option) -> the extra that brings it.
HYDRA_PLUGIN_EXTRAS = {
    ("hydra/sweeper", "optuna"): "optuna",
    ("hydra/launcher", "joblib"): "joblib",
    ("hydra/launcher", "ray"): "ray",
    ("hydra/launcher", "submitit_slurm"): "submitit",
    ("hydra/launcher", "submitit_local"): "submitit",
}

_MISSING_OPTION = re.compile(r"Could not find '([^']+)'")
_AVAILABLE = re.compile(r"Available options in '([^']+)':\n((?:\t.*\n?)*)")
_CANNOT_OVERRIDE = re.compile(r"Could not override '([^']+)'")
_MISSING_KEY = re.compile(r"full_key: ([^\s]+)")


def translate_compose_error(exc: BaseException, overrides: list[str],
                            known_keys: Callable[[], Iterable[str]]) -> ConfigError:
    """A ConfigError for a failed composition; ``known_keys`` lists dotted keys on demand."""
    text = str(exc)
    if m := _MISSING_OPTION.search(text):
        group, _, option = m.group(1).rpartition("/")
        available = []
        if a := _AVAILABLE.search(text):
            available = [line.strip() for line in a.group(2).splitlines() if line.strip()]
        where = _override_for(group, overrides) or f"defaults list of config.yaml ({group})"
        if extra := HYDRA_PLUGIN_EXTRAS.get((group, option)):
            return ConfigError(
                f"config option '{option}' for group '{group}' ({where}) comes with a Hydra "
                f"plugin that is not installed; install it: pip install 'driftline[{extra}]'",
                key=group, options=available)
        return ConfigError(
            f"unknown config option '{option}' for group '{group}' ({where})."
            f"{did_you_mean(option, available)}",
            key=group, options=available)
    if m := _CANNOT_OVERRIDE.search(text):
        given = m.group(1)
        override = _override_for(given, overrides)
        # `key={a: 1}` merges into the mapping at key: the unknown key is key.a.
        cause = _MISSING_KEY.search(str(exc.__cause__ or ""))
        key = cause.group(1) if cause and cause.group(1).startswith(given) else given
        known = list(known_keys())
        parts = key.split(".")
        # The first part of the key that does not exist names the mistake (nosuch in
        # nosuch.key); what its parent holds is the useful list.
        depth = next((i for i in range(len(parts)) if ".".join(parts[:i + 1]) not in known),
                     len(parts) - 1)
        parent, leaf = ".".join(parts[:depth]), parts[depth]
        siblings = [k[len(parent) + 1:] if parent else k for k in known
                    if k.rpartition(".")[0] == parent]
        hint = did_you_mean(leaf, siblings).replace(" Available:", f" Keys of '{parent}':"
                                                     if parent else " Top-level keys:")
        # A new key is only taken by a mapping that is open to any key: an empty one such
        # as data.schema_overrides or transforms. The run config and component parameters
        # refuse keys they do not declare, so `+` would only move the error.
        if parent and parent in known and not siblings:
            value = override.split("=", 1)[1] if override and "=" in override else "..."
            hint += f" To add a new key on purpose use +{given}={value}"
        return ConfigError(f"unknown config key '{key}' ({override or 'in the config files'})."
                           f"{hint}",
                           key=key, options=siblings)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return ConfigError(f"invalid config or override: {first}")


def translate_resolve_error(exc: BaseException) -> ConfigError:
    """A ConfigError for OmegaConf failing to resolve the composed config."""
    name = type(exc).__name__
    text = str(exc)
    key = m.group(1) if (m := _MISSING_KEY.search(text)) else None
    if name == "MissingMandatoryValue" and key:
        return ConfigError(f"missing value for '{key}' (marked ??? in the config); set it, "
                           f"e.g. `driftline run {key}=...`.", key=key)
    first = text.strip().splitlines()[0] if text.strip() else name
    where = f" (key: {key})" if key else ""
    return ConfigError(f"cannot resolve the config{where}: {first}", key=key)


def _override_for(key: str, overrides: list[str]) -> str | None:
    for o in overrides:
        if o.lstrip("+~").split("=", 1)[0] == key:
            return f"override: {o}"
    return None


def group_choices(overrides: list[str]) -> list[str]:
    """The overrides that choose a config group option (``data=csv``, ``hydra/launcher=x``):
    what the keys offered by "did you mean" depend on."""
    return [o for o in overrides if "=" in o and not o.startswith(("+", "~"))
            and "." not in o.split("=", 1)[0]]


def dotted_keys(node: Any, prefix: str = "") -> list[str]:
    """Every dotted key of a nested mapping (for 'did you mean')."""
    keys = []
    if isinstance(node, dict):
        for k, v in node.items():
            full = f"{prefix}.{k}" if prefix else str(k)
            keys.append(full)
            keys += dotted_keys(v, full)
    return keys
