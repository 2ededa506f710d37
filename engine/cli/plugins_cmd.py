"""``driftline plugins``: what is registered, by which package, and whether it loads.

``driftline plugins check [NAME]`` runs the conformance suite (:mod:`driftline.engine.conformance`) on
every installed component, or on those called NAME, and exits 1 when any check fails.

``driftline plugins show [GROUP[/OPTION]]`` is the option catalogue
(:mod:`driftline.engine.config.options`): every config group with its options and where
each comes from (the project's conf/, a package's config tree), a group's options with
their one-line descriptions, or one option's parameters (default, type, meaning from its
YAML comments and its component's declared parameters).  An unknown group or option is one
line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from driftline.engine.errors import ExitCode

if TYPE_CHECKING:
    from driftline.engine.components.registry import Registry
    from driftline.engine.config.options import Catalogue, Option

#: Width the option view wraps comments at.
WRAP = 100


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plugins", help="registered components: kind, name, package, version; "
                       "`plugins check` runs the conformance suite; `plugins show` lists "
                       "config group options and their parameters")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=plugins_command)
    actions = p.add_subparsers(dest="plugins_action", metavar="ACTION")
    check = actions.add_parser("check", help="conformance checks of installed components "
                               "(protocol, parameters, behaviour); exit 1 when any fails")
    check.add_argument("name", nargs="?", metavar="NAME",
                       help="check only the components called NAME (of any kind)")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=check_command)
    show = actions.add_parser(
        "show", help="config group options (data=csv, split=time, ...): no argument lists "
        "every group's options and where each comes from; GROUP describes its options; "
        "GROUP/OPTION lists the option's parameters with default, type and meaning")
    show.add_argument("target", nargs="?", metavar="GROUP[/OPTION]",
                      help="a config group (split) or one of its options (split/time)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=show_command)


def plugin_rows() -> list[dict[str, Any]]:
    """One row per declared component, with ``error`` set when it cannot be used."""
    from driftline.engine.errors import DriftlineError
    from driftline.engine.components.registry import Registry

    registry = Registry.from_environment()
    rows = []
    for entry in registry.entries():
        error = None
        try:
            registry.load(entry.kind, entry.name)
        except DriftlineError as exc:
            error = str(exc)
        rows.append({"kind": entry.kind, "name": entry.name, "package": entry.distribution,
                     "version": entry.version, "object": entry.value, "error": error})
    rows += [{"kind": "conf", "name": pkg, "package": dist, "version": "", "object": pkg,
              "error": None} for pkg, dist in registry.conf_packages]
    return rows


def plugins_command(args: argparse.Namespace) -> int:
    from driftline.engine.output.render import table

    rows = plugin_rows()
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
    else:
        print(table(["kind", "name", "package", "version", "status"],
                    [[r["kind"], r["name"], r["package"], r["version"],
                      "ok" if r["error"] is None else f"BROKEN: {r['error']}"] for r in rows]))
    broken = [r for r in rows if r["error"]]
    for r in broken:
        print(f"driftline: warning: {r['kind']} '{r['name']}' cannot be used: {r['error']}",
              file=sys.stderr)
    return ExitCode.OK


def check_command(args: argparse.Namespace) -> int:
    from driftline.engine.conformance import check_installed
    from driftline.engine.components.registry import Registry
    from driftline.engine.output.render import table

    results = check_installed(Registry.from_environment(), args.name)
    if args.json:
        json.dump([r.as_dict() for r in results], sys.stdout, indent=2)
        print()
    else:
        print(table(["kind", "name", "package", "check", "result"],
                    [[r.kind, r.name, f"{r.package} {r.version}".strip(), r.check,
                      "ok" if r.ok else f"FAIL: {r.reason}"] for r in results]))
    failed = [r for r in results if not r.ok]
    if not args.json:
        components = {(r.kind, r.name) for r in results}
        bad = {(r.kind, r.name) for r in failed}
        print(f"{len(components) - len(bad)} of {len(components)} component(s) pass; "
              f"{len(failed)} check(s) failed.", file=sys.stderr)
    return ExitCode.CHECK_FAILED if failed else ExitCode.OK


# -- plugins show ---------------------------------------------------------------------
def show_command(args: argparse.Namespace) -> int:
    from driftline.engine.components.registry import Registry
    from driftline.engine.config.options import read_catalogue
    from driftline.engine.config.project import find_project

    registry = Registry.from_environment()
    catalogue = read_catalogue(find_project(), registry)
    for location in catalogue.locations:
        if location.error:
            print(f"driftline: warning: config package {location.where} ({location.origin}) "
                  f"cannot be read: {location.error}", file=sys.stderr)
    if args.target is None:
        doc, text = _catalogue_doc(catalogue), _catalogue_text
    else:
        group, name = catalogue.lookup(args.target)
        if name is None:
            doc, text = _group_doc(catalogue, group), _group_text
        else:
            doc = _option_doc(catalogue, catalogue.option(group, name), registry)
            text = _option_text
    if args.json:
        from driftline.engine.output.render import to_json

        print(to_json(doc))
    else:
        print(text(doc))
    return ExitCode.OK


def _entry(catalogue: Catalogue, option: Option) -> dict[str, Any]:
    return {"group": option.group, "name": option.name, "origin": option.origin,
            "where": option.location.where, "file": option.file, "summary": option.summary,
            "overrides": list(option.overrides),
            "default": catalogue.defaults.get(option.group) == option.name,
            "select": option.selection(catalogue.defaults)}


def _catalogue_doc(catalogue: Catalogue) -> dict[str, Any]:
    primary = catalogue.locations[0].where if catalogue.locations else None
    return {"locations": [{"origin": loc.origin, "where": loc.where, "error": loc.error}
                          for loc in catalogue.locations],
            "primary": primary,
            "groups": {group: [_entry(catalogue, o) for o in options]
                       for group, options in catalogue.groups.items()}}


def _group_doc(catalogue: Catalogue, group: str) -> dict[str, Any]:
    return {"group": group,
            "options": [{**_entry(catalogue, o), "description": o.comments.description}
                        for o in catalogue.options(group)]}


def _option_doc(catalogue: Catalogue, option: Option, registry: Registry) -> dict[str, Any]:
    from driftline.engine.config.options import component_kind, parameters

    component, declared = _component(option, component_kind(option), registry)
    if component is None and option.group in _settings_classes():
        from driftline.engine.config.options import declared_params

        declared = declared_params(_settings_classes()[option.group])
    return {**_entry(catalogue, option), "description": option.comments.description,
            "prefix": option.prefix, "component": component,
            "parameters": [p.as_dict() for p in parameters(option, declared)]}


def _settings_classes() -> dict[str, type]:
    from driftline.engine.config.options import SETTINGS_CLASSES
    from driftline.engine.drift.settings import DriftSettings

    return {**SETTINGS_CLASSES, "drift": DriftSettings}


def _component(option: Option, selected: tuple[str, str] | None, registry: Registry
               ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The component an option's ``kind:`` selects, and the parameters its class declares."""
    from driftline.engine.config.options import declared_params
    from driftline.engine.errors import DriftlineError

    if selected is None:
        return None, {}
    kind, name = selected
    info: dict[str, Any] = {"kind": kind, "name": name, "object": None, "package": None,
                            "version": None, "error": None}
    try:
        entry = registry.entry(kind, name)
        info.update(object=entry.value, package=entry.distribution, version=entry.version)
        cls = registry.load(kind, name)
    except DriftlineError as exc:
        info["error"] = str(exc)
        return info, {}
    params = getattr(cls, "Params", None)
    return info, declared_params(params) if isinstance(params, type) else {}


