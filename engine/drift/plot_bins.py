"""What the plot of one numeric column shows: its bins, the axis window and the overflow.

A numeric distribution (see :mod:`driftline.engine.drift.report_svg`) becomes a
:class:`NumericPlot`, which :mod:`driftline.engine.drift.report_svg` draws:

* ``mode == "values"``: an integer column (``"integer": True`` and integral edges) with at
  most :data:`MAX_VALUE_BARS` non-empty bins is drawn as bars per value, like categories
  (bins empty on both sides are left out);
* ``mode == "density"``: a histogram of the density on a value axis.  The axis covers
  where the mass is: open outer bins (an edge of -inf / +inf / None) never stretch it, and
  wide outer finite bins that hold little (a few percent of the reference and the batch,
  or a density far below the peak; see :data:`TAIL_SHARE`) are left off as well.  What
  lies beyond the axis is one overflow bin per side (``below`` / ``above``), drawn as a
  marked band.  A positive, right-skewed column (its median in the left
  :data:`LOG_MEDIAN_AT` of the linear axis, which spans at least a factor
  :data:`LOG_MIN_RATIO`) gets a log x axis (``log_x``), its density per decade;
* ``mode == "bins"``: edges that cannot be placed on a value axis (fewer than two finite
  edges, or not increasing): every bin side by side with equal widths.

Integer bins hold the integers ``lo .. hi`` (``(e[i], e[i+1]]`` of the edges) and are
labelled with them ("36", "37-59", "< 36", "> 60"); on a value axis a bin spans
``[lo - 0.5, hi + 0.5]``, so each value's bar is centred on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from driftline.engine.drift.report_text import finite

#: An integer column with at most this many non-empty bins is drawn bar per value.
MAX_VALUE_BARS = 30
#: An outer bin is left off the axis when at most TAIL_SHARE of the reference and of the
#: batch lie beyond its inner edge, or when its density is below SPARSE times the highest
#: density -- in either case only while at most MAX_TAIL of each lies beyond the axis on
#: that side and when the bin is wider than TAIL_AXIS times the rest of the axis.
TAIL_SHARE = 0.03
SPARSE = 0.05
MAX_TAIL = 0.05
TAIL_AXIS = 0.15
#: Log x axis: the median in the left part of the linear axis, and max / min of the axis.
LOG_MEDIAN_AT = 0.2
LOG_MIN_RATIO = 10.0
#: Slack on share comparisons (shares are ratios of counts).
_EPS = 1e-9


@dataclass(frozen=True)
class Bin:
    """One bin: its value-axis extent, the reference and batch shares, its label."""

    lo: float
    hi: float
    ref: float
    cur: float
    label: str


@dataclass(frozen=True)
class NumericPlot:
    """How one numeric column is drawn (see the module docstring)."""

    mode: str
    bins: list[Bin]
    integer: bool = False
    below: Bin | None = None
    above: Bin | None = None
    log_x: bool = False
    # The lowest and highest value of the reference and the batch together, when known.
    low: float | None = None
    high: float | None = None


def fractions(values: Sequence[Any]) -> list[float]:
    """Shares as non-negative floats (missing or NaN as 0)."""
    return [max(finite(v) or 0.0, 0.0) for v in values]


def fmt_value(value: float) -> str:
    """A value for a tick or a label: 4 significant digits, k / M for large ones."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.4g}M"
    if size >= 1e4:
        return f"{value / 1e3:.4g}k"
    return f"{value:.4g}"


def numeric_plot(name: str, dist: Mapping[str, Any]) -> NumericPlot:
    """The plot of one numeric distribution; ValueError (naming it) when malformed."""
    edges = list(dist.get("edges") or [])
    ref, cur = fractions(dist.get("ref") or []), fractions(dist.get("cur") or [])
    if not ref or len(ref) != len(cur) or len(edges) != len(ref) + 1:
        raise ValueError(f"numeric distribution of '{name}' needs len(edges) == len(ref) + 1 == "
                         f"len(cur) + 1, got {len(edges)}, {len(ref)}, {len(cur)}")
    xs = _edges(edges)
    if xs is None:
        return NumericPlot("bins", [Bin(float(i), float(i + 1), r, c, _raw_label(edges, i))
                                    for i, (r, c) in enumerate(zip(ref, cur))])
    integer = bool(dist.get("integer")) and all(
        not math.isfinite(x) or x == math.floor(x) for x in xs)
    bins = [_bin(xs, i, r, c, integer) for i, (r, c) in enumerate(zip(ref, cur))]
    inner = [i for i, b in enumerate(bins) if math.isfinite(b.lo) and math.isfinite(b.hi)]
    if integer and 0 < len([i for i in inner if bins[i].ref or bins[i].cur]) <= MAX_VALUE_BARS:
        kept = [b for b in bins[inner[0]:inner[-1] + 1] if b.ref > 0 or b.cur > 0]
        return NumericPlot("values", kept, True, _merged(bins[:inner[0]], "below", True),
                           _merged(bins[inner[-1] + 1:], "above", True),
                           low=finite(dist.get("min")), high=finite(dist.get("max")))
    first, last = _window(bins, inner, _linear)
    log_x = not integer and bins[inner[0]].lo > 0 and _skewed(bins[first:last + 1])
    if log_x:  # the window again, its widths and densities on the log axis
        first, last = _window(bins, inner, math.log10)
    return NumericPlot("density", bins[first:last + 1], integer,
                       _merged(bins[:first], "below", integer),
                       _merged(bins[last + 1:], "above", integer), log_x,
                       finite(dist.get("min")), finite(dist.get("max")))


