"""Comparing a batch with a baseline profile: per-column tests, corrections, verdicts.

For every column of the reference profile the batch is counted against that profile
(``driftline.engine.drift.view.view_frame``) and two registered drift tests run: a
*significance* test (p-value; defaults ``ks`` for numeric, ``chi2`` for categorical
columns) and an *effect* test (effect size; defaults ``wasserstein`` -- divided by the
reference std -- and ``psi``).  Which tests, per column kind or per column, is
configured in the ``drift`` node (:class:`~driftline.engine.drift.settings.DriftSettings`);
the findings are :mod:`driftline.engine.drift.results`.  Small batches (fewer than
``min_rows_for_distance`` non-null values in a column) keep their raw values, and tests
that need raw values (``ks``: the exact test against the profile's sample) use them.

The verdict rule -- a column drifts when ANY of:

1. distribution: its significance p-value, Benjamini-Hochberg-adjusted across the
   columns of the check, is < ``alpha`` AND its effect size is >= the margin
   (``numeric_margin`` / ``categorical_margin``, or the column's own ``margin``);
2. null rate: |batch null share - reference null share| > ``null_rate_margin`` AND the
   two-proportion z-test p-value, BH-adjusted across columns (a family of its own), is
   < ``alpha``;
3. unseen categories: the share of the batch's non-null values in categories the
   reference never had is >= ``unseen_share`` (unknown, so never flagged, when the
   reference capped its categories).

Null-rate change and unseen categories are fixed engine checks, not plugins: they apply
to every column whatever tests are chosen, and each has one obvious definition.  The
dataset drifts when the share of drifted columns is >= ``share`` or any ``critical``
column drifts.  Every column reports its effect size, flagged or not; columns come
sorted by severity (drifted first, then by the largest ratio of an effect to its margin).

Why both conditions: on large batches a p-value alone flags trivial differences, and a
distance alone needs a threshold that is either too loose (PSI >= 0.1 misses a shift of
0.1 std) or too tight; together they flag what is both real and large enough.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from driftline.engine.components.kinds.drift_test import DriftTest, TestResult
from driftline.engine.drift import stats
from driftline.engine.drift.profile import (
    LEVEL_POSITION,
    OTHER,
    UNSEEN,
    ColumnProfile,
    column_kind,
)
from driftline.engine.drift.results import ColumnResult, DriftReport
from driftline.engine.drift.settings import DriftSettings
from driftline.engine.drift.view import CurrentView, view_frame
from driftline.engine.errors import (
    ConfigError,
    DataError,
    DriftlineError,
    PluginError,
    did_you_mean,
)

if TYPE_CHECKING:
    from driftline.engine.components.registry import Registry


#: Most column names listed in an error message.
MAX_NAMED = 10
#: Coarse plot bins of a numeric column: the quantile levels 0, 0.025, ..., 1 (40 bins).
PLOT_LEVELS = tuple(i / 40 for i in range(41))
#: An integer column with at most this many distinct grid values is binned at every one of
#: them (each value its own bin), so the report can draw a bar per value.
PLOT_VALUES = 30


# -- checking the input -------------------------------------------------------------------
def check_batch(batch: pl.DataFrame, reference: Mapping[str, ColumnProfile]) -> list[str]:
    """Raise DataError for a batch that cannot be compared; return its extra columns."""
    if batch.height == 0:
        raise DataError("the batch is empty (0 rows): nothing to compare with the baseline. "
                        "Check the file or the query that produced it.")
    missing = [name for name in reference if name not in batch.schema]
    if missing:
        raise DataError(f"the batch lacks {len(missing)} column(s) of the baseline profile: "
                        f"{_named(missing)}. Add them to the batch (or its transforms).")
    for name, prof in reference.items():
        _check_kind(name, batch.schema[name], prof)
    nulls = batch.select(pl.col(list(reference)).null_count()).row(0, named=True)
    for name, prof in reference.items():
        if nulls[name] == batch.height and prof.values > 0:
            raise DataError(f"column '{name}' is entirely null in the batch ({batch.height} "
                            f"rows) but had values in the baseline; fix the source of the "
                            f"batch or its transforms.")
    return [name for name in batch.columns if name not in reference]


def _check_kind(name: str, dtype: pl.DataType, prof: ColumnProfile) -> None:
    kind = column_kind(dtype)
    if dtype == pl.Null:
        return  # an all-null column: reported as such by the null check
    if kind == prof.kind or (prof.kind == "categorical" and kind == "numeric"
                             and _was_numeric(prof.dtype)):
        return
    if prof.kind == "numeric" and dtype == pl.Boolean and prof.dtype == "Boolean":
        return
    raise DataError(f"column '{name}' has dtype {dtype} in the batch but was {prof.kind} "
                    f"({prof.dtype}) in the baseline; cast it to {prof.dtype} in the batch's "
                    f"transforms or fix the source.")


def _was_numeric(dtype_text: str) -> bool:
    """A categorical profile of a numeric dtype (profiled as categorical on request)."""
    return dtype_text.startswith(("Int", "UInt", "Float", "Decimal"))


def check_settings(settings: DriftSettings, reference: Mapping[str, ColumnProfile]) -> None:
    """ConfigError for critical or per-column settings naming columns the profile lacks."""
    for key, names in (("drift.critical", settings.critical),
                       ("drift.columns", list(settings.columns))):
        for name in names:
            if name not in reference:
                raise ConfigError(f"{key} names column '{name}', which the baseline profile "
                                  f"does not have.{did_you_mean(name, reference)}", key=key)


# -- choosing the tests -------------------------------------------------------------------
class _Tests:
    """Drift tests by name, loaded from the registry once and checked for their role."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.cache: dict[str, DriftTest] = {}

    def get(self, name: str, role: str, kind: str, key: str) -> DriftTest:
        if name not in self.cache:
            try:
                cls = self.registry.load("drift_test", name)
            except PluginError as exc:
                if exc.name == name and "unknown" in str(exc):
                    raise ConfigError(f"{exc} (key: {key})", key=key) from None
                raise
            self.cache[name] = cls()
        test = self.cache[name]
        if test.role != role or kind not in test.column_kinds:
            fits = self._fitting(role, kind)
            article = "an" if test.role == "effect" else "a"
            raise ConfigError(
                f"drift test '{name}' (key: {key}) is {article} {test.role or '?'} test for "
                f"{'/'.join(sorted(test.column_kinds)) or 'no'} columns; a {role} test for "
                f"{kind} columns is needed: {', '.join(fits) or '(none registered)'}.", key=key)
        return test

    def _fitting(self, role: str, kind: str) -> list[str]:
        out = []
        for name in self.registry.names("drift_test"):
            try:
                cls = self.registry.load("drift_test", name)
            except PluginError:
                continue
            if cls.role == role and kind in cls.column_kinds:
                out.append(name)
        return out


