"""A plugin module that fails on import, as a broken third-party package would."""

raise ImportError("libfoo.so.1: cannot open shared object file")
