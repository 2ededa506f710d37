"""Sweeps: what a job returns to Hydra, the direction an optimising sweeper gets, and the
summary printed at the end (every job ranked by the primary metric).

Optuna's Hydra sweeper minimises unless told otherwise, while driftline's primary metric may
be higher-is-better (auc).  So when a sweep selects the Optuna sweeper and the user has not
set ``hydra.sweeper.direction``, driftline adds it, derived from the primary metric of the
composed config and its metric class's ``higher_is_better``.

Jobs learn their sweep id and the project folder from environment variables; driftline also
puts them in ``hydra.job.env_set``, which travels with each job's config to whatever machine a
launcher runs it on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from driftline.engine.errors import ConfigError
from driftline.engine.components.registry import Registry
from driftline.engine.output.render import fmt_value, table

# Longest override text and status (with the error) shown per job in the summary table.
MAX_OVERRIDES_WIDTH = 60
MAX_STATUS_WIDTH = 100


def rank_sweep_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Succeeded runs best first (by each run's primary metric and its direction), then
    the rest in the order they started."""
    def primary(run: dict[str, Any]) -> float | None:
        p = (run.get("summary") or {}).get("primary")
        value = p[1] if p else None
        return value if isinstance(value, (int, float)) and not math.isnan(value) else None

    scored = [r for r in runs if r["status"] == "succeeded" and primary(r) is not None]
    higher = all((r.get("summary") or {}).get("higher_is_better", True) for r in scored)
    scored.sort(key=lambda r: primary(r), reverse=higher)
    rest = sorted((r for r in runs if r not in scored), key=lambda r: r.get("started_at") or "")
    return scored + rest


def render_sweep_summary(sweep_id: str, runs: list[dict[str, Any]]) -> tuple[str, int]:
    """(text, number of jobs that did not succeed)."""
    if not runs:
        return f"sweep {sweep_id[:12]}: no job reached the store (see the errors above)", 1
    ranked = rank_sweep_runs(runs)
    metric = next(((r.get("summary") or {}).get("primary") or [None])[0] for r in ranked)
    common = common_overrides(runs)
    rows = []
    for rank, run in enumerate(ranked, 1):
        p = (run.get("summary") or {}).get("primary")
        overrides = " ".join(o for o in run.get("overrides") or [] if o not in common)
        overrides = _shorten(overrides, MAX_OVERRIDES_WIDTH)
        note = run["status"]
        if note != "succeeded":
            note += f": {run.get('error') or ''}"
        rows.append([rank, run["id"][:12], fmt_value(p[1]) if p else "", overrides,
                     _shorten(note, MAX_STATUS_WIDTH)])
    failed = sum(1 for r in runs if r["status"] != "succeeded")
    head = (f"sweep {sweep_id[:12]}: {len(runs)} jobs, {len(runs) - failed} succeeded, "
            f"{failed} failed; ranked by {metric or 'primary metric'}")
    lines = [head, table(["#", "run", metric or "primary", "overrides", "status"], rows)]
    if common:
        lines.append(f"every job: {' '.join(common)}")
    lines.append(f"list again with: driftline runs --sweep {sweep_id[:12]}")
    return "\n".join(lines), failed


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def common_overrides(runs: list[dict[str, Any]]) -> list[str]:
    """Overrides every job of a sweep has (shown once, so the table shows what varies)."""
    if len(runs) < 2:
        return []
    first, *others = [run.get("overrides") or [] for run in runs]
    return [o for o in first if all(o in other for other in others)]


# -- what a job returns to Hydra -------------------------------------------------------------

def objective_value(primary: tuple[str, float] | list[Any] | None) -> float | None:
    """The value a job returns to Hydra: its primary metric, or None when it has none.

    None, not NaN, marks a failed job: hydra-optuna-sweeper 1.3 hands a NaN to Optuna, which
    rejects it, and then tells the same trial again as failed *with* the value, which raises
    and ends the whole study.  A value that is not a number makes the sweeper mark just that
    trial failed and go on.
    """
    value = primary[1] if primary else None
    if not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return float(value)


# -- what a job needs to know, wherever it runs ----------------------------------------------

def job_env_overrides(values: Mapping[str, str]) -> list[str]:
    """``hydra.job.env_set`` overrides that give every job these environment variables.

    The command sets them in its own process, which the basic and joblib launchers' jobs
    inherit; a job on a remote Ray cluster does not, but Hydra applies ``env_set`` around the
    task wherever it runs, because the setting travels inside the job's config.
    """
    return [f"++hydra.job.env_set.{name}={_quoted(value)}" for name, value in values.items()]


def _quoted(value: str) -> str:
    """A quoted string in Hydra's override grammar (e.g. a path with spaces): a quote is
    escaped, and so are backslashes just before a quote or the end (only there)."""
    escaped = re.sub(r"(\\+)(?='|$)", lambda m: m.group(1) * 2, value)
    return "'" + escaped.replace("'", "\\'") + "'"


# -- the direction of an optimising sweeper ----------------------------------------------------

