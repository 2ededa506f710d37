"""``driftline run``: the Hydra application that turns config into runs.

A plain run is composed once, the way ``Hydra.run`` does it, so that a wrong group option
or key becomes one clear line (Hydra would print a multi-line report and exit 1) without
composing twice more.  Sweeps (``-m``) and Hydra's informational flags (``--cfg``,
``--help``, ``--info``, ...) go through ``hydra.main`` with every flag intact; before a
sweep, the first job's composition is checked with Hydra's compose API.  driftline only
adds the config search path of installed plugin packages and names the output folders so
parallel runs never collide.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline.engine.errors import DriftlineError, ExitCode
from driftline.engine.config.project import Project
from driftline.engine.components.registry import Registry
from driftline.engine.config.compose import (
    HYDRA_VERSION_BASE, PRIMARY_CONFIG_NAME, check_composition, compose_api, config_locations,
    first_of_each_sweep,
)

log = logging.getLogger("driftline")

# Environment variables the CLI passes to job processes (launchers may spawn them).
RUN_ID_ENV = "DRIFTLINE_RUN_ID"
SWEEP_ID_ENV = "DRIFTLINE_SWEEP_ID"
BASE_DIR_ENV = "DRIFTLINE_BASE_DIR"
PARENT_RUN_ENV = "DRIFTLINE_PARENT_RUN_ID"

#: The end of ``driftline run --help`` (Hydra's own footer, then where the options are described).
HELP_FOOTER = ("Powered by Hydra (https://hydra.cc)\nUse --hydra-help to view Hydra specific help\n"
               "The options of every group, with their parameters, defaults and meaning: "
               "driftline plugins show [GROUP[/OPTION]] (e.g. driftline plugins show split/time)")

#: What a failed job returns to Hydra: not a number, so Optuna marks the trial failed and goes
#: on (a NaN ends the whole study in hydra-optuna-sweeper 1.3; see driftline.engine.run.sweeps.objective_value).
FAILED_JOB_VALUE = None


@dataclass
class AppState:
    """What the job function reports back to the command (same process only)."""

    outcomes: list[Any] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    # The command's registry, for jobs run in this process (a job process builds its own).
    registry: Registry | None = None


_STATE = AppState()


def new_run_id() -> str:
    return uuid.uuid4().hex


def run_app(args: list[str], project: Project, registry: Registry,
            parent_run_id: str | None = None) -> int:
    """Run ``driftline run ARGS``; return the exit code."""
    from hydra._internal.utils import get_args_parser

    parsed = get_args_parser().parse_args(args)
    conf_dir, searchpath = config_locations(project, registry)
    informational = (parsed.help or parsed.hydra_help or parsed.cfg or parsed.info
                     or parsed.shell_completion or parsed.config_path or parsed.config_dir
                     or parsed.config_name)
    sweeper_extra: list[str] = []
    sweep_store = None
    if parsed.multirun and not informational:
        first_job = check_composition(conf_dir, searchpath, first_of_each_sweep(parsed.overrides))
        sweep_store = _configured_store_url(first_job)
        from driftline.engine.run.sweeps import optimiser_overrides

        sweeper_extra = optimiser_overrides(conf_dir, searchpath, parsed.overrides, registry)

    now = dt.datetime.now()
    stamp = now.strftime("%Y-%m-%d"), now.strftime("%H%M%S")
    extra = [f"hydra.searchpath=[{','.join(searchpath)}]", "hydra.job.name=driftline"]
    if parsed.help:
        extra.append(f"hydra.help.footer='{HELP_FOOTER}'")
    runs = project.runs_dir.as_posix()
    if parsed.multirun:
        sweep_id = new_run_id()
        os.environ[SWEEP_ID_ENV] = sweep_id
        from driftline.engine.run.sweeps import job_env_overrides

        job_env = {SWEEP_ID_ENV: sweep_id, BASE_DIR_ENV: str(project.root or Path.cwd())}
        extra += [f"hydra.sweep.dir={runs}/sweeps/{stamp[0]}/{stamp[1]}-{sweep_id[:8]}",
                  "hydra.sweep.subdir=${hydra.job.num}", *sweeper_extra,
                  *job_env_overrides(job_env)]  # jobs on other machines get them too
    else:
        run_id = new_run_id()
        os.environ[RUN_ID_ENV] = run_id
        extra.append(f"hydra.run.dir={runs}/{stamp[0]}/{stamp[1]}-{run_id[:8]}")
    user_keys = {a.split("=", 1)[0] for a in parsed.overrides}
    extra = [e for e in extra if e.split("=", 1)[0] not in user_keys]
    # Relative data paths resolve against the project root (wherever the command runs),
    # or the working folder outside a project.
    os.environ[BASE_DIR_ENV] = str(project.root or Path.cwd())
    if parent_run_id:
        os.environ[PARENT_RUN_ENV] = parent_run_id

    _STATE.outcomes.clear()
    _STATE.errors.clear()
    _STATE.registry = registry
    if not informational and not parsed.multirun:
        all_overrides = [*extra, *parsed.overrides]
        if _run_single(conf_dir, all_overrides, parsed.overrides):
            return _exit_code(multirun=False)

    import hydra

    main = hydra.main(version_base=HYDRA_VERSION_BASE, config_path=conf_dir,
                      config_name=PRIMARY_CONFIG_NAME)(_job)
    saved_argv = sys.argv
    sys.argv = ["driftline run", *_with_overrides(args, parsed.overrides, extra)]
    try:
        main()
    finally:
        sys.argv = saved_argv
    if parsed.multirun and not informational:
        return _sweep_summary(project, os.environ[SWEEP_ID_ENV], sweep_store)
    return _exit_code(parsed.multirun)


def _run_single(conf_dir: str, overrides: list[str], user_overrides: list[str]) -> bool:
    """One plain run, composing the config once; False when the composed config asks Hydra
    for a multirun (``hydra.mode: MULTIRUN``), which ``hydra.main`` then handles.

    ``hydra.main`` composes a single run's config twice (to find the run mode, then to run)
    after driftline's own check: ~0.15 s each.  This does what ``Hydra.run`` does, from one
    composition, and turns a composition error into one ConfigError line.
    """
    from hydra import version
    from hydra._internal.callbacks import Callbacks
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_automatic_config_search_path
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.utils import run_job
    from hydra.errors import HydraException
    from hydra.types import HydraContext, RunMode
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from driftline.engine.config.composition_errors import (
        dotted_keys,
        group_choices,
        translate_compose_error,
    )

    version.setbase(HYDRA_VERSION_BASE)
    search_path = create_automatic_config_search_path(__file__, None, conf_dir)
    app = Hydra.create_main_hydra2(task_name="driftline", config_search_path=search_path)
    try:
        def compose(with_overrides: list[str], logging_conf: bool) -> Any:
            return app.compose_config(PRIMARY_CONFIG_NAME, with_overrides,
                                      run_mode=RunMode.RUN, with_log_configuration=logging_conf)

        try:
            cfg = compose(overrides, True)
        except (HydraException, OmegaConfBaseException) as exc:
            def known() -> list[str]:  # with the user's group choices (data=csv) if they compose
                ours = [o for o in overrides if o not in user_overrides]
                try:
                    base = compose([*ours, *group_choices(user_overrides)], False)
                except (HydraException, OmegaConfBaseException):
                    base = compose(ours, False)
                return dotted_keys(OmegaConf.to_container(base, resolve=False))
            raise translate_compose_error(exc, user_overrides, known) from exc
        if cfg.hydra.mode == RunMode.MULTIRUN:
            return False
        cfg.hydra.mode = RunMode.RUN
        callbacks = Callbacks(cfg)
        callbacks.on_run_start(config=cfg, config_name=PRIMARY_CONFIG_NAME)
        ret = run_job(hydra_context=HydraContext(config_loader=app.config_loader,
                                                 callbacks=callbacks),
                      task_function=_job, config=cfg, job_dir_key="hydra.run.dir",
                      job_subdir_key=None, configure_logging=True)
        callbacks.on_run_end(config=cfg, config_name=PRIMARY_CONFIG_NAME, job_return=ret)
        _ = ret.return_value  # re-raises what the job raised (a defect: _job reports errors)
        return True
    finally:
        GlobalHydra.instance().clear()


def _configured_store_url(cfg: Any) -> str | None:
    """``store.url`` of a composed config (None when unset or not resolvable here)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        url = OmegaConf.select(cfg, "store.url", default=None)
    except OmegaConfBaseException:
        return None
    return url if isinstance(url, str) and url else None


