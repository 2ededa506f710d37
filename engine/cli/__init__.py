"""The ``driftline`` command line: one thin module per command."""
