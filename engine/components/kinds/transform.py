"""Protocol of a transform: a declarative step from one frame to the next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from driftline.engine.components.kinds.base import Component, RunContext

if TYPE_CHECKING:
    import polars as pl


class Transform(Component):
    """Maps a LazyFrame to a LazyFrame.  Never evaluates Python taken from config."""

    def apply(self, frame: pl.LazyFrame, ctx: RunContext) -> pl.LazyFrame:
        raise NotImplementedError