#: ``_target_`` of the Optuna sweeper's config (hydra-optuna-sweeper).
OPTUNA_SWEEPER_TARGET = "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper"
#: The sweeper's own default direction; any other composed value was set by the user.
OPTUNA_DEFAULT_DIRECTION = "minimize"
DIRECTION_KEY = "hydra.sweeper.direction"
# Without a Hydra override, composing is worth it only when a project config file names this.
_OPTUNA_WORD = re.compile(r"\boptuna\b")


def optimiser_overrides(conf_dir: str, searchpath: list[str], overrides: list[str],
                        registry: Registry) -> list[str]:
    """Overrides driftline adds to a sweep: ``hydra.sweeper.direction=maximize|minimize``
    when the Optuna sweeper is selected and the user has not set a direction; else none."""
    if not _may_change_sweeper(conf_dir, overrides):
        return []
    cfg = compose_for_sweep(conf_dir, searchpath, overrides)  # also checks Hydra's own overrides
    if any(_key(o) == DIRECTION_KEY for o in overrides):
        return []
    sweeper = cfg.hydra.sweeper
    if sweeper.get("_target_") != OPTUNA_SWEEPER_TARGET:
        return []
    if _direction_name(sweeper.get("direction")) != OPTUNA_DEFAULT_DIRECTION:
        return []  # set in a config file (e.g. maximize, or a list for several objectives)
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from driftline.engine.config.composition_errors import translate_resolve_error

    try:
        task = cfg.task
        metrics = OmegaConf.to_container(cfg.metrics, resolve=True)
    except OmegaConfBaseException as exc:
        raise translate_resolve_error(exc) from exc
    return [f"{DIRECTION_KEY}={primary_direction(task, metrics, registry)}"]


def primary_direction(task: str, metrics: Mapping[str, Any], registry: Registry) -> str:
    """``maximize`` or ``minimize``: how the task's primary metric (``metrics.primary.<task>``,
    else the task's first metric) improves, from its metric class's ``higher_is_better``."""
    specs = metrics.get(task) or {}
    name = (metrics.get("primary") or {}).get(task) or next(iter(specs), None)
    if name is None:
        raise ConfigError(f"no metrics configured for task={task} (key: metrics.{task}).",
                          key=f"metrics.{task}")
    if name not in specs:
        raise ConfigError(f"primary metric '{name}' (key: metrics.primary.{task}) is not among "
                          f"the task's metrics: {', '.join(specs) or 'none'}.",
                          key=f"metrics.primary.{task}", options=list(specs))
    kind = (specs[name] or {}).get("kind", name)
    higher = registry.load("metric", kind).higher_is_better
    return "maximize" if higher else "minimize"


def compose_for_sweep(conf_dir: str, searchpath: list[str], overrides: list[str]) -> Any:
    """The config of the sweep's first job, with Hydra's own config (``cfg.hydra``).

    Sweeps take their first value; sweeper-only syntax (``interval(...)``) is left out.
    """
    from hydra import compose
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from driftline.engine.config.compose import (
        PRIMARY_CONFIG_NAME,
        compose_api,
        first_of_each_sweep,
    )
    from driftline.engine.config.composition_errors import dotted_keys, translate_compose_error

    searchpath_override = f"hydra.searchpath=[{','.join(searchpath)}]"
    swept = first_of_each_sweep(overrides)  # checks the syntax of every override
    hydra_overrides = _plain_hydra_overrides(overrides)
    single = [*swept, *hydra_overrides, searchpath_override]

    def known() -> list[str]:  # keys for "did you mean", with the chosen sweeper/launcher
        groups = [o for o in hydra_overrides if "/" in _key(o)]
        base = compose(PRIMARY_CONFIG_NAME, overrides=[*groups, searchpath_override],
                       return_hydra_config=True)
        return dotted_keys(OmegaConf.to_container(base, resolve=False))

    with compose_api(conf_dir):
        try:
            return compose(PRIMARY_CONFIG_NAME, overrides=single, return_hydra_config=True)
        except (HydraException, OmegaConfBaseException) as exc:
            raise translate_compose_error(exc, single, known) from exc


def _plain_hydra_overrides(overrides: list[str]) -> list[str]:
    """The overrides of Hydra's own config (``hydra/sweeper=optuna``, ``hydra.sweeper.x=1``)
    that are not sweeps themselves."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    plain = []
    for text in overrides:
        if not _is_hydra_key(text):
            continue
        if not parser.parse_override(text).is_sweep_override():
            plain.append(text)
    return plain


def _may_change_sweeper(conf_dir: str, overrides: list[str]) -> bool:
    """Cheap test before composing: an override of Hydra's own config, or 'optuna' in a
    project config file."""
    if any(_is_hydra_key(o) for o in overrides):
        return True
    if conf_dir.startswith("pkg://"):
        return False
    return any(_OPTUNA_WORD.search(p.read_text(errors="replace"))
               for p in Path(conf_dir).rglob("*.yaml"))


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def _is_hydra_key(override: str) -> bool:
    """An override of Hydra's own config: ``hydra.x=...`` or ``hydra/group=option``."""
    return _key(override).startswith(("hydra.", "hydra/"))


def _direction_name(value: Any) -> Any:
    """``Direction.minimize`` (the sweeper's enum) or ``"minimize"`` -> ``"minimize"``."""
    return getattr(value, "name", value)
