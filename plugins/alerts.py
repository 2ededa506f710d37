"""Built-in alerts: ``log`` (one WARNING line) and ``file`` (one JSON line per alert).

A third-party package adds its own (Slack, email, ...) by subclassing :class:`engine.Alert`
and declaring it under the ``driftline.alert`` entry-point group.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline.engine import Alert, NoParams, PluginError

#: Logger the ``log`` alert writes to.
LOGGER_NAME = "driftline.alerts"
#: How many drifted column names a log line lists before "... and N more".
MAX_LOGGED_COLUMNS = 10


class LogAlert(Alert):
    """Logs one WARNING line per event on the ``driftline.alerts`` logger."""

    Params = NoParams

    def send(self, event: dict[str, Any]) -> None:
        logging.getLogger(LOGGER_NAME).warning(log_line(event))


def log_line(event: dict[str, Any]) -> str:
    """'drift detected against run ...: 3 column(s) drifted (share 10%): a, b, c; batch ...'."""
    columns = [str(c) for c in event.get("drifted_columns") or []]
    shown = ", ".join(columns[:MAX_LOGGED_COLUMNS])
    if len(columns) > MAX_LOGGED_COLUMNS:
        shown += f" ... and {len(columns) - MAX_LOGGED_COLUMNS} more"
    share = event.get("share")
    share_text = f"{share:.0%}" if isinstance(share, (int, float)) and math.isfinite(share) else "?"
    batch = event.get("batch") or {}
    text = (f"{event.get('kind', 'drift')} detected against run {event.get('baseline_run')}: "
            f"{len(columns)} column(s) drifted (share {share_text}): {shown or '-'}; "
            f"batch {batch.get('source')} ({batch.get('rows')} rows, hash "
            f"{str(batch.get('hash') or '')[:12]}); check {event.get('check_id')} at {event.get('at')}")
    return " ".join(text.split())  # one line, whatever the names contain


class FileAlert(Alert):
    """Appends one JSON line per event to a file (JSON Lines), safe with concurrent writers."""

    @dataclass(frozen=True)
    class Params:
        # The JSON Lines file to append to (relative paths: to the working folder).
        # Parent folders are created.
        path: str = field(default="drift_alerts.jsonl")

    def send(self, event: dict[str, Any]) -> None:
        path = Path(self.params.path).expanduser()
        line = json_line(event)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            append_line(path, line)
        except OSError as exc:
            raise PluginError(f"alert 'file' could not append to {path}: "
                              f"{exc.strerror or exc}; set a writable path (alert parameter "
                              f"'path').", kind="alert", name="file") from exc


def json_line(event: dict[str, Any]) -> bytes:
    """The event as one line of JSON (NaN and infinities as null), newline-terminated."""
    text = json.dumps(_finite(event), allow_nan=False, separators=(",", ":"), default=str)
    return (text + "\n").encode("utf-8")


def append_line(path: Path, line: bytes) -> None:
    """Append ``line`` with one ``write`` on an O_APPEND descriptor.

    O_APPEND makes the kernel move to the end and write as one step, so lines from
    concurrent writers never overwrite or split each other (for a local file system).
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        written = os.write(fd, line)
    finally:
        os.close(fd)
    if written != len(line):
        raise OSError(0, f"only {written} of {len(line)} bytes were written (disk full?)")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
