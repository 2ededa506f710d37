"""Splitters: random, stratified and time-ordered train / valid / test splits.

Every splitter assigns each row one role and returns the rows of each role in input
order, so the parts are disjoint and together hold every row.  Random choices come from
``numpy.random.Generator(PCG64(ctx.seed))``: the same frame and seed give the same split.
Part sizes are ``round(n * size)`` (halves round up); a part that comes out empty is a
DataError saying which size to change.  ``valid_size: 0`` means no valid part.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from driftline.engine import ConfigError, DataError, RunContext, Splitter
from driftline.engine import did_you_mean

# Role codes in the assignment array.
TRAIN, VALID, TEST = 0, 1, 2
_ROLE_NAMES = {TRAIN: "train", VALID: "valid", TEST: "test"}
#: A stratified split refuses columns with more distinct values than this (use bins).
MAX_STRATA = 1000


def part_size(n: int, share: float) -> int:
    """``round(n * share)`` with halves rounded up."""
    return int(np.floor(n * share + 0.5))


def check_sizes(test_size: float, valid_size: float) -> None:
    """ConfigError unless the two shares leave room for training rows."""
    if test_size + valid_size >= 1:
        raise ConfigError(
            f"split.test_size + split.valid_size must be below 1 so rows remain for training, "
            f"got {test_size} + {valid_size}; lower one of them.", key="split.test_size",
        )


def parts(frame: pl.DataFrame, roles: np.ndarray, with_valid: bool) -> dict[str, pl.DataFrame]:
    """The frame's rows per role, each in input order."""
    out = {}
    for code, name in _ROLE_NAMES.items():
        if code == VALID and not with_valid:
            continue
        out[name] = frame.filter(pl.Series(roles == code))
    return out


def _check_not_empty(roles: np.ndarray, with_valid: bool, hints: dict[int, str], *,
                     what: str) -> None:
    counts = np.bincount(roles, minlength=3)
    for code, name in _ROLE_NAMES.items():
        if (code != VALID or with_valid) and counts[code] == 0:
            raise DataError(f"{what}: the {name} part is empty ({len(roles)} rows in total); "
                            f"{hints[code]}")


def _size_hints(test_size: float, valid_size: float) -> dict[int, str]:
    return {
        TRAIN: f"lower split.test_size ({test_size}) or split.valid_size ({valid_size}).",
        VALID: f"raise split.valid_size ({valid_size}), or set it to 0 for no valid part, or "
               f"use more rows.",
        TEST: f"raise split.test_size ({test_size}) or use more rows.",
    }


def _column(frame: pl.DataFrame, name: str, what: str) -> pl.Series:
    if name not in frame.columns:
        raise DataError(f"{what}: column '{name}' (key: split.column) is not in the data."
                        f"{did_you_mean(name, frame.columns)}")
    return frame[name]


# -- random -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SizeParams:
    """Shares of rows held out; shared by the random and stratified splitters."""

    # Share of rows in the test part (0 < x < 1).
    test_size: float = field(default=0.2, metadata={"gt": 0, "lt": 1})
    # Share of rows in the valid part (0 <= x < 1); 0 = no valid part.
    valid_size: float = field(default=0.1, metadata={"ge": 0, "lt": 1})

    def __post_init__(self) -> None:
        check_sizes(self.test_size, self.valid_size)


def _assign(n: int, test_size: float, valid_size: float, rng: np.random.Generator) -> np.ndarray:
    """Roles for ``n`` rows: a random permutation's first rows test, next valid, rest train."""
    order = rng.permutation(n)
    n_test, n_valid = part_size(n, test_size), part_size(n, valid_size)
    roles = np.full(n, TRAIN, dtype=np.int8)
    roles[order[:n_test]] = TEST
    roles[order[n_test:n_test + n_valid]] = VALID
    return roles


class RandomSplitter(Splitter):
    """Random rows: ``round(n * test_size)`` to test, ``round(n * valid_size)`` to valid."""

    Params = SizeParams

    def split(self, frame: pl.DataFrame, ctx: RunContext) -> dict[str, pl.DataFrame]:
        p = self.params
        n = frame.height
        rng = np.random.Generator(np.random.PCG64(ctx.seed))
        roles = _assign(n, p.test_size, p.valid_size, rng)
        with_valid = p.valid_size > 0
        _check_not_empty(roles, with_valid, _size_hints(p.test_size, p.valid_size),
                         what="random split")
        return parts(frame, roles, with_valid)


