"""``python -m engine`` is the ``driftline`` command."""

from driftline.engine.cli.main import entry

entry()
