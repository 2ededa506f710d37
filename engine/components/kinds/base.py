"""What every component shares: its declared parameters and the run context it is given."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


@dataclass(frozen=True)
class NoParams:
    """For components that take no parameters."""


@dataclass
class RunContext:
    """What a component may know about the run it is part of."""

    # Seed of the run; components derive every random choice from it.
    seed: int = 0
    # binary | multiclass | regression
    task: str = "binary"
    # Name of the target column.
    target: str = "target"
    # Folder of this run (artifacts go here); None outside a run (e.g. `schema infer`).
    run_dir: Path | None = None
    # Relative data paths are resolved against this folder (the project root, or the
    # working folder outside a project).
    base_dir: Path = field(default_factory=Path.cwd)
    # Threads a component may use (0 = all cores).
    num_threads: int = 0
    # Reports progress of long stages: progress(done, total, label).
    progress: Any = None

    def resolve_path(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


class Component:
    """Base of every component: ``Params`` declares the parameters, ``params`` holds them."""

    #: The dataclass declaring this component's parameters (a comment over every field).
    Params: ClassVar[type] = NoParams
    #: Filled by the registry: the name the component was registered under.
    registered_name: ClassVar[str] = ""
    #: Parameters that make a working instance when ``Params`` has required fields; the
    #: conformance suite (``driftline plugins check``) builds the component with them.
    example_params: ClassVar[dict[str, Any] | None] = None

    def __init__(self, params: Any = None):
        self.params = params if params is not None else self.Params()

    def describe(self) -> dict[str, Any]:
        """Plain data that identifies this component and its parameters (for lineage)."""
        return {"kind": self.registered_name, **dataclasses.asdict(self.params)}
