"""The component registry: (kind, name) -> implementation, filled lazily from entry points.

Names come from entry-point metadata without importing anything; a component is imported
only when a config selects it.  Each entry remembers the distribution that provides it.
Build one with :meth:`Registry.from_environment` (or empty, for tests) and pass it in:
there is no process-global registry.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from driftline.engine.errors import ConfigError, PluginError, did_you_mean
from driftline.engine.components.kinds import KINDS, kind_base
from driftline.engine.components.params import parse_params

#: Entry point group prefix: kind ``model`` is read from group ``driftline.model``.
GROUP_PREFIX = "driftline."
#: Group whose entries name a package holding config group options (Hydra search path).
CONF_GROUP = "driftline.conf"


@dataclass(frozen=True)
class Entry:
    """One registered component, as declared (not yet imported)."""

    kind: str
    name: str
    # "package.module:Attribute", or "<object>" for components added in code.
    value: str
    # Distribution (pip package) that declares it, and its version.
    distribution: str
    version: str
    # Set for components added in code (tests, embedding); skips the import.
    obj: Any = field(default=None, compare=False, repr=False)

    @property
    def provider(self) -> str:
        return f"{self.distribution} {self.version}".strip()


class Registry:
    """Components by (kind, name); loads each one on first use and checks its protocol."""

    def __init__(self, entries: Iterable[Entry] = ()):
        self._entries: dict[tuple[str, str], list[Entry]] = {}
        self._loaded: dict[tuple[str, str], Any] = {}
        self.conf_packages: list[tuple[str, str]] = []  # (package, distribution)
        for entry in entries:
            self._add_entry(entry)

    # -- building ---------------------------------------------------------------
    @classmethod
    def from_environment(cls) -> Registry:
        """Every component declared by an installed distribution (nothing is imported)."""
        reg = cls()
        for dist in md.distributions():
            dist_name = dist.metadata["Name"] or "?"
            for ep in dist.entry_points:
                if ep.group == CONF_GROUP:
                    if (ep.value, dist_name) not in reg.conf_packages:
                        reg.conf_packages.append((ep.value, dist_name))
                    continue
                if not ep.group.startswith(GROUP_PREFIX):
                    continue
                kind = ep.group[len(GROUP_PREFIX):]
                if kind not in KINDS:
                    continue
                reg._add_entry(Entry(kind, ep.name, ep.value, dist_name, dist.version or ""))
        return reg

    def add(self, kind: str, name: str, obj: Any, distribution: str = "<code>") -> None:
        """Register an object directly (tests, embedding); checked like any plugin."""
        self._check_kind(kind)
        self._add_entry(Entry(kind, name, "<object>", distribution, "", obj=obj))

    def _add_entry(self, entry: Entry) -> None:
        claims = self._entries.setdefault((entry.kind, entry.name), [])
        # The same distribution seen twice on sys.path (e.g. an editable install) is one claim.
        if any(c.distribution == entry.distribution and c.value == entry.value for c in claims):
            return
        claims.append(entry)

    # -- querying ---------------------------------------------------------------
    def names(self, kind: str) -> list[str]:
        self._check_kind(kind)
        return sorted(name for (k, name) in self._entries if k == kind)

    def entries(self) -> list[Entry]:
        """Every declared entry, one per claim (duplicates appear more than once)."""
        return [e for key in sorted(self._entries) for e in self._entries[key]]

    def entry(self, kind: str, name: str) -> Entry:
        self._check_kind(kind)
        claims = self._entries.get((kind, name))
        if not claims:
            raise PluginError(
                f"unknown {kind} '{name}'.{did_you_mean(name, self.names(kind))}",
                kind=kind, name=name,
            )
        if len(claims) > 1:
            who = " and ".join(f"'{c.provider}' ({c.value})" for c in claims)
            raise PluginError(
                f"{kind} '{name}' is registered by more than one package: {who}. "
                f"Uninstall one of them.",
                kind=kind, name=name,
            )
        return claims[0]

    def load(self, kind: str, name: str) -> Any:
        """Import the component (once) and check that it implements its kind's protocol."""
        key = (kind, name)
        if key in self._loaded:
            return self._loaded[key]
        entry = self.entry(kind, name)
        obj = entry.obj if entry.obj is not None else _import(entry)
        _check_protocol(entry, obj)
        if isinstance(obj, type) and issubclass(obj, kind_base(kind)):
            obj = type(obj.__name__, (obj,), {"registered_name": name, "__module__": obj.__module__})
        self._loaded[key] = obj
        return obj

    def create(self, kind: str, node: Mapping[str, Any] | None, *, where: str) -> Any:
        """Build the component a config node selects: ``kind: name`` + its parameters."""
        node = dict(node or {})
        if "kind" not in node:
            raise ConfigError(
                f"missing 'kind' (key: {where}.kind): name the {kind} to use."
                f"{did_you_mean('', self.names(kind))}",
                key=f"{where}.kind", options=self.names(kind),
            )
        name = node.pop("kind")
        if not isinstance(name, str):
            raise ConfigError(f"{where}.kind must be a name, got {name!r}.", key=f"{where}.kind")
        try:
            cls = self.load(kind, name)
        except PluginError as exc:
            if exc.name == name and "unknown" in str(exc):
                raise ConfigError(f"{exc} (key: {where}.kind)", key=f"{where}.kind",
                                  options=self.names(kind)) from None
            raise
        params = parse_params(cls.Params, node, where=where)
        return cls(params)

    def _check_kind(self, kind: str) -> None:
        if kind not in KINDS:
            raise PluginError(f"unknown component kind '{kind}'.{did_you_mean(kind, KINDS)}")


