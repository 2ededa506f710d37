"""engine/drift/compare.py: verdicts on known drift, the hard case, settings, bad input."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import ClassVar

import numpy as np
import polars as pl
import pytest
import yaml
from scipy import stats as sps

from driftline.engine import DriftTest, Registry, TestResult
from driftline.engine.drift import compare as C
from driftline.engine.drift.settings import DriftSettings
from driftline.engine.drift.profile import profile_frame
from driftline.engine.errors import ConfigError, DataError, PluginError

ROOT = Path(__file__).resolve().parents[3]
REQUIRED_COLUMN_KEYS = {"column", "type", "test", "statistic", "p_value", "p_adjusted",
                        "effect_size", "effect_measure", "threshold", "drifted", "definition"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_environment()


def settings(**values) -> DriftSettings:
    return DriftSettings.from_config(values)


# -- the hard case ----------------------------------------------------------------------------
#: The five numeric columns shifted by 0.1 of their (population) standard deviation.
SHIFTED = {"normal": 1.0, "lognormal": math.sqrt((math.e - 1) * math.e), "uniform": 12 ** -0.5,
           "exponential": 1.0, "gamma": 2 * math.sqrt(2)}
SEGMENTS = [f"s{i:02d}" for i in range(12)]
SEGMENT_REF = np.array([0.16, 0.14, 0.12, 0.11, 0.1, 0.09, 0.07, 0.06, 0.05, 0.04, 0.03, 0.03])


def _psi(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sum((q - p) * np.log(q / p)))


def _segment_drifted(target: float = 0.13) -> np.ndarray:
    """Segment shares tilted (q ~ p * exp(a * z)) until their PSI against the reference is
    ``target`` (bisection on a)."""
    z = np.linspace(-1.0, 1.0, len(SEGMENT_REF))
    lo, hi = 0.0, 5.0
    for _ in range(100):
        a = (lo + hi) / 2
        q = SEGMENT_REF * np.exp(a * z)
        q /= q.sum()
        lo, hi = (a, hi) if _psi(SEGMENT_REF, q) < target else (lo, a)
    return q


SEGMENT_CUR = _segment_drifted()
DRIFTED = set(SHIFTED) | {"segment"}


def _choice(rng: np.random.Generator, labels: list[str], n: int, p=None) -> pl.Series:
    codes = rng.choice(len(labels), size=n, p=p)
    return pl.Series(labels).gather(codes)


def _zipf(k: int, s: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** s
    return w / w.sum()


def hard_case(n: int, seed: int, drift: bool) -> pl.DataFrame:
    """30 columns: 20 numeric of assorted distributions, 10 categorical; with ``drift``,
    the SHIFTED columns move by 0.1 std and 'segment' moves to PSI 0.13."""
    rng = np.random.default_rng(seed)
    cols = {"normal": rng.normal(0, 1, n), "lognormal": rng.lognormal(0, 1, n),
            "uniform": rng.uniform(0, 1, n), "exponential": rng.exponential(1, n),
            "gamma": rng.gamma(2, 2, n)}
    if drift:
        for name, std in SHIFTED.items():
            cols[name] = cols[name] + 0.1 * std
    cols.update({
        "score": rng.normal(100, 15, n), "amount": rng.lognormal(3, 0.5, n),
        "offset": rng.uniform(-5, 5, n), "wait": rng.exponential(3, n),
        "ratio": rng.beta(2, 5, n), "noise": rng.standard_t(5, n),
        "visits": rng.poisson(3, n), "age": rng.integers(18, 91, n),
        "bimodal": np.where(rng.random(n) < 0.4, rng.normal(-2, 0.5, n), rng.normal(2, 1, n)),
        "chi": rng.chisquare(3, n), "life": rng.weibull(1.5, n), "jump": rng.laplace(0, 1, n),
        "heavy": rng.lognormal(0, 2, n),
        "spend": np.where(rng.random(n) < 0.6, 0.0, rng.exponential(50, n)),
    })
    frame = pl.DataFrame(cols).with_columns(
        pl.Series("income", rng.normal(50, 10, n)).set(pl.Series(rng.random(n) < 0.05), None))
    segment_p = SEGMENT_CUR if drift else SEGMENT_REF
    return frame.with_columns(
        _choice(rng, ["a", "b", "c", "d", "e"], n).alias("cat5"),
        _choice(rng, ["x", "y", "z"], n, [0.7, 0.2, 0.1]).alias("skewed"),
        _choice(rng, [f"k{i}" for i in range(20)], n, _zipf(20)).alias("city"),
        _choice(rng, ["yes", "no"], n, [0.3, 0.7]).alias("flag"),
        _choice(rng, [f"m{i}" for i in range(50)], n).alias("model"),
        _choice(rng, [f"r{i}" for i in range(10)], n).alias("region")
        .set(pl.Series(rng.random(n) < 0.02), None),
        _choice(rng, [f"p{i}" for i in range(300)], n, _zipf(300, 0.8)).alias("product"),
        _choice(rng, ["q1", "q2", "q3", "q4"], n, [0.1, 0.2, 0.3, 0.4]).alias("quarter"),
        _choice(rng, [f"g{i}" for i in range(8)], n).alias("grade"),
        _choice(rng, SEGMENTS, n, segment_p).alias("segment"),
    )


def test_the_hard_case_generator():
    frame = hard_case(20_000, 0, drift=True)
    assert frame.width == 30
    assert sum(dt.is_numeric() for dt in frame.dtypes) == 20
    assert _psi(SEGMENT_REF, SEGMENT_CUR) == pytest.approx(0.13, abs=1e-9)
    assert frame["product"].n_unique() > 200     # beyond the profile's category cap


def _flagged(reference, batch, registry, **values) -> set[str]:
    return set(C.compare_frame(batch, reference, settings(**values), registry).drifted_columns)


def test_hard_case_100k_flags_exactly_the_six(registry):
    reference = profile_frame(hard_case(100_000, 1, drift=False), seed=0)
    assert _flagged(reference, hard_case(100_000, 2, drift=True), registry) == DRIFTED


@pytest.fixture(scope="module")
def million_reference():
    return profile_frame(hard_case(1_000_000, 11, drift=False), seed=0)


def test_hard_case_1m_flags_exactly_the_six(registry, million_reference):
    batch = hard_case(1_000_000, 12, drift=True)
    report = C.compare_frame(batch, million_reference, settings(), registry)
    assert set(report.drifted_columns) == DRIFTED
    # The default verdict: any flagged feature column makes the batch drift (issue 11) ...
    assert report.columns[0].drifted and report.drifted
    assert report.reasons == [f"feature column drifted: {', '.join(report.drifted_columns)}"]
    # ... and the share rule stays available: 6 of 30 columns is below a share of 0.5.
    lenient = C.compare_frame(batch, million_reference, settings(share=0.5), registry)
    assert set(lenient.drifted_columns) == DRIFTED and not lenient.drifted
    assert lenient.reasons == []


def test_twenty_undrifted_batches_flag_at_most_one_column(registry, million_reference):
    flagged = [name for seed in range(100, 120)
               for name in _flagged(million_reference, hard_case(200_000, seed, drift=False),
                                    registry)]
    assert len(flagged) <= 1, flagged


def test_why_both_conditions_are_needed(registry):
    """On the hard case, p < alpha alone flags unchanged columns, and the effect margin
    alone (at the usual PSI 0.1 for every column) misses the numeric shifts."""
    reference = profile_frame(hard_case(100_000, 1, drift=False), seed=0)
    report = C.compare_frame(hard_case(100_000, 2, drift=True), reference, settings(), registry)
    by_p = {c.column for c in report.columns if c.p_value < 0.05}
    psi_only = C.compare_frame(hard_case(100_000, 2, drift=True), reference, settings(
        alpha=0.999999, numeric_margin=0.1,
        tests={"numeric": {"effect": "psi"}}), registry)
    assert by_p - DRIFTED                          # false alarms without correction + margin
    assert not set(SHIFTED) <= set(psi_only.drifted_columns)


# -- verdicts on a batch with known changes ---------------------------------------------------
def _known_frames(n: int = 20_000) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(5)

    def frame(shift: bool) -> pl.DataFrame:
        cats = ["u", "v", "w"]
        df = pl.DataFrame({
            "moved": rng.normal(10, 2, n) + (1.0 if shift else 0.0),
            "still": rng.exponential(1, n),
            "mix": _choice(rng, cats, n, [0.3, 0.3, 0.4] if shift else [0.5, 0.3, 0.2]),
            "holes": rng.normal(0, 1, n),
            "kinds": _choice(rng, cats + ["NEW"] if shift else cats, n,
                             [0.32, 0.32, 0.33, 0.03] if shift else None),
            "calm": _choice(rng, cats, n),
        })
        if shift:
            df = df.with_columns(df["holes"].set(pl.Series(rng.random(n) < 0.2), None))
        return df

    return frame(False), frame(True)


def test_exactly_the_changed_columns_are_flagged_with_their_reasons(registry):
    ref_frame, batch = _known_frames()
    report = C.compare_frame(batch.with_columns(pl.lit(1).alias("extra")),
                             profile_frame(ref_frame), settings(), registry)
    reasons = {c.column: c.reasons for c in report.columns if c.drifted}
    assert reasons == {"moved": ["distribution"], "mix": ["distribution"],
                       "holes": ["null_rate"], "kinds": ["distribution", "unseen"]}
    assert report.extra_columns == ["extra"]
    holes = next(c for c in report.columns if c.column == "holes")
    assert holes.null_rate_change == pytest.approx(0.2, abs=0.02)
    assert "null_rate: null-rate change" in holes.definition
    kinds = next(c for c in report.columns if c.column == "kinds")
    assert kinds.unseen_examples == ["NEW"] and kinds.unseen_share == pytest.approx(0.03, abs=0.01)
    assert report.drifted and report.share == pytest.approx(4 / 6)


def test_columns_sorted_by_severity_and_effects_reported_for_all(registry):
    ref_frame, batch = _known_frames()
    report = C.compare_frame(batch, profile_frame(ref_frame), settings(), registry)
    flags = [c.drifted for c in report.columns]
    assert flags == sorted(flags, reverse=True)
    undrifted = [c.severity for c in report.columns if not c.drifted]
    assert undrifted == sorted(undrifted, reverse=True)
    assert all(c.effect_size is not None and c.p_value is not None for c in report.columns)


def test_p_adjusted_is_benjamini_hochberg_of_the_p_values(registry):
    ref_frame, batch = _known_frames()
    cols = C.compare_frame(batch, profile_frame(ref_frame), settings(), registry).columns
    p = [c.p_value for c in cols]
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    by_hand = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):                   # step-up from the largest p-value
        i = order[rank - 1]
        running = min(running, p[i] * m / rank)
        by_hand[i] = running
    assert [c.p_adjusted for c in cols] == pytest.approx(by_hand, rel=1e-12)


def test_share_and_critical_rules(registry):
    ref_frame, batch = _known_frames()
    reference = profile_frame(ref_frame)
    moved_only = batch.with_columns(ref_frame["mix"], ref_frame["holes"], ref_frame["kinds"])
    default = C.compare_frame(moved_only, reference, settings(), registry)
    assert default.drifted_columns == ["moved"] and default.drifted        # any column
    assert not C.compare_frame(moved_only, reference, settings(share=0.5), registry).drifted
    assert C.compare_frame(moved_only, reference, settings(share=1 / 6), registry).drifted
    report = C.compare_frame(moved_only, reference, settings(share=0.5, critical=["moved"]),
                             registry)
    assert report.drifted and report.critical_drifted == ["moved"]
    assert report.reasons == ["critical column drifted: moved"]
    calm = C.compare_frame(moved_only, reference, settings(share=0.5, critical=["calm"]),
                           registry)
    assert not calm.drifted and calm.critical_drifted == []


def test_importance_share_of_the_drifted_columns_and_its_rule(registry):
    ref_frame, batch = _known_frames()
    reference = profile_frame(ref_frame)
    moved_only = batch.with_columns(ref_frame["mix"], ref_frame["holes"], ref_frame["kinds"])
    # Gains by hand: "moved" holds 3 of 3 + 1 + 2 + 4 = 10; "gone" is a feature the profile
    # lacks (it still counts in the total); a zero and a NaN gain count as nothing.
    gains = {"moved": 3.0, "calm": 1.0, "mix": 2.0, "gone": 4.0, "holes": 0.0,
             "kinds": float("nan")}
    report = C.compare_frame(moved_only, reference, settings(), registry, importance=gains)
    assert report.drifted_columns == ["moved"]
    assert report.importance_share == pytest.approx(0.3, abs=1e-15)
    assert report.to_dict()["importance_share"] == report.importance_share
    rule = settings(importance_share=0.25)
    assert C.compare_frame(moved_only, reference, rule, registry, importance=gains).drifted
    strict = C.compare_frame(moved_only, reference, settings(importance_share=0.35), registry,
                             importance=gains)
    assert not strict.drifted and strict.reasons == []
    # Either set rule suffices.
    both = settings(importance_share=0.35, share=1 / 6)
    assert C.compare_frame(moved_only, reference, both, registry, importance=gains).drifted
    # A model that recorded no importance: the share is unknown, the default rule applies.
    unknown = C.compare_frame(moved_only, reference, settings(importance_share=0.35),
                              registry, importance={})
    assert unknown.importance_share is None and unknown.drifted


def test_per_column_margin_and_test_overrides(registry):
    ref_frame, batch = _known_frames()
    reference = profile_frame(ref_frame)
    loose = settings(columns={"moved": {"margin": 5.0}, "mix": {"effect": "jensen_shannon"}})
    report = C.compare_frame(batch, reference, loose, registry)
    by_name = {c.column: c for c in report.columns}
    assert not by_name["moved"].drifted and by_name["moved"].threshold == 5.0
    assert by_name["mix"].effect_measure == "jensen_shannon"
    assert by_name["mix"].threshold == 0.1 and by_name["mix"].drifted


def test_small_batch_uses_the_exact_test_on_the_profile_sample(registry):
    ref_frame, batch = _known_frames()
    reference = profile_frame(ref_frame, seed=4)
    small = batch.head(300)
    moved = next(c for c in C.compare_frame(small, reference, settings(), registry).columns
                 if c.column == "moved")
    expected = sps.ks_2samp(np.array(reference["moved"].sample), small["moved"].to_numpy())
    assert moved.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert moved.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    assert moved.details["test"]["method"] == "raw" and moved.drifted


def test_report_dict_has_the_issue_shape(registry):
    ref_frame, batch = _known_frames()
    report = C.compare_frame(batch, profile_frame(ref_frame), settings(), registry)
    data = report.to_dict()
    assert {"drifted", "share", "columns", "extra_columns", "settings"} <= set(data)
    for col in data["columns"]:
        assert REQUIRED_COLUMN_KEYS <= set(col)
        assert col["definition"]
    numeric = report.distributions["moved"]
    assert len(numeric["edges"]) == len(numeric["ref"]) + 1 == len(numeric["cur"]) + 1
    assert sum(numeric["ref"]) == pytest.approx(1) and sum(numeric["cur"]) == pytest.approx(1)
    cat = report.distributions["kinds"]
    assert cat["categories"][-1] == "(unseen)" and sum(cat["cur"]) == pytest.approx(1)


# -- settings ---------------------------------------------------------------------------------
def test_settings_for_the_output_check_drop_column_rules():
    s = settings(critical=["a"], columns={"a": {"margin": 1.0}}, alpha=0.01)
    out = s.for_output()
    assert (out.critical, out.columns, out.alpha) == ([], {}, 0.01)
    assert s.critical == ["a"]


def test_packaged_default_yaml_is_the_dataclass_default():
    path = ROOT / "plugins" / "conf" / "drift" / "default.yaml"
    assert DriftSettings.from_config(yaml.safe_load(path.read_text())) == DriftSettings()


def test_every_setting_is_documented_in_the_yaml():
    text = (ROOT / "plugins" / "conf" / "drift" / "default.yaml").read_text().splitlines()
    for f in dataclasses.fields(DriftSettings):
        at = next(i for i, line in enumerate(text) if line.startswith(f"{f.name}:"))
        assert text[at - 1].startswith("#"), f.name


@pytest.mark.parametrize("values, message", [
    ({"alfa": 0.1}, "unknown parameter 'alfa' (key: drift.alfa). Did you mean: alpha?"),
    ({"alpha": 1.5}, "out of range: drift.alpha=1.5, must be < 1.0."),
    ({"columns": {"x": {"margn": 1}}}, "unknown parameter 'margn' (key: drift.columns.x.margn)"),
    ({"tests": {"numeric": {"effect": 3}}}, "wrong type for drift.tests.numeric.effect"),
])
def test_bad_settings(values, message):
    with pytest.raises(ConfigError) as err:
        DriftSettings.from_config(values)
    assert message in str(err.value)


@pytest.mark.parametrize("values, message", [
    ({"tests": {"numeric": {"significance": "psi"}}},
     "drift test 'psi' (key: drift.tests.numeric.significance) is an effect test"),
    ({"tests": {"categorical": {"significance": "ks"}}},
     "a significance test for categorical columns is needed: chi2."),
    ({"columns": {"moved": {"test": "kss"}}},
     "unknown drift_test 'kss'. Did you mean: ks?"),
    ({"critical": ["mvoed"]}, "drift.critical names column 'mvoed', which the baseline profile "
                              "does not have. Did you mean: moved?"),
])
def test_bad_test_choices(values, message, registry):
    ref_frame, batch = _known_frames(500)
    with pytest.raises(ConfigError) as err:
        C.compare_frame(batch, profile_frame(ref_frame), settings(**values), registry)
    assert message in str(err.value)


class _Broken(DriftTest):
    column_kinds: ClassVar[frozenset[str]] = frozenset({"numeric"})
    role: ClassVar[str] = "effect"

    def compute(self, ref, cur) -> TestResult:
        raise ZeroDivisionError("oops")


def test_a_failing_drift_test_is_a_plugin_error_naming_it(registry):
    reg = Registry(registry.entries())
    reg.add("drift_test", "broken", _Broken)
    ref_frame, batch = _known_frames(500)
    with pytest.raises(PluginError, match="drift test 'broken' failed on column 'moved': "
                                          "ZeroDivisionError: oops"):
        C.compare_frame(batch, profile_frame(ref_frame),
                        settings(columns={"moved": {"effect": "broken"}}), reg)


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("change, message", [
    (lambda b: b.drop("moved", "mix"),
     "the batch lacks 2 column(s) of the baseline profile: moved, mix. Add them"),
    (lambda b: b.with_columns(pl.col("moved").cast(pl.String)),
     "column 'moved' has dtype String in the batch but was numeric (Float64) in the baseline"),
    (lambda b: b.with_columns(pl.lit(3).alias("mix")),
     "column 'mix' has dtype Int32 in the batch but was categorical (String)"),
    (lambda b: b.head(0), "the batch is empty (0 rows)"),
    (lambda b: b.with_columns(pl.lit(None, pl.Float64).alias("still")),
     "column 'still' is entirely null in the batch (500 rows)"),
    (lambda b: b.with_columns(pl.lit(None).alias("still")),
     "column 'still' is entirely null in the batch (500 rows)"),
])
def test_bad_batches_are_one_line_data_errors(change, message, registry):
    ref_frame, batch = _known_frames(500)
    with pytest.raises(DataError) as err:
        C.compare_frame(change(batch), profile_frame(ref_frame), settings(), registry)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_numeric_widths_may_differ(registry):
    ref_frame, batch = _known_frames(2000)
    batch = batch.with_columns(pl.col("moved").cast(pl.Float32))
    report = C.compare_frame(batch, profile_frame(ref_frame), settings(), registry)
    assert "moved" in report.drifted_columns
