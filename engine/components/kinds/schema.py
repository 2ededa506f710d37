"""Protocol of a schema: builds the pandera (polars) schema a table is validated with.

A plugin may instead register a ``pandera.polars.DataFrameModel`` subclass directly under
``driftline.schema``; the engine wraps it.
"""

from __future__ import annotations

from typing import Any

from driftline.engine.components.kinds.base import Component


class Schema(Component):
    """Returns a ``pandera.polars.DataFrameSchema``."""

    def build(self) -> Any:
        raise NotImplementedError
