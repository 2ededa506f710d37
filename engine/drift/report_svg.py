"""The plots of the HTML drift report: one inline SVG per column, drawn here.

No plotting library, no fonts or scripts from the network.  Every string that comes from
the data (column names, categories) is escaped.  ``dist`` is a column's distribution::

    {"type": "numeric", "edges": [...], "ref": [...], "cur": [...],   # shares per bin
     "min"?: ..., "max"?: ..., "integer"?: bool}
    {"type": "categorical", "categories": [...], "ref": [...], "cur": [...]}

* numeric: what is drawn is chosen by :func:`driftline.engine.drift.plot_bins.numeric_plot`
  -- bars per value (an integer column with few values; y: % of rows), a histogram of the
  density on a value axis that covers where the mass is (y: % of rows per unit of x, the
  unit named in the y title; a log x axis for a skewed positive column, said under the
  axis), or equal-width bins when the edges cannot be placed.  What lies beyond the axis
  is drawn in a dashed band at that side: the share of the reference and the batch there,
  as bars (the band's height is 100%) and as numbers.
* categorical: horizontal grouped bars (reference, batch) per category, the
  :data:`MAX_CATEGORY_BARS` - 1 largest shown and the rest summed into one bar.

Every plot is an ``<svg data-column="NAME" data-section="...">`` whose first child is a
``<title>``; the reference and batch series are the elements of class ``mark ref`` /
``mark cur`` (one path each in a histogram, one bar per value or category otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from driftline.engine.drift.plot_bins import Bin, NumericPlot, fmt_value, fractions, numeric_plot

#: Size of a numeric plot (SVG user units = CSS pixels at 100%).
PLOT_WIDTH = 480
PLOT_HEIGHT = 214
#: Plot margins: left (y labels), right, top (y title), bottom (x labels and title).
MARGIN = (44, 10, 22, 36)
#: Overflow bands: width, and the gap to the plot.
BAND_WIDTH = 40
BAND_GAP = 8
#: Most x labels under a bar-per-value plot (every k-th value is labelled beyond it).
MAX_VALUE_LABELS = 16
#: Categorical plots: width of the label area, height of one category row.
LABEL_WIDTH = 130
ROW_HEIGHT = 18
#: Most bars in a categorical plot (the smallest categories beyond it are summed).
MAX_CATEGORY_BARS = 25
#: Category labels longer than this are shortened (the full name is in the tooltip).
MAX_LABEL_CHARS = 18


# -- small helpers ----------------------------------------------------------------------------
def esc(value: Any) -> str:
    """HTML-escape any value for text or a quoted attribute."""
    return escape(str(value), quote=True)


def _c(value: float) -> str:
    """An SVG coordinate."""
    return f"{value:.1f}"


def _pct(value: float) -> str:
    """A share as a percentage; a share that is not 0 never shows as 0.0%."""
    return "<0.1%" if 0 < value < 0.0005 else f"{value * 100:.1f}%"


def _pct_tick(percent: float) -> str:
    return f"{percent:.4g}%"


def nice_ticks(lo: float, hi: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) within [lo, hi]; whole
    numbers only with ``integer``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1) if integer else step
    first = math.ceil(lo / step) * step
    ticks, k = [], 0
    while first + k * step <= hi + step * 1e-9:
        ticks.append(round(first + k * step, 12))
        k += 1
    return ticks


def log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks of a log axis on [lo, hi] (lo > 0): 1, 2 and 5 times the powers of ten, or
    only the powers when that gives more than 7."""
    ticks: dict[float, list[float]] = {1: [], 2: [], 5: []}
    for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in ticks:
            value = float(f"{m}e{k}")
            if lo * (1 - 1e-9) <= value <= hi * (1 + 1e-9):
                ticks[m].append(value)
    every = sorted(ticks[1] + ticks[2] + ticks[5])
    return every if len(every) <= 7 or len(ticks[1]) < 2 else ticks[1]


