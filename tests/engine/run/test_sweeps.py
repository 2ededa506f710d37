"""engine/run/sweeps.py: what a job returns, the direction an Optuna sweep gets, the environment
every job gets, the ranked summary; and the sweeps in docs/sweeps.md compose."""

from __future__ import annotations

import math
import re
import shlex
from pathlib import Path
from typing import ClassVar

import pytest

from driftline.engine.errors import ConfigError
from driftline.engine.components.kinds.metric import Metric
from driftline.engine.components.registry import Registry
from driftline.engine.run.sweeps import (
    common_overrides,
    compose_for_sweep,
    job_env_overrides,
    objective_value,
    optimiser_overrides,
    primary_direction,
    rank_sweep_runs,
    render_sweep_summary,
)

PACKAGED = "pkg://plugins.conf"
OPTUNA = ["hydra/sweeper=optuna", "model.params.num_leaves=int(interval(8,128))"]


class Up(Metric):
    tasks: ClassVar[frozenset[str]] = frozenset({"binary"})
    higher_is_better: ClassVar[bool] = True


class Down(Metric):
    tasks: ClassVar[frozenset[str]] = frozenset({"binary"})
    higher_is_better: ClassVar[bool] = False


@pytest.fixture
def registry() -> Registry:
    reg = Registry()
    reg.add("metric", "up", Up)
    reg.add("metric", "down", Down)
    return reg


# -- objective_value -----------------------------------------------------------------------

@pytest.mark.parametrize(("primary", "expected"), [
    pytest.param(("test/auc", 0.75), 0.75, id="metric"),
    pytest.param(["test/rmse", 3], 3.0, id="int-from-json"),
    pytest.param(("test/auc", math.nan), None, id="nan"),
    pytest.param(("test/auc", None), None, id="no-value"),
    pytest.param(None, None, id="no-primary"),
])
def test_objective_value(primary, expected):
    value = objective_value(primary)
    assert value == expected and (value is None or type(value) is float)


# -- primary_direction ---------------------------------------------------------------------

@pytest.mark.parametrize(("metrics", "expected"), [
    pytest.param({"binary": {"up": {}, "down": {}}, "primary": {"binary": "down"}},
                 "minimize", id="named-primary-lower-is-better"),
    pytest.param({"binary": {"down": {}, "up": {}}, "primary": {"binary": "up"}},
                 "maximize", id="named-primary-higher-is-better"),
    pytest.param({"binary": {"down": {}, "up": {}}, "primary": {}},
                 "minimize", id="first-metric-when-no-primary"),
    pytest.param({"binary": {"loss_at_0.3": {"kind": "down"}},
                  "primary": {"binary": "loss_at_0.3"}},
                 "minimize", id="alias-uses-its-kind"),
    pytest.param({"binary": {"up": None}, "primary": {"regression": "down", "binary": "up"}},
                 "maximize", id="primary-of-this-task"),
])
def test_primary_direction(metrics, expected, registry):
    assert primary_direction("binary", metrics, registry) == expected


@pytest.mark.parametrize(("metrics", "message"), [
    pytest.param({"binary": {"up": {}}, "primary": {"binary": "auc"}},
                 "primary metric 'auc' (key: metrics.primary.binary) is not among the task's "
                 "metrics: up.", id="unknown-primary"),
    pytest.param({"binary": {}, "primary": {}},
                 "no metrics configured for task=binary (key: metrics.binary).",
                 id="no-metrics"),
])
def test_primary_direction_errors(metrics, message, registry):
    with pytest.raises(ConfigError) as info:
        primary_direction("binary", metrics, registry)
    assert str(info.value) == message


# -- optimiser_overrides (composes the packaged demo config) ---------------------------------

def test_optuna_sweep_maximises_auc():
    # The demo's primary metric is auc (plugins/metrics.py: AUC.higher_is_better = True).
    assert optimiser_overrides(PACKAGED, [], OPTUNA, Registry.from_environment()) == [
        "hydra.sweeper.direction=maximize"]


def test_optuna_sweep_minimises_logloss():
    overrides = [*OPTUNA, "metrics.primary.binary=logloss"]
    assert optimiser_overrides(PACKAGED, [], overrides, Registry.from_environment()) == [
        "hydra.sweeper.direction=minimize"]


