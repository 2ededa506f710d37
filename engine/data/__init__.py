"""Data a run reads: files, sampling, schema inference and validation, the target column.

``files`` (reading a data file the way a run read its data), ``preparation`` (feature
and label transforms, kept apart), ``sampling``, ``schema_infer``
(``driftline schema``), ``targets`` (the task and the label column), ``validation``
(pandera on polars, failures as one error and a table).

May import: ``lineage``, ``components``, ``output``, ``errors``; never ``config``,
``drift``, ``run``, ``conformance`` or ``cli``.
"""
