"""``log1p``: the natural log of 1 + x over listed numeric columns (a skew-reducing step).

With ``signed: true`` the step is ``sign(x) * log1p(|x|)``, which is defined for every
number; otherwise values below -1 have no logarithm and become null (NaN would poison
later statistics).  Integer columns become Float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import polars as pl

from driftline.engine import ConfigError, DataError, RunContext, Transform, did_you_mean


@dataclass(frozen=True)
class Log1pParams:
    """Parameters of the ``log1p`` transform."""

    # Numeric columns to transform (each must exist); required.
    columns: list[str]
    # Transform sign(x) * log1p(|x|) instead, so negative values keep their order.
    signed: bool = False

    def __post_init__(self) -> None:
        if not self.columns:
            raise ConfigError("log1p needs at least one name in 'columns'.", key="columns")


class Log1p(Transform):
    """Replaces each listed numeric column x by log(1 + x)."""

    Params: ClassVar[type] = Log1pParams
    #: Parameters that build it on driftline's contract frame (for `driftline plugins check`).
    example_params: ClassVar[dict[str, Any]] = {"columns": ["num_a", "num_b"]}

    def apply(self, frame: pl.LazyFrame, ctx: RunContext) -> pl.LazyFrame:
        try:
            schema = frame.collect_schema()
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"log1p: the input frame is invalid: {exc}") from exc
        for name in self.params.columns:
            if name not in schema:
                raise DataError(f"log1p: column '{name}' is not in the data."
                                f"{did_you_mean(name, schema)}")
            if not schema[name].is_numeric():
                raise DataError(f"log1p: column '{name}' is {schema[name]}, not numeric; "
                                f"cast it first or remove it from 'columns'.")
        return frame.with_columns(self._expr(name) for name in self.params.columns)

    def _expr(self, name: str) -> pl.Expr:
        x = pl.col(name).cast(pl.Float64)
        if self.params.signed:
            return (x.sign() * x.abs().log1p()).alias(name)
        return pl.when(x >= -1.0).then(x.log1p()).otherwise(None).alias(name)