@pytest.mark.parametrize("overrides", [
    pytest.param([*OPTUNA, "hydra.sweeper.direction=minimize"], id="direction-on-command-line"),
    pytest.param([*OPTUNA, "++hydra.sweeper.direction=minimize"], id="direction-forced"),
    pytest.param(["model.params.num_leaves=7,15"], id="basic-sweeper"),
    pytest.param(["hydra/sweeper=basic", "seed=1,2"], id="basic-sweeper-named"),
])
def test_no_direction_added(overrides):
    assert optimiser_overrides(PACKAGED, [], overrides, Registry.from_environment()) == []


def _project_conf(tmp_path, body: str) -> str:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "config.yaml").write_text(body)
    return str(conf)


def test_optuna_selected_in_project_config(tmp_path):
    conf = _project_conf(tmp_path, "defaults:\n  - metrics: default\n"
                                   "  - override hydra/sweeper: optuna\n  - _self_\n"
                                   "task: binary\n")
    # regression's primary metric is rmse (lower is better)
    assert optimiser_overrides(conf, ["pkg://plugins.conf"], ["task=regression"],
                               Registry.from_environment()) == ["hydra.sweeper.direction=minimize"]


def test_direction_set_in_project_config_is_kept(tmp_path):
    conf = _project_conf(tmp_path, "defaults:\n  - metrics: default\n"
                                   "  - override hydra/sweeper: optuna\n  - _self_\n"
                                   "task: binary\n"
                                   "hydra:\n  sweeper:\n    direction: maximize\n")
    assert optimiser_overrides(conf, ["pkg://plugins.conf"], ["task=regression"],
                               Registry.from_environment()) == []


def test_unknown_sweeper_option_is_one_line():
    with pytest.raises(ConfigError) as info:
        compose_for_sweep(PACKAGED, [], ["hydra/sweeper=optuan"])
    assert str(info.value) == (
        "unknown config option 'optuan' for group 'hydra/sweeper' (override: "
        "hydra/sweeper=optuan). Did you mean: optuna? Available: basic, optuna.")


def test_unknown_sweeper_key_lists_its_siblings():
    with pytest.raises(ConfigError) as info:
        compose_for_sweep(PACKAGED, [], [*OPTUNA, "hydra.sweeper.n_trial=3"])
    message = str(info.value)
    assert message.startswith("unknown config key 'hydra.sweeper.n_trial' (override: "
                              "hydra.sweeper.n_trial=3). Did you mean: n_trials? ")
    assert "direction" in message and "+hydra" not in message  # the sweeper takes no new keys


def test_missing_optuna_sweeper_says_how_to_install(monkeypatch):
    from hydra.core.config_store import ConfigStore
    from hydra.core.plugins import Plugins

    Plugins.instance()  # scan the plugins first, so the option is not registered again
    monkeypatch.delitem(ConfigStore.instance().repo["hydra"]["sweeper"], "optuna.yaml")
    with pytest.raises(ConfigError) as info:
        compose_for_sweep(PACKAGED, [], OPTUNA)
    assert str(info.value) == (
        "config option 'optuna' for group 'hydra/sweeper' (override: hydra/sweeper=optuna) "
        "comes with a Hydra plugin that is not installed; install it: "
        "pip install 'driftline[optuna]'")


# -- rank_sweep_runs -------------------------------------------------------------------------

def _run(run_id: str, status: str, value: float | None, higher: bool, started: str) -> dict:
    primary = ["test/x", value] if value is not None else None
    return {"id": run_id, "status": status, "started_at": started,
            "summary": {"primary": primary, "higher_is_better": higher}}


@pytest.mark.parametrize(("higher", "order"), [
    pytest.param(True, ["b", "a", "c", "f", "n"], id="higher-is-better"),
    pytest.param(False, ["c", "a", "b", "f", "n"], id="lower-is-better"),
])
def test_rank_best_first_then_failed_and_unscored_by_start(higher, order):
    runs = [_run("n", "succeeded", math.nan, higher, "2026-01-01T00:00:05"),
            _run("a", "succeeded", 0.5, higher, "2026-01-01T00:00:01"),
            _run("f", "failed", None, higher, "2026-01-01T00:00:00"),
            _run("b", "succeeded", 0.9, higher, "2026-01-01T00:00:02"),
            _run("c", "succeeded", 0.1, higher, "2026-01-01T00:00:03")]
    assert [r["id"] for r in rank_sweep_runs(runs)] == order


