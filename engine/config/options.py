"""The option catalogue: every config group option a run composes from, and what each one sets.

A run's config is composed from config locations (:func:`~driftline.engine.config.compose.
config_locations`): the project's ``conf/`` (or, outside a project, the packaged defaults),
then the config package of every installed distribution (``driftline.conf`` entry points,
driftline's own ``driftline.plugins.conf`` among them).  In each location a folder is a
group and a YAML file in it an option; the first location that has ``GROUP/OPTION.yaml``
wins, as in Hydra, so a project's file hides a packaged one of the same name.

What an option means is read from its YAML comments (:mod:`~driftline.engine.config.
yaml_comments`); a component's declared parameters (its ``Params`` dataclass) add types,
ranges, keys the file leaves out, and the meaning of keys the file does not comment.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.resources
import inspect
import io
import re
import textwrap
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union

from driftline.engine.config.compose import PRIMARY_CONFIG_NAME, config_locations
from driftline.engine.config.runconf import MetricsConf, StoreConf
from driftline.engine.config.yaml_comments import FileComments, parse_comments
from driftline.engine.errors import ConfigError, UsageError, format_options

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from driftline.engine.components.registry import Registry
    from driftline.engine.config.project import Project

#: Origin of the options in the project's own conf/ folder.
PROJECT_ORIGIN = "project"
#: Groups whose options are component nodes: group -> the kind their ``kind:`` names
#: (the run builds them in engine/run/pipeline.py).
COMPONENT_KINDS = {"data": "source", "split": "splitter", "model": "model", "schema": "schema",
                   "transforms": "transform", "label_transforms": "transform"}
#: Groups whose options go under a step name the user chooses (``+transforms@transforms.STEP=X``).
STEP_GROUPS = ("transforms", "label_transforms")
#: The dataclasses that declare the keys of the run's non-component groups (known here).
SETTINGS_CLASSES: dict[str, type] = {"metrics": MetricsConf, "store": StoreConf}
#: Top-level keys of an option that are Hydra's, not parameters.
_HYDRA_KEYS = ("defaults",)
_NO_DEFAULT = object()


@dataclass(frozen=True)
class Location:
    """One place the run composes from."""

    # "project" for the project's conf/, else the distribution that ships the package.
    origin: str
    # A folder, or pkg://PACKAGE, as on Hydra's search path.
    where: str
    root: Traversable | None = field(default=None, compare=False, repr=False)
    # Why it cannot be read (a package that fails to import), else None.
    error: str | None = None


@dataclass(frozen=True)
class Option:
    """One option of a group: a YAML file in one location."""

    group: str
    name: str
    location: Location
    # The file, as a path where it is a file on disk.
    file: str
    text: str = field(repr=False)
    # Origins of later locations whose option of the same name this one hides.
    overrides: tuple[str, ...] = ()

    @cached_property
    def comments(self) -> FileComments:
        return parse_comments(self.text)

    @property
    def origin(self) -> str:
        return self.location.origin

    @property
    def summary(self) -> str:
        return self.comments.summary

    @property
    def prefix(self) -> str:
        """Where the option's keys land in the run's config (``split``, ``transforms.STEP``)."""
        package = self.comments.package
        if self.group in STEP_GROUPS:
            return f"{self.group}.STEP"
        if package == "_global_":
            return ""
        if package and package != "_group_":
            return package.replace("_group_", self.group.replace("/", "."))
        return self.group.replace("/", ".")

    def selection(self, default_groups: Mapping[str, str]) -> str:
        """How ``driftline run`` selects it: ``split=time``, ``+group=option``, ..."""
        if self.group in STEP_GROUPS:
            return f"+{self.group}@{self.group}.STEP={self.name}"
        # Hydra's own defaults list already selects an option of its groups (hydra/launcher).
        listed = self.group in default_groups or self.group.startswith("hydra/")
        return f"{'' if listed else '+'}{self.group}={self.name}"


@dataclass(frozen=True)
class Declared:
    """A parameter as a dataclass declares it."""

    type: str
    # Ranges and choices from the field's metadata (">= 0, < 1"), "" if none.
    constraints: str
    comment: str
    default: Any = _NO_DEFAULT
    # True for a nested dataclass (its fields follow, with this key as prefix).
    section: bool = False

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT and not self.section


@dataclass(frozen=True)
class Parameter:
    """One key of an option, with what the file and the declaring class say about it."""

    # Key inside the option (``params.num_leaves``) and on the command line (``model.params...``).
    key: str
    override: str
    default: Any
    comment: str
    # Where the comment comes from: "yaml", "class" or "" (none).
    comment_from: str
    type: str | None = None
    constraints: str = ""
    # True when the value is ??? (must be set) or the class declares no default.
    required: bool = False
    # False for a key the class declares that the file does not set (the class default).
    in_file: bool = True
    # True for a mapping whose keys are listed after it.
    section: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Catalogue:
    """Every group option on the search path; each name once, the one that wins."""

    locations: list[Location]
    groups: dict[str, list[Option]]
    # Group -> the option the primary config's defaults list selects.
    defaults: dict[str, str] = field(default_factory=dict)

    def options(self, group: str) -> list[Option]:
        if group not in self.groups:
            raise UsageError(_unknown(f"config group '{group}'", group, list(self.groups),
                                      "Groups"))
        return self.groups[group]

    def option(self, group: str, name: str) -> Option:
        found = {o.name: o for o in self.options(group)}
        if name not in found:
            raise UsageError(_unknown(f"option '{name}' for group '{group}'", name, list(found),
                                      "Options"))
        return found[name]

    def lookup(self, target: str) -> tuple[str, str | None]:
        """``GROUP`` or ``GROUP/OPTION`` (groups may nest: ``hydra/launcher/joblib``)."""
        target = target.strip("/")
        if target in self.groups or "/" not in target:
            self.options(target)
            return target, None
        group, name = target.rsplit("/", 1)
        self.option(group, name.removesuffix(".yaml"))
        return group, name.removesuffix(".yaml")


def _unknown(what: str, name: str, known: list[str], label: str) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" Did you mean: {close[0]}?" if close else ""
    return f"unknown {what}.{hint} {label}: {format_options(sorted(known))}."


# -- the catalogue ----------------------------------------------------------------------
def search_locations(project: Project, registry: Registry) -> list[Location]:
    """The locations the run composes from, first (winning) first."""
    conf_dir, searchpath = config_locations(project, registry)
    distributions = dict(registry.conf_packages)
    found: list[Location] = []
    for where in dict.fromkeys([conf_dir, *searchpath]):
        if not where.startswith("pkg://"):
            found.append(Location(PROJECT_ORIGIN, where, Path(where)))
            continue
        package = where[len("pkg://"):]
        origin = distributions.get(package, package)
        try:
            found.append(Location(origin, where, importlib.resources.files(package)))
        except Exception as exc:  # a plugin package that fails to import is the plugin's
            found.append(Location(origin, where, error=f"{type(exc).__name__}: {exc}"))
    return found


def read_catalogue(project: Project, registry: Registry) -> Catalogue:
    """Every group's options on the run's search path, and the primary config's defaults."""
    locations = search_locations(project, registry)
    winners: dict[tuple[str, str], Option] = {}
    for location in locations:
        if location.root is None:
            continue
        for group, name, file in _option_files(location.root):
            key = (group, name)
            if key in winners:
                first = winners[key]
                winners[key] = dataclasses.replace(
                    first, overrides=(*first.overrides, location.origin))
                continue
            winners[key] = Option(group, name, location, str(file),
                                  file.read_text(encoding="utf-8"))
    groups: dict[str, list[Option]] = {}
    for (group, _), option in sorted(winners.items()):
        groups.setdefault(group, []).append(option)
    primary = locations[0].root if locations else None
    return Catalogue(locations, groups, _default_selections(primary))


