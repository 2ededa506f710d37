"""What code produced a run: the project's git state and the versions of what was installed."""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path

#: Libraries whose versions are recorded with every run (when installed).
KEY_LIBRARIES = ("driftline", "hydra-core", "omegaconf", "polars", "pandera", "lightgbm",
                 "numpy", "scipy", "scikit-learn", "sqlmodel", "SQLAlchemy")

_GIT_TIMEOUT_S = 10


def git_state(folder: Path | None) -> dict[str, object]:
    """{commit, dirty, diff_hash} of the git checkout holding ``folder`` (all None if none).

    ``dirty`` means a tracked file differs from the commit (staged or not), as in
    ``git describe --dirty``: untracked files are not a change to the code (data files,
    reports and scratch output land beside it all the time), so they are not counted.
    ``diff_hash`` is the sha256 of ``git diff HEAD``, so two runs from the same edits can
    be told apart from runs from different ones.
    """
    empty = {"commit": None, "dirty": None, "diff_hash": None}
    if folder is None:
        return empty
    commit = _git(folder, "rev-parse", "HEAD")
    if commit is None:
        return empty
    status = _git(folder, "status", "--porcelain", "--untracked-files=no", "--", ".") or ""
    dirty = bool(status.strip())
    diff_hash = None
    if dirty:
        diff = _git(folder, "diff", "HEAD", "--binary", "--", ".") or ""
        diff_hash = hashlib.sha256(diff.encode()).hexdigest()
    return {"commit": commit.strip(), "dirty": dirty, "diff_hash": diff_hash}


def _git(folder: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                             text=True, timeout=_GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def package_versions(plugin_distributions: Iterable[str] = ()) -> dict[str, object]:
    """Python, key libraries, and the distributions that provided the run's plugins."""
    versions: dict[str, object] = {"python": platform.python_version()}
    for name in KEY_LIBRARIES:
        versions[name] = _version(name)
    versions["plugins"] = {d: _version(d) for d in sorted(set(plugin_distributions))}
    return versions


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None
