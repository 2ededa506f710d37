"""A drift report as one self-contained HTML page: summary, table, a plot per column.

The page opens offline: styles and the one small script are inline, plots are inline SVG
drawn here (no plotting library, no fonts or scripts from the network; a Content Security
Policy forbids loading anything).  Every string that comes from the data (column names,
categories, the batch source) is HTML-escaped.

Plots compare the reference distribution (the baseline run's profile named in the legend)
with the batch's, per column, drifted columns first.  ``distributions`` maps a column name to::

    {"type": "numeric", "edges": [...], "ref": [...], "cur": [...]}   # fractions per bin
    {"type": "categorical", "categories": [...], "ref": [...], "cur": [...]}

* numeric: step histograms of the density (fraction / bin width) on the value axis, the
  reference filled and the batch as a line.  An open outer bin (edge -inf, +inf or None)
  ends at the optional ``"min"`` / ``"max"`` of the distribution (the value range of
  reference and batch together) or else is drawn as wide as its neighbour.  When the edges cannot be placed on a value axis (fewer than
  two finite edges, or not increasing) the bins are drawn side by side with equal widths.
* categorical: horizontal grouped bars (reference, batch) per category, the
  :data:`MAX_CATEGORY_BARS` - 1 largest shown and the rest summed into one bar.

Every plot is an ``<svg data-column="NAME" data-section="columns|output|label">`` whose first
child is a ``<title>``; its marks carry the classes ``mark ref`` / ``mark cur``.  On load,
an inline script measures each plot's marks (``getBBox``) and writes, per column, how many
have a non-zero size into ``<pre id="render-check">`` as JSON — the rendering test reads it
from a headless browser.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from driftline.engine.drift.report_text import (
    HEADERS,
    batch_line,
    column_cells,
    finite,
    fmt_num,
    fmt_p,
    label_line,
    output_line,
    p_shown,
    rule_text,
    verdict_line,
)

#: Size of a numeric plot (SVG user units = CSS pixels at 100%).
PLOT_WIDTH = 480
PLOT_HEIGHT = 200
#: Plot margins: left (y labels), right, top, bottom (x labels).
MARGIN = (44, 14, 10, 30)
#: Categorical plots: width of the label area, height of one category row.
LABEL_WIDTH = 130
ROW_HEIGHT = 18
#: Most bars in a categorical plot (the smallest categories beyond it are summed).
MAX_CATEGORY_BARS = 25
#: Category labels longer than this are shortened (the full name is in the tooltip).
MAX_LABEL_CHARS = 18

_CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "img-src data:")

_CSS = """
:root { --ref: #7f9cc0; --ref-fill: rgba(127,156,192,.35); --cur: #e0662a; --drift: #b3261e;
        --ok: #2e7d32; --muted: #5f6368; --line: #dadce0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #202124;
       margin: 0 auto; padding: 24px; max-width: 1200px; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 17px; margin: 28px 0 10px; }
