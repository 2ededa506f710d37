"""Protocol of a data source: where a table comes from."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from driftline.engine.components.kinds.base import Component, RunContext

if TYPE_CHECKING:
    import polars as pl


class Source(Component):
    """Loads one table.  Return a LazyFrame where the format allows it.

    Raise :class:`driftline.engine.errors.DataError` for a missing, empty or unreadable input,
    naming the path and what to do.
    """

    #: File name endings this source reads (e.g. ``(".csv",)``).  A source that declares
    #: any takes a ``path`` parameter, and commands given a data file use it.
    extensions: ClassVar[tuple[str, ...]] = ()

    def load(self, ctx: RunContext) -> pl.LazyFrame | pl.DataFrame:
        raise NotImplementedError
