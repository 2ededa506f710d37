"""File sources: CSV and Parquet, one file or a glob of files with the same columns.

Problems with the files themselves (missing, empty, header only, corrupt, columns that
differ between files) are found in :meth:`load`, before anything is collected, and
reported as one-line DataErrors naming the resolved path and the config key to change.

A CSV is read once with every column as String; its layout is checked
(:mod:`~driftline.plugins.sources.csv_layout`: duplicate header names, lines with more or
fewer fields than the header, bytes that are not UTF-8, each a DataError naming the file
and line; blank lines dropped) and each column's type is decided from every row by
vectorised casts (:mod:`~driftline.plugins.sources.csv_types`), so a column that turns
non-numeric after row 5,000 is never silent nulls: it is String, or a DataError when the
odd value looks like a missing-value marker in a numeric column.  Values that still fail
to cast when the frame is collected (a type forced through ``schema_overrides``, or
inference limited to the first rows) raise a DataError naming the column, file, row and
value, with the setting that fixes it.  The CSV source returns a deferred frame
(``pl.defer``) that does those casts on collect; Parquet is scanned lazily.
"""

from __future__ import annotations

import bisect
import glob
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from driftline.engine import ConfigError, DataError, RunContext, Source
from driftline.engine import did_you_mean, format_options
from driftline.plugins.sources.csv_layout import (blank_rows, check_unique_names, not_utf8,
                                                  too_many_fields)
from driftline.plugins.sources.csv_types import (
    Decision,
    Locator,
    cast_checked,
    decide,
)
from driftline.plugins.transforms.columns import DTYPES, dtype_from_name

#: Config key of the path, for messages.
PATH_KEY = "data.path"
#: How many file names an error lists.
MAX_LISTED_FILES = 3
#: data.encoding of a CSV: bytes that are not UTF-8 are an error, or read as U+FFFD.
ENCODINGS = ("utf8", "utf8-lossy")

