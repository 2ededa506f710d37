"""The HTML drift report: a self-contained page with one drawn plot per column.

The plots' geometry is checked against hand-computed densities and shares; the last test
opens the page in headless Chromium and reads back, per column, how many marks were drawn.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import math

import numpy as np
import polars as pl
import pytest

from driftline.engine.drift.compare import plot_distribution
from driftline.engine.drift.profile import profile_frame
from driftline.engine.drift.report_html import OUTPUT_REFERENCE, render_html, write_html
from driftline.engine.drift.report_svg import MAX_CATEGORY_BARS
from driftline.engine.drift.view import view_frame
from driftline.engine.errors import UsageError

NASTY = 'x<img src=q onerror="alert(1)">&\'y'
NASTY_CATEGORY = '</svg><script>alert("c")</script>'
SETTINGS = {"alpha": 0.05, "numeric_margin": 0.05, "categorical_margin": 0.1, "share": 0.5,
            "critical": []}


def result(name: str, kind: str, drifted: bool) -> dict:
    return {"column": name, "type": kind, "test": "ks" if kind == "numeric" else "chi2",
            "statistic": 0.2 if drifted else 0.01, "p_value": 1e-12 if drifted else 0.7,
            "p_adjusted": 1e-11 if drifted else 0.9, "effect_size": 0.3 if drifted else 0.01,
            "effect_measure": "wasserstein_std" if kind == "numeric" else "psi",
            "threshold": 0.05 if kind == "numeric" else 0.1, "drifted": drifted,
            "definition": "", "critical": False}


def numeric_dist(ref: np.ndarray, cur: np.ndarray, bins: int = 10, open_ends: bool = True) -> dict:
    edges = np.quantile(ref, np.linspace(0, 1, bins + 1))
    if open_ends:
        edges[0], edges[-1] = -np.inf, np.inf
    return {"type": "numeric", "edges": edges.tolist(),
            "ref": (np.histogram(ref, edges)[0] / ref.size).tolist(),
            "cur": (np.histogram(cur, edges)[0] / cur.size).tolist()}


def sample_report() -> tuple[dict, dict]:
    """13 feature columns (3 drifted, listed in severity order: not drifted-first) + output."""
    rng = np.random.default_rng(5)
    cols, dists = [], {}
    for i in range(8):
        name = NASTY if i == 4 else f"num_{i}"
        ref = rng.lognormal(0, 0.6, 4000) if i % 2 else rng.normal(50, 10, 4000)
        drifted = i in (1, 6)
        cur = ref + (0.4 * ref.std() if drifted else 0.0)
        dists[name] = numeric_dist(ref, cur, bins=10 if i < 4 else 40, open_ends=i != 7)
        cols.append(result(name, "numeric", drifted))
    dists["constant_like"] = {"type": "numeric", "edges": [-np.inf, 3.0, np.inf],
                              "ref": [0.0, 1.0], "cur": [0.1, 0.9]}
    cols.append(result("constant_like", "numeric", False))
    dists["term"] = {"type": "numeric", "integer": True, "edges": [-np.inf, 35, 36, 59, 60, np.inf],
                     "ref": [0.0, 0.7, 0.0, 0.3, 0.0], "cur": [0.0, 0.5, 0.0, 0.45, 0.05]}
    cols.append(result("term", "numeric", False))
    dists["grade"] = {"type": "categorical", "categories": ["A", "B", NASTY_CATEGORY, "D"],
                      "ref": [0.4, 0.3, 0.2, 0.1], "cur": [0.25, 0.25, 0.25, 0.25]}
    cols.insert(0, result("grade", "categorical", True))
    shares = rng.dirichlet(np.ones(60))
    dists["purpose"] = {"type": "categorical", "categories": [f"p{k}" for k in range(60)],
                        "ref": shares.tolist(), "cur": shares.tolist()}
    cols.append(result("purpose", "categorical", False))
    dists["region"] = {"type": "categorical", "categories": ["n", "s", "(unseen)"],
                       "ref": [0.5, 0.5, 0.0], "cur": [0.45, 0.45, 0.1]}
    cols.append(result("region", "categorical", False))
    # Severity order from the checker: a calm column ranked between drifted ones.
    cols = [cols[0], cols[2], cols[1], *cols[3:]]
    dists["proba_1"] = {"type": "numeric", "edges": [0, 0.1, 0.3, 0.6, 1.0],
                        "ref": [0.5, 0.3, 0.15, 0.05], "cur": [0.4, 0.3, 0.2, 0.1]}
    output = {"drifted": False, "columns": [result("proba_1", "numeric", False)]}
    report = {"drifted": True, "share": 3 / 12, "baseline_run": "9f" * 10,
              "batch": {"hash": "c" * 64, "rows": 4000, "source": "batch <1>.parquet"},
              "settings": SETTINGS, "columns": cols, "output": output,
              "extra_columns": ["<extra>"]}
    return report, dists


def svgs(page: str) -> list[ET.Element]:
    """Every plot, parsed as XML (the SVG markup must be well formed)."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def path_points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", d)]