# -- edges and bins -----------------------------------------------------------------------------
def _edges(edges: Sequence[Any]) -> list[float] | None:
    """The edges as floats, open outer ones as -inf / +inf; None when not placeable."""
    xs = [_edge(e, open_as=-math.inf if i == 0 else math.inf if i == len(edges) - 1 else math.nan)
          for i, e in enumerate(edges)]
    if any(math.isnan(x) for x in xs) or sum(map(math.isfinite, xs)) < 2:
        return None
    if any(b <= a for a, b in zip(xs, xs[1:])):
        return None
    return xs


def _edge(value: Any, *, open_as: float) -> float:
    if value is None:
        return open_as
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) or number == open_as else math.nan


def _bin(xs: list[float], i: int, ref: float, cur: float, integer: bool) -> Bin:
    a, b = xs[i], xs[i + 1]
    if not integer:
        label = (f"\u2264 {fmt_value(b)}" if a == -math.inf else
                 f"> {fmt_value(a)}" if b == math.inf else f"{fmt_value(a)} \u2013 {fmt_value(b)}")
        return Bin(a, b, ref, cur, label)
    # The integers a + 1 .. b, drawn from a + 0.5 to b + 0.5.
    label = (f"< {int(b) + 1}" if a == -math.inf else f"> {int(a)}" if b == math.inf else
             integer_range(int(a) + 1, int(b)))
    return Bin(a + 0.5, b + 0.5, ref, cur, label)


def integer_range(lo: int, hi: int) -> str:
    """The label of the integers lo .. hi: "36", or "37\u201359"."""
    return str(lo) if lo == hi else f"{lo}\u2013{hi}"


def _raw_label(edges: Sequence[Any], i: int) -> str:
    lo, hi = finite(edges[i]), finite(edges[i + 1])
    return (f"{'-inf' if lo is None else fmt_value(lo)} \u2013 "
            f"{'+inf' if hi is None else fmt_value(hi)}")


def _merged(bins: list[Bin], side: str, integer: bool) -> Bin | None:
    """The bins beyond one end of the axis as one overflow bin (None when empty)."""
    ref, cur = sum(b.ref for b in bins), sum(b.cur for b in bins)
    if not bins or (ref <= 0 and cur <= 0):
        return None
    if side == "below":  # the values up to the last bin's end
        edge = bins[-1].hi
        label = f"< {round(edge + 0.5)}" if integer else f"\u2264 {fmt_value(edge)}"
    else:  # the values from the first bin's start
        edge = bins[0].lo
        label = f"> {round(edge - 0.5)}" if integer else f"> {fmt_value(edge)}"
    return Bin(bins[0].lo, bins[-1].hi, ref, cur, label)


# -- the axis window ----------------------------------------------------------------------------
def _linear(value: float) -> float:
    return value


def _window(bins: list[Bin], inner: list[int], scale: Callable[[float], float]
            ) -> tuple[int, int]:
    """The first and last bin on the axis (see the module docstring); widths and
    densities are measured on the axis, ``scale(x)``."""
    first, last = inner[0], inner[-1]
    width = [scale(b.hi) - scale(b.lo) if i in inner else 0.0 for i, b in enumerate(bins)]
    peak = max(max(bins[i].ref, bins[i].cur) / width[i] for i in inner)
    left = _cut([(bins[i], width[i]) for i in range(first, last)], bins[:first], peak)
    right = _cut([(bins[i], width[i]) for i in range(last, first, -1)], bins[last + 1:], peak)
    if first + left > last - right:
        return first, last
    rest = sum(width[first + left:last - right + 1])
    if sum(width[first:first + left]) > TAIL_AXIS * rest:
        first += left
    if sum(width[last - right + 1:last + 1]) > TAIL_AXIS * rest:
        last -= right
    return first, last


def _cut(outside_in: list[tuple[Bin, float]], beyond: list[Bin], peak: float) -> int:
    """How many of the outer bins (with their widths, from the outside in) may be left off
    the axis: each sparse or within TAIL_SHARE, and at most MAX_TAIL beyond it in all."""
    ref, cur = sum(b.ref for b in beyond), sum(b.cur for b in beyond)
    k = 0
    for b, width in outside_in:
        ref, cur = ref + b.ref, cur + b.cur
        sparse = max(b.ref, b.cur) / width < SPARSE * peak
        if max(ref, cur) > MAX_TAIL + _EPS or not (sparse or max(ref, cur) <= TAIL_SHARE + _EPS):
            break
        k += 1
    return k


def _skewed(bins: list[Bin]) -> bool:
    """True for positive bins whose median (of reference and batch together) sits in the
    left LOG_MEDIAN_AT of a linear axis that spans at least a factor LOG_MIN_RATIO."""
    lo, hi = bins[0].lo, bins[-1].hi
    if lo <= 0 or hi / lo < LOG_MIN_RATIO:
        return False
    total = sum(b.ref + b.cur for b in bins)
    if total <= 0:
        return False
    seen = 0.0
    for b in bins:
        share = b.ref + b.cur
        if seen + share >= total / 2 and share > 0:
            median = b.lo + (total / 2 - seen) / share * (b.hi - b.lo)
            return (median - lo) / (hi - lo) < LOG_MEDIAN_AT
        seen += share
    return False
