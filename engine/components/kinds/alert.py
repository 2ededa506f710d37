"""Protocol of an alert: where a drift check's finding is sent (a log, a file, Slack, ...).

The engine calls every configured alert when a check finds drift, through :func:`deliver`,
with one plain-data event (the shape :func:`drift_event` builds)::

    {"kind": "drift", "baseline_run": "<run id>", "check_id": "<check id>",
     "drifted_columns": ["credit_score", ...], "share": 0.2,
     "batch": {"hash": "...", "rows": 100000, "source": "new_batch.parquet"},
     "at": "2025-01-31T12:00:00+00:00"}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from driftline.engine.errors import DriftlineError, PluginError
from driftline.engine.components.kinds.base import Component

#: The event kind a drift check sends.
DRIFT_EVENT = "drift"
#: Longest cause, in characters, that an alert failure message repeats.
MAX_CAUSE_CHARS = 300


class Alert(Component):
    """Delivers one event.  Raise :class:`driftline.engine.errors.PluginError` (one line, naming the
    alert and what to fix) when it cannot; the engine translates anything else."""

    def send(self, event: dict[str, Any]) -> None:
        raise NotImplementedError


def drift_event(report: Mapping[str, Any], *, check_id: str,
                at: dt.datetime | None = None) -> dict[str, Any]:
    """The event for a drift report (the plain dict a drift check produces)."""
    when = at or dt.datetime.now(dt.timezone.utc)
    batch = dict(report.get("batch") or {})
    return {
        "kind": DRIFT_EVENT,
        "baseline_run": report.get("baseline_run"),
        "check_id": check_id,
        "drifted_columns": [c.get("column") for c in report.get("columns") or [] if c.get("drifted")],
        "share": report.get("share"),
        "batch": {k: batch.get(k) for k in ("hash", "rows", "source")},
        "at": when.isoformat(timespec="seconds"),
    }


def alert_name(alert: Any) -> str:
    return getattr(alert, "registered_name", "") or type(alert).__name__


def deliver(alert: Alert, event: dict[str, Any]) -> None:
    """Call ``alert.send(event)``; any failure becomes a one-line PluginError naming the alert."""
    try:
        alert.send(event)
    except DriftlineError:
        raise
    except Exception as exc:  # a third-party alert's own failure (network, auth, ...)
        cause = " ".join(f"{type(exc).__name__}: {exc}".split())[:MAX_CAUSE_CHARS]
        name = alert_name(alert)
        raise PluginError(f"alert '{name}' failed to send the {event.get('kind', '?')} event: "
                          f"{cause}. Check that alert's settings and the service it sends to.",
                          kind="alert", name=name) from exc