def marks(svg: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in svg.iter() if el.get("class") == f"mark {cls}"]


# -- the page ---------------------------------------------------------------------------------
def test_every_column_has_one_plot_with_a_title_drifted_first():
    report, dists = sample_report()
    page = render_html(report, dists, title="Drift")
    plots = svgs(page)
    features = [p.get("data-column") for p in plots if p.get("data-section") == "columns"]
    drifted = [c["column"] for c in report["columns"] if c["drifted"]]
    calm = [c["column"] for c in report["columns"] if not c["drifted"]]
    assert features == drifted + calm
    assert [p.get("data-column") for p in plots if p.get("data-section") == "output"] == ["proba_1"]
    for plot in plots:
        assert plot[0].tag == "title" and plot.get("data-column") in plot[0].text


def test_user_strings_are_escaped():
    report, dists = sample_report()
    page = render_html(report, dists, title="Drift <for> 'batch'")
    for raw in (NASTY, NASTY_CATEGORY, "<extra>", "batch <1>.parquet", "Drift <for>"):
        assert raw not in page
    assert html.escape(NASTY, quote=True) in page
    assert html.escape(NASTY_CATEGORY, quote=True) in page
    assert page.count("<script>") == 1  # only the page's own render check
    parsed = {p.get("data-column") for p in svgs(page)}
    assert NASTY in parsed  # the attribute decodes back to the real name


def test_page_loads_nothing_from_outside():
    report, dists = sample_report()
    page = render_html(report, dists, title="Drift")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"https?:|//[a-z]|@import|url\(|<link|<iframe|<img", page, flags=re.I)
    assert re.findall(r'\b(?:src|href)="([^"]*)"', page) == [
        m for m in re.findall(r'\bhref="([^"]*)"', page) if m.startswith("#")]


def test_numeric_plot_heights_are_densities_on_a_value_axis():
    edges, ref, cur = [0.0, 1.0, 3.0, 4.0], [0.2, 0.6, 0.2], [0.5, 0.25, 0.25]
    report = {"drifted": False, "columns": [result("x", "numeric", False)], "settings": SETTINGS}
    (plot,) = svgs(render_html(report, {"x": {"type": "numeric", "edges": edges, "ref": ref,
                                               "cur": cur}}, title="t"))
    (ref_path,), (cur_path,) = marks(plot, "ref"), marks(plot, "cur")
    widths = np.diff(edges)
    for path, shares in ((ref_path, ref), (cur_path, cur)):
        pts = path_points(path.get("d"))
        base = pts[0][1]
        xs = [pts[0][0]] + [pts[2 + 2 * i][0] for i in range(3)]
        heights = [base - pts[1 + 2 * i][1] for i in range(3)]
        assert np.allclose((np.array(xs) - xs[0]) / (xs[-1] - xs[0]),
                           (np.array(edges) - edges[0]) / (edges[-1] - edges[0]), atol=2e-3)
        assert all(pts[1 + 2 * i][1] == pts[2 + 2 * i][1] for i in range(3))  # flat tops
        if path is ref_path:
            ref_heights = heights
        else:
            cur_heights = heights
    # One y scale for both: every height over its density is the same constant.
    densities = np.concatenate([np.array(ref) / widths, np.array(cur) / widths])
    scale = np.concatenate([ref_heights, cur_heights]) / densities
    assert np.allclose(scale, scale[0], rtol=5e-3)


