"""Parameter checking against a component's dataclass."""

from dataclasses import dataclass, field
from typing import Literal

import pytest

from driftline.engine.errors import ConfigError
from driftline.engine.components.params import parse_params


@dataclass
class Inner:
    # leaves per tree
    num_leaves: int = field(default=31, metadata={"ge": 2})


@dataclass
class P:
    # learning rate
    rate: float = field(default=0.1, metadata={"gt": 0, "le": 1})
    mode: Literal["fast", "slow"] = "fast"
    names: list[str] = field(default_factory=list)
    limit: int | None = None
    inner: Inner = field(default_factory=Inner)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param({"rte": 0.2}, "unknown parameter 'rte' (key: m.rte). Did you mean: rate? "
                     "Available: inner, limit, mode, names, rate.", id="typo"),
        pytest.param({"rate": "high"}, "wrong type for m.rate: got 'high' (str), expected float.",
                     id="type"),
        pytest.param({"rate": 2}, "out of range: m.rate=2.0, must be <= 1.", id="range"),
        pytest.param({"mode": "medium"}, "invalid value 'medium' for m.mode. Valid: fast, slow.",
                     id="literal"),
        pytest.param({"names": "a"}, "wrong type for m.names: got 'a', expected a list.", id="list"),
        pytest.param({"inner": {"num_leavs": 3}}, "unknown parameter 'num_leavs' "
                     "(key: m.inner.num_leavs). Did you mean: num_leaves? Available: num_leaves.",
                     id="nested"),
        pytest.param({"limit": True}, "wrong type for m.limit: got True, expected int | None.",
                     id="bool-is-not-int"),
    ],
)
def test_rejects_with_exact_message(values, message):
    with pytest.raises(ConfigError) as err:
        parse_params(P, values, where="m")
    assert str(err.value) == message


def test_accepts_and_converts():
    p = parse_params(P, {"rate": 1, "names": ["a"], "limit": None, "inner": {"num_leaves": 63}},
                     where="m")
    assert p.rate == 1.0 and isinstance(p.rate, float)
    assert p.inner.num_leaves == 63 and p.names == ["a"] and p.limit is None
