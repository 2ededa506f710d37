"""Protocol of a splitter: assigns each row to train, valid or test, seeded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from driftline.engine.components.kinds.base import Component, RunContext

if TYPE_CHECKING:
    import polars as pl

#: Roles a splitter may return, in order.  ``valid`` may be absent.
SPLIT_ROLES: tuple[str, ...] = ("train", "valid", "test")


class Splitter(Component):
    """Splits a collected frame into ``{"train": ..., "valid": ..., "test": ...}``.

    Same frame and same ``ctx.seed`` must give the same split, row for row, and the row
    order inside each part must follow the input order.
    """

    def split(self, frame: pl.DataFrame, ctx: RunContext) -> dict[str, pl.DataFrame]:
        raise NotImplementedError