def _pick(tests: _Tests, settings: DriftSettings, column: str, kind: str
          ) -> tuple[DriftTest, DriftTest]:
    sig, eff = settings.test_names(column, kind)
    rule = column in settings.columns
    sig_key = f"drift.columns.{column}.test" if rule and settings.columns[column].test \
        else f"drift.tests.{kind}.significance"
    eff_key = f"drift.columns.{column}.effect" if rule and settings.columns[column].effect \
        else f"drift.tests.{kind}.effect"
    return (tests.get(sig, "significance", kind, sig_key),
            tests.get(eff, "effect", kind, eff_key))


def _run(test: DriftTest, name: str, ref: ColumnProfile, cur: CurrentView) -> TestResult:
    """Run one test; a failure inside it becomes a PluginError naming test and column."""
    try:
        result = test.compute(ref, cur)
    except DriftlineError:
        raise
    except Exception as exc:  # a drift test's own failure is the plugin's
        raise PluginError(f"drift test '{name}' failed on column '{ref.name}': "
                          f"{type(exc).__name__}: {exc}. Fix or replace that test.",
                          kind="drift_test", name=name) from exc
    if not isinstance(result, TestResult):
        raise PluginError(f"drift test '{name}' returned {type(result).__name__}, not a "
                          f"TestResult.", kind="drift_test", name=name)
    if test.role == "significance" and (result.p_value is None or not 0 <= result.p_value <= 1):
        raise PluginError(f"drift test '{name}' gave p-value {result.p_value!r} on column "
                          f"'{ref.name}'; a significance test must give one in [0, 1].",
                          kind="drift_test", name=name)
    if not isinstance(result.statistic, (int, float)) or math.isnan(result.statistic):
        raise PluginError(f"drift test '{name}' gave statistic {result.statistic!r} on column "
                          f"'{ref.name}'; it must be a number (not NaN).",
                          kind="drift_test", name=name)
    return result