_GLOB_CHARS = frozenset("*?[")


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
        # Rows used to decide column types; null = every row (safe, and as fast);
        # 0 = read every column as String.
        infer_schema_length: int | None = field(default=None, metadata={"ge": 0})
        # Column -> dtype name (Int64, Float64, String, Boolean, Date, ...), skipping inference.
        schema_overrides: dict[str, str] = field(default_factory=dict)
        # Parse ISO-8601 looking columns as Date / Datetime.
        try_parse_dates: bool = True
        # utf8: bytes that are not UTF-8 are an error; utf8-lossy: read them as U+FFFD.
        encoding: str = "utf8"

        def __post_init__(self) -> None:
            if len(self.separator) != 1 or len(self.separator.encode()) != 1:
                raise ConfigError(f"data.separator must be one single-byte character, got "
                                  f"{self.separator!r}.", key="data.separator")
            if self.encoding not in ENCODINGS:
                raise ConfigError(f"data.encoding must be one of {format_options(ENCODINGS)}, "
                                  f"got {self.encoding!r}.", key="data.encoding",
                                  options=list(ENCODINGS))
            for column, name in self.schema_overrides.items():
                dtype_from_name(name, key=f"data.schema_overrides.{column}")

    def load(self, ctx: RunContext) -> pl.LazyFrame:
        """Read every file as String, check its layout and decide the column types; the
        casts that can still fail (overrides, types from the first rows) run on collect."""
        p = self.params
        self.resolved_path, self.files = resolve_files(p.path, ctx, fmt="CSV")
        header = self._check_headers()
        unknown = [c for c in p.schema_overrides if c not in header]
        if unknown:
            raise DataError(f"data.schema_overrides names column '{unknown[0]}', which is not in "
                            f"{_listed(self.files)}.{did_you_mean(unknown[0], header)}")
        strings, heights, blank = self._read_strings(len(header))
        where = _locator(self.files, heights)
        overrides = {c: DTYPES[n] for c, n in p.schema_overrides.items()}
        decision = decide(strings, sample_rows=p.infer_schema_length,
                          parse_dates=p.try_parse_dates, overrides=overrides, where=where,
                          null_values=p.null_values)
        return pl.defer(lambda: self._finish(strings, decision, blank, where),
                        schema=pl.Schema(decision.dtypes))

    # options shared by every polars call
    def _options(self) -> dict[str, Any]:
        p = self.params
        return {"separator": p.separator, "has_header": p.has_header,
                "null_values": list(p.null_values) or None, "encoding": p.encoding}

    def _check_headers(self) -> list[str]:
        """Column names of the first file; DataError when another file's differ."""
        headers = []
        for f in self.files:
            try:
                headers.append(list(pl.scan_csv(f, infer_schema=False, **self._options())
                                    .collect_schema()))
            except pl.exceptions.PolarsError as exc:
                raise self._read_error(f, exc, None) from exc
            if self.params.has_header:
                check_unique_names(f, self.params.separator)
        first = headers[0]
        for f, names in zip(self.files[1:], headers[1:], strict=True):
            if names != first:
                raise DataError(
                    f"CSV file {f} has columns [{format_options(names)}] but {self.files[0]} has "
                    f"[{format_options(first)}] (key: {PATH_KEY}); every file of a glob needs the "
                    f"same header in the same order."
                )
        return first

    def _read_strings(self, width: int) -> tuple[pl.DataFrame, list[int], pl.Series | None]:
        """Every file as String columns, the rows of each, and which rows are blank lines."""
        p = self.params
        frames, blanks = [], []
        for f in self.files:
            try:
                frame = pl.read_csv(f, infer_schema=False, **self._options())
            except pl.exceptions.PolarsError as exc:
                raise self._read_error(f, exc, width) from exc
            except OSError as exc:
                raise DataError(f"cannot read CSV file {f} (key: {PATH_KEY}): {exc}") from exc
            frames.append(frame)
            blanks.append(blank_rows(f, frame, separator=p.separator, has_header=p.has_header))
        heights = [f.height for f in frames]
        kept = sum(heights) - sum(int(b.sum()) for b in blanks if b is not None)
        if kept == 0:
            n = len(self.files)
            where = self.files[0] if n == 1 else f"{n} files ({_listed(self.files)})"
            raise DataError(f"CSV {where} has no rows, only a header (key: {PATH_KEY}); point "
                            f"{PATH_KEY} at a file with data.")
        blank = None
        if any(b is not None for b in blanks):
            blank = pl.concat([b if b is not None else pl.Series("blank", [False] * h)
                               for b, h in zip(blanks, heights, strict=True)])
        strings = frames[0] if len(frames) == 1 else pl.concat(frames, rechunk=False)
        return strings, heights, blank

    def _read_error(self, f: Path, exc: BaseException, width: int | None) -> DataError:
        """One line for polars' failure to read ``f``: the line at fault and the fix."""
        p, text = self.params, str(exc)
        found = None
        if "invalid utf-8" in text:
            found = not_utf8(f, p.separator, p.has_header)
        elif "more fields than defined" in text and width is not None:
            found = too_many_fields(f, p.separator, width, p.has_header)
        return found or DataError(
            f"cannot read CSV file {f} (key: {PATH_KEY}): {_first_line(exc)}; check its quoting "
            f"(a value holding the separator, a quote or a line break goes in double quotes, "
            f"with inner quotes doubled).")

    def _finish(self, strings: pl.DataFrame, decision: Decision, blank: pl.Series | None,
                where: Locator) -> pl.DataFrame:
        """The typed frame: columns already cast in :meth:`load`, the rest cast here."""
        columns = []
        for c in strings.columns:
            dtype = decision.dtypes[c]
            values = decision.unpadded.get(c, strings[c])
            if c in decision.typed:
                columns.append(decision.typed[c])
            elif dtype == pl.String:
                columns.append(values)
            else:
                columns.append(cast_checked(values, dtype, where=where, fixes=self._fixes(c)))
        frame = pl.DataFrame(columns)
        return frame if blank is None else frame.filter(~blank)

    def _fixes(self, column: str) -> Callable[[str], list[str]]:
        """The settings that fix a value of ``column`` that does not cast."""
        p = self.params

        def fixes(value: str) -> list[str]:
            out = [f"set data.schema_overrides: {{{column}: String}} to read it as text",
                   f"add '{value}' to data.null_values if it means missing"]
            if column in p.schema_overrides:
                out[0] = f"change data.schema_overrides.{column} (now {p.schema_overrides[column]})"
            elif p.infer_schema_length is not None:
                out.insert(0, "set data.infer_schema_length: null to infer types from every row")
            return out
        return fixes


def _locator(files: list[Path], heights: list[int]) -> Locator:
    """Row index of the concatenated files -> "file F, row N" (rows count from 1)."""
    starts = list(itertools.accumulate(heights, initial=0))

    def where(index: int) -> str:
        i = bisect.bisect_right(starts, index) - 1
        return f"file {files[i]}, row {index - starts[i] + 1}"
    return where


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
