"""Process exit codes of the ``driftline`` command."""

from enum import IntEnum


class ExitCode(IntEnum):
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