# -- the comparison -----------------------------------------------------------------------
def compare_frame(batch: pl.DataFrame, reference: Mapping[str, ColumnProfile],
                  settings: DriftSettings, registry: Registry,
                  importance: Mapping[str, float] | None = None) -> DriftReport:
    """Compare ``batch`` with the ``reference`` profiles; see the module docstring.

    ``importance``: the model's feature importance (gain) by feature, when known; the
    report then says which share of it the drifted columns hold.
    """
    extra = check_batch(batch, reference)
    check_settings(settings, reference)
    tests = _Tests(registry)
    chosen = {name: _pick(tests, settings, name, prof.kind)
              for name, prof in reference.items() if prof.values > 0}
    views = view_frame(batch.select(list(reference)), reference,
                       small_rows=settings.min_rows_for_distance)
    raw = {name: _column(name, reference[name], views[name], chosen.get(name))
           for name in reference}
    results = _verdicts(raw, reference, settings)
    results.sort(key=lambda r: (not r.drifted, -r.severity, r.column))
    drifted = sum(r.drifted for r in results)
    share = drifted / len(results) if results else 0.0
    weight = importance_share([r.column for r in results if r.drifted], importance)
    reasons = verdict_reasons(results, share, weight, settings)
    plots = {name: plot_distribution(reference[name], views[name]) for name in reference}
    return DriftReport(bool(reasons), share, results, extra, batch.height, settings.summary(),
                       plots, importance_share=weight, reasons=reasons)


def importance_share(drifted: Sequence[str], importance: Mapping[str, float] | None
                     ) -> float | None:
    """The drifted columns' share of the model's total feature importance; None when the
    model recorded no (positive) importance."""
    if not importance:
        return None
    gains = {name: float(g) for name, g in importance.items()
             if g is not None and math.isfinite(float(g)) and float(g) > 0}
    total = sum(gains.values())
    if total <= 0:
        return None
    return sum(gains.get(name, 0.0) for name in set(drifted)) / total


def verdict_reasons(results: Sequence[ColumnResult], share: float, weight: float | None,
                    settings: DriftSettings) -> list[str]:
    """Why the columns make the batch drift (empty: they do not).

    Default: any drifted column.  With ``share`` and/or ``importance_share`` set, each set
    rule that is met is a reason (either suffices); an ``importance_share`` rule on a
    model without recorded importance falls back to the default.  A drifted critical column
    is always a reason.
    """
    drifted = [r.column for r in results if r.drifted]
    reasons: list[str] = []
    rules = settings.share is not None or (settings.importance_share is not None
                                           and weight is not None)
    if not rules and drifted:
        reasons.append(f"feature column drifted: {_named(drifted)}")
    if settings.share is not None and drifted and share >= settings.share:
        reasons.append(f"at least {settings.share * 100:g}% of the columns drifted")
    if (settings.importance_share is not None and weight is not None and drifted
            and weight >= settings.importance_share):
        reasons.append(f"the drifted columns hold at least "
                       f"{settings.importance_share * 100:g}% of the feature importance")
    critical = [r.column for r in results if r.drifted and r.critical]
    if critical:
        reasons.append(f"critical column drifted: {_named(critical)}")
    return reasons


