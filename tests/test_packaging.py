"""Packaging: the built wheel installs one import name, `driftline`, and maps the folders.

The wheel is built from a copy of the sources (so the working tree gets no build output)
with the environment's setuptools (``--no-build-isolation``: no network).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    src, out = base / "src", base / "dist"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for folder in ("engine", "plugins"):
        shutil.copytree(ROOT / folder, src / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (found,) = out.glob("driftline-*.whl")
    return found


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        return z.namelist()


def test_the_only_top_level_import_name_is_driftline(wheel):
    names = _names(wheel)
    tops = {n.split("/")[0] for n in names}
    info = {t for t in tops if t.endswith(".dist-info")}
    assert tops - info == {"driftline"}
    # A namespace: no driftline/__init__.py, so other distributions can never clash with it.
    assert "driftline/__init__.py" not in names
    assert {"driftline/engine/__init__.py", "driftline/plugins/__init__.py",
            "driftline/engine/cli/main.py"} <= set(names)
    with zipfile.ZipFile(wheel) as z:
        (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")] or [None]
        if top_level is not None:
            assert z.read(top_level).decode().split() == ["driftline"]


def test_the_wheel_ships_the_packaged_configs_and_new_entry_points(wheel):
    names = set(_names(wheel))
    confs = {p.relative_to(ROOT / "plugins").as_posix()
             for p in (ROOT / "plugins" / "conf").rglob("*.yaml")}
    assert confs and {f"driftline/plugins/{c}" for c in confs} <= names
    with zipfile.ZipFile(wheel) as z:
        (ep_file,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points = z.read(ep_file).decode()
    values = [line.split("=", 1)[1].strip() for line in entry_points.splitlines()
              if "=" in line and not line.startswith("[")]
    assert values and all(v.startswith("driftline.") for v in values), values
    assert "driftline = driftline.engine.cli.main:entry" in entry_points


def test_every_package_folder_is_listed_in_pyproject():
    """setuptools cannot prefix packages it finds, so the list is explicit: keep it whole."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    folders = {f"driftline.{top}" + "".join(f".{part}" for part in p.parent.relative_to(
        ROOT / top).parts) for top in ("engine", "plugins")
        for p in (ROOT / top).rglob("__init__.py")}
    assert listed == folders


def test_the_installed_wheel_runs_from_its_own_files(wheel, tmp_path):
    """Not only an editable install: the wheel, installed into a folder of its own, imports
    from there, finds its packaged configs and records a run."""
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(site), str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRIFTLINE_", "HYDRA_"))}
    env["PYTHONPATH"] = str(site)
    project = tmp_path / "project"
    project.mkdir()
    where = subprocess.run(
        [sys.executable, "-c", "import driftline.engine, driftline.plugins.conf as c; "
         "print(driftline.engine.__file__); print(c.__file__)"],
        cwd=project, env=env, capture_output=True, text=True, check=True)
    assert all(Path(line).is_relative_to(site) for line in where.stdout.split()), where.stdout
    run = subprocess.run(
        [sys.executable, "-m", "driftline.engine", "run", "data.rows=500",
         "model.num_boost_round=5"], cwd=project, env=env, capture_output=True, text=True,
        timeout=300)
    assert run.returncode == 0, run.stderr
    shown = subprocess.run([sys.executable, "-m", "driftline.engine", "show", "latest", "--json"],
                           cwd=project, env=env, capture_output=True, text=True, check=True)
    run_record = json.loads(shown.stdout)
    assert run_record["status"] == "succeeded"
    assert run_record["config"]["model"]["kind"] == "lightgbm"  # the packaged default config
