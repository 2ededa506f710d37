"""File sources: CSV and Parquet, one file or a glob of files with the same columns.

Problems with the files themselves (missing, empty, header only, corrupt, columns that
differ between files) are found in :meth:`load`, before anything is collected, and
reported as one-line DataErrors naming the resolved path and the config key to change.

CSV types are inferred from every row by default (``infer_schema_length: null``), so a
column that turns non-numeric after row 1,000 becomes a String column instead of a parse
error or silent nulls.  Values that still fail to parse when the frame is collected (a
type forced through ``schema_overrides``, or inference limited to the first rows) raise a
DataError naming the column, file, row and value, with the setting that fixes it.
Polars cannot translate errors from inside a scan, so the CSV source returns a deferred
frame (``pl.defer``) that reads the files on collect; Parquet is scanned lazily.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from driftline.engine import ConfigError, DataError, RunContext, Source
from driftline.engine import did_you_mean, format_options
from driftline.plugins.transforms.columns import DTYPES, dtype_from_name

#: Config key of the path, for messages.
PATH_KEY = "data.path"
#: How many file names an error lists.
MAX_LISTED_FILES = 3

_GLOB_CHARS = frozenset("*?[")
# polars: "could not parse `x1` as dtype `i64` at column 'a' (column number 1)"
_PARSE_ERROR = re.compile(
    r"could not parse `(?P<value>.*?)` as dtype `[^`]*` at column '(?P<column>.*?)'")


# -- paths ------------------------------------------------------------------------------
def resolve_files(path: str, ctx: RunContext, *, fmt: str) -> tuple[Path, list[Path]]:
    """The absolute pattern and the sorted files it names; DataError when there are none."""
    resolved = Path(os.path.abspath(ctx.resolve_path(path)))
    if _GLOB_CHARS & set(path):
        matches = glob.glob(str(resolved), recursive=True)
        files = sorted(Path(p) for p in matches if os.path.isfile(p))
        if not files:
            raise DataError(f"no {fmt} file matches {resolved} (key: {PATH_KEY}); check the "
                            f"pattern (relative paths start at {ctx.base_dir}).")
    elif resolved.is_dir():
        raise DataError(f"{resolved} is a folder, not a {fmt} file (key: {PATH_KEY}); name a file "
                        f"or a glob such as {resolved / ('*.' + fmt.lower())}.")
    elif not resolved.exists():
        raise DataError(f"{fmt} file not found: {resolved} (key: {PATH_KEY}); check the path "
                        f"(relative paths start at {ctx.base_dir}).")
    else:
        files = [resolved]
    for f in files:
        _check_readable(f, fmt)
    return resolved, files


def _check_readable(path: Path, fmt: str) -> None:
    if not os.access(path, os.R_OK):
        raise DataError(f"cannot read {fmt} file {path}: permission denied (key: {PATH_KEY}); "
                        f"fix its permissions or point {PATH_KEY} elsewhere.")
    if path.stat().st_size == 0:
        raise DataError(f"{fmt} file {path} is empty (0 bytes) (key: {PATH_KEY}); re-export it "
                        f"or point {PATH_KEY} at a file with data.")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _listed(files: list[Path]) -> str:
    shown = ", ".join(str(f) for f in files[:MAX_LISTED_FILES])
    extra = len(files) - MAX_LISTED_FILES
    return f"{shown} ... and {extra} more" if extra > 0 else shown


class _FileSource(Source):
    """Shared by the file sources: remembers the resolved files for :meth:`describe`."""

    def __init__(self, params: Any = None):
        super().__init__(params)
        self.resolved_path: Path | None = None
        self.files: list[Path] = []

    def describe(self) -> dict[str, Any]:
        """Kind and parameters; after :meth:`load`, the absolute path and every file read."""
        out = super().describe()
        if self.resolved_path is not None:
            out["path"] = str(self.resolved_path)
            out["files"] = [str(f) for f in self.files]
        return out


# -- CSV --------------------------------------------------------------------------------
class CsvSource(_FileSource):
    """Reads one CSV file or a glob of CSV files with the same header."""

    extensions = (".csv",)

    @dataclass(frozen=True)
    class Params:
        # File path or glob (e.g. data/*.csv); relative to the project root (or the working
        # folder outside a project).
        path: str
        # Field separator: one character.
        separator: str = ","
        # True when the first line holds the column names (else column_0, column_1, ...).
        has_header: bool = True
        # Strings read as null in every column (the empty string always is).
        null_values: list[str] = field(default_factory=list)
        # Rows used to infer column types; null = every row (safe; reads the data twice);
        # 0 = read every column as String.
        infer_schema_length: int | None = field(default=None, metadata={"ge": 0})
        # Column -> dtype name (Int64, Float64, String, Boolean, Date, ...), skipping inference.
        schema_overrides: dict[str, str] = field(default_factory=dict)
        # Parse ISO-8601 looking columns as Date / Datetime.
        try_parse_dates: bool = True

        def __post_init__(self) -> None:
            if len(self.separator) != 1 or len(self.separator.encode()) != 1:
                raise ConfigError(f"data.separator must be one single-byte character, got "
                                  f"{self.separator!r}.", key="data.separator")
            for column, name in self.schema_overrides.items():
                dtype_from_name(name, key=f"data.schema_overrides.{column}")

    def load(self, ctx: RunContext) -> pl.LazyFrame:
        self.resolved_path, self.files = resolve_files(self.params.path, ctx, fmt="CSV")
        header = self._check_headers()
        unknown = [c for c in self.params.schema_overrides if c not in header]
        if unknown:
            raise DataError(f"data.schema_overrides names column '{unknown[0]}', which is not in "
                            f"{_listed(self.files)}.{did_you_mean(unknown[0], header)}")
        self._check_has_rows()
        schema = self._infer_schema()
        files = list(self.files)
        return pl.defer(lambda: self._read(files, schema), schema=schema)

    # options shared by every polars call
    def _options(self) -> dict[str, Any]:
        p = self.params
        return {"separator": p.separator, "has_header": p.has_header,
                "null_values": list(p.null_values) or None}

    def _check_headers(self) -> list[str]:
        """Column names of the first file; DataError when another file's differ."""
        headers = []
        for f in self.files:
            try:
                headers.append(list(pl.scan_csv(f, infer_schema=False, **self._options())
                                    .collect_schema()))
            except pl.exceptions.PolarsError as exc:
                raise DataError(f"cannot read CSV file {f} (key: {PATH_KEY}): "
                                f"{_first_line(exc)}") from exc
        first = headers[0]
        for f, names in zip(self.files[1:], headers[1:], strict=True):
            if names != first:
                raise DataError(
                    f"CSV file {f} has columns [{format_options(names)}] but {self.files[0]} has "
                    f"[{format_options(first)}] (key: {PATH_KEY}); every file of a glob needs the "
                    f"same header in the same order."
                )
        return first

    def _check_has_rows(self) -> None:
        for f in self.files:
            first_row = pl.scan_csv(f, infer_schema=False, **self._options()).head(1).collect()
            if first_row.height:
                return
        n = len(self.files)
        where = self.files[0] if n == 1 else f"{n} files ({_listed(self.files)})"
        raise DataError(f"CSV {where} has no rows, only a header (key: {PATH_KEY}); point "
                        f"{PATH_KEY} at a file with data.")

    def _scan(self, **kwargs: Any) -> pl.LazyFrame:
        p = self.params
        return pl.scan_csv(self.files, **self._options(), try_parse_dates=p.try_parse_dates,
                           infer_schema_files=len(self.files), **kwargs)

    def _infer_schema(self) -> pl.Schema:
        overrides = {c: DTYPES[n] for c, n in self.params.schema_overrides.items()}
        try:
            return self._scan(infer_schema_length=self.params.infer_schema_length,
                              schema_overrides=overrides or None).collect_schema()
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"cannot read CSV {_listed(self.files)} (key: {PATH_KEY}): "
                            f"{_first_line(exc)}") from exc

    def _read(self, files: list[Path], schema: pl.Schema) -> pl.DataFrame:
        """Read with the schema fixed in :meth:`load`; translate polars' errors."""
        try:
            return pl.scan_csv(files, **self._options(), schema=schema).collect()
        except pl.exceptions.PolarsError as exc:
            raise self._explain(exc, files, schema) from exc
        except OSError as exc:
            raise DataError(f"cannot read CSV {_listed(files)} (key: {PATH_KEY}): {exc}") from exc

    def _explain(self, exc: BaseException, files: list[Path], schema: pl.Schema) -> DataError:
        """One line for a parse error: column, file, row, value, and the setting to change."""
        match = _PARSE_ERROR.search(str(exc))
        if not match or match["column"] not in schema:
            return DataError(f"cannot read CSV {_listed(files)} (key: {PATH_KEY}): "
                             f"{_first_line(exc)}")
        column, value = match["column"], match["value"]
        where = self._locate(files, column, value)
        fixes = [f"set data.schema_overrides: {{{column}: String}} to read it as text",
                 f"add '{value}' to data.null_values if it means missing"]
        if column in self.params.schema_overrides:
            now = self.params.schema_overrides[column]
            fixes[0] = f"change data.schema_overrides.{column} (now {now})"
        elif self.params.infer_schema_length is not None:
            fixes.insert(0, "set data.infer_schema_length: null to infer types from every row")
        return DataError(f"CSV value '{value}' in column '{column}' ({where}) is not a valid "
                         f"{schema[column]}: {', or '.join(fixes)}, or fix the file.")

    def _locate(self, files: list[Path], column: str, value: str) -> str:
        """'file F, row N' of the first cell equal to ``value`` (rows count from 1)."""
        for f in files:
            try:
                hit = (pl.scan_csv(f, infer_schema=False, **self._options())
                       .select(pl.col(column)).with_row_index("row", offset=1)
                       .filter(pl.col(column) == value).head(1).collect())
            except pl.exceptions.PolarsError:
                continue
            if hit.height:
                return f"file {f}, row {hit['row'][0]}"
        return f"file {_listed(files)}"


