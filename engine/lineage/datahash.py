"""Content hash of a logical table: names, dtypes, values, nulls and row order.

Why: a run records *which data* it saw.  The hash must not depend on the file format
(the same table read from CSV or Parquet hashes the same), the process, the chunk layout
in memory or the polars version, so it is defined here as SHA-256 over a canonical byte
encoding, never via ``DataFrame.hash_rows`` (whose output changes between versions).
Besides the frame hash there is one hash per column, so a diff can say which column
changed; a column hash does not include the column's name, so a rename is visible as
"same column hash, different name".

Byte format, scheme ``dl-sha256-v1``
====================================

Notation: ``u32(x)`` / ``u64(x)`` are unsigned little-endian integers of 4 / 8 bytes;
``lp(b) = u64(len(b)) || b`` (a length-prefixed byte string); ``utf8(s)`` is the UTF-8
encoding of ``s``; ``||`` is concatenation; ``n`` is the number of rows.

Column hash (hex of the SHA-256 digest of)::

    lp(utf8("dl-sha256-v1")) || lp(utf8(DTYPE)) || u64(n) || VALIDITY || VALUES

``VALIDITY`` is always present: ``ceil(n / 8)`` bytes, where row ``i`` is bit ``i % 8``
(least significant bit first) of byte ``i // 8``; the bit is 1 when the value is not
null.  Unused bits of the last byte are 0.  (A column without nulls therefore has all
bits set; whether polars keeps a validity buffer in memory does not matter.)

``VALUES`` by canonical ``DTYPE`` (the string hashed, built here, not polars' repr):

====================================  =======================================================
DTYPE                                 VALUES
====================================  =======================================================
``Int8 Int16 Int32 Int64``            ``n`` two's-complement little-endian integers of
``UInt8 UInt16 UInt32 UInt64``        1/2/4/8 bytes; a null row contributes 0.
``Float16 Float32 Float64``           ``n`` IEEE-754 little-endian values of 2/4/8 bytes; a
                                      null row contributes +0.0 (all bits zero); every NaN
                                      is written as the canonical quiet NaN ``0x7E00`` /
                                      ``0x7FC00000`` / ``0x7FF8000000000000`` (polars treats
                                      all NaNs as one value); ``-0.0`` is kept, distinct
                                      from ``+0.0`` (it survives CSV and Parquet and
                                      changes ``1/x``).
``Boolean``                           ``n`` bytes, 0x01 for true, 0x00 for false or null.
``Date``                              as ``Int32``: days since 1970-01-01.
``Datetime(U)``, ``Datetime(U, Z)``   as ``Int64``: count of unit ``U`` (``ms``, ``us`` or
                                      ``ns``) since 1970-01-01T00:00 UTC; with a time zone
                                      ``Z`` (its name as polars holds it, e.g.
                                      ``Datetime(us, Europe/Paris)``) the UTC instant.
``Duration(U)``                       as ``Int64``: count of unit ``U``.
``Time``                              as ``Int64``: nanoseconds since midnight.
``String``                            ``n`` values ``u32(byte length of the UTF-8 value)``
                                      (0 for a null row), then the UTF-8 bytes of every
                                      non-null value concatenated in row order.
``Binary``                            as ``String``, with the raw bytes.
``Null``                              nothing (all rows are null; the validity says so).
====================================  =======================================================

``Categorical`` and ``Enum`` columns are hashed exactly as the ``String`` column of their
values, with DTYPE ``String``: the category dictionary is a storage encoding, not a
logical change (a Parquet or CSV round trip may or may not keep it).  Nested and other
types (List, Array, Struct, Decimal, Int128, UInt128, Object) are rejected with a
:class:`~driftline.engine.errors.DataError` naming the column; cast them first.

Frame hash (hex of the SHA-256 digest of)::

    lp(utf8("dl-sha256-v1")) || u64(n) || u64(number of columns)
    || for each column, in order: lp(utf8(name)) || lp(utf8(DTYPE)) || column digest (32 raw bytes)

Implementation: every section is fed to the hash in row slices of ``SLICE_ROWS`` rows
(a multiple of 8, so bitmaps concatenate exactly), which bounds the extra memory for
huge columns; null-free numeric slices are hashed straight from polars' buffer; columns
are hashed in a small thread pool (hashlib and polars release the GIL on large buffers).
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from driftline.engine.errors import DataError

#: Identifier of the byte format above; record it beside every hash.
HASH_SCHEME = "dl-sha256-v1"

#: Rows fed to the hash per step (multiple of 8 so validity bitmaps concatenate exactly).
SLICE_ROWS = 1 << 20

#: Threads hashing columns in parallel (more than the cores only adds contention).
MAX_WORKERS = 2

#: Below this many cells the thread pool costs more than it saves.
MIN_CELLS_FOR_THREADS = 100_000

_INTEGER_TYPES = {
    pl.Int8: "<i1", pl.Int16: "<i2", pl.Int32: "<i4", pl.Int64: "<i8",
    pl.UInt8: "<u1", pl.UInt16: "<u2", pl.UInt32: "<u4", pl.UInt64: "<u8",
}
# Float dtype -> (numpy dtype, unsigned view of the same width, canonical quiet NaN bits).
_FLOAT_TYPES = {
    pl.Float16: ("<f2", "<u2", 0x7E00),
    pl.Float32: ("<f4", "<u4", 0x7FC00000),
    pl.Float64: ("<f8", "<u8", 0x7FF8000000000000),
}
# Canonical DTYPE of the types whose name is the whole DTYPE (spelled out, not taken from
# polars' repr, so a renamed polars class cannot change a hash).
_PLAIN_NAMES = {
    pl.Int8: "Int8", pl.Int16: "Int16", pl.Int32: "Int32", pl.Int64: "Int64",
    pl.UInt8: "UInt8", pl.UInt16: "UInt16", pl.UInt32: "UInt32", pl.UInt64: "UInt64",
    pl.Float16: "Float16", pl.Float32: "Float32", pl.Float64: "Float64",
    pl.Boolean: "Boolean", pl.String: "String", pl.Categorical: "String", pl.Enum: "String",
    pl.Binary: "Binary", pl.Date: "Date", pl.Time: "Time", pl.Null: "Null",
}
_SUPPORTED = (
    "Int8..Int64, UInt8..UInt64, Float16/32/64, Boolean, String, Categorical, Enum, "
    "Binary, Date, Datetime, Duration, Time, Null"
)


@dataclass(frozen=True)
class ColumnHash:
    """The hash of one column's dtype, nulls and values (its name is not part of it)."""

    name: str
    dtype: str
    hash: str

    def as_dict(self) -> dict[str, str]:
        """Plain dict for JSON and the lineage store."""
        return {"name": self.name, "dtype": self.dtype, "hash": self.hash}


