"""What a conformance check reports: one result per check, and the failure a check raises."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


#: Longest failure reason shown, in characters.
MAX_REASON_CHARS = 400


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on one component."""

    kind: str
    name: str
    # Distribution providing the component, and its version ("" when added in code).
    package: str
    version: str
    check: str
    ok: bool
    # Why it failed (one line); "" when ok.
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class CheckFailed(AssertionError):
    """A conformance check failed; the message is the reason (one line)."""


def call_checked(func: Callable[[], Any], what: str) -> Any:
    try:
        return func()
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(f"{what} raised {describe_exc(exc)}") from exc


def describe_exc(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON_CHARS else text[:MAX_REASON_CHARS - 3] + "..."