@pytest.mark.parametrize("edges", [
    pytest.param([-np.inf, 0.0, 1.0, 3.0, np.inf], id="open-ends-infinite"),
    pytest.param([None, 0.0, 1.0, 3.0, None], id="open-ends-as-null"),
])
def test_open_outer_bins_are_overflow_bands_not_axis(edges):
    dist = {"type": "numeric", "edges": edges, "ref": [0.25] * 4, "cur": [0.1, 0.3, 0.3, 0.3],
            "min": -400.0, "max": 9000.0}
    report = {"drifted": False, "columns": [result("x", "numeric", False)], "settings": SETTINGS}
    (plot,) = svgs(render_html(report, {"x": dist}, title="t"))
    pts = path_points(marks(plot, "ref")[0].get("d"))
    xs = np.array([pts[0][0]] + [pts[2 + 2 * i][0] for i in range(2)])
    # Only the finite bins [0, 1], [1, 3] are on the axis, at their value positions.
    assert len(pts) == 1 + 2 * 2 + 1  # move, two flat tops, down
    assert np.allclose((xs - xs[0]) / (xs[-1] - xs[0]), [0, 1 / 3, 1], atol=2e-3)
    ticks = [float(t.text) for t in plot.iter("text") if t.get("class") is None
             and re.fullmatch(r"-?[\d.]+", t.text or "")]
    assert ticks and min(ticks) >= 0 and max(ticks) <= 3  # the range -400 .. 9000 is not drawn
    bands = [el for el in plot.iter() if el.get("class") == "band"]
    assert len(bands) == 2
    texts = [t.text for t in plot.iter("text")]
    assert {"below", "above", "\u2264 0", "> 3", "25.0%", "10.0%", "30.0%"} <= set(texts)
    tips = [t.text for t in plot.iter("title")]
    assert any("lowest -400" in t for t in tips) and any("highest 9000" in t for t in tips)


def real_distributions(ref: dict, cur: dict) -> dict:
    """Distributions as a drift check makes them: profiled, counted, binned for the plot."""
    reference = profile_frame(pl.DataFrame(ref), seed=0)
    views = view_frame(pl.DataFrame(cur), reference)
    return {name: plot_distribution(reference[name], views[name]) for name in reference}


def page_of(dists: dict, section: str = "columns") -> dict[str, ET.Element]:
    """Each column's plot on a page with one section of those columns."""
    cols = [result(name, "numeric", False) for name in dists]
    report = {"drifted": False, "settings": SETTINGS, "reference": "train",
              "columns": cols if section == "columns" else [],
              "output": {"drifted": False, "columns": cols} if section == "output" else None}
    return {p.get("data-column"): p for p in svgs(render_html(report, dists, title="t"))}


def texts(plot: ET.Element, cls: str | None = None) -> list[str]:
    return [t.text or "" for t in plot.iter("text") if t.get("class") == cls]


def x_ticks(plot: ET.Element) -> list[tuple[float, float]]:
    """(value, x) of the x tick labels (unclassed texts that are numbers)."""
    out = []
    for t in plot.iter("text"):
        value = (t.text or "").replace("k", "e3").replace("M", "e6")
        if t.get("class") is None and re.fullmatch(r"-?[\d.]+(e-?\d+)?", value):
            out.append((float(value), float(t.get("x"))))
    return out


