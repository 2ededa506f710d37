"""``driftline plugins``: what is registered, by which package, and whether it loads.

``driftline plugins check [NAME]`` runs the conformance suite (:mod:`driftline.engine.conformance`) on
every installed component, or on those called NAME, and exits 1 when any check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from driftline.engine.errors import ExitCode


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plugins", help="registered components: kind, name, package, version; "
                       "`plugins check` runs the conformance suite")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=plugins_command)
    actions = p.add_subparsers(dest="plugins_action", metavar="ACTION")
    check = actions.add_parser("check", help="conformance checks of installed components "
                               "(protocol, parameters, behaviour); exit 1 when any fails")
    check.add_argument("name", nargs="?", metavar="NAME",
                       help="check only the components called NAME (of any kind)")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=check_command)


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
