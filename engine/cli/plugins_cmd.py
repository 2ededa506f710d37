"""``driftline plugins``: what is registered, by which package, and whether it loads."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from engine.exit_codes import ExitCode


def add_parser(sub: Any) -> None:
    p = sub.add_parser("plugins", help="registered components: kind, name, package, version")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=plugins_command)


def plugin_rows() -> list[dict[str, Any]]:
    """One row per declared component, with ``error`` set when it cannot be used."""
    from engine.errors import DriftlineError
    from engine.registry import Registry

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
    from engine.report import table

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
