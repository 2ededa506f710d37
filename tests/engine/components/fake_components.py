"""Small components the registry tests load through real import paths."""

from dataclasses import dataclass, field

from driftline.engine import Source


class GoodSource(Source):
    @dataclass
    class Params:
        # rows to make
        rows: int = field(default=10, metadata={"ge": 1})

    def load(self, ctx):  # pragma: no cover - not called
        raise AssertionError


class NotAComponent:
    pass
