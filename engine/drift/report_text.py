"""A drift report for the terminal (a table sorted by severity) and for scripts (JSON).

Both render the plain-dict report a drift check produces::

    {"drifted", "reasons", "share", "importance_share", "baseline_run", "reference",
     "batch": {"hash", "rows", "rows_prepared", "source"},
     "settings": {"alpha", "numeric_margin", "categorical_margin", "share",
                  "importance_share", "critical", "output_critical", "label_critical",
                  "reference"},
     "columns": [{"column", "type", "test", "statistic", "p_value", "p_adjusted",
                  "effect_size", "effect_measure", "threshold", "drifted", "definition",
                  "critical"}, ...],
     "output": None | {"drifted", "columns": [...]},
     "label": None | {"drifted", "columns": [...], "note"?}, "extra_columns": [...],
     "notes"?: [...]}

The columns arrive sorted by severity; the table keeps that order.  The helpers that turn
one column into cells (:func:`column_cells`) and the verdict into words
(:func:`verdict_line`) are shared with the HTML report, so both say the same thing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

#: Table headers, and whether each column is right-aligned (numbers).
HEADERS: tuple[tuple[str, bool], ...] = (
    ("column", False), ("type", False), ("test", False), ("statistic", True),
    ("p (adj)", True), ("effect", True), ("", False), ("threshold", True),
    ("measure", False), ("drift", False),
)
#: Shown for a missing, NaN or infinite number.
MISSING = "-"
#: How many column names a verdict or note lists before "... and N more".
MAX_NAMED = 8

#: Key order of the JSON document; keys not listed follow in sorted order.
TOP_KEYS = ("drifted", "reasons", "share", "importance_share", "baseline_run", "reference",
            "check_id", "batch", "settings", "columns", "output", "label", "extra_columns",
            "notes")
COLUMN_KEYS = ("column", "type", "test", "statistic", "p_value", "p_adjusted", "effect_size",
               "effect_measure", "threshold", "drifted", "critical", "definition")
BATCH_KEYS = ("source", "rows", "rows_prepared", "hash")
SETTINGS_KEYS = ("alpha", "numeric_margin", "categorical_margin", "share", "importance_share",
                 "critical", "output_critical", "label_critical", "reference")
OUTPUT_KEYS = ("drifted", "columns")


# -- numbers ------------------------------------------------------------------------------
def finite(value: Any) -> float | None:
    """``value`` as a float, or None when it is missing, not a number, NaN or infinite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fmt_num(value: Any) -> str:
    """Four significant digits (a statistic, an effect size, a threshold)."""
    number = finite(value)
    return MISSING if number is None else f"{number:.4g}"


def fmt_p(value: Any) -> str:
    """A p-value: two significant digits, exponent form when small."""
    number = finite(value)
    return MISSING if number is None else f"{number:.2g}"


def fmt_percent(part: int, whole: int) -> str:
    if whole <= 0:
        return "0%"
    pct = 100.0 * part / whole
    return f"{pct:.1f}%" if 0 < pct < 1 else f"{pct:.0f}%"


def printable(value: Any) -> str:
    """``value`` as text with control characters escaped (a name cannot break a line)."""
    text = str(value)
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def named(names: Sequence[Any]) -> str:
    """A bounded, comma-separated list of names."""
    shown = ", ".join(printable(n) for n in names[:MAX_NAMED])
    extra = len(names) - MAX_NAMED
    return f"{shown} ... and {extra} more" if extra > 0 else shown


# -- one column, the verdict ----------------------------------------------------------------
def p_shown(col: Mapping[str, Any]) -> Any:
    """The p-value the verdict used: the BH-adjusted one when present."""
    adjusted = col.get("p_adjusted")
    return adjusted if finite(adjusted) is not None else col.get("p_value")


def comparison(col: Mapping[str, Any]) -> str:
    """'>=' when the effect size reaches the threshold, '<' when not, '' when unknown."""
    effect, threshold = finite(col.get("effect_size")), finite(col.get("threshold"))
    if effect is None or threshold is None:
        return ""
    return ">=" if effect >= threshold else "<"


def drift_marker(col: Mapping[str, Any]) -> str:
    if col.get("drifted"):
        return "DRIFT critical" if col.get("critical") else "DRIFT"
    return "critical" if col.get("critical") else ""


def column_cells(col: Mapping[str, Any]) -> list[str]:
    """One table row, in the order of :data:`HEADERS`."""
    return [
        printable(col.get("column", "")), str(col.get("type", "")), str(col.get("test", "")),
        fmt_num(col.get("statistic")), fmt_p(p_shown(col)), fmt_num(col.get("effect_size")),
        comparison(col), fmt_num(col.get("threshold")), str(col.get("effect_measure") or ""),
        drift_marker(col),
    ]


def drifted_names(columns: Sequence[Mapping[str, Any]], *, critical_only: bool = False) -> list[str]:
    return [str(c.get("column")) for c in columns
            if c.get("drifted") and (c.get("critical") or not critical_only)]