# -- job_env_overrides -----------------------------------------------------------------------

def test_job_env_travels_in_hydra_config():
    from hydra import compose, initialize_config_module

    values = {"DRIFTLINE_SWEEP_ID": "0123abcd", "DRIFTLINE_BASE_DIR": "/data/my project's, x=1",
              "WIN": "C:\\runs\\"}
    with initialize_config_module(config_module="driftline.plugins.conf", version_base="1.3"):
        cfg = compose("config", overrides=job_env_overrides(values), return_hydra_config=True)
    assert dict(cfg.hydra.job.env_set) == values


# -- render_sweep_summary --------------------------------------------------------------------

def test_summary_shows_what_varies_and_the_rest_once():
    runs = [dict(_run("a" * 32, "succeeded", 0.7, True, "1"), overrides=["rows=9", "leaves=7"]),
            dict(_run("b" * 32, "failed", None, True, "2"), overrides=["rows=9", "leaves=x"],
                 error="wrong type for leaves")]
    text, failed = render_sweep_summary("c" * 32, runs)
    assert failed == 1
    assert text.splitlines() == [
        "sweep cccccccccccc: 2 jobs, 1 succeeded, 1 failed; ranked by test/x",
        "#  run           test/x  overrides  status",
        "-  ------------  ------  ---------  -----------------------------",
        "1  aaaaaaaaaaaa  0.7000  leaves=7   succeeded",
        "2  bbbbbbbbbbbb          leaves=x   failed: wrong type for leaves",
        "every job: rows=9",
        "list again with: driftline runs --sweep cccccccccccc"]


@pytest.mark.parametrize(("overrides", "common"), [
    pytest.param([["a=1", "b=2"], ["a=1", "b=3"], ["b=4", "a=1"]], ["a=1"], id="one-common"),
    pytest.param([["a=1"], ["a=2"]], [], id="none-common"),
    pytest.param([["a=1", "b=2"]], [], id="single-job-shows-all"),
])
def test_common_overrides(overrides, common):
    assert common_overrides([{"overrides": o} for o in overrides]) == common


# -- docs/sweeps.md stays true -----------------------------------------------------------------

DOC = Path(__file__).resolve().parents[3] / "docs" / "sweeps.md"
# Launchers whose plugins the tests need not have (their commands are parsed, not composed).
CLUSTER_LAUNCHERS = ("hydra/launcher=ray", "hydra/launcher=submitit_slurm",
                     "hydra/launcher=submitit_local")


def doc_sweeps() -> list[tuple[list[str], str | None]]:
    """(overrides, the error line shown under it or None) of every `driftline run -m`."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        lines = block.replace("\\\n", " ").splitlines()
        for i, line in enumerate(lines):
            command = re.sub(r"^\S*\$\s+", "", line)
            if not command.startswith("driftline run -m "):
                continue
            words = shlex.split(command.split("  #")[0])[3:]
            following = lines[i + 1] if i + 1 < len(lines) else ""
            found.append((words, following if following.startswith("driftline: error:") else None))
    return found


def test_doc_has_the_sweeps_it_promises():
    commands = [" ".join(words) for words, _ in doc_sweeps()]
    for launcher in ("hydra/launcher=joblib", "hydra/sweeper=optuna", *CLUSTER_LAUNCHERS[:2]):
        assert any(launcher in c for c in commands), launcher


@pytest.mark.parametrize(("overrides", "error"), doc_sweeps(),
                         ids=lambda v: " ".join(v)[:60] if isinstance(v, list) else "")
def test_doc_sweep_composes(overrides, error):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    OverridesParser.create().parse_overrides(overrides)  # valid syntax, whatever the launcher
    if any(o in CLUSTER_LAUNCHERS for o in overrides):
        overrides = [o for o in overrides if not o.lstrip("+").startswith("hydra")]
    if error is None:
        compose_for_sweep(PACKAGED, [], overrides)
        return
    with pytest.raises(ConfigError) as info:
        compose_for_sweep(PACKAGED, [], overrides)
    assert f"driftline: error: {info.value}" == error
