"""``driftline run``: hand the arguments to the Hydra app in the current project."""

from __future__ import annotations

from driftline.engine.run.hydra_app import run_app
from driftline.engine.config.project import find_project
from driftline.engine.components.registry import Registry


def run_command(args: list[str]) -> int:
    return run_app(args, find_project(), Registry.from_environment())
