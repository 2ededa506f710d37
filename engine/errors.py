"""Every error driftline raises on purpose, and the exit codes they end a command with.

The tree::

    DriftlineError                 root; the CLI prints ``str(err)`` as one line
    ├── UsageError                 bad command-line arguments
    ├── ConfigError                a config key, value or group option is wrong
    ├── PluginError                a component cannot be found, loaded or registered
    ├── DataError                  data is missing, unreadable or unfit for the task
    │   └── SchemaValidationError  pandera found failures (structured in ``failures``)
    ├── StoreError                 the lineage store cannot be opened, read or written
    │   └── RunNotFoundError       a RUN reference matches no run (or several)
    └── ModelError                 a model cannot be trained, saved, verified or loaded

Each error answers: what failed, where, what is valid, what to do next.  Third-party
exceptions are translated where each library is called (``raise X(...) from exc``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from enum import IntEnum

# How many names an error lists before it says "... and N more".
MAX_LISTED_OPTIONS = 12


class ExitCode(IntEnum):
    """Process exit codes of the ``driftline`` command."""

    #: Everything asked for was done and every check passed.
    OK = 0
    #: The command worked, but a check failed or drift was detected.
    CHECK_FAILED = 1
    #: The user's input is wrong: config, data or arguments. Nothing was recorded as succeeded.
    USAGE_ERROR = 2
    #: A defect in driftline or a plugin (not the user's input); rerun with --debug.
    INTERNAL_ERROR = 3
    #: Interrupted by the user (Ctrl-C).
    INTERRUPTED = 130


class DriftlineError(Exception):
    """Root of every error driftline raises deliberately."""

    #: True when the user can fix it (bad config, data or arguments): exit code 2.
    user_error: bool = True


class UsageError(DriftlineError):
    """A command was called with wrong arguments."""


class ConfigError(DriftlineError):
    """A config key, value or group option is wrong."""

    def __init__(self, message: str, *, key: str | None = None, options: Sequence[str] = ()):
        super().__init__(message)
        self.key = key
        self.options = list(options)


class PluginError(DriftlineError):
    """A component is unknown, fails to import, or is registered twice."""

    def __init__(self, message: str, *, kind: str | None = None, name: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.name = name


class DataError(DriftlineError):
    """Data is missing, empty, unreadable, or does not fit the task."""


class SchemaValidationError(DataError):
    """Schema validation failed; ``failures`` holds one row per failing check and cell."""

    def __init__(self, message: str, *, failures: object = None, n_failures: int = 0):
        super().__init__(message)
        self.failures = failures
        self.n_failures = n_failures


class StoreError(DriftlineError):
    """The lineage store cannot be opened, read, migrated or written."""


class RunNotFoundError(StoreError):
    """A RUN reference (id, prefix, alias, ``latest``) matches no run or several."""


class ModelError(DriftlineError):
    """A model cannot be trained, saved, verified or loaded."""


def did_you_mean(name: str, options: Iterable[str]) -> str:
    """Render ' Did you mean: x? Available: a, b, c' for an unknown name."""
    opts = sorted(set(options))
    close = difflib.get_close_matches(name, opts, n=1, cutoff=0.6)
    hint = f" Did you mean: {close[0]}?" if close else ""
    return f"{hint} Available: {format_options(opts)}."


def format_options(options: Sequence[str]) -> str:
    """A bounded, comma-separated list of names."""
    if not options:
        return "(none)"
    shown = ", ".join(options[:MAX_LISTED_OPTIONS])
    extra = len(options) - MAX_LISTED_OPTIONS
    return f"{shown} ... and {extra} more" if extra > 0 else shown