def _sweep_summary(project: Project, sweep_id: str, store_url: str | None) -> int:
    """Every job of the sweep, ranked by the primary metric; exit 1 when any job failed.

    Read from the store the jobs write to (``store.url`` of the config, as each job
    resolves it), not from this process: launchers may run jobs elsewhere.
    """
    from driftline.engine.lineage.store import LineageStore
    from driftline.engine.run.sweeps import render_sweep_summary

    with LineageStore.open(project.store_url(store_url)) as store:
        runs = [store.get_run(r["id"]) for r in store.list_runs(sweep_id=sweep_id)]
    text, failed = render_sweep_summary(sweep_id, runs)
    print(text)
    if failed or not runs:
        return ExitCode.CHECK_FAILED
    return ExitCode.OK


def _with_overrides(args: list[str], user_overrides: list[str], extra: list[str]) -> list[str]:
    """Insert ``extra`` just before the user's overrides: Hydra wants them contiguous."""
    if user_overrides:
        first = user_overrides[0]
        for i, arg in enumerate(args):
            if arg == first and not (i and args[i - 1] in _FLAGS_WITH_VALUE):
                return [*args[:i], *extra, *args[i:]]
    return [*args, *extra]


# Hydra flags whose next argument is their value (not an override).
_FLAGS_WITH_VALUE = {"--cfg", "-c", "--package", "-p", "--config-path", "-cp", "--config-name",
                     "-cn", "--config-dir", "-cd", "--experimental-rerun", "--info", "-i",
                     "--shell-completion", "-sc"}