# -- Parquet ----------------------------------------------------------------------------
class ParquetSource(_FileSource):
    """Scans one Parquet file or a glob of Parquet files with the same schema."""

    extensions = (".parquet", ".pq")

    @dataclass(frozen=True)
    class Params:
        # File path or glob (e.g. data/*.parquet); relative to the project root (or the
        # working folder outside a project).
        path: str

    def load(self, ctx: RunContext) -> pl.LazyFrame:
        self.resolved_path, self.files = resolve_files(self.params.path, ctx, fmt="Parquet")
        schemas = [_parquet_schema(f) for f in self.files]
        for f, schema in zip(self.files[1:], schemas[1:], strict=True):
            if schema != schemas[0]:
                raise DataError(
                    f"Parquet file {f} has a different schema from {self.files[0]} "
                    f"({_schema_difference(schemas[0], schema)}) (key: {PATH_KEY}); every file "
                    f"of a glob needs the same columns and types."
                )
        if sum(_parquet_rows(f) for f in self.files) == 0:
            raise DataError(f"Parquet {_listed(self.files)} has no rows (key: {PATH_KEY}); point "
                            f"{PATH_KEY} at a file with data.")
        return pl.scan_parquet(self.files)


def _parquet_schema(path: Path) -> dict[str, pl.DataType]:
    try:
        return pl.read_parquet_schema(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DataError(f"{path} is not a readable Parquet file (key: {PATH_KEY}): "
                        f"{_first_line(exc)}; re-export it or point {PATH_KEY} elsewhere.") from exc


def _parquet_rows(path: Path) -> int:
    try:
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DataError(f"{path} is not a readable Parquet file (key: {PATH_KEY}): "
                        f"{_first_line(exc)}; re-export it or point {PATH_KEY} elsewhere.") from exc


def _schema_difference(a: dict[str, pl.DataType], b: dict[str, pl.DataType]) -> str:
    missing = [c for c in a if c not in b]
    extra = [c for c in b if c not in a]
    if missing:
        return f"missing column '{missing[0]}'"
    if extra:
        return f"extra column '{extra[0]}'"
    typed = [c for c in a if a[c] != b[c]]
    if typed:
        return f"column '{typed[0]}' is {b[typed[0]]}, not {a[typed[0]]}"
    return "columns in a different order"