# -- stratified -------------------------------------------------------------------------
@dataclass(frozen=True)
class StratifiedParams(SizeParams):
    """Sizes, and the column whose value shares every part keeps."""

    # Column to stratify on; null = the run's target.
    column: str | None = None


class StratifiedSplitter(Splitter):
    """A random split made within each value of ``column`` (nulls are one more stratum).

    Each stratum of ``m`` rows gives ``round(m * test_size)`` rows to test and
    ``round(m * valid_size)`` to valid, so every part keeps the column's value shares.
    Strata are visited in sorted value order, drawing from one generator.
    """

    Params = StratifiedParams

    def split(self, frame: pl.DataFrame, ctx: RunContext) -> dict[str, pl.DataFrame]:
        p = self.params
        name = p.column if p.column is not None else ctx.target
        codes = self._strata(_column(frame, name, "stratified split"), name)
        rng = np.random.Generator(np.random.PCG64(ctx.seed))
        roles = np.full(frame.height, TRAIN, dtype=np.int8)
        for stratum in range(int(codes.max()) + 1 if len(codes) else 0):
            rows = np.flatnonzero(codes == stratum)
            roles[rows] = _assign(len(rows), p.test_size, p.valid_size, rng)
        with_valid = p.valid_size > 0
        hints = _size_hints(p.test_size, p.valid_size)
        hints[TEST] += f" Each value of '{name}' gives round(count * test_size) rows to test."
        _check_not_empty(roles, with_valid, hints, what="stratified split")
        return parts(frame, roles, with_valid)

    @staticmethod
    def _strata(column: pl.Series, name: str) -> np.ndarray:
        """Stratum number per row: the rank of its value among the sorted distinct values."""
        n_values = column.n_unique()
        if n_values > MAX_STRATA:
            raise DataError(
                f"stratified split: column '{name}' has {n_values} distinct values (more than "
                f"{MAX_STRATA}); stratify on a categorical column (split.column) or use "
                f"split=random."
            )
        if column.dtype in (pl.Categorical, pl.Enum):
            column = column.cast(pl.String)  # rank by value, not by category code
        ranks = column.rank("dense").cast(pl.Int64) - 1
        return ranks.fill_null(n_values).to_numpy()  # nulls: one stratum after the others


# -- time -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimeParams:
    """The time column and where it is cut: explicit cutoffs, or shares of rows."""

    # Date or datetime column that orders the rows.
    column: str
    # First date/time of the test part (ISO 8601, e.g. 2025-07-01); null = use test_size.
    # When set, test_size and valid_size are not used.
    test_from: str | None = None
    # First date/time of the valid part (ISO 8601); needs test_from; null = no valid part.
    valid_from: str | None = None
    # Without cutoffs: share of the latest rows in the test part (0 < x < 1).
    test_size: float = field(default=0.2, metadata={"gt": 0, "lt": 1})
    # Without cutoffs: share of rows, just before test, in the valid part; 0 = none.
    valid_size: float = field(default=0.1, metadata={"ge": 0, "lt": 1})

    def __post_init__(self) -> None:
        check_sizes(self.test_size, self.valid_size)
        if self.valid_from is not None and self.test_from is None:
            raise ConfigError("split.valid_from needs split.test_from: set both cutoffs, or "
                              "neither and use split.valid_size / split.test_size.",
                              key="split.valid_from")
        test_from = parse_instant(self.test_from, "split.test_from")
        valid_from = parse_instant(self.valid_from, "split.valid_from")
        if valid_from is not None and _as_datetime(valid_from) >= _as_datetime(test_from):
            raise ConfigError(f"split.valid_from ({self.valid_from}) must be before "
                              f"split.test_from ({self.test_from}).", key="split.valid_from")


