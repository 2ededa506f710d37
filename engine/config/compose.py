"""Composing a run's config with Hydra's compose API, to check it before anything runs.

Used before a plain run's job, before a sweep's first job, and by ``rerun``; a failure is a
:class:`~driftline.engine.errors.ConfigError` naming the key or group option.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from driftline.engine.errors import ConfigError

if TYPE_CHECKING:
    from driftline.engine.components.registry import Registry
    from driftline.engine.config.project import Project

#: Name of the primary config file (without .yaml) Hydra composes.
PRIMARY_CONFIG_NAME = "config"
#: The Hydra ``version_base`` every composition uses.
HYDRA_VERSION_BASE = "1.3"
#: Name of the ``driftline.conf`` entry point of driftline's own packaged config tree.
DEFAULT_CONF_ENTRY = "driftline"


def first_of_each_sweep(overrides: list[str]) -> list[str]:
    """One job's overrides from a sweep's (the first value of each), to check composition
    before any job starts.  Hydra's own settings and sweeper-only syntax are left out."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    from driftline.engine.config.composition_errors import translate_compose_error

    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException as exc:
        raise translate_compose_error(exc, overrides, lambda: []) from exc
    single = []
    for text, override in zip(overrides, parsed):
        if override.get_key_element().lstrip("+~").startswith("hydra"):
            continue
        if not override.is_sweep_override():
            single.append(text)
            continue
        try:
            first = next(iter(override.sweep_string_iterator()))
        except (HydraException, StopIteration, TypeError, ValueError):
            continue  # e.g. interval(...) for an optimising sweeper
        single.append(f"{override.get_key_element()}={first}")
    return single


def compose_api(conf_dir: str) -> Any:
    """Hydra's compose API initialised on ``conf_dir`` (a folder or ``pkg://module``); a
    context manager."""
    from hydra import initialize_config_dir, initialize_config_module

    if conf_dir.startswith("pkg://"):
        return initialize_config_module(config_module=conf_dir[6:],
                                        version_base=HYDRA_VERSION_BASE)
    return initialize_config_dir(config_dir=conf_dir, version_base=HYDRA_VERSION_BASE)


def check_composition(conf_dir: str, searchpath: list[str], overrides: list[str]) -> Any:
    """Compose the config once with Hydra's compose API and return it; raise ConfigError on
    failure."""
    from hydra import compose
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from driftline.engine.config.composition_errors import (
        dotted_keys,
        group_choices,
        translate_compose_error,
    )

    extra = [f"hydra.searchpath=[{','.join(searchpath)}]"]
    with compose_api(conf_dir):
        try:
            return compose(PRIMARY_CONFIG_NAME, overrides=[*overrides, *extra])
        except (HydraException, OmegaConfBaseException) as exc:
            def known() -> list[str]:  # with the user's group choices (data=csv) if they compose
                try:
                    base = compose(PRIMARY_CONFIG_NAME, overrides=[*group_choices(overrides),
                                                                   *extra])
                except (HydraException, OmegaConfBaseException):
                    base = compose(PRIMARY_CONFIG_NAME, overrides=extra)
                return dotted_keys(OmegaConf.to_container(base, resolve=False))
            raise translate_compose_error(exc, overrides, known) from exc


def config_locations(project: Project, registry: Registry) -> tuple[str, list[str]]:
    """Where Hydra composes from: the project's conf/ (else the packaged defaults), and the
    search path of every installed package's config tree."""
    packages = [pkg for pkg, _dist in registry.conf_packages]
    searchpath = [f"pkg://{pkg}" for pkg in packages]
    if project.config_dir is not None:
        return str(project.config_dir), searchpath
    default = _default_conf_package()
    if default is None:
        raise ConfigError("no conf/config.yaml found here or above, and no packaged defaults "
                          "are installed. Create a project with `driftline init`.")
    return f"pkg://{default}", searchpath


def _default_conf_package() -> str | None:
    import importlib.metadata as md

    for ep in md.entry_points(group="driftline.conf"):
        if ep.name == DEFAULT_CONF_ENTRY:
            return ep.value
    return None
