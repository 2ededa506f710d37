"""The ``driftline`` command line: one thin module per command.

Each command parses its arguments, calls the rooms below and prints; ``main`` turns a
:class:`~driftline.engine.errors.DriftlineError` into one line and its exit code.  Modules
import their room lazily inside the command so ``driftline --help`` stays fast.

May import: every room of the engine.
"""
