"""Meta tests: the layout and its import contracts, import hygiene, and that listing runs stays light."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import driftline.engine
import driftline.plugins

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"
#: Every Python file of the project (the virtualenv and build output are not).
PROJECT_FILES = sorted(p for top in ("engine", "plugins", "tests", "bench", "examples", ".ci")
                       for p in (ROOT / top).rglob("*.py") if "build" not in p.parts)
CONTRACTS = ("engine never imports plugins", "engine rooms import downwards only",
             "no import cycles", "plugins use only the public API")
#: A module past this many lines must be split by noun (issue 10).
MAX_MODULE_LINES = 500


def _modules(package) -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
                  if m.name != "driftline.engine.__main__")


ALL_MODULES = _modules(driftline.engine) + _modules(driftline.plugins)


def test_import_contracts_are_kept():
    """The import-linter contracts in pyproject.toml (layers, no cycles, the plugin API)."""
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in CONTRACTS:
        assert f"{name} KEPT" in out.stdout


def test_no_file_imports_the_old_top_level_names():
    """`engine` and `plugins` are folders, not import names: everything is `driftline.*`."""
    offenders = []
    for path in PROJECT_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names
                          if n.split(".")[0] in ("engine", "plugins")]
    assert offenders == []


def test_top_of_engine_holds_only_the_api_the_errors_and_rooms():
    files = sorted(p.name for p in ENGINE.glob("*.py"))
    assert files == ["__init__.py", "__main__.py", "errors.py"]
    rooms = sorted(p.name for p in ENGINE.iterdir() if (p / "__init__.py").is_file())
    assert rooms == ["cli", "components", "config", "conformance", "data", "drift", "lineage",
                     "output", "run"]


@pytest.mark.parametrize("room", sorted(p.name for p in ENGINE.iterdir()
                                        if (p / "__init__.py").is_file()))
def test_every_room_says_what_it_may_import(room):
    import importlib

    doc = importlib.import_module(f"driftline.engine.{room}").__doc__ or ""
    assert "May import:" in doc, room


def test_tests_mirror_the_engine_tree():
    for folder in (ROOT / "tests" / "engine").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__":
            rel = folder.relative_to(ROOT / "tests" / "engine")
            assert (ENGINE / rel).is_dir(), f"tests/engine/{rel} has no engine/{rel}"
            assert (folder / "__init__.py").is_file(), f"tests/engine/{rel} needs __init__.py"


def test_no_module_is_too_long_to_hold_one_concept():
    long = {str(p.relative_to(ROOT)): n for top in ("engine", "plugins")
            for p in (ROOT / top).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


@pytest.mark.parametrize("module", ALL_MODULES)
def test_module_imports_cleanly_with_warnings_as_errors(module):
    out = subprocess.run([sys.executable, "-W", "error", "-c", f"import {module}"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("module", ALL_MODULES)
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
    """Each module in plugins/ (driftline.plugins) that defines components is reachable through an entry point."""
    import importlib.metadata as md

    declared = {ep.value.split(":")[0] for dist in md.distributions()
                if dist.metadata["Name"] == "driftline" for ep in dist.entry_points}
    component_modules = {f"driftline.plugins.{m}" for m in (
        "sources.synthetic", "sources.files", "sources.sql", "transforms.sql",
        "transforms.columns", "splitters", "models.lightgbm", "metrics", "schemas", "alerts",
        "drift_tests")}
    assert component_modules <= declared
    assert "driftline.plugins.conf" in declared


def test_every_public_api_name_resolves():
    """`driftline.engine` is the one documented place for the plugin API; lazy names too."""
    code = ("import driftline.engine as api; missing = [n for n in api.__all__ "
            "if getattr(api, n, None) is None]; print(missing)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    for name in ("Model", "Source", "DataError", "ModelContract", "profile_frame", "view_frame"):
        assert name in driftline.engine.__all__


def test_one_root_error_class():
    """Every exception class in driftline.engine.errors derives from DriftlineError."""
    import inspect

    from driftline.engine import errors

    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, Exception) and c.__module__ == "driftline.engine.errors"]
    assert len(classes) >= 8
    assert all(issubclass(c, errors.DriftlineError) for c in classes)
    assert all(c.__name__.endswith("Error") for c in classes)