def _option_files(root: Traversable, group: tuple[str, ...] = ()
                  ) -> Iterator[tuple[str, str, Traversable]]:
    """(group, option, file) of every YAML file in a group folder below ``root``."""
    try:
        children = sorted(root.iterdir(), key=lambda c: c.name)
    except OSError:
        return
    for child in children:
        if child.is_dir():
            if not child.name.startswith((".", "_")):
                yield from _option_files(child, (*group, child.name))
        elif group and child.name.endswith(".yaml"):
            yield "/".join(group), child.name[:-len(".yaml")], child


def _default_selections(primary: Traversable | None) -> dict[str, str]:
    """Group -> option, from the defaults list of the primary config (config.yaml)."""
    if primary is None:
        return {}
    file = primary / f"{PRIMARY_CONFIG_NAME}.yaml"
    try:
        loaded = load_yaml(file.read_text(encoding="utf-8"), str(file))
    except (OSError, ConfigError):
        return {}
    entries = loaded.get("defaults") if isinstance(loaded, dict) else None
    selected = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        for key, value in entry.items():
            group = re.sub(r"^(override|optional)\s+", "", str(key)).split("@")[0]
            if isinstance(value, str):
                selected[group] = value
    return selected


def load_yaml(text: str, where: str) -> Any:
    """A YAML text as plain data, read the way Hydra reads it (interpolations kept as text)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException
    from yaml import YAMLError

    try:
        return OmegaConf.to_container(OmegaConf.load(io.StringIO(text)), resolve=False)
    except (OmegaConfBaseException, YAMLError) as exc:
        detail = " ".join(str(exc).split())
        raise ConfigError(f"{where} is not valid YAML: {detail}") from exc


# -- one option's parameters ------------------------------------------------------------
def component_kind(option: Option) -> tuple[str, str] | None:
    """(component kind, name) an option selects with ``kind:``, for component groups."""
    kind = COMPONENT_KINDS.get(option.group)
    if kind is None:
        return None
    loaded = load_yaml(option.text, option.file)
    name = loaded.get("kind") if isinstance(loaded, dict) else None
    return (kind, name) if isinstance(name, str) else None


def parameters(option: Option, declared: Mapping[str, Declared] | None = None
               ) -> list[Parameter]:
    """Every key the option sets (file order), then the declared keys it leaves out."""
    declared = declared or {}
    loaded = load_yaml(option.text, option.file)
    if not isinstance(loaded, dict):
        loaded = {}
    notes = option.comments.keys
    skip = {*_HYDRA_KEYS, *(("kind",) if option.group in COMPONENT_KINDS else ())}
    prefix = option.prefix

    def full(key: str) -> str:
        return f"{prefix}.{key}" if prefix else key

    found: list[Parameter] = []

    def walk(node: Mapping[Any, Any], path: tuple[str, ...]) -> None:
        for raw_key, value in node.items():
            here = (*path, str(raw_key))
            if not path and here[0] in skip:
                continue
            key = ".".join(here)
            note = notes.get(here)
            known = declared.get(key)
            section = isinstance(value, dict) and bool(value) and any(
                len(p) > len(here) and p[:len(here)] == here for p in notes)
            comment, source = (note.comment, "yaml") if note and note.comment else (
                (known.comment, "class") if known and known.comment else ("", ""))
            found.append(Parameter(
                key=key, override=full(key), default=value, comment=comment,
                comment_from=source, type=known.type if known else None,
                constraints=known.constraints if known else "",
                required=value == "???", section=section))
            if section:
                walk(value, here)

    walk(loaded, ())
    for key, known in declared.items():
        if known.section or _has_path(loaded, key.split(".")):
            continue
        found.append(Parameter(
            key=key, override=full(key),
            default=None if known.default is _NO_DEFAULT else known.default,
            comment=known.comment, comment_from="class" if known.comment else "",
            type=known.type, constraints=known.constraints, required=known.required,
            in_file=False))
    return found


def _has_path(node: Any, path: list[str]) -> bool:
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def declared_params(cls: type, prefix: str = "") -> dict[str, Declared]:
    """Every parameter a dataclass declares, nested dataclasses flattened (``params.x``)."""
    if not dataclasses.is_dataclass(cls):
        return {}
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # an annotation that does not resolve here: keep its text
        hints = {}
    comments = field_comments(cls)
    out: dict[str, Declared] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        key = f"{prefix}{f.name}"
        tp = hints.get(f.name, f.type)
        nested = isinstance(tp, type) and dataclasses.is_dataclass(tp)
        default = f.default
        if default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
            default = None if nested else f.default_factory()
        out[key] = Declared(
            type=type_name(tp), constraints=constraints(f.metadata),
            comment=comments.get(f.name, ""),
            default=_NO_DEFAULT if default is dataclasses.MISSING else default, section=nested)
        if nested:
            out.update(declared_params(tp, f"{key}."))
    return out


def type_name(tp: Any) -> str:
    """An annotation as a reader writes it: ``float | None``, ``dict[str, Any]``."""
    if isinstance(tp, str):
        return tp
    if tp is type(None):
        return "None"
    if tp is Any:
        return "Any"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is Literal:
        return " | ".join(repr(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin).replace("typing.", ""))
        return f"{name}[{', '.join(type_name(a) for a in args)}]" if args else name
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def constraints(metadata: Mapping[str, Any]) -> str:
    """A field's ranges and choices (``ge``, ``gt``, ``le``, ``lt``, ``choices``) as text."""
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    parts = [f"{sym} {metadata[name]}" for name, sym in symbols.items() if name in metadata]
    if "choices" in metadata:
        parts.append(f"one of {', '.join(map(str, metadata['choices']))}")
    return ", ".join(parts)