def test_heavy_tail_does_not_stretch_the_axis():
    rng = np.random.default_rng(3)
    ref = np.concatenate([rng.lognormal(10, 0.4, 20_000), [5e6, 8e6]])
    cur = np.concatenate([rng.lognormal(10.1, 0.4, 5_000), [9e6]])
    dist = real_distributions({"income": ref}, {"income": cur})["income"]
    plot = page_of({"income": dist})["income"]
    ticks = [v for v, _ in x_ticks(plot)]
    assert max(ticks) < 1e5 < 8e6 == max(e for e in dist["edges"] if np.isfinite(e))
    # The tail beyond the axis is a marked band with its shares (2.5% of the reference: the
    # outer bin of the profile's 40 quantile bins).
    assert "above" in texts(plot, "band-title") and "2.5%" in texts(plot, "ref-t")
    assert any("highest 9e+06" in (t.text or "") for t in plot.iter("title"))


def test_numeric_plots_have_y_ticks_and_say_what_y_is():
    rng = np.random.default_rng(4)
    x = rng.normal(100, 10, 5000)
    plots = page_of(real_distributions({"x": x, "n": rng.integers(0, 3, 5000)},
                                       {"x": x + 5, "n": rng.integers(0, 3, 5000)}))
    # Bins about 0.6 wide: the density is given per 0.1.
    for name, title in (("x", "% of rows per 0.1"), ("n", "% of rows")):
        ticks = texts(plots[name], "y-tick")
        assert len(ticks) >= 3 and all(t.endswith("%") for t in ticks), (name, ticks)
        assert texts(plots[name], "y-title") == [title]
    # The ticks are on the scale of the drawn heights: the normal's peak is 0.4% per 0.1.
    plot = plots["x"]
    ticks = [(float(t.text.rstrip("%")), float(t.get("y"))) for t in plot.iter("text")
             if t.get("class") == "y-tick"]
    (v0, y0), (v1, y1) = ticks[0], ticks[-1]
    peak = min(y for _, y in path_points(marks(plot, "ref")[0].get("d")))
    assert v0 + (peak + 3 - y0) / (y1 - y0) * (v1 - v0) == pytest.approx(0.4, abs=0.06)


def test_a_two_value_integer_column_is_a_bar_per_value():
    rng = np.random.default_rng(5)
    term = rng.choice([36, 60], 10_000, p=[0.7, 0.3])
    dists = real_distributions({"term": term, "flag": (term == 60).astype(np.int64)},
                               {"term": np.full(100, 60), "flag": np.zeros(100, dtype=np.int64)})
    plots = page_of(dists)
    for name, labels, ref in (("term", ["36", "60"], [0.7, 0.3]), ("flag", ["0", "1"], [0.3, 0.7])):
        plot = plots[name]
        assert [t for t in texts(plot) if t.isdigit()] == labels
        bars, cur = marks(plot, "ref"), marks(plot, "cur")
        assert len(bars) == len(cur) == 2
        heights = np.array([float(b.get("height")) for b in bars])
        want = np.array(ref if name == "term" else ref[::-1]) * [1, 1]
        share = (term == 36).mean() if name == "term" else (term == 60).mean()
        assert heights[0] / heights.sum() == pytest.approx(share if name == "term" else 1 - share,
                                                          abs=2e-3)
        assert want.sum() == pytest.approx(1)
    assert float(marks(plots["term"], "cur")[0].get("height")) == 0  # the batch: all 60