@dataclass(frozen=True)
class FrameHash:
    """The hash of a whole table, with the per-column hashes it was built from."""

    hash: str
    n_rows: int
    columns: tuple[ColumnHash, ...]
    scheme: str = HASH_SCHEME

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (scheme, hash, n_rows, columns as a list of dicts) for JSON."""
        return {
            "scheme": self.scheme,
            "hash": self.hash,
            "n_rows": self.n_rows,
            "columns": [c.as_dict() for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FrameHash:
        """Inverse of :meth:`as_dict`."""
        columns = tuple(ColumnHash(c["name"], c["dtype"], c["hash"]) for c in data["columns"])
        return cls(data["hash"], int(data["n_rows"]), columns, data["scheme"])


def hash_frame(df: pl.DataFrame, *, workers: int | None = None) -> FrameHash:
    """Hash ``df`` by the ``dl-sha256-v1`` format (module docstring); ``workers`` threads."""
    dtypes = [canonical_dtype(s) for s in df.iter_columns()]
    n_workers = _n_workers(df, workers)
    if n_workers > 1:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            digests = list(pool.map(_column_digest, df.iter_columns(), dtypes))
    else:
        digests = [_column_digest(s, d) for s, d in zip(df.iter_columns(), dtypes)]
    frame = hashlib.sha256()
    frame.update(_lp(HASH_SCHEME.encode()) + _u64(df.height) + _u64(df.width))
    for name, dtype, digest in zip(df.columns, dtypes, digests):
        frame.update(_lp(name.encode()) + _lp(dtype.encode()) + digest)
    columns = tuple(
        ColumnHash(name, dtype, digest.hex())
        for name, dtype, digest in zip(df.columns, dtypes, digests)
    )
    return FrameHash(frame.hexdigest(), df.height, columns)


def canonical_dtype(s: pl.Series) -> str:
    """The DTYPE string hashed for ``s``; DataError for a type the format does not cover."""
    dtype = s.dtype
    base = dtype.base_type()
    if base in _PLAIN_NAMES:
        return _PLAIN_NAMES[base]
    if base is pl.Datetime:
        zone = f", {dtype.time_zone}" if dtype.time_zone else ""
        return f"Datetime({dtype.time_unit}{zone})"
    if base is pl.Duration:
        return f"Duration({dtype.time_unit})"
    raise DataError(
        f"cannot hash column '{s.name}': dtype {dtype} is not supported by the data hash "
        f"(supported: {_SUPPORTED}); cast or drop it first (e.g. with the 'cast' transform)."
    )


def _n_workers(df: pl.DataFrame, workers: int | None) -> int:
    if workers is None:
        small = df.height * df.width < MIN_CELLS_FOR_THREADS
        workers = 1 if small else min(MAX_WORKERS, os.cpu_count() or 1)
    return max(1, min(workers, df.width))


def _column_digest(s: pl.Series, dtype: str) -> bytes:
    h = hashlib.sha256()
    h.update(_lp(HASH_SCHEME.encode()) + _lp(dtype.encode()) + _u64(len(s)))
    if s.dtype.base_type() in (pl.Categorical, pl.Enum):
        s = s.cast(pl.String)
    for part in _validity(s):
        h.update(part)
    for part in _values(s):
        h.update(part)
    return h.digest()


def _slices(s: pl.Series) -> Iterator[pl.Series]:
    for offset in range(0, len(s), SLICE_ROWS):
        yield s.slice(offset, SLICE_ROWS)


def _validity(s: pl.Series) -> Iterator[bytes | np.ndarray]:
    n_bytes = (len(s) + 7) // 8
    if s.null_count() == 0:
        yield _all_valid_bitmap(len(s), n_bytes)
        return
    for part in _slices(s):
        yield np.packbits(part.is_not_null().to_numpy(), bitorder="little")


def _all_valid_bitmap(n_rows: int, n_bytes: int) -> bytes:
    bitmap = bytearray(b"\xff" * n_bytes)
    if n_rows % 8:
        bitmap[-1] = (1 << (n_rows % 8)) - 1
    return bytes(bitmap)


def _values(s: pl.Series) -> Iterator[bytes | np.ndarray]:
    base = s.dtype.base_type()
    if base is pl.Null:
        return
    if base in (pl.String, pl.Binary):
        yield from _string_values(s)
    elif base in _FLOAT_TYPES:
        yield from _float_values(s, *_FLOAT_TYPES[base])
    elif base is pl.Boolean:
        for part in _slices(s):
            yield part.fill_null(False).cast(pl.UInt8).to_numpy()
    else:  # integers and temporal types, via their physical integer
        physical = s.to_physical()
        numpy_dtype = _INTEGER_TYPES[physical.dtype.base_type()]
        for part in _slices(physical):
            yield _fixed_width(part, 0, numpy_dtype)


def _fixed_width(part: pl.Series, fill: int | float, numpy_dtype: str) -> np.ndarray:
    if part.null_count():
        part = part.fill_null(fill)
    # Contiguous little-endian array; zero-copy for a null-free single-chunk slice.
    return np.ascontiguousarray(part.to_numpy(), dtype=numpy_dtype)


def _float_values(
    s: pl.Series, numpy_dtype: str, bits_dtype: str, nan_bits: int
) -> Iterator[np.ndarray]:
    for part in _slices(s):
        values = _fixed_width(part, 0.0, numpy_dtype)
        nan = np.isnan(values)
        if nan.any():
            values = values.view(bits_dtype).copy()
            values[nan] = nan_bits
        yield values


def _string_values(s: pl.Series) -> Iterator[bytes | np.ndarray]:
    """Byte lengths of all rows, then the bytes of all non-null values (String or Binary)."""
    binary = s.cast(pl.Binary)
    for part in _slices(binary):
        yield _fixed_width(part.bin.size(), 0, "<u4")
    for part in _slices(binary):
        # As lists of bytes, exploded: the concatenated bytes as one contiguous array.
        # (Nulls dropped first: exploding around them is slow.)
        octets = part.drop_nulls().cast(pl.List(pl.UInt8)).explode(empty_as_null=False)
        yield octets.to_numpy()


def _u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def _lp(data: bytes) -> bytes:
    return _u64(len(data)) + data
