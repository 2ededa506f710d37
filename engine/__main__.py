"""``python -m engine`` is the ``driftline`` command."""

from engine.cli.main import entry

entry()
