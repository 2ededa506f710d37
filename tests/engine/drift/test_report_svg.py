"""The SVG plots of the drift report: ticks, units, bars per value, overflow bands."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from driftline.engine.drift.report_svg import (
    categorical_svg,
    density_unit,
    log_ticks,
    nice_ticks,
    numeric_svg,
    plot_svg,
)

INF = math.inf


def classed(svg: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in svg.iter() if el.get("class") == cls]


def test_ticks():
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0, 3, integer=True) == [0, 1, 2, 3]
    assert log_ticks(0.02, 0.6) == [0.02, 0.05, 0.1, 0.2, 0.5]
    assert log_ticks(1e-6, 0.7) == [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]


def test_density_unit_is_a_power_of_ten_near_the_bin_width():
    assert density_unit([1500, 1600, 2500], integer=False) == 1000
    assert density_unit([0.006, 0.007, 0.02], integer=False) == 0.001
    assert density_unit([0.5, 1, 1], integer=True) == 1


def test_bars_per_value_are_shares_with_overflow_slots_in_a_band():
    dist = {"type": "numeric", "integer": True, "edges": [-INF, 35, 36, 59, 60, INF],
            "ref": [0.0, 0.6, 0.0, 0.4, 0.0], "cur": [0.1, 0.5, 0.0, 0.3, 0.1]}
    svg = ET.fromstring(numeric_svg("term", dist))
    ref, cur = classed(svg, "mark ref"), classed(svg, "mark cur")
    assert len(ref) == len(cur) == 2
    heights = [float(r.get("height")) for r in ref + cur]
    assert heights[1] / heights[0] == pytest.approx(0.4 / 0.6, rel=1e-2)
    assert heights[2] / heights[0] == pytest.approx(0.5 / 0.6, rel=1e-2)
    labels = [t.text for t in svg.iter("text") if t.get("class") is None]
    assert labels == ["< 36", "36", "60", "> 60"]
    assert len(classed(svg, "band")) == 2 and len(classed(svg, "band cur")) == 2
    assert [t.text for t in svg.iter("text") if t.get("class") == "y-title"] == ["% of rows"]


def test_the_band_of_a_histogram_shows_both_shares():
    dist = {"type": "numeric", "edges": [-INF, 0.0, 1.0, 2.0, INF], "ref": [0.0, 0.5, 0.45, 0.05],
            "cur": [0.0, 0.4, 0.4, 0.2]}
    svg = ET.fromstring(numeric_svg("x", dist))
    assert [t.text for t in svg.iter("text") if t.get("class") in ("ref-t", "cur-t")] == [
        "5.0%", "20.0%"]
    assert [t.text for t in svg.iter("text") if t.get("class") == "band-title"] == ["above"]
    bars = classed(svg, "band ref") + classed(svg, "band cur")
    assert float(bars[1].get("height")) / float(bars[0].get("height")) == pytest.approx(4, rel=1e-2)


def test_a_tiny_share_is_not_shown_as_zero():
    dist = {"type": "numeric", "edges": [-INF, 0.0, 1.0, 2.0, INF], "ref": [0.0, 0.5, 0.5, 0.0],
            "cur": [0.0, 0.5, 0.4999, 0.0001]}
    svg = ET.fromstring(numeric_svg("x", dist))
    assert "<0.1%" in [t.text for t in svg.iter("text")]


def test_the_last_category_tick_label_fits_in_the_plot():
    svg = ET.fromstring(categorical_svg("c", {"categories": ["a", "b"], "ref": [0.96, 0.04],
                                             "cur": [0.95, 0.05]}))
    width = float(svg.get("width"))
    last = max(float(t.get("x")) for t in svg.iter("text") if (t.text or "").endswith("%"))
    assert last + 20 <= width


def test_unknown_kind_is_a_defect():
    with pytest.raises(ValueError, match="unknown type 'text'"):
        plot_svg("x", {"type": "text"})
