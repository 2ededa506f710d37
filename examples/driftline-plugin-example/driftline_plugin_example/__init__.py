"""An example third-party driftline plugin package.

It registers, through entry points only (see its pyproject.toml): the model ``logreg``,
the transform ``log1p``, the metric ``brier`` and the drift test ``mean_shift``; and it
ships config group options (``model/logreg.yaml``, ``transforms/log1p.yaml``) that
driftline puts on Hydra's search path through the ``driftline.conf`` entry point.
Nothing here is imported until a config selects one of its components.
"""

__version__ = "0.1.0"