def density_unit(widths: Sequence[float], integer: bool) -> float:
    """The unit the density is given per: the power of ten at or below the median bin
    width (at least 1 for an integer column)."""
    ordered = sorted(w for w in widths if w > 0)
    if not ordered:
        return 1.0
    unit = 10.0 ** math.floor(math.log10(ordered[len(ordered) // 2]))
    return max(unit, 1.0) if integer else unit


def _unit_text(unit: float, integer: bool) -> str:
    if integer:
        return "value" if unit == 1 else f"{unit:,.0f} values"
    return f"{unit:,.0f}" if unit >= 1 else f"{unit:g}"


# -- numeric plots --------------------------------------------------------------------------------
def numeric_svg(name: str, dist: Mapping[str, Any], *, section: str = "columns") -> str:
    """Reference vs batch for one numeric column (see the module docstring)."""
    plot = numeric_plot(name, dist)
    if plot.mode == "values":
        return _values_svg(name, plot, section)
    left, right, top, bottom = MARGIN
    band = BAND_WIDTH + BAND_GAP
    x0 = left + (band if plot.below else 0)
    x1 = PLOT_WIDTH - right - (band if plot.above else 0)
    y0, y1 = PLOT_HEIGHT - bottom, top
    bins = plot.bins
    if plot.mode == "bins":
        heights = [b.ref * 100 for b in bins], [b.cur * 100 for b in bins]
        y_title = "% of rows per bin"
        x_title = "reference bins, equal widths (the edges cannot be placed on a value axis)"
    elif plot.log_x:
        decades = [math.log10(b.hi / b.lo) for b in bins]
        heights = ([b.ref * 100 / d for b, d in zip(bins, decades)],
                   [b.cur * 100 / d for b, d in zip(bins, decades)])
        y_title = "% of rows per decade of x"
        x_title = "log scale (the values are skewed)"
    else:
        unit = density_unit([b.hi - b.lo for b in bins], plot.integer)
        heights = ([b.ref * 100 * unit / (b.hi - b.lo) for b in bins],
                   [b.cur * 100 * unit / (b.hi - b.lo) for b in bins])
        y_title = f"% of rows per {_unit_text(unit, plot.integer)}"
        x_title = ""
    lo, hi = bins[0].lo, bins[-1].hi
    if plot.log_x:
        sx = lambda v: x0 + math.log10(v / lo) / math.log10(hi / lo) * (x1 - x0)  # noqa: E731
    else:
        sx = lambda v: x0 + (v - lo) / (hi - lo) * (x1 - x0)  # noqa: E731
    top_value = max(max(heights[0]), max(heights[1])) * 1.08 or 1.0
    sy = lambda v: y0 - v / top_value * (y0 - y1)  # noqa: E731

    def step(values: list[float], closed: bool) -> str:
        pts = [f"M{_c(sx(lo))},{_c(y0)}"]
        for b, h in zip(bins, values):
            pts.append(f"L{_c(sx(b.lo))},{_c(sy(h))}L{_c(sx(b.hi))},{_c(sy(h))}")
        pts.append(f"L{_c(sx(hi))},{_c(y0)}" + ("Z" if closed else ""))
        return "".join(pts)

    parts = [_svg_open(name, section, PLOT_WIDTH, PLOT_HEIGHT,
                       f"{name}: reference vs current distribution")]
    parts += _axes(x0, x1, y0, y1, top_value, y_title)
    if plot.mode == "bins":
        ticks = []
    elif plot.log_x:
        ticks = log_ticks(lo, hi)
    else:
        ticks = nice_ticks(lo, hi, integer=plot.integer)
    parts += [_x_tick(sx(t), y0, fmt_value(t).replace("e-0", "e-")) for t in ticks]
    if x_title:
        parts.append(_text((x0 + x1) / 2, y0 + 29, x_title))
    parts.append(f'<path class="mark ref" d="{step(heights[0], True)}"/>')
    parts.append(f'<path class="mark cur" d="{step(heights[1], False)}"/>')
    for b in bins:
        parts.append(_hit(sx(b.lo), y1, sx(b.hi) - sx(b.lo), y0 - y1, _tip(b)))
    if plot.below:
        parts += _band(plot.below, x0 - left - band + 2, y0, y1, "below",
                       _tip(plot.below, _extreme("lowest", plot.low)))
    if plot.above:
        parts += _band(plot.above, x1 + BAND_GAP, y0, y1, "above",
                       _tip(plot.above, _extreme("highest", plot.high)))
    parts.append("</svg>")
    return "".join(parts)


def _values_svg(name: str, plot: NumericPlot, section: str) -> str:
    """Bars per value of an integer column: reference and batch side by side."""
    left, right, top, bottom = MARGIN
    slots: list[tuple[Bin, bool]] = ([(plot.below, True)] if plot.below else [])
    slots += [(b, False) for b in plot.bins]
    slots += [(plot.above, True)] if plot.above else []
    x0, x1 = left, PLOT_WIDTH - right
    y0, y1 = PLOT_HEIGHT - bottom, top
    width = (x1 - x0) / len(slots)
    bar = min(width * 0.4, 22.0)
    top_value = max(max(b.ref, b.cur) for b, _ in slots) * 100 * 1.08 or 1.0
    sy = lambda v: y0 - v * 100 / top_value * (y0 - y1)  # noqa: E731
    every = math.ceil(len(slots) / MAX_VALUE_LABELS)
    parts = [_svg_open(name, section, PLOT_WIDTH, PLOT_HEIGHT,
                       f"{name}: reference vs current share of each value")]
    parts += _axes(x0, x1, y0, y1, top_value, "% of rows")
    for i, (b, overflow) in enumerate(slots):
        x = x0 + i * width
        mid = x + width / 2
        cls = "band ref" if overflow else "mark ref", "band cur" if overflow else "mark cur"
        if overflow:
            parts.append(f'<rect class="band" x="{_c(x + 1)}" y="{_c(y1)}" '
                         f'width="{_c(width - 2)}" height="{_c(y0 - y1)}"/>')
        for k, (c, share) in enumerate(zip(cls, (b.ref, b.cur))):
            parts.append(f'<rect class="{c}" x="{_c(mid - bar + k * bar)}" y="{_c(sy(share))}" '
                         f'width="{_c(bar)}" height="{_c(y0 - sy(share))}"/>')
        if overflow and width >= BAND_WIDTH:
            parts += [_text(mid, y1 + 12 + 11 * k, _pct(share), cls=f"{c}-t")
                      for k, (c, share) in enumerate((("ref", b.ref), ("cur", b.cur)))]
        if overflow or i % every == 0:
            parts.append(f'<line class="axis" x1="{_c(mid)}" y1="{_c(y0)}" x2="{_c(mid)}" '
                         f'y2="{_c(y0 + 4)}"/>' + _text(mid, y0 + 15, b.label))
        extreme = _extreme("lowest" if i == 0 else "highest", plot.low if i == 0 else plot.high)
        parts.append(_hit(x, y1, width, y0 - y1, _tip(b, extreme if overflow else "")))
    parts.append("</svg>")
    return "".join(parts)


def _band(b: Bin, x: float, y0: float, y1: float, where: str, tip: str) -> list[str]:
    """The overflow band beyond one end of the axis: shares as bars (full height 100%)
    and as numbers, the values it holds under it."""
    height = y0 - y1
    bar = BAND_WIDTH / 2 - 6
    parts = [f'<rect class="band" x="{_c(x)}" y="{_c(y1)}" width="{BAND_WIDTH}" '
             f'height="{_c(height)}"/>',
             _text(x + BAND_WIDTH / 2, y1 - 4, where, cls="band-title")]
    for k, (cls, share) in enumerate((("ref", b.ref), ("cur", b.cur))):
        parts.append(f'<rect class="band {cls}" x="{_c(x + 4 + k * (bar + 4))}" '
                     f'y="{_c(y0 - share * height)}" width="{_c(bar)}" '
                     f'height="{_c(share * height)}"/>')
        parts.append(_text(x + BAND_WIDTH / 2, y1 + 12 + 11 * k, _pct(share), cls=f"{cls}-t"))
    if where == "below":  # the label runs into the plot, not off the edge
        parts.append(_text(x, y0 + 15, b.label, anchor="start"))
    else:
        parts.append(_text(x + BAND_WIDTH, y0 + 15, b.label, anchor="end"))
    parts.append(_hit(x, y1, BAND_WIDTH, height, tip))
    return parts


def _extreme(which: str, value: float | None) -> str:
    """What an overflow tooltip says of the value range: "beyond the axis; lowest 7658"."""
    return "beyond the axis" + ("" if value is None else f"; {which} {value:.6g}")


def _tip(b: Bin, note: str = "") -> str:
    where = f" ({note})" if note else ""
    return f"{b.label}{where}: reference {_pct(b.ref)}, current {_pct(b.cur)}"


# -- categorical plots ------------------------------------------------------------------------
def _capped(categories: list[str], ref: list[float], cur: list[float]
            ) -> tuple[list[str], list[float], list[float]]:
    """At most MAX_CATEGORY_BARS categories: the largest, then the rest summed."""
    if len(categories) <= MAX_CATEGORY_BARS:
        return categories, ref, cur
    keep = sorted(range(len(categories)), key=lambda i: -max(ref[i], cur[i]))
    kept, rest = sorted(keep[:MAX_CATEGORY_BARS - 1]), keep[MAX_CATEGORY_BARS - 1:]
    return ([categories[i] for i in kept] + [f"({len(rest)} others)"],
            [ref[i] for i in kept] + [sum(ref[i] for i in rest)],
            [cur[i] for i in kept] + [sum(cur[i] for i in rest)])


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[:MAX_LABEL_CHARS - 1] + "\u2026"


def categorical_svg(name: str, dist: Mapping[str, Any], *, section: str = "columns") -> str:
    """Reference vs batch shares of one categorical column, as grouped horizontal bars."""
    categories = ["(null)" if c is None else str(c) for c in dist.get("categories") or []]
    ref, cur = fractions(dist.get("ref") or []), fractions(dist.get("cur") or [])
    if not categories or not len(categories) == len(ref) == len(cur):
        raise ValueError(f"categorical distribution of '{name}' needs categories, ref and cur of "
                         f"one length, got {len(categories)}, {len(ref)}, {len(cur)}")
    categories, ref, cur = _capped(categories, ref, cur)
    top, bottom = 10, 30
    x0, x1 = LABEL_WIDTH, PLOT_WIDTH - 24  # room for the last tick's label
    height = top + ROW_HEIGHT * len(categories) + bottom
    y_end = top + ROW_HEIGHT * len(categories)
    top_value = max(max(ref), max(cur)) * 1.05 or 1.0
    sx = lambda v: x0 + v / top_value * (x1 - x0)  # noqa: E731
    parts = [_svg_open(name, section, PLOT_WIDTH, height,
                       f"{name}: reference vs current category shares")]
    for t in nice_ticks(0.0, top_value, 4):
        parts.append(f'<line class="grid" x1="{_c(sx(t))}" y1="{top}" x2="{_c(sx(t))}" '
                     f'y2="{y_end}"/>')
        parts.append(_x_tick(sx(t), y_end, _pct(t)))
    parts.append(f'<line class="axis" x1="{x0}" y1="{top}" x2="{x0}" y2="{y_end}"/>')
    bar = (ROW_HEIGHT - 4) / 2
    for i, label in enumerate(categories):
        y = top + i * ROW_HEIGHT + 2
        tip = esc(f"{label}: reference {_pct(ref[i])}, current {_pct(cur[i])}")
        parts.append(f'<text x="{x0 - 6}" y="{_c(y + bar + 3)}" text-anchor="end">'
                     f"{esc(_short(label))}<title>{tip}</title></text>")
        for cls, value, dy in (("ref", ref[i], 0.0), ("cur", cur[i], bar)):
            parts.append(f'<rect class="mark {cls}" x="{x0}" y="{_c(y + dy)}" '
                         f'width="{_c(sx(value) - x0)}" height="{_c(bar)}"><title>{tip}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


# -- svg pieces ---------------------------------------------------------------------------------
def _svg_open(name: str, section: str, width: int, height: int, title: str) -> str:
    return (f'<svg data-column="{esc(name)}" '
            f'data-section="{esc(section)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img"><title>{esc(title)}</title>')


def _axes(x0: float, x1: float, y0: float, y1: float, top_value: float, title: str
          ) -> list[str]:
    """Both axes, the y ticks (values in %) with grid lines, and the y title above."""
    parts = [f'<line class="axis" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}"/>',
             f'<line class="axis" x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}"/>']
    for t in nice_ticks(0.0, top_value, 4):
        y = y0 - t / top_value * (y0 - y1)
        if t > 0:
            parts.append(f'<line class="grid" x1="{x0}" y1="{_c(y)}" x2="{x1}" y2="{_c(y)}"/>')
        parts.append(f'<line class="axis" x1="{_c(x0 - 4)}" y1="{_c(y)}" x2="{x0}" '
                     f'y2="{_c(y)}"/>'
                     f'<text class="y-tick" x="{_c(x0 - 6)}" y="{_c(y + 3)}" '
                     f'text-anchor="end">{esc(_pct_tick(t))}</text>')
    parts.append(_text(x0 - 4, y1 - 9, title, anchor="start", cls="y-title"))
    return parts


def _x_tick(x: float, y: float, label: str) -> str:
    return (f'<line class="axis" x1="{_c(x)}" y1="{_c(y)}" x2="{_c(x)}" y2="{_c(y + 4)}"/>'
            + _text(x, y + 15, label))


def _text(x: float, y: float, text: str, *, anchor: str = "middle", cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f'<text{attr} x="{_c(x)}" y="{_c(y)}" text-anchor="{anchor}">{esc(text)}</text>'


def _hit(x: float, y: float, width: float, height: float, tip: str) -> str:
    return (f'<rect class="hit" x="{_c(x)}" y="{_c(y)}" width="{_c(max(width, 0.5))}" '
            f'height="{_c(height)}"><title>{esc(tip)}</title></rect>')


def plot_svg(name: str, dist: Mapping[str, Any], *, section: str = "columns") -> str:
    """The plot for one column, by the distribution's type."""
    kind = dist.get("type")
    if kind == "numeric":
        return numeric_svg(name, dist, section=section)
    if kind == "categorical":
        return categorical_svg(name, dist, section=section)
    raise ValueError(f"distribution of '{name}' has unknown type {kind!r} "
                     f"(valid: numeric, categorical)")
