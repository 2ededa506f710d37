"""Config: finding the project, composing its Hydra config, and reading the run's settings.

``project`` (project root and its files), ``compose`` (Hydra's compose API, the primary
config name, composition checks), ``composition_errors`` (Hydra's exceptions as one-line
ConfigErrors), ``runconf`` (the typed run config the pipeline reads), ``scaffold``
(``driftline init``).

May import: ``lineage``, ``components``, ``output``, ``errors``; never ``data``, ``drift``,
``run``, ``conformance`` or ``cli``.
"""