def _import(entry: Entry) -> Any:
    module_name, _, attr = entry.value.partition(":")
    try:
        obj = importlib.import_module(module_name)
        for part in filter(None, attr.split(".")):
            obj = getattr(obj, part)
    except Exception as exc:  # any failure inside a plugin's import is the plugin's
        old = _old_api_name(exc)
        if old is not None:
            raise PluginError(
                f"{entry.kind} '{entry.name}' from package '{entry.provider}' failed to load "
                f"({entry.value}): it imports '{old}', but driftline's modules live under "
                f"'driftline.' now ({type(exc).__name__}: {exc}). Import the plugin API from "
                f"driftline.engine (e.g. 'from driftline.engine import Model') and reinstall "
                f"that package.",
                kind=entry.kind, name=entry.name,
            ) from exc
        raise PluginError(
            f"{entry.kind} '{entry.name}' from package '{entry.provider}' failed to load "
            f"({entry.value}): {type(exc).__name__}: {exc}. Reinstall or fix that package.",
            kind=entry.kind, name=entry.name,
        ) from exc
    return obj


def _old_api_name(exc: Exception) -> str | None:
    """The top-level ``engine``/``plugins`` module a failed import asked for, if any.

    driftline's packages were importable as ``engine`` and ``plugins`` before they moved
    under ``driftline.``; a plugin written then fails with this name in its ImportError
    (module not found, or a user's own ``engine`` package without the names it wants).
    """
    name = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
    if name and name.split(".")[0] in ("engine", "plugins"):
        return name
    return None


def _check_protocol(entry: Entry, obj: Any) -> None:
    base = kind_base(entry.kind)
    if isinstance(obj, type) and issubclass(obj, base):
        return
    if entry.kind == "schema" and _is_pandera_model(obj):
        return
    raise PluginError(
        f"{entry.kind} '{entry.name}' from package '{entry.provider}' ({entry.value}) does "
        f"not implement the {entry.kind} protocol: expected a subclass of "
        f"{base.__module__}.{base.__name__}.",
        kind=entry.kind, name=entry.name,
    )


def _is_pandera_model(obj: Any) -> bool:
    try:
        from pandera.polars import DataFrameModel
    except ImportError:  # pragma: no cover - pandera is a core dependency
        return False
    return isinstance(obj, type) and issubclass(obj, DataFrameModel)