def _job(cfg: Any) -> float | None:
    """The Hydra task: one run.  Errors are recorded and reported, never raised to Hydra."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from driftline.engine.config.composition_errors import translate_resolve_error
    from driftline.engine.run.pipeline import NOT_RECORDED, RunRequest, execute_run
    from driftline.engine.config.project import find_project
    from driftline.engine.run.summary import print_run_summary

    hc = HydraConfig.get()
    _plain_console_logging()
    try:
        try:
            config = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        except OmegaConfBaseException as exc:
            raise translate_resolve_error(exc) from exc
        multirun = hc.mode == RunMode.MULTIRUN
        run_id = new_run_id() if multirun else os.environ.get(RUN_ID_ENV) or new_run_id()
        thread_cap = _threads_per_job(hc.launcher) if multirun else None
        base_dir = Path(os.environ.get(BASE_DIR_ENV) or hc.runtime.cwd)
        request = RunRequest(
            config=config, overrides=list(hc.overrides.task), run_id=run_id,
            run_dir=Path(hc.runtime.output_dir), project=find_project(Path(hc.runtime.cwd)),
            registry=_STATE.registry or Registry.from_environment(), base_dir=base_dir,
            sweep_id=os.environ.get(SWEEP_ID_ENV) if multirun else None,
            parent_run_id=os.environ.get(PARENT_RUN_ENV), thread_cap=thread_cap)
        outcome = execute_run(request)
    except DriftlineError as exc:
        _STATE.errors.append(exc)
        if os.environ.get("DRIFTLINE_DEBUG"):
            import traceback

            traceback.print_exc()
        print(f"driftline: error: {exc}", file=sys.stderr)
        _remove_unrecorded_run_dir(Path(hc.runtime.output_dir))
        return FAILED_JOB_VALUE
    _STATE.outcomes.append(outcome)
    if outcome.error is not None and os.environ.get("DRIFTLINE_DEBUG"):
        import traceback

        traceback.print_exception(outcome.error)
    print_run_summary(outcome)
    if outcome.error is not None:
        _STATE.errors.append(outcome.error)
        # Into the run's log file only: the terminal has the error line already.
        log.error("run %s %s: %s", outcome.run_id[:12], outcome.status, outcome.error,
                  extra={FILE_ONLY: True})
        if outcome.status == NOT_RECORDED:
            _remove_unrecorded_run_dir(request.run_dir)
        return FAILED_JOB_VALUE
    from driftline.engine.run.sweeps import objective_value

    return objective_value(outcome.primary)


def _threads_per_job(launcher: Any) -> int | None:
    """Cores per job when a launcher runs jobs in parallel, so they don't oversubscribe."""
    n_jobs = launcher.get("n_jobs") if hasattr(launcher, "get") else None
    if not isinstance(n_jobs, int) or n_jobs == 1:
        return None
    cores = os.cpu_count() or 1
    parallel = cores if n_jobs < 0 else min(n_jobs, cores)
    return max(1, cores // parallel)


def _plain_console_logging() -> None:
    """Stage lines on the terminal without Hydra's timestamp prefix (the log file keeps it);
    records marked ``FILE_ONLY`` stay off the terminal."""
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler:
            handler.setFormatter(logging.Formatter("%(message)s"))
            if not any(isinstance(f, _NotFileOnly) for f in handler.filters):
                handler.addFilter(_NotFileOnly())


#: ``extra`` key of a log record meant for the run's log file, not the terminal.
FILE_ONLY = "driftline_file_only"


class _NotFileOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, FILE_ONLY, False)


def _remove_unrecorded_run_dir(run_dir: Path) -> None:
    """Remove the folder Hydra made for a run that was never recorded, if it holds only
    what Hydra and the log put there (nothing of the user's is ever removed)."""
    import shutil

    try:
        left = {p.name for p in run_dir.iterdir()}
    except OSError:
        return
    if left <= {".hydra", "driftline.log"}:
        shutil.rmtree(run_dir, ignore_errors=True)


def _exit_code(multirun: bool) -> int:
    if not _STATE.errors:
        return ExitCode.OK
    if any(not isinstance(e, DriftlineError) for e in _STATE.errors):
        return ExitCode.INTERNAL_ERROR
    if multirun:
        return ExitCode.CHECK_FAILED
    return ExitCode.USAGE_ERROR if _STATE.errors[0].user_error else ExitCode.INTERNAL_ERROR


def last_error() -> BaseException | None:
    return _STATE.errors[0] if _STATE.errors else None
