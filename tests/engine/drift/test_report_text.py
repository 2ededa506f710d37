"""The terminal table and the JSON document of a drift report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from driftline.engine.drift.report_text import render_json, render_table, verdict_line

SETTINGS = {"alpha": 0.05, "numeric_margin": 0.05, "categorical_margin": 0.1, "share": None,
            "importance_share": None, "critical": ["grade"], "output_critical": True}
SIX = "shifted_0, shifted_1, shifted_2, shifted_3, shifted_4, grade"


def column(name: str, *, drifted: bool, kind: str = "numeric", p: float = 0.5,
           effect: float = 0.01, critical: bool = False) -> dict:
    numeric = kind == "numeric"
    return {"column": name, "type": kind, "test": "ks" if numeric else "chi2",
            "statistic": 0.0123 if numeric else 104.25, "p_value": p / 10, "p_adjusted": p,
            "effect_size": effect, "effect_measure": "wasserstein_std" if numeric else "psi",
            "threshold": 0.05 if numeric else 0.1, "drifted": drifted,
            "definition": "see stats.py", "critical": critical}


def hard_case_report() -> dict:
    """30 columns, 6 drifted (one of them critical), sorted by severity."""
    cols = [column(f"shifted_{i}", drifted=True, p=1e-30, effect=0.1) for i in range(5)]
    cols.append(column("grade", kind="categorical", drifted=True, p=2e-12, effect=0.13,
                       critical=True))
    cols += [column(f"calm_{i}", drifted=False, p=0.9, effect=0.004) for i in range(24)]
    return {"drifted": True, "share": 0.2, "importance_share": 0.4125,
            "reasons": [f"feature column drifted: {SIX}", "critical column drifted: grade"],
            "baseline_run": "0123456789abcdef0123",
            "batch": {"hash": "ab" * 32, "rows": 1_000_000, "source": "batch.parquet"},
            "settings": SETTINGS, "columns": cols, "output": None, "extra_columns": []}


def table_rows(text: str) -> list[str]:
    """The data rows of the first table (after the dashes line, up to a blank line)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    end = lines.index("", start)
    return lines[start:end]


def test_table_keeps_severity_order_and_marks_drift():
    report = hard_case_report()
    rows = table_rows(render_table(report))
    assert [r.split()[0] for r in rows] == [c["column"] for c in report["columns"]]
    assert [r.endswith(("DRIFT", "DRIFT critical")) for r in rows] == [True] * 6 + [False] * 24
    assert rows[5].endswith("DRIFT critical")


def test_table_row_shows_adjusted_p_and_effect_against_threshold():
    rows = table_rows(render_table(hard_case_report()))
    assert rows[0].split() == ["shifted_0", "numeric", "ks", "0.0123", "1e-30", "0.1", ">=",
                               "0.05", "wasserstein_std", "DRIFT"]
    assert rows[5].split() == ["grade", "categorical", "chi2", "104.2", "2e-12", "0.13", ">=",
                               "0.1", "psi", "DRIFT", "critical"]
    assert rows[6].split() == ["calm_0", "numeric", "ks", "0.0123", "0.9", "0.004", "<", "0.05",
                               "wasserstein_std"]


def test_numbers_are_right_aligned_in_their_column():
    rows = table_rows(render_table(hard_case_report()))
    ends = {r.index("0.0123") + len("0.0123") for r in rows if "0.0123" in r}
    assert len(ends) == 1


def test_verdict_names_count_importance_share_and_reasons():
    assert render_table(hard_case_report()).splitlines()[-1] == (
        "drift detected: 6 of 30 columns (20%, 41% of feature importance) drifted; "
        f"feature column drifted: {SIX}; critical column drifted: grade")


def test_verdict_without_importance_leaves_it_out():
    report = hard_case_report()
    report["importance_share"] = None
    assert verdict_line(report).startswith("drift detected: 6 of 30 columns (20%) drifted; ")


def test_verdict_by_share():
    report = hard_case_report()
    for col in report["columns"][:15]:
        col["drifted"], col["critical"] = True, False
    report["settings"] = {**SETTINGS, "share": 0.5}
    report.update(share=15 / 30, importance_share=None,
                  reasons=["at least 50% of the columns drifted"])
    assert verdict_line(report) == ("drift detected: 15 of 30 columns (50%) drifted; "
                                    "at least 50% of the columns drifted")