.verdict { padding: 10px 14px; border-radius: 6px; font-weight: 600; margin: 8px 0 12px; }
.verdict.drift { background: #fce8e6; color: var(--drift); }
.verdict.ok { background: #e6f4ea; color: var(--ok); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left;
         white-space: nowrap; }
th { font-weight: 600; color: var(--muted); } td.num { text-align: right; }
tr.drift td { background: #fdf3f2; } tr.drift td.flag { color: var(--drift); font-weight: 700; }
a { color: inherit; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 16px; }
figure { margin: 0; padding: 10px 12px; border: 1px solid var(--line); border-radius: 6px; }
figure.drift { border-color: var(--drift); }
figcaption { margin-bottom: 6px; } figcaption .name { font-weight: 600; overflow-wrap: anywhere; }
figcaption .facts { color: var(--muted); font-size: 12px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px;
         font-weight: 700; color: #fff; background: var(--drift); margin-left: 6px; }
.legend { font-size: 12px; color: var(--muted); margin: 6px 0 0; }
.swatch { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px;
          vertical-align: -1px; }
.swatch.ref { background: var(--ref-fill); border: 1px solid var(--ref); }
.swatch.cur { background: var(--cur); }
svg { display: block; max-width: 100%; height: auto; }
svg .ref { fill: var(--ref-fill); stroke: var(--ref); stroke-width: 1; }
svg rect.ref { fill: var(--ref); stroke: none; }
svg .cur { fill: none; stroke: var(--cur); stroke-width: 2; }
svg rect.cur { fill: var(--cur); stroke: none; }
svg .axis { stroke: #9aa0a6; stroke-width: 1; } svg .grid { stroke: #eceff1; stroke-width: 1; }
svg text { font: 10px system-ui, sans-serif; fill: var(--muted); }
svg .hit { fill: transparent; stroke: none; } svg .hit:hover { fill: rgba(0,0,0,.06); }
.note { color: var(--muted); font-style: italic; }
#render-check { display: none; }
"""

# Measures every plot's marks once the page is laid out (see the module docstring).
_CHECK_SCRIPT = """
(function () {
  var result = {};
  var plots = document.querySelectorAll("svg[data-column]");
  for (var i = 0; i < plots.length; i++) {
    var svg = plots[i];
    var key = svg.getAttribute("data-column");
    var section = svg.getAttribute("data-section");
    if (section !== "columns") { key = section + ":" + key; }
    var box = svg.getBoundingClientRect();
    var entry = {width: Math.round(box.width), height: Math.round(box.height),
                 marks: 0, ref: 0, cur: 0};
    var marks = svg.querySelectorAll(".mark");
    for (var j = 0; j < marks.length; j++) {
      var b = marks[j].getBBox();
      entry.marks += 1;
      if (b.width > 0 && b.height > 0) {
        if (marks[j].classList.contains("ref")) { entry.ref += 1; }
        if (marks[j].classList.contains("cur")) { entry.cur += 1; }
      }
    }
    result[key] = entry;
  }
  document.getElementById("render-check").textContent = JSON.stringify(result);
})();
"""


# -- small helpers ----------------------------------------------------------------------------
def _e(value: Any) -> str:
    """HTML-escape any value for text or a quoted attribute."""
    return escape(str(value), quote=True)


def _c(value: float) -> str:
    """An SVG coordinate."""
    return f"{value:.1f}"


def _fractions(values: Sequence[Any]) -> list[float]:
    return [max(finite(v) or 0.0, 0.0) for v in values]


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def _tick_label(value: float) -> str:
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:.4g}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) within [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    ticks, k = [], 0
    while first + k * step <= hi + step * 1e-9:
        ticks.append(round(first + k * step, 12))
        k += 1
    return ticks


# -- numeric plots ------------------------------------------------------------------------------
def _value_edges(edges: Sequence[Any], lo: Any = None, hi: Any = None) -> list[float] | None:
    """Edges placed on a value axis, or None when they cannot be.

    An outer edge may be open: -inf / +inf, or None (what JSON made of them).  An open edge
    goes to ``lo`` / ``hi`` (the value range) when given and outside the inner edges, else
    one neighbouring bin width out.
    """
    xs = [_edge(e, open_as=-math.inf if i == 0 else math.inf if i == len(edges) - 1 else math.nan)
          for i, e in enumerate(edges)]
    if len(xs) < 2 or any(math.isnan(x) for x in xs) or not all(map(math.isfinite, xs[1:-1])):
        return None
    lo, hi = finite(lo), finite(hi)
    if xs[0] == -math.inf and len(xs) >= 3:
        if lo is not None and lo < xs[1]:
            xs[0] = lo
        elif math.isfinite(xs[2]):
            xs[0] = xs[1] - (xs[2] - xs[1])
    if xs[-1] == math.inf and len(xs) >= 3:
        if hi is not None and hi > xs[-2]:
            xs[-1] = hi
        elif math.isfinite(xs[-3]):
            xs[-1] = xs[-2] + (xs[-2] - xs[-3])
    if not all(map(math.isfinite, xs)) or any(b <= a for a, b in zip(xs, xs[1:])):
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


def _bin_label(edges: Sequence[Any], i: int) -> str:
    lo, hi = finite(edges[i]), finite(edges[i + 1])
    return f"{'-inf' if lo is None else f'{lo:.4g}'} .. {'+inf' if hi is None else f'{hi:.4g}'}"


def numeric_svg(name: str, dist: Mapping[str, Any], *, section: str = "columns") -> str:
    """Reference vs batch step histograms of one numeric column."""
    edges = list(dist.get("edges") or [])
    ref, cur = _fractions(dist.get("ref") or []), _fractions(dist.get("cur") or [])
    if not ref or len(ref) != len(cur) or len(edges) != len(ref) + 1:
        raise ValueError(f"numeric distribution of '{name}' needs len(edges) == len(ref) + 1 == "
                         f"len(cur) + 1, got {len(edges)}, {len(ref)}, {len(cur)}")
    xs = _value_edges(edges, dist.get("min"), dist.get("max"))
    by_value = xs is not None
    if xs is None:
        xs = [float(i) for i in range(len(ref) + 1)]
    widths = [b - a for a, b in zip(xs, xs[1:])]
    ref_h = [f / w for f, w in zip(ref, widths)] if by_value else ref
    cur_h = [f / w for f, w in zip(cur, widths)] if by_value else cur
    left, right, top, bottom = MARGIN
    x0, x1 = left, PLOT_WIDTH - right
    y0, y1 = PLOT_HEIGHT - bottom, top
    top_value = max(max(ref_h), max(cur_h)) * 1.08 or 1.0
    sx = lambda v: x0 + (v - xs[0]) / (xs[-1] - xs[0]) * (x1 - x0)  # noqa: E731
    sy = lambda v: y0 - v / top_value * (y0 - y1)  # noqa: E731

    def step(heights: list[float], closed: bool) -> str:
        pts = [f"M{_c(sx(xs[0]))},{_c(y0)}"]
        for i, h in enumerate(heights):
            pts.append(f"L{_c(sx(xs[i]))},{_c(sy(h))}L{_c(sx(xs[i + 1]))},{_c(sy(h))}")
        pts.append(f"L{_c(sx(xs[-1]))},{_c(y0)}" + ("Z" if closed else ""))
        return "".join(pts)

    parts = [_svg_open(name, section, PLOT_WIDTH, PLOT_HEIGHT,
                       f"{name}: reference vs current distribution")]
    parts += _grid_and_axes(x0, x1, y0, y1)
    if by_value:
        for t in nice_ticks(xs[0], xs[-1]):
            parts.append(_x_tick(sx(t), y0, _tick_label(t)))
        parts.append(_axis_title(x0 - 6, y1 + 8, "density", anchor="end"))
    else:
        for t in nice_ticks(0.0, top_value):
            parts.append(_y_tick(x0, sy(t), _pct(t)))
        parts.append(_axis_title((x0 + x1) / 2, y0 + 24, "reference bins (equal widths)"))
    parts.append(f'<path class="mark ref" d="{step(ref_h, True)}"/>')
    parts.append(f'<path class="mark cur" d="{step(cur_h, False)}"/>')
    for i in range(len(ref)):
        tip = f"{_bin_label(edges, i)}: reference {_pct(ref[i])}, current {_pct(cur[i])}"
        parts.append(f'<rect class="hit" x="{_c(sx(xs[i]))}" y="{_c(y1)}" '
                     f'width="{_c(max(sx(xs[i + 1]) - sx(xs[i]), 0.5))}" height="{_c(y0 - y1)}">'
                     f"<title>{_e(tip)}</title></rect>")
    parts.append("</svg>")
    return "".join(parts)


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
    ref, cur = _fractions(dist.get("ref") or []), _fractions(dist.get("cur") or [])
    if not categories or not len(categories) == len(ref) == len(cur):
        raise ValueError(f"categorical distribution of '{name}' needs categories, ref and cur of "
                         f"one length, got {len(categories)}, {len(ref)}, {len(cur)}")
    categories, ref, cur = _capped(categories, ref, cur)
    _, right, top, bottom = MARGIN
    x0, x1 = LABEL_WIDTH, PLOT_WIDTH - right
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
        tip = _e(f"{label}: reference {_pct(ref[i])}, current {_pct(cur[i])}")
        parts.append(f'<text x="{x0 - 6}" y="{_c(y + bar + 3)}" text-anchor="end">'
                     f"{_e(_short(label))}<title>{tip}</title></text>")
        for cls, value, dy in (("ref", ref[i], 0.0), ("cur", cur[i], bar)):
            parts.append(f'<rect class="mark {cls}" x="{x0}" y="{_c(y + dy)}" '
                         f'width="{_c(sx(value) - x0)}" height="{_c(bar)}"><title>{tip}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


# -- svg pieces ---------------------------------------------------------------------------------
def _svg_open(name: str, section: str, width: int, height: int, title: str) -> str:
    return (f'<svg data-column="{_e(name)}" '
            f'data-section="{_e(section)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img"><title>{_e(title)}</title>')


def _grid_and_axes(x0: float, x1: float, y0: float, y1: float) -> list[str]:
    return [f'<line class="grid" x1="{x0}" y1="{y1}" x2="{x1}" y2="{y1}"/>',
            f'<line class="axis" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}"/>',
            f'<line class="axis" x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}"/>']


def _x_tick(x: float, y: float, label: str) -> str:
    return (f'<line class="axis" x1="{_c(x)}" y1="{_c(y)}" x2="{_c(x)}" y2="{_c(y + 4)}"/>'
            f'<text x="{_c(x)}" y="{_c(y + 15)}" text-anchor="middle">{_e(label)}</text>')


def _y_tick(x: float, y: float, label: str) -> str:
    return (f'<line class="axis" x1="{_c(x - 4)}" y1="{_c(y)}" x2="{_c(x)}" y2="{_c(y)}"/>'
            f'<text x="{_c(x - 6)}" y="{_c(y + 3)}" text-anchor="end">{_e(label)}</text>')


def _axis_title(x: float, y: float, text: str, *, anchor: str = "middle") -> str:
    return f'<text x="{_c(x)}" y="{_c(y)}" text-anchor="{anchor}">{_e(text)}</text>'


def plot_svg(name: str, dist: Mapping[str, Any], *, section: str = "columns") -> str:
    """The plot for one column, by the distribution's type."""
    kind = dist.get("type")
    if kind == "numeric":
        return numeric_svg(name, dist, section=section)
    if kind == "categorical":
        return categorical_svg(name, dist, section=section)
    raise ValueError(f"distribution of '{name}' has unknown type {kind!r} "
                     f"(valid: numeric, categorical)")


# -- the page ---------------------------------------------------------------------------------
def drifted_first(columns: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drifted columns, then the others, each group in the given (severity) order."""
    return [c for c in columns if c.get("drifted")] + [c for c in columns if not c.get("drifted")]


def _table_html(columns: Sequence[Mapping[str, Any]], anchors: Mapping[int, str]) -> str:
    numeric = {i for i, (_, right) in enumerate(HEADERS) if right}
    head = "".join(f"<th>{_e(h)}</th>" for h, _ in HEADERS)
    rows = []
    for col in columns:
        cells = column_cells(col)
        anchor = anchors.get(id(col))
        cells_html = []
        for i, cell in enumerate(cells):
            text = _e(cell)
            if i == 0 and anchor:
                text = f'<a href="#{anchor}">{text}</a>'
            cls = "num" if i in numeric else ("flag" if i == len(cells) - 1 else "")
            cells_html.append(f'<td class="{cls}">{text}</td>' if cls else f"<td>{text}</td>")
        rows.append(f'<tr class="{"drift" if col.get("drifted") else "ok"}">'
                    f'{"".join(cells_html)}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _figure(col: Mapping[str, Any], dist: Mapping[str, Any] | None, anchor: str,
            section: str, reference: str) -> str:
    name = str(col.get("column", ""))
    badge = '<span class="badge">DRIFT</span>' if col.get("drifted") else ""
    facts = (f"{col.get('type', '')} \u00b7 {col.get('test', '')} {fmt_num(col.get('statistic'))}"
             f" \u00b7 p (adj) {fmt_p(p_shown(col))}"
             f" \u00b7 {col.get('effect_measure') or 'effect'} {fmt_num(col.get('effect_size'))}"
             f" (threshold {fmt_num(col.get('threshold'))})")
    body = (plot_svg(name, dist, section=section) if dist
            else '<p class="note">no distribution recorded for this column</p>')
    legend = (f'<p class="legend"><span class="swatch ref"></span>reference ({_e(reference)})'
              '<span class="swatch cur"></span>current batch</p>')
    return (f'<figure id="{anchor}" class="{"drift" if col.get("drifted") else "ok"}">'
            f'<figcaption><span class="name">{_e(name)}</span>{badge}<br>'
            f'<span class="facts">{_e(facts)}</span></figcaption>{body}{legend}</figure>')


def _meta_html(report: Mapping[str, Any]) -> str:
    batch = report.get("batch") or {}
    settings = report.get("settings") or {}
    critical = settings.get("critical") or []
    items = [
        ("baseline run", report.get("baseline_run") or "?"),
        ("batch", batch.get("source") or "?"),
        ("rows", f"{batch['rows']:,}" if isinstance(batch.get("rows"), int) else "?"),
        ("data hash", batch.get("hash") or "?"),
        ("rule", f"drifted when BH-adjusted p < {fmt_num(settings.get('alpha'))} and effect "
                 f"size >= its margin (numeric {fmt_num(settings.get('numeric_margin'))}, "
                 f"categorical {fmt_num(settings.get('categorical_margin'))}); the batch "
                 f"drifts with {rule_text(report)}"),
        ("critical columns", ", ".join(map(str, critical)) or "(none)"),
    ]
    extra = report.get("extra_columns") or []
    if extra:
        items.append(("ignored columns", ", ".join(map(str, extra))))
    return "<dl class=\"meta\">" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>"


def _section(heading: str, columns: Sequence[Mapping[str, Any]],
             distributions: Mapping[str, Any], prefix: str, section: str,
             reference: str) -> str:
    ordered = drifted_first(columns)
    anchors = {id(c): f"{prefix}-{i}" for i, c in enumerate(ordered)}
    figures = "".join(_figure(c, distributions.get(str(c.get("column"))), anchors[id(c)], section,
                              reference)
                      for c in ordered)
    return (f"<section><h2>{_e(heading)}</h2>{_table_html(columns, anchors)}</section>"
            f'<section><h2>{_e(heading)}: reference vs current</h2>'
            f'<div class="grid">{figures}</div></section>')


def render_html(report: Mapping[str, Any], distributions: Mapping[str, Any], *,
                title: str) -> str:
    """The whole page for one drift report (see the module docstring).

    ``distributions`` is keyed by column name, for the model output's columns as well.
    """
    drifted = bool(report.get("drifted"))
    verdict = verdict_line(report)
    output = report.get("output") or {}
    out_line = output_line(report)
    label = report.get("label") or {}
    lab_line = label_line(report)
    reference = f"baseline run's {report.get('reference') or 'train'} profile"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="verdict {"drift" if drifted else "ok"}">{_e(verdict)}</p>',
        f"<p>{_e(batch_line(report))}</p>",
        *(f"<p>{_e(line)}</p>" for line in [*(report.get("notes") or []), out_line, lab_line]
          if line),
        _meta_html(report), "</header>",
        _section("Columns", report.get("columns") or [], distributions, "plot", "columns",
                 reference),
    ]
    if output.get("columns"):
        parts.append(_section("Model output", output["columns"], distributions, "output", "output",
                              "the model's outputs on its held-out split"))
    if label.get("columns"):
        parts.append(_section("Label (the target, not a feature)", label["columns"], distributions,
                              "label", "label", reference))
    parts += ['<pre id="render-check"></pre>', f"<script>{_CHECK_SCRIPT}</script>",
              "</body></html>"]
    return "\n".join(parts) + "\n"


def write_html(path: str | Path, html: str) -> None:
    """Write the page atomically (a reader sees the old file or the whole new one)."""
    from driftline.engine.lineage.atomic import atomic_write_text
    from driftline.engine.errors import UsageError

    try:
        atomic_write_text(Path(path), html)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {path}: {exc.strerror or exc}; "
                         f"choose a writable path for --report.") from exc
