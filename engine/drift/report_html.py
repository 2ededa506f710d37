"""A drift report as one self-contained HTML page: summary, table, a plot per column.

The page opens offline: styles and the one small script are inline, plots are inline SVG
(:mod:`driftline.engine.drift.report_svg`; no fonts or scripts from the network; a Content
Security Policy forbids loading anything).  Every string that comes from the data (column
names, categories, the batch source) is HTML-escaped.

Plots compare the reference distribution with the batch's, per column, drifted columns
first; each legend names the reference: for features and the label the baseline run's
profile that the check used (``reference`` of the report: a split, or ``all`` for the
development data), for the model output the baseline model's outputs on its test split
(where the run records them: every splitter returns a test part).

On load, an inline script measures each plot's marks (``getBBox``) and writes, per column,
how many have a non-zero size into ``<pre id="render-check">`` as JSON -- the rendering
test reads it from a headless browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from driftline.engine.drift.report_svg import esc as _e
from driftline.engine.drift.report_svg import plot_svg
from driftline.engine.drift.report_text import (
    HEADERS,
    batch_line,
    column_cells,
    fmt_num,
    fmt_p,
    label_line,
    output_line,
    p_shown,
    rule_text,
    verdict_line,
)

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
svg rect.band { fill: #f4f5f6; stroke: #9aa0a6; stroke-width: 1; stroke-dasharray: 3 2; }
.swatch.band { background: #f4f5f6; border: 1px dashed #9aa0a6; }
svg .ref { fill: var(--ref-fill); stroke: var(--ref); stroke-width: 1; }
svg rect.ref { fill: var(--ref); stroke: none; }
svg .cur { fill: none; stroke: var(--cur); stroke-width: 2; }
svg rect.cur { fill: var(--cur); stroke: none; }
svg .axis { stroke: #9aa0a6; stroke-width: 1; } svg .grid { stroke: #eceff1; stroke-width: 1; }
svg text { font: 10px system-ui, sans-serif; fill: var(--muted); }
svg text.ref-t { fill: #3d5f8c; font-weight: 600; } svg text.cur-t { fill: var(--cur);
  font-weight: 600; } svg text.band-title { font-size: 9px; }
svg text.y-title { fill: #3c4043; }
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
    band = ('<span class="swatch band"></span>dashed band: beyond the axis'
            if 'class="band"' in body else "")
    legend = (f'<p class="legend"><span class="swatch ref"></span>reference: {_e(reference)}'
              f'<span class="swatch cur"></span>current batch{band}</p>')
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


#: What the model-output plots compare with: the run records its outputs on the test split
#: (engine/run/pipeline.py; every splitter returns one).
OUTPUT_REFERENCE = "the baseline model's outputs on its test split (held out from training)"


def reference_text(report: Mapping[str, Any]) -> str:
    """The reference of the feature and label plots, in words: the profile the check used."""
    name = str(report.get("reference") or "train")
    if name == "all":
        return "the baseline run's development data (all splits)"
    return f"the baseline run's {name} split"


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
    reference = reference_text(report)
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
                              OUTPUT_REFERENCE))
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