def _catalogue_text(doc: dict[str, Any]) -> str:
    from driftline.engine.output.render import table

    rows = []
    order = {loc["origin"]: i for i, loc in reversed(list(enumerate(doc["locations"])))}
    for group, options in doc["groups"].items():
        origins = sorted({o["origin"] for o in options}, key=lambda x: (order.get(x, 0), x))
        for i, origin in enumerate(origins):
            names = ", ".join(_marked(o) for o in options if o["origin"] == origin)
            rows.append([group if i == 0 else "", origin, names])
    where = "; ".join(f"{loc['origin']} = {loc['where']}" + (" (unreadable)" if loc["error"]
                      else "") for loc in doc["locations"])
    lines = ["Config groups and their options (`driftline run GROUP=OPTION` selects one):", "",
             table(["group", "from", "options"], rows), "",
             f"* selected by default (the defaults list of {doc['primary']}/config.yaml).",
             f"from, first wins: {where}.",
             "`driftline plugins show GROUP` describes a group's options; "
             "`driftline plugins show GROUP/OPTION` lists an option's parameters."]
    return "\n".join(lines)


def _marked(option: dict[str, Any]) -> str:
    name = option["name"] + ("*" if option["default"] else "")
    if option["overrides"]:
        name += f" (overrides {', '.join(option['overrides'])})"
    return name