def field_comments(cls: type) -> dict[str, str]:
    """Field name -> the comment lines over it in the class source (base classes too)."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if dataclasses.is_dataclass(klass):
            found.update(_own_field_comments(klass))
    return found


def _own_field_comments(cls: type) -> dict[str, str]:
    try:
        lines = textwrap.dedent(inspect.getsource(cls)).splitlines()
    except (OSError, TypeError):  # no source (built in code, frozen): no comments
        return {}
    start = next((i for i, line in enumerate(lines) if line.startswith("class ")), None)
    if start is None:
        return {}
    body = lines[start + 1:]
    indents = [len(line) - len(line.lstrip()) for line in body if line.strip()]
    if not indents:
        return {}
    indent, in_docstring = indents[0], False
    found: dict[str, str] = {}
    pending: list[str] = []
    for line in body:
        text = line.strip()
        if not text or len(line) - len(line.lstrip()) != indent:
            continue
        quotes = text.count('"""') + text.count("'''")
        if in_docstring or quotes:
            in_docstring = in_docstring != (quotes % 2 == 1)
            pending = []
            continue
        match = re.match(r"(\w+)\s*:", text)
        if text.startswith("#"):
            pending.append(text.lstrip("#").strip())
        elif match:
            found[match.group(1)] = " ".join(pending)
            pending = []
        else:
            pending = []
    return found