def _column(name: str, ref: ColumnProfile, cur: CurrentView,
            pair: tuple[DriftTest, DriftTest] | None) -> dict[str, Any]:
    out: dict[str, Any] = {"sig": None, "eff": None, "sig_name": None, "eff_name": None}
    if pair is not None:
        sig, eff = pair
        out.update(sig_name=sig.registered_name, eff_name=eff.registered_name,
                   sig=_run(sig, sig.registered_name, ref, cur),
                   eff=_run(eff, eff.registered_name, ref, cur))
    out.update(null_p=stats.two_proportion_ztest(ref.nulls, ref.count, cur.nulls, cur.count)[1],
               null_rate_cur=cur.null_rate, n_cur=cur.n, unseen_share=cur.unseen_share,
               unseen_examples=cur.unseen_examples)
    return out


def _verdicts(raw: Mapping[str, dict[str, Any]], reference: Mapping[str, ColumnProfile],
              settings: DriftSettings) -> list[ColumnResult]:
    names = list(raw)
    with_p = [n for n in names if raw[n]["sig"] is not None]
    p_adj = dict(zip(with_p, stats.benjamini_hochberg([raw[n]["sig"].p_value for n in with_p])))
    null_adj = dict(zip(names, stats.benjamini_hochberg([raw[n]["null_p"] for n in names])))
    critical = set(settings.critical)
    return [_result(n, reference[n], raw[n], p_adj.get(n), null_adj[n], settings, n in critical)
            for n in names]


def _result(name: str, ref: ColumnProfile, raw: Mapping[str, Any], p_adj: float | None,
            null_adj: float, settings: DriftSettings, critical: bool) -> ColumnResult:
    sig, eff = raw["sig"], raw["eff"]
    alpha, margin = settings.alpha_for(name), settings.margin_for(name, ref.kind)
    effect = None if eff is None else float(eff.statistic)
    reasons, ratios = [], []
    if sig is not None and effect is not None:
        if p_adj < alpha and effect >= margin:
            reasons.append("distribution")
        ratios.append(_ratio(effect, margin))
    null_change = abs(raw["null_rate_cur"] - ref.null_rate)
    if null_change > settings.null_rate_margin and null_adj < alpha:
        reasons.append("null_rate")
    ratios.append(_ratio(null_change, settings.null_rate_margin))
    unseen = raw["unseen_share"]
    if unseen is not None:
        if unseen >= settings.unseen_share:
            reasons.append("unseen")
        ratios.append(_ratio(unseen, settings.unseen_share))
    parts = [f"{n}: {r.definition}" for n, r in ((raw["sig_name"], sig), (raw["eff_name"], eff))
             if r is not None]
    parts += [f"{reason}: {text}" for reason, text in (("null_rate", stats.DEF_NULL_RATE),
                                                       ("unseen", stats.DEF_UNSEEN))
              if reason in reasons]
    return ColumnResult(
        column=name, type=ref.kind, test=raw["sig_name"],
        statistic=None if sig is None else float(sig.statistic),
        p_value=None if sig is None else float(sig.p_value),
        p_adjusted=None if p_adj is None else float(p_adj),
        effect_measure=raw["eff_name"], effect_size=effect, threshold=margin, alpha=alpha,
        drifted=bool(reasons), critical=critical, reasons=reasons,
        severity=max(ratios) if ratios else 0.0, definition="\n".join(parts),
        n_ref=ref.values, n_cur=raw["n_cur"], null_rate_ref=ref.null_rate,
        null_rate_cur=raw["null_rate_cur"], null_p_value=float(raw["null_p"]),
        null_p_adjusted=float(null_adj), unseen_share=unseen,
        unseen_examples=list(raw["unseen_examples"]),
        details={k: dict(r.details) for k, r in (("test", sig), ("effect", eff)) if r is not None})


