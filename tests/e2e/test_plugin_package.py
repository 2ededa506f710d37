"""A third-party plugin package, pip-installed for real: listed, run, checked, and clashing.

The example package (examples/driftline-plugin-example) is built and installed with pip
into a temporary ``--target`` folder that only this module's subprocesses see (through
PYTHONPATH): the shared test environment is never modified, so nothing needs uninstalling
and tests running in parallel are unaffected.  ``--no-build-isolation --no-index``: the
build uses the environment's setuptools, so no network is needed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, store_rows

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "driftline-plugin-example"
DIST, VERSION = "driftline-plugin-example", "0.1.0"
# A run that uses the package's model, transform (with its shipped config option) and metric.
RUN_ARGS = ["run", "model=logreg", "data.rows=2000", "+transforms@transforms.log_income=log1p",
            "transforms.log_income.columns=[annual_income]", "+metrics.binary.brier={}"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The example package, installed by pip into a folder of its own."""
    base = tmp_path_factory.mktemp("plugin")
    src, target = base / "src", base / "site"
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    out = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(src)],
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (target / "driftline_plugin_example" / "conf" / "model" / "logreg.yaml").is_file()
    return target


def _cli(cwd: Path, *paths: Path) -> Cli:
    cli = Cli(cwd)
    cli.env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    return cli


def _fake_dist(folder: Path, name: str, version: str, entry_points: str,
               modules: dict[str, str] | None = None) -> Path:
    """A distribution as pip would leave it: a .dist-info folder (+ modules) on sys.path."""
    info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(entry_points)
    for module, code in (modules or {}).items():
        (folder / f"{module}.py").write_text(code)
    return folder


def test_plugins_lists_the_package_components(site, tmp_path):
    rows = _cli(tmp_path, site).json("plugins")
    found = {(r["kind"], r["name"]): r for r in rows}
    for key in [("model", "logreg"), ("transform", "log1p"), ("metric", "brier"),
                ("drift_test", "mean_shift"), ("conf", "driftline_plugin_example.conf")]:
        assert found[key]["package"] == DIST, key
        assert found[key]["error"] is None, found[key]["error"]
    assert found[("model", "logreg")]["version"] == VERSION
    assert found[("model", "logreg")]["object"] == "driftline_plugin_example.logreg:LogisticModel"
    assert found[("model", "lightgbm")]["package"] == "driftline"


def test_run_with_the_package_model_transform_and_metric(site, tmp_path):
    cli = _cli(tmp_path, site)
    out = cli(*RUN_ARGS)
    assert out.returncode == 0, out.stderr
    shown = cli.json("show", "latest")
    assert shown["status"] == "succeeded"
    # The shipped option model/logreg.yaml was composed, not typed on the command line.
    assert shown["config"]["model"] == {
        "kind": "logreg", "C": 1.0, "max_iter": 200, "tol": 0.0001, "fit_intercept": True,
        "class_weight": None, "categorical_encoding": "onehot"}
    assert shown["config"]["transforms"]["log_income"]["kind"] == "log1p"
    model_file = Path(shown["model"]["path"])
    data = model_file.read_bytes()
    assert shown["model"]["hash"] == hashlib.sha256(data).hexdigest()
    doc = json.loads(data)  # JSON, not a pickle
    assert doc["format"] == "driftline-logreg-json" and doc["task"] == "binary"
    levels = {c["name"]: c["levels"] for c in doc["encoding"]["columns"]}
    assert levels["grade"] == sorted(levels["grade"]) and len(levels["grade"]) >= 3
    metrics = {(m["split"], m["name"]): m["value"] for m in shown["metrics"] if m["slice"] == ""}
    assert 0.6 < metrics[("test", "auc")] <= 1.0
    assert 0.0 < metrics[("test", "brier")] < 0.25
    versions = store_rows(tmp_path / "runs" / "lineage.db", "select versions_json from runs")
    assert json.loads(versions[0][0])["plugins"][DIST] == VERSION


def test_plugins_check_passes_for_the_package_model(site, tmp_path):
    cli = _cli(tmp_path, site)
    out = cli("plugins", "check", "logreg")
    assert out.returncode == 0, out.stdout + out.stderr
    results = cli.json("plugins", "check", "logreg")
    assert {r["package"] for r in results} == {DIST}
    checks = {r["check"]: r["ok"] for r in results}
    assert checks == {c: True for c in [
        "import", "protocol", "params", "predict [binary]", "predict [multiclass]",
        "round-trip [binary]", "round-trip [multiclass]", "deterministic [binary]",
        "deterministic [multiclass]"]}


def test_the_package_own_contract_tests_pass_against_the_installed_package(site, tmp_path):
    tests = site.parent / "src" / "tests"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRIFTLINE_", "HYDRA_"))}
    env["PYTHONPATH"] = str(site)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(tests)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert out.stdout.splitlines()[-1].startswith("29 passed")


