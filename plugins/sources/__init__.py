"""Built-in data sources: synthetic demo table, CSV and Parquet files, SQL queries.

Each module is one entry point of group ``driftline.source`` (see pyproject.toml).
"""