def _ratio(value: float, margin: float) -> float:
    if margin > 0:
        return value / margin
    return math.inf if value > 0 else 0.0


def _named(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    return shown + (f" ... and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")


# -- plot data ----------------------------------------------------------------------------
def plot_distribution(ref: ColumnProfile, cur: CurrentView) -> dict[str, Any]:
    """Reference and batch shares on common bins, as driftline.engine.drift.report_svg draws them.

    Numeric bins are (-inf, p0), [p0, p1], (p1, p2], ..., (pK, inf) at coarse reference
    quantiles.  An integer column (integer or boolean dtype) is marked ``"integer": True``
    and binned on integers instead (see :func:`_integer_edges`), at every distinct grid
    value when it has at most :data:`PLOT_VALUES` of them."""
    if ref.kind == "categorical":
        labels = [_label(b) for b in cur.bins]
        return {"type": "categorical", "categories": labels,
                "ref": stats.shares(cur.ref_counts).tolist(),
                "cur": stats.shares(cur.counts).tolist()}
    if cur.grid is None:
        return {"type": "numeric", "edges": [], "ref": [], "cur": []}
    grid = ref.grid()
    q = np.asarray(ref.quantiles, dtype=np.float64)
    coarse = np.unique(q[[LEVEL_POSITION[level] for level in PLOT_LEVELS]])
    at = np.searchsorted(grid.points, coarse)
    lows = [float(v) for v in (ref.min, cur.min) if v is not None]
    highs = [float(v) for v in (ref.max, cur.max) if v is not None]
    out = {"type": "numeric", "edges": [-math.inf, *(float(v) for v in coarse), math.inf],
           "ref": _shares_on(grid, at), "cur": _shares_on(cur.grid, at),
           "min": min(lows) if lows else None, "max": max(highs) if highs else None}
    if ref.dtype.startswith(("Int", "UInt")) or ref.dtype == "Boolean":
        if len(grid.points) <= PLOT_VALUES:
            at = np.arange(len(grid.points))
        edges = _integer_edges(grid.points[at])
        out.update(integer=True, edges=[-math.inf, *edges.tolist(), math.inf],
                   ref=_integer_shares(grid, at, edges), cur=_integer_shares(cur.grid, at, edges))
    return out


def _integer_edges(points: np.ndarray) -> np.ndarray:
    """Integer bin edges around grid points of an integer column: bin (e[i], e[i+1]] holds
    the integers e[i] + 1 .. e[i+1], and every integer grid point is a bin of its own."""
    return np.unique(np.concatenate([np.floor(points), np.ceil(points) - 1]))


def _integer_shares(grid: stats.GridCdf, at: np.ndarray, edges: np.ndarray) -> list[float]:
    """Shares in (-inf, e0], (e0, e1], ..., (eK, inf) of an integer column, from the exact
    counts at its grid points: share <= floor(p) is le(p), share <= ceil(p) - 1 is lt(p)."""
    cum = dict(zip(np.ceil(grid.points[at]) - 1, grid.lt[at]))
    cum.update(zip(np.floor(grid.points[at]), grid.le[at]))
    shares = np.diff([0.0, *(cum[e] for e in edges), 1.0])
    return [float(v) for v in np.clip(shares, 0.0, 1.0)]


def _shares_on(grid: stats.GridCdf, at: np.ndarray) -> list[float]:
    """Shares in (-inf, p0), [p0, p1], (p1, p2], ..., (pK, inf) for the points at ``at``;
    with one point: (-inf, p0], (p0, inf)."""
    le, lt = grid.le[at], grid.lt[at]
    if len(at) == 1:
        return [float(le[0]), float(1.0 - le[0])]
    inner = np.diff(le)
    inner[0] = le[1] - lt[0]
    return [float(lt[0]), *(float(v) for v in inner), float(1.0 - le[-1])]


def _label(bin_name: str) -> str:
    return {OTHER: "(other)", UNSEEN: "(unseen)"}.get(bin_name, bin_name)