def test_no_drift_verdict_states_the_rule_it_fell_short_of():
    report = hard_case_report()
    for col in report["columns"]:
        col["drifted"] = col is report["columns"][0]
    report["settings"] = {**SETTINGS, "share": 0.5, "importance_share": 0.3}
    report.update(drifted=False, share=1 / 30, importance_share=0.05, reasons=[])
    assert verdict_line(report) == (
        "no drift: 1 of 30 columns (3%, 5% of feature importance) drifted, below the verdict "
        "rule (at least 50% of the columns or columns holding at least 30% of the feature "
        "importance, or any critical column, or the model output)")


def test_no_drift_with_nothing_drifted():
    report = hard_case_report()
    for col in report["columns"]:
        col["drifted"] = False
    report.update(drifted=False, share=0.0, importance_share=0.0, reasons=[])
    assert verdict_line(report) == "no drift: 0 of 30 columns (0%, 0% of feature importance) drifted"


def test_missing_numbers_show_a_dash():
    report = hard_case_report()
    report["columns"][0].update(statistic=float("nan"), p_adjusted=None, p_value=float("inf"),
                                effect_size=None)
    row = table_rows(render_table(report))[0]
    assert row.split()[:6] == ["shifted_0", "numeric", "ks", "-", "-", "-"]
    assert ">=" not in row and "<" not in row


def test_output_section_and_extra_columns():
    report = hard_case_report()
    report["output"] = {"drifted": True, "columns": [
        column("proba_1", drifted=True, p=1e-9, effect=0.2)]}
    report["extra_columns"] = ["note", "loaded_at"]
    text = render_table(report)
    assert "model output (the baseline model's predictions on the batch):" in text
    assert "ignored 2 column(s) not in the baseline: note, loaded_at" in text
    assert "model output drifted: proba_1" in text
    report["reasons"] = ["model output drifted: proba_1"]
    assert render_table(report).splitlines()[-1].endswith("; model output drifted: proba_1")


def test_a_column_name_cannot_break_the_table():
    report = hard_case_report()
    report["columns"][0]["column"] = "bad\nname\x1b[31m"
    rows = table_rows(render_table(report))
    assert len(rows) == 30
    assert rows[0].startswith("bad\\nname\\x1b[31m ")


# -- JSON --------------------------------------------------------------------------------------
def _strict_loads(text: str):
    def refuse(name):
        raise AssertionError(f"not valid JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def test_json_has_the_documented_fields_and_nulls_for_non_finite_numbers():
    report = hard_case_report()
    report["columns"][0].update(statistic=float("nan"), effect_size=float("inf"),
                                p_value=np.float64("nan"), threshold=np.float32(0.25))
    report["columns"][1].update(drifted=np.bool_(True), statistic=np.float64(0.5))
    report["batch"]["rows"] = np.int64(1_000_000)
    doc = _strict_loads(render_json(report))
    assert {"drifted", "share", "baseline_run", "columns", "output"} <= set(doc)
    first = doc["columns"][0]
    assert {"column", "type", "test", "statistic", "p_value", "effect_size", "threshold",
            "drifted"} <= set(first)
    assert first["statistic"] is None and first["effect_size"] is None and first["p_value"] is None
    assert first["threshold"] == 0.25
    assert doc["columns"][1]["drifted"] is True and doc["columns"][1]["statistic"] == 0.5
    assert doc["batch"]["rows"] == 1_000_000
    assert doc["output"] is None


def test_json_key_order_is_fixed_whatever_the_input_order():
    report = hard_case_report()
    report["zz_extra"] = 1
    report["a_extra"] = 2
    shuffled = {k: report[k] for k in reversed(list(report))}
    shuffled["columns"] = [{k: c[k] for k in sorted(c, reverse=True)} for c in report["columns"]]
    text = render_json(report)
    assert render_json(shuffled) == text
    doc = json.loads(text)
    assert list(doc) == ["drifted", "reasons", "share", "importance_share", "baseline_run",
                         "batch", "settings", "columns", "output", "extra_columns", "a_extra",
                         "zz_extra"]
    assert list(doc["columns"][0]) == ["column", "type", "test", "statistic", "p_value",
                                       "p_adjusted", "effect_size", "effect_measure", "threshold",
                                       "drifted", "critical", "definition"]


def test_json_round_trips_the_values():
    report = hard_case_report()
    doc = json.loads(render_json(report))
    assert doc["columns"] == report["columns"]
    assert doc["batch"] == report["batch"] and doc["settings"] == report["settings"]
    assert math.isclose(doc["share"], 0.2)


@pytest.mark.parametrize("value", [float("nan"), float("-inf"), np.float64("inf")])
def test_json_never_contains_nan_or_infinity(value):
    report = hard_case_report()
    report["share"] = value
    text = render_json(report)
    assert "NaN" not in text and "Infinity" not in text
    assert _strict_loads(text)["share"] is None
