"""Meta tests: layering, import hygiene, and that listing runs stays light."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import driftline.engine
import driftline.plugins

ROOT = Path(__file__).resolve().parent.parent


def _modules(package) -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
                  if m.name != "engine.__main__")


def test_engine_never_imports_plugins():
    """The import-linter contract in pyproject.toml, run as a test."""
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "engine never imports plugins KEPT" in out.stdout


@pytest.mark.parametrize("module", _modules(engine) + _modules(plugins))
def test_module_imports_cleanly_with_warnings_as_errors(module):
    out = subprocess.run([sys.executable, "-W", "error", "-c", f"import {module}"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("module", _modules(engine) + _modules(plugins))
def test_every_module_has_a_docstring(module):
    import importlib

    assert (importlib.import_module(module).__doc__ or "").strip(), module


def test_listing_runs_imports_no_heavy_library(tmp_path):
    code = ("import sys; from driftline.engine.cli.main import main; rc = main(['runs']); "
            "heavy = [m for m in ('lightgbm', 'pandera', 'polars', 'sklearn', 'scipy', 'hydra') "
            "if m in sys.modules]; print(rc, heavy)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0 []"


def test_help_imports_no_heavy_library(tmp_path):
    code = ("import sys; from driftline.engine.cli.main import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\n"
            "print([m for m in ('lightgbm', 'pandera', 'polars', 'sqlalchemy', 'hydra') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_every_plugin_module_is_declared_as_an_entry_point():
    """Each module in plugins/ that defines components is reachable through an entry point."""
    import importlib.metadata as md

    declared = {ep.value.split(":")[0] for dist in md.distributions()
                if dist.metadata["Name"] == "driftline" for ep in dist.entry_points}
    component_modules = {"driftline.plugins.sources.synthetic", "driftline.plugins.sources.files", "driftline.plugins.sources.sql",
                         "driftline.plugins.transforms.sql", "driftline.plugins.transforms.columns", "driftline.plugins.splitters",
                         "driftline.plugins.models.lightgbm", "driftline.plugins.metrics", "driftline.plugins.schemas",
                         "driftline.plugins.alerts"}
    assert component_modules <= declared
    assert "driftline.plugins.conf" in declared


def test_one_root_error_class():
    """Every exception class in driftline.engine.errors derives from DriftlineError."""
    import inspect

    from driftline.engine import errors

    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, Exception) and c.__module__ == "driftline.engine.errors"]
    assert len(classes) >= 8
    assert all(issubclass(c, errors.DriftlineError) for c in classes)
    assert all(c.__name__.endswith("Error") for c in classes)
