"""A run: the Hydra app, the pipeline and its stages, sweeps and reruns.

``hydra_app`` (``driftline run``: compose, launch, exit code), ``pipeline`` (load,
transform, split, validate, train, evaluate, record), ``evaluation`` (metrics by split and
slice), ``background`` (work that overlaps training), ``progress``, ``sweeps`` (multirun
summaries), ``rerun`` (a recorded run again), ``summary`` (the lines printed after a run).

May import: ``drift``, ``data``, ``config``, ``lineage``, ``components``, ``output``,
``errors``; never ``conformance`` or ``cli``.
"""
