"""Built-in transforms: declarative steps from one frame to the next (SQL, column edits).

Each class is one entry point of group ``driftline.transform`` (see pyproject.toml).
"""