def parse_instant(text: str | None, key: str) -> dt.date | dt.datetime | None:
    """An ISO-8601 date or datetime; ConfigError naming ``key`` otherwise."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{key} must be an ISO-8601 date or datetime such as 2025-07-01 or "
                          f"2025-07-01T12:00, got {text!r}.", key=key) from None


def _as_datetime(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.combine(value, dt.time())


class TimeSplitter(Splitter):
    """Train before valid before test in time: no row of a later part precedes one of an earlier.

    With cutoffs: test is ``column >= test_from``, valid is ``valid_from <= column <
    test_from``, train is everything earlier.  With shares: the cutoffs are the times at
    which the latest ``round(n * test_size)`` and the ``round(n * valid_size)`` before
    them begin; rows sharing a cutoff's time all go to the later part, so equal times
    never straddle two parts.  No randomness is involved.
    """

    # Parameters the conformance suite (`driftline plugins check`) builds it with.
    example_params = {"column": "day"}

    Params = TimeParams

    def describe(self) -> dict[str, Any]:
        """Kind and the parameters in effect (sizes or cutoffs, not both)."""
        p = self.params
        out: dict[str, Any] = {"kind": self.registered_name, "column": p.column}
        if p.test_from is not None:
            out.update(test_from=p.test_from, valid_from=p.valid_from)
        else:
            out.update(test_size=p.test_size, valid_size=p.valid_size)
        return out

    def split(self, frame: pl.DataFrame, ctx: RunContext) -> dict[str, pl.DataFrame]:
        p = self.params
        times = self._times(_column(frame, p.column, "time split"))
        if p.test_from is not None:
            test_from = _cutoff(parse_instant(p.test_from, "split.test_from"), times.dtype)
            valid_from = _cutoff(parse_instant(p.valid_from, "split.valid_from"), times.dtype)
            with_valid = valid_from is not None
            hints = self._cutoff_hints(times)
        else:
            test_from, valid_from = self._quantile_cutoffs(times)
            with_valid = p.valid_size > 0
            hints = _size_hints(p.test_size, p.valid_size)
            for code in (TRAIN, VALID):
                hints[code] += f" Rows sharing one {p.column} value always stay in one part."
        roles = self._roles(times, valid_from, test_from)
        _check_not_empty(roles, with_valid, hints, what="time split")
        return parts(frame, roles, with_valid)

    def _times(self, column: pl.Series) -> pl.Series:
        name = self.params.column
        temporal = column.dtype in (pl.Date, pl.Datetime)
        if not temporal and not (self.params.test_from is None and column.dtype.is_numeric()):
            raise DataError(
                f"time split: column '{name}' (key: split.column) is {column.dtype}, not a Date "
                f"or Datetime; convert it with a cast transform (e.g. {{kind: cast, columns: "
                f"{{{name}: Date}}}})."
            )
        nulls = column.null_count()
        if nulls:
            raise DataError(f"time split: column '{name}' has {nulls} null values, which cannot be "
                            f"placed in time; fill or drop them before splitting.")
        return column

    def _quantile_cutoffs(self, times: pl.Series) -> tuple[Any, Any]:
        """(test_from, valid_from): the times where the latest shares of rows begin."""
        p = self.params
        ordered = times.sort()
        n = len(ordered)
        n_test, n_valid = part_size(n, p.test_size), part_size(n, p.valid_size)
        test_from = ordered[n - n_test] if n_test else None
        if p.valid_size == 0:
            return test_from, None
        valid_from = ordered[n - n_test - n_valid] if n_valid else test_from
        return test_from, valid_from

    @staticmethod
    def _roles(times: pl.Series, valid_from: Any, test_from: Any) -> np.ndarray:
        roles = np.full(len(times), TRAIN, dtype=np.int8)
        if valid_from is not None:
            roles[(times >= valid_from).to_numpy()] = VALID
        if test_from is not None:
            roles[(times >= test_from).to_numpy()] = TEST
        return roles

    def _cutoff_hints(self, times: pl.Series) -> dict[int, str]:
        p = self.params
        span = f"{p.column} runs from {times.min()} to {times.max()}"
        return {
            TRAIN: f"no {p.column} is before split.valid_from/test_from "
                   f"({p.valid_from or p.test_from}); {span}. Move the cutoffs later.",
            VALID: f"no {p.column} is in [split.valid_from, split.test_from) = "
                   f"[{p.valid_from}, {p.test_from}); {span}. Move valid_from earlier.",
            TEST: f"no {p.column} is at or after split.test_from ({p.test_from}); {span}. "
                  f"Move test_from earlier.",
        }


def _cutoff(value: dt.date | dt.datetime | None, dtype: pl.DataType) -> Any:
    """A parsed cutoff made comparable with a column of ``dtype``."""
    if value is None:
        return None
    if dtype == pl.Date:
        if isinstance(value, dt.datetime):
            # rows of day d start at d 00:00; a cutoff inside day d moves to the next day
            day = value.date()
            return day if value.time() == dt.time() else day + dt.timedelta(days=1)
        return value
    stamp = value if isinstance(value, dt.datetime) else _as_datetime(value)
    tz = getattr(dtype, "time_zone", None)
    if tz is not None and stamp.tzinfo is None:
        return stamp.replace(tzinfo=ZoneInfo(tz))  # a naive cutoff is in the column's zone
    return stamp