def _group_text(doc: dict[str, Any]) -> str:
    from driftline.engine.output.render import table

    options = doc["options"]
    rows = [[_marked(o), o["origin"], o["summary"]] for o in options]
    select = options[0]["select"].rsplit("=", 1)[0] if options else doc["group"]
    lines = [f"{doc['group']}: {len(options)} option(s), selected with "
             f"`driftline run {select}=OPTION`", "",
             table(["option", "from", "description"], rows), ""]
    if any(o["default"] for o in options):
        lines.append("* selected by default.")
    lines.append(f"`driftline plugins show {doc['group']}/OPTION` lists an option's parameters.")
    return "\n".join(lines)


def _option_text(doc: dict[str, Any]) -> str:
    lines = [f"{doc['group']}/{doc['name']}"]
    for paragraph in doc["description"].split("\n\n") if doc["description"] else []:
        lines.append(textwrap.fill(" ".join(paragraph.split()), width=WRAP, initial_indent="  ",
                                   subsequent_indent="  ", break_on_hyphens=False))
    lines += ["", f"  from:      {doc['origin']}, {doc['file']}"
              + (f" (overrides {', '.join(doc['overrides'])})" if doc["overrides"] else ""),
              f"  select:    driftline run {doc['select']}"]
    component = doc["component"]
    if component is not None:
        what = f"{component['kind']} '{component['name']}'"
        if component["error"]:
            lines.append(f"  component: {what}: {component['error']}")
        else:
            lines.append(f"  component: {what} = {component['object']} "
                         f"({component['package']} {component['version']})".rstrip())
    in_file = [p for p in doc["parameters"] if p["in_file"]]
    implied = [p for p in doc["parameters"] if not p["in_file"]]
    prefix = f"{doc['prefix']}." if doc["prefix"] else ""
    if in_file:
        lines += ["", f"Parameters (override with {prefix}KEY=VALUE):"]
        lines += [line for p in in_file for line in _parameter_lines(p)]
    elif not implied:
        lines += ["", "No parameters."]
    if implied:
        lines += ["", "Also accepted (not set in this file; the declared default applies):"]
        lines += [line for p in implied for line in _parameter_lines(p)]
    return "\n".join(lines)


def _parameter_lines(p: dict[str, Any]) -> list[str]:
    declared = "; ".join(x for x in (p["type"], p["constraints"]) if x)
    if p["section"]:
        head = f"  {p['override']}:"
    else:
        value = "??? (required)" if p["default"] == "???" or (p["required"] and not p["in_file"]) \
            else yaml_value(p["default"])
        head = f"  {p['override']} = {value}"
    if declared:
        head += f"   [{declared}]"
    lines = [head]
    if p["comment"]:
        lines.append(textwrap.fill(p["comment"], width=WRAP, initial_indent=" " * 6,
                                   subsequent_indent=" " * 6, break_on_hyphens=False))
    return lines


def yaml_value(value: Any) -> str:
    """A value as it would be written in YAML flow style: null, true, [a, b], {k: v}."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {yaml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    if isinstance(value, str) and _needs_quotes(value):
        return json.dumps(value)
    return str(value)


def _needs_quotes(text: str) -> bool:
    import re

    return (not text or text != text.strip() or text.lower() in ("null", "true", "false", "~")
            or bool(re.search(r"[,:#\[\]{}\"'\n]", text))
            or bool(re.fullmatch(r"[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?", text)))
