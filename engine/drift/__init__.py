"""Drift: profiles of the reference data, tests of a batch against them, the verdict, reports.

``profile`` (column profiles recorded with a run, and views of a batch), ``stats`` (the
statistics, checked against scipy in the tests), ``counting`` (binned counts), ``compare``
(per-column results and the dataset verdict), ``check`` (``driftline drift`` end to end),
``report_text`` and ``report_html`` (the page; its plots are drawn by ``report_svg``, whose
numeric axes and bins ``plot_bins`` lays out).

May import: ``data``, ``config``, ``lineage``, ``components``, ``output``, ``errors``;
never ``run``, ``conformance`` or ``cli``.
"""