def test_integer_bins_are_labelled_with_the_integers_they_hold():
    rng = np.random.default_rng(6)
    age = rng.integers(18, 81, 20_000)
    dist = real_distributions({"age": age}, {"age": age[:5000]})["age"]
    plot = page_of({"age": dist})["age"]
    assert len(marks(plot, "ref")) == 1  # many values: a histogram, not bars
    tips = [t.text or "" for t in plot.iter("title")][1:]
    labels = [t.split(":")[0].split(" (")[0] for t in tips]
    assert labels and all(re.fullmatch(r"\d+|\d+\u2013\d+|< \d+|> \d+", lab) for lab in labels)
    assert not any("." in lab for lab in labels)  # no "17.5 .. 18.5", no "17 .. 18"
    # A one-value bin says that value and its exact share.
    single = next(t for t, lab in zip(tips, labels) if lab.isdigit())
    value = int(single.split(":")[0])
    assert f"reference {(age == value).mean() * 100:.1f}%" in single
    assert all(v == int(v) for v, _ in x_ticks(plot))


def test_a_skewed_probability_is_drawn_on_a_log_axis_that_says_so():
    rng = np.random.default_rng(7)
    proba = rng.beta(0.4, 12, 20_000)  # most of the mass near 0
    dist = real_distributions({"proba_1": proba}, {"proba_1": proba[:4000] * 1.3})["proba_1"]
    plot = page_of({"proba_1": dist}, section="output")["proba_1"]
    assert "log scale (the values are skewed)" in texts(plot)
    assert texts(plot, "y-title") == ["% of rows per decade of x"]
    ticks = x_ticks(plot)
    (v0, x0), (v1, x1) = ticks[0], ticks[-1]
    at = lambda v: (math.log10(v) - math.log10(v0)) / (math.log10(v1) - math.log10(v0))  # noqa
    assert all(x == pytest.approx(x0 + at(v) * (x1 - x0), abs=0.2) for v, x in ticks)
    # The bulk is spread over the axis, not squeezed at its left end.
    q10, q90 = np.quantile(proba, [0.1, 0.9])
    assert at(q90) - at(q10) > 0.5


def test_legends_name_the_reference_the_check_used():
    report, dists = sample_report()
    report["reference"] = "all"
    page = render_html(report, dists, title="t")
    figures = dict(re.findall(r'<figure id="(\w+)-\d+".*?<p class="legend">(.*?)</p>', page,
                              flags=re.S))
    assert "development data (all splits)" in figures["plot"]
    assert html.escape(OUTPUT_REFERENCE, quote=True) in figures["output"]
    assert "reference: the baseline model&#x27;s outputs on its test split" in figures["output"]
    assert "(training)" not in page
    report["reference"] = "train"
    assert "the baseline run&#x27;s train split" in render_html(report, dists, title="t")


def test_unplaceable_edges_fall_back_to_equal_width_bins():
    dist = {"type": "numeric", "edges": [-np.inf, 3.0, np.inf], "ref": [0.2, 0.8],
            "cur": [0.4, 0.6]}
    report = {"drifted": False, "columns": [result("x", "numeric", False)], "settings": SETTINGS}
    (plot,) = svgs(render_html(report, {"x": dist}, title="t"))
    pts = path_points(marks(plot, "cur")[0].get("d"))
    assert pts[2][0] - pts[1][0] == pytest.approx(pts[4][0] - pts[3][0], abs=0.2)
    base = pts[0][1]
    assert (base - pts[1][1]) / (base - pts[3][1]) == pytest.approx(0.4 / 0.6, rel=5e-3)


def test_categorical_bars_are_proportional_to_shares_and_capped():
    report, dists = sample_report()
    plots = {p.get("data-column"): p for p in svgs(render_html(report, dists, title="t"))}
    grade = plots["grade"]
    widths = [float(r.get("width")) for r in marks(grade, "ref")]
    assert np.allclose(np.array(widths) / widths[0], np.array([0.4, 0.3, 0.2, 0.1]) / 0.4,
                       rtol=5e-3)
    cur = [float(r.get("width")) for r in marks(grade, "cur")]
    assert np.allclose(np.array(cur) / widths[0], 0.25 / 0.4, rtol=5e-3)
    purpose = plots["purpose"]
    bars = marks(purpose, "ref")
    assert len(bars) == MAX_CATEGORY_BARS
    shares = np.array(dists["purpose"]["ref"])
    kept = np.sort(np.argsort(-shares, kind="stable")[:MAX_CATEGORY_BARS - 1])
    labels = [t.text for t in purpose.iter("text") if t.text and t.text.startswith(("p", "("))]
    assert labels == [f"p{k}" for k in kept] + [f"({60 - len(kept)} others)"]
    others = shares.sum() - shares[kept].sum()
    top = float(bars[0].get("width")) / shares[kept[0]]
    assert float(bars[-1].get("width")) / top == pytest.approx(others, rel=5e-3)


