"""Is the process that recorded a run still alive?  (To report crashed runs as interrupted.)

Only a process on this host can be checked.  ``os.kill(pid, 0)`` tells whether a pid exists;
because pids are reused, on Linux the process's start time (``/proc``) is also compared with
the run's start: a process that started after the run began is not the run's process.
Elsewhere an existing pid is taken as alive.  On Windows nothing is checked (``os.kill``
there would terminate the process).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

#: A process that started more than this many seconds after its run began is a reused pid.
#: (/proc boot time has one-second resolution, so allow for rounding.)
START_SLACK_S = 2.0


def process_gone(pid: int | None, run_started_at: str) -> bool:
    """True when we can tell that the process ``pid`` of this host that started a run has ended."""
    if os.name != "posix" or pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, belongs to another user
    except OSError:
        return False
    started = process_start_time(pid)
    try:
        run_start = _epoch(run_started_at)
    except ValueError:
        return False
    return started is not None and started > run_start + START_SLACK_S


def process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (Unix time), or None where this cannot be read cheaply."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = _boot_time()
    except (OSError, ValueError):
        return None
    # Field 2 (the command name) may hold spaces and parentheses: split after the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    # Field 22 (starttime, clock ticks since boot) is index 19 counting from field 3.
    ticks = int(fields[19])
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise ValueError("no btime in /proc/stat")


def _epoch(iso_utc: str) -> float:
    return datetime.fromisoformat(iso_utc.replace("Z", "+00:00")).timestamp()
