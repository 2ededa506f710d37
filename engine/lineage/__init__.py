"""Lineage: what a run records and how it is read back.

``store/`` (the SQL lineage store), ``datahash`` (content hashes of data), ``codeversion``
(git commit and diff), ``model_files`` (model bytes and their sha256), ``atomic`` (writes
that leave either the old file or the new one), ``diff/`` (what changed between two runs).

May import: ``components``, ``output``, ``errors``; never ``data``, ``config``, ``drift``,
``run``, ``conformance`` or ``cli``.
"""