@pytest.mark.parametrize("dist, message", [
    pytest.param({"type": "numeric", "edges": [0, 1], "ref": [1.0], "cur": [0.5, 0.5]},
                 "len(edges)", id="numeric-lengths"),
    pytest.param({"type": "categorical", "categories": ["a"], "ref": [1.0], "cur": []},
                 "one length", id="categorical-lengths"),
    pytest.param({"type": "text"}, "unknown type", id="unknown-type"),
])
def test_malformed_distributions_are_a_defect_named_by_column(dist, message):
    report = {"drifted": False, "columns": [result("x", "numeric", False)], "settings": SETTINGS}
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        render_html(report, {"x": dist}, title="t")
    assert "'x'" in str(info.value)


def test_a_column_without_distribution_gets_a_note_not_a_plot():
    report = {"drifted": False, "columns": [result("x", "numeric", False)], "settings": SETTINGS}
    page = render_html(report, {}, title="t")
    assert svgs(page) == [] and "no distribution recorded" in page


def test_write_html_is_atomic_and_reports_bad_paths(tmp_path):
    target = tmp_path / "sub" / "drift.html"
    write_html(target, "<p>old</p>")
    write_html(target, "<p>new</p>")
    assert target.read_text() == "<p>new</p>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["drift.html"]
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UsageError, match="cannot write the report to .*file/x.html"):
        write_html(blocker / "x.html", "<p/>")


# -- in a real browser ------------------------------------------------------------------------
def chromium_or_skip() -> str:
    """The Chromium binary; skipped only outside CI when it is not installed."""
    binary = shutil.which("chromium")
    if binary:
        return binary
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; CI must install Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


def dump_dom(page: Path, profile: Path) -> str:
    out = subprocess.run(
        [chromium_or_skip(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--window-size=1280,2000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def drawn(dist: dict, series: str) -> int:
    """How many marks of one series must be drawn (a bar of share 0 has no width)."""
    if dist["type"] == "numeric" and dist.get("integer"):  # a bar per value on the axis
        return int((np.array(dist[series][1:-1]) > 0).sum())
    if dist["type"] == "numeric":
        return 1
    shares = np.array(dist[series])
    if shares.size > MAX_CATEGORY_BARS:
        keep = np.argsort(-np.maximum(dist["ref"], dist["cur"]), kind="stable")
        shares = np.append(shares[keep[:MAX_CATEGORY_BARS - 1]],
                           shares[keep[MAX_CATEGORY_BARS - 1:]].sum())
    return int((shares > 0).sum())


def test_every_plot_is_drawn_in_headless_chromium(tmp_path):
    report, dists = sample_report()
    page = tmp_path / "drift.html"
    write_html(page, render_html(report, dists, title="Drift report"))
    dom = dump_dom(page, tmp_path / "profile")
    found = re.search(r'<pre id="render-check">(.*?)</pre>', dom, flags=re.S)
    assert found and found.group(1).strip(), "the render check did not run"
    check = json.loads(html.unescape(found.group(1)))
    expected = {c["column"]: c["column"] for c in report["columns"]}
    expected |= {f"output:{c['column']}": c["column"] for c in report["output"]["columns"]}
    assert set(check) == set(expected)
    for key, name in expected.items():
        entry = check[key]
        assert entry["width"] > 0 and entry["height"] > 0, key
        assert entry["ref"] == drawn(dists[name], "ref"), key
        assert entry["cur"] == drawn(dists[name], "cur"), key