def test_two_packages_registering_one_name_fail_the_run_naming_both(site, tmp_path):
    other = _fake_dist(tmp_path / "other", "other-plugins", "2.0.1",
                       "[driftline.model]\nlogreg = other_plugins:Model\n")
    cli = _cli(tmp_path, site, other)
    out = cli("run", "model=logreg", "data.rows=500")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "driftline: error: model 'logreg' is registered by more than one package: "
        f"'{DIST} {VERSION}' (driftline_plugin_example.logreg:LogisticModel) and "
        "'other-plugins 2.0.1' (other_plugins:Model). Uninstall one of them."]
    rows = [r for r in cli.json("plugins") if (r["kind"], r["name"]) == ("model", "logreg")]
    assert {r["package"] for r in rows} == {DIST, "other-plugins"}
    assert all("registered by more than one package" in r["error"] for r in rows)
    listing = cli("plugins")
    assert listing.returncode == 0
    assert sum("BROKEN: model 'logreg' is registered by more than one package" in line
               for line in listing.stdout.splitlines()) == 2


LEAKY = '''
"""A model whose loads() forgets what it learnt: a plugin that fails its round trip."""
import json
from dataclasses import dataclass
import numpy as np
from driftline.engine import Model

class Leaky(Model):
    format = "leaky-json"
    tasks = frozenset({"regression"})

    def fit(self, data, ctx):
        self.mean = float(np.mean(data.y_train))

    def predict(self, frame):
        return np.full(frame.height, self.mean)

    def dumps(self):
        return json.dumps({"mean": self.mean}).encode()

    def metadata(self):
        return {}

    @classmethod
    def loads(cls, data, metadata, params=None):
        model = cls(params)
        model.mean = 0.0
        return model
'''


def test_plugins_check_fails_with_exit_1_and_the_reason(tmp_path):
    folder = _fake_dist(tmp_path / "leaky", "leaky-plugins", "0.3.0",
                        "[driftline.model]\nleaky = leaky_plugins:Leaky\n"
                        "broken = missing_module_xyz:Thing\n",
                        modules={"leaky_plugins": LEAKY})
    cli = _cli(tmp_path, folder)
    out = cli("plugins", "check", "leaky")
    assert out.returncode == 1, out.stdout + out.stderr
    failed = [line for line in out.stdout.splitlines() if "FAIL" in line]
    assert len(failed) == 1 and "round-trip [regression]" in failed[0]
    assert "the model loaded from dumps() predicts differently" in failed[0]
    assert "leaky-plugins 0.3.0" in failed[0]
    broken = cli("plugins", "check", "broken", "--json")
    assert broken.returncode == 1
    results = json.loads(broken.stdout)
    assert [(r["check"], r["ok"]) for r in results] == [("import", False)]
    assert "ModuleNotFoundError" in results[0]["reason"] and "leaky-plugins" in results[0]["reason"]
    unknown = cli("plugins", "check", "lekay")
    assert unknown.returncode == 2
    assert "no installed component is called 'lekay'. Did you mean: leaky?" in unknown.stderr


# -- the guide cannot go stale -------------------------------------------------------------------
DOCS = ROOT / "docs" / "plugins.md"


def test_guide_quotes_the_example_package_verbatim():
    import re

    text = DOCS.read_text(encoding="utf-8")
    quoted = re.findall(r"<!-- from: (\S+) -->\n```\w+\n(.*?)```", text, flags=re.S)
    assert len(quoted) >= 3
    for path, block in quoted:
        source = {line.strip() for line in (ROOT / path).read_text().splitlines()}
        for line in block.splitlines():
            assert not line.strip() or line.strip() in source, (path, line)


def test_guide_documents_every_kind():
    from driftline.engine.components.kinds import KINDS

    text = DOCS.read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"| `{kind}` |" in text and f"`driftline.{kind}`" in text, kind


# -- a project whose own folder has packages named `engine` and `plugins` ------------------
OWN_TESTS = '''\
import engine
import plugins

from driftline.engine import Model, Registry


def test_the_project_packages_are_the_projects_own():
    assert engine.WHO == "project" and plugins.WHO == "project"


def test_driftline_components_still_load():
    registry = Registry.from_environment()
    assert issubclass(registry.load("model", "lightgbm"), Model)
    assert issubclass(registry.load("model", "logreg"), Model)
'''


def _own_packages_project(folder: Path) -> Path:
    """A project that has its own top-level `engine` and `plugins` packages (and tests)."""
    for package in ("engine", "plugins"):
        (folder / package).mkdir(parents=True)
        (folder / package / "__init__.py").write_text('WHO = "project"\n')
    (folder / "plugins" / "models").mkdir()
    (folder / "plugins" / "models" / "__init__.py").write_text("")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_own.py").write_text(OWN_TESTS)
    return folder


def test_a_project_with_its_own_engine_and_plugins_packages(site, tmp_path):
    """`python -m` puts the project folder first on sys.path, where its own `engine` and
    `plugins` would shadow packages of those names: driftline's live under `driftline.`."""
    project = _own_packages_project(tmp_path / "project")
    cli = _cli(project, site)
    out = cli("run", "data.rows=600", "model.num_boost_round=5")           # python -m driftline.engine
    assert out.returncode == 0, out.stderr
    script = Path(sys.executable).parent / "driftline"                     # the console script
    out = subprocess.run([str(script), *RUN_ARGS], cwd=project, env=cli.env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    runs = cli.json("runs")
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"]
    assert cli.json("show", "latest")["config"]["model"]["kind"] == "logreg"  # third-party
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "tests"], cwd=project, env=cli.env, capture_output=True,
                           text=True, timeout=300)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert tests.stdout.splitlines()[-1].startswith("2 passed")