def verdict_line(report: Mapping[str, Any]) -> str:
    """'drift detected: 2 of 30 columns (6.7%, 41% of feature importance) drifted; ...' or
    'no drift: ...', with the reasons the check recorded."""
    columns = report.get("columns") or []
    drifted = drifted_names(columns)
    weight = finite(report.get("importance_share"))
    weight_text = f", {weight * 100:.0f}% of feature importance" if weight is not None else ""
    count = (f"{len(drifted)} of {len(columns)} columns "
             f"({fmt_percent(len(drifted), len(columns))}{weight_text})")
    if not report.get("drifted"):
        below = ("" if not drifted else f", below the verdict rule ({rule_text(report)})")
        return f"no drift: {count} drifted{below}"
    reasons = [str(r) for r in report.get("reasons") or []]
    return f"drift detected: {count} drifted" + (f"; {'; '.join(reasons)}" if reasons else "")


def rule_text(report: Mapping[str, Any]) -> str:
    """The dataset verdict rule of the check's settings, in words."""
    settings = report.get("settings") or {}
    share = finite(settings.get("share"))
    weight = finite(settings.get("importance_share"))
    rules = []
    if share is not None:
        rules.append(f"at least {share * 100:g}% of the columns")
    if weight is not None:
        rules.append(f"columns holding at least {weight * 100:g}% of the feature importance")
    text = " or ".join(rules) if rules else "any feature column"
    text += ", or any critical column"
    if settings.get("output_critical", True):
        text += ", or the model output"
    if settings.get("label_critical"):
        text += ", or the label"
    return text


def output_line(report: Mapping[str, Any]) -> str | None:
    """One line about the model's output distribution, or None when it was not checked."""
    output = report.get("output")
    if not output:
        return None
    drifted = drifted_names(output.get("columns") or [])
    if output.get("drifted"):
        return f"model output drifted: {named(drifted) or 'yes'}"
    return "model output: no drift"


def label_line(report: Mapping[str, Any]) -> str | None:
    """One line about the label (the target column), or None when the run has no label
    profile."""
    label = report.get("label")
    if not label:
        return None
    if label.get("drifted") is None:
        return str(label.get("note") or "label drift not checked")
    drifted = drifted_names(label.get("columns") or [])
    counted = "" if (report.get("settings") or {}).get("label_critical") else \
        " (reported, not part of the verdict: drift.label_critical)"
    if label.get("drifted"):
        return f"label drifted: {named(drifted) or 'yes'}{counted}"
    return "label: no drift"


def batch_line(report: Mapping[str, Any]) -> str:
    batch = report.get("batch") or {}
    digest = str(batch.get("hash") or "")[:12]
    rows, prepared = batch.get("rows"), batch.get("rows_prepared")
    rows_text = f"{rows:,} rows" if isinstance(rows, int) else "? rows"
    if isinstance(rows, int) and isinstance(prepared, int) and prepared != rows:
        rows_text += f", {prepared:,} after the transforms ({rows - prepared:,} removed)"
    reference = report.get("reference")
    against = f" ({reference} profile)" if reference else ""
    return (f"batch {printable(batch.get('source') or '?')} ({rows_text}, hash {digest or '?'}) "
            f"against baseline run {str(report.get('baseline_run') or '?')[:12]}{against}")


# -- the terminal table ---------------------------------------------------------------------
def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    headers = [h for h, _ in HEADERS]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if right else c.ljust(w)
                         for c, w, (_, right) in zip(cells, widths, HEADERS)).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render_table(report: Mapping[str, Any]) -> str:
    """The report for a terminal: header, one row per column by severity, verdict."""
    lines = [batch_line(report), ""]
    lines += _table([column_cells(c) for c in report.get("columns") or []])
    output = report.get("output")
    if output and output.get("columns"):
        lines += ["", "model output (the baseline model's predictions on the batch):"]
        lines += _table([column_cells(c) for c in output["columns"]])
    label = report.get("label")
    if label and label.get("columns"):
        lines += ["", "label (the target column, not a feature):"]
        lines += _table([column_cells(c) for c in label["columns"]])
    extra = list(report.get("extra_columns") or [])
    lines.append("")
    if extra:
        lines.append(f"ignored {len(extra)} column(s) not in the baseline: {named(extra)}")
    lines += [str(n) for n in report.get("notes") or []]
    for line in (output_line(report), label_line(report)):
        if line:
            lines.append(line)
    lines.append(verdict_line(report))
    return "\n".join(lines)


# -- JSON -----------------------------------------------------------------------------------
_KEY_ORDER: dict[str, tuple[str, ...]] = {
    "": TOP_KEYS, "batch": BATCH_KEYS, "settings": SETTINGS_KEYS, "output": OUTPUT_KEYS,
    "label": OUTPUT_KEYS,
    "columns[]": COLUMN_KEYS,
}


def _ordered(mapping: Mapping[Any, Any], order: Sequence[str]) -> list[Any]:
    known = [k for k in order if k in mapping]
    rest = sorted((k for k in mapping if k not in order), key=str)
    return known + rest


def _plain(value: Any, where: str) -> Any:
    """JSON-ready data: finite numbers or null, keys in a fixed order, numpy scalars unwrapped."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        order = _KEY_ORDER.get(where, ())
        return {str(k): _plain(value[k], str(k)) for k in _ordered(value, order)}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[]") for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def render_json(report: Mapping[str, Any]) -> str:
    """The report as JSON for scripts: NaN and infinities become null; stable key order."""
    return json.dumps(_plain(report, ""), indent=2, allow_nan=False, ensure_ascii=False)
