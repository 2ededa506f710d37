"""What a numeric plot shows: the axis window, the overflow, integer bins, the log axis."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftline.engine.drift.plot_bins import MAX_VALUE_BARS, integer_range, numeric_plot

INF = math.inf


def quantile_dist(ref: np.ndarray, cur: np.ndarray, bins: int = 40, **extra) -> dict:
    """Bins at the reference's quantiles, open outer bins, as a drift check makes them."""
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)))

    def share(x: np.ndarray) -> list[float]:  # (-inf, e0), [e0, e1], (e1, e2], ..., (eK, inf)
        s = np.sort(x)
        cum = [0, np.searchsorted(s, edges[0], "left"), *np.searchsorted(s, edges[1:], "right"),
               s.size]
        return (np.diff(cum) / s.size).tolist()

    return {"type": "numeric", "edges": [-INF, *edges.tolist(), INF], "ref": share(ref),
            "cur": share(cur), **extra}


def test_a_wide_thin_tail_goes_to_the_overflow_with_its_exact_share():
    rng = np.random.default_rng(1)
    ref = np.concatenate([rng.normal(50, 5, 3900), rng.uniform(200, 1000, 100)])  # 2.5% far out
    dist = quantile_dist(ref, ref)
    plot = numeric_plot("x", dist)
    assert plot.mode == "density" and not plot.log_x
    assert plot.bins[-1].hi < 100  # the axis ends where the mass is, not at 1000
    # What is left off: the far 2.5%, at most 5% (MAX_TAIL) in all, and exactly that share.
    edge = plot.bins[-1].hi
    beyond = sum(r for r, e in zip(dist["ref"], dist["edges"]) if e >= edge)
    assert 0.025 <= plot.above.ref <= 0.05 + 1e-9 and plot.above.ref == pytest.approx(beyond)
    assert plot.above.label == f"> {edge:.4g}"
    assert sum(b.ref for b in plot.bins) + plot.above.ref + (plot.below.ref if plot.below
                                                               else 0) == pytest.approx(1)


def test_an_even_spread_keeps_its_whole_range():
    x = np.linspace(0, 10, 4001)
    plot = numeric_plot("x", quantile_dist(x, x))
    assert plot.bins[0].lo == 0 and plot.bins[-1].hi == 10
    assert plot.below is None and plot.above is None  # the open bins are empty


def test_the_axis_keeps_a_tail_where_the_batch_has_much_of_its_mass():
    rng = np.random.default_rng(2)
    ref = np.concatenate([rng.normal(50, 5, 3900), rng.uniform(200, 1000, 100)])
    cur = np.concatenate([rng.normal(50, 5, 3200), rng.uniform(200, 1000, 800)])  # 20% there
    plot = numeric_plot("x", quantile_dist(ref, cur))
    assert plot.bins[-1].hi == pytest.approx(ref.max())


def test_open_bins_are_overflow_even_with_nothing_else_to_cut():
    dist = {"type": "numeric", "edges": [None, 0.0, 1.0, 2.0, None], "ref": [0.1, 0.4, 0.4, 0.1],
            "cur": [0.0, 0.5, 0.5, 0.0], "min": -3.0, "max": 7.0}
    plot = numeric_plot("x", dist)
    assert [(b.lo, b.hi) for b in plot.bins] == [(0.0, 1.0), (1.0, 2.0)]
    assert (plot.below.ref, plot.below.label, plot.above.label) == (0.1, "\u2264 0", "> 2")
    assert (plot.low, plot.high) == (-3.0, 7.0)


def test_integer_bins_hold_and_name_integers():
    dist = {"type": "numeric", "integer": True, "edges": [-INF, 17, 18, 20, 21, INF],
            "ref": [0.0, 0.3, 0.3, 0.3, 0.1], "cur": [0.05, 0.3, 0.3, 0.3, 0.05]}
    plot = numeric_plot("age", dist)
    assert plot.mode == "values" and plot.integer
    assert [b.label for b in plot.bins] == ["18", "19\u201320", "21"]
    assert [(b.lo, b.hi) for b in plot.bins] == [(17.5, 18.5), (18.5, 20.5), (20.5, 21.5)]
    assert (plot.below.label, plot.above.label) == ("< 18", "> 21")
    assert integer_range(3, 3) == "3" and integer_range(3, 9) == "3\u20139"


def test_a_two_value_integer_column_is_two_bars_without_the_empty_gap():
    dist = {"type": "numeric", "integer": True, "edges": [-INF, 35, 36, 59, 60, INF],
            "ref": [0.0, 0.8, 0.0, 0.2, 0.0], "cur": [0.0, 0.6, 0.0, 0.4, 0.0]}
    plot = numeric_plot("term", dist)
    assert [(b.label, b.ref, b.cur) for b in plot.bins] == [("36", 0.8, 0.6), ("60", 0.2, 0.4)]
    assert plot.below is None and plot.above is None


def test_many_integer_values_make_a_histogram_and_fractional_edges_are_not_integer():
    edges = [-INF, *range(0, 2 * (MAX_VALUE_BARS + 1) + 1, 2), INF]
    n = len(edges) - 1
    shares = [0.0] + [1 / (n - 2)] * (n - 2) + [0.0]
    plot = numeric_plot("n", {"type": "numeric", "integer": True, "edges": edges,
                              "ref": shares, "cur": shares})
    assert plot.mode == "density" and plot.integer and plot.bins[0].label == "1\u20132"
    halves = {"type": "numeric", "integer": True, "edges": [-INF, 0.5, 1.5, 2.5, INF],
              "ref": [0, 0.5, 0.5, 0], "cur": [0, 0.5, 0.5, 0]}
    assert not numeric_plot("h", halves).integer


@pytest.mark.parametrize("values, log_x", [
    pytest.param(lambda rng: rng.beta(0.4, 12, 20_000), True, id="skewed-probability"),
    pytest.param(lambda rng: rng.lognormal(3, 1.2, 20_000), True, id="heavy-tail"),
    pytest.param(lambda rng: rng.normal(100, 10, 20_000), False, id="normal"),
    pytest.param(lambda rng: rng.exponential(1, 20_000) - 0.01, False, id="not-positive"),
])
def test_a_positive_right_skewed_column_gets_a_log_axis(values, log_x):
    x = values(np.random.default_rng(3))
    assert numeric_plot("x", quantile_dist(x, x)).log_x is log_x


def test_malformed_and_unplaceable_edges():
    with pytest.raises(ValueError, match="'x' needs len"):
        numeric_plot("x", {"type": "numeric", "edges": [0, 1], "ref": [1.0], "cur": [0.5, 0.5]})
    plot = numeric_plot("x", {"type": "numeric", "edges": [-INF, 3.0, INF], "ref": [0.2, 0.8],
                              "cur": [0.4, 0.6]})
    assert plot.mode == "bins" and [b.label for b in plot.bins] == ["-inf \u2013 3",
                                                                     "3 \u2013 +inf"]
