"""The conformance suite: it passes on the built-ins and fails broken components for the
right reason, both through :func:`check_component` and through the pytest classes."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pytest

from driftline.engine import (DriftTest, DriftTestContract, Metric, MetricContract, Model, ModelContract,
                    Splitter, SplitterContract, TestResult, Transform, TransformContract,
                    check_component, contract_frame)
from driftline.engine.conformance import CheckFailed, check_installed
from driftline.engine.conformance.inputs import CONTRACT_ROWS
from driftline.engine.components.registry import Entry, Registry

# Built-ins whose Params have required fields: the config node the checks build them with
# (until they declare example_params themselves).  Paths are filled in by the test.
BUILTIN_EXAMPLES = {
    ("schema", "yaml"): {"columns": {"num_a": {"dtype": "Float64"}, "cat": {"dtype": "String"}}},
    ("source", "sql"): {"url": "sqlite://", "query": "select 1 as x, 'a' as y"},
    ("splitter", "time"): {"column": "day"},
    ("transform", "cast"): {"columns": {"num_b": "Float64"}},
    ("transform", "drop_columns"): {"columns": ["num_b"]},
    ("transform", "fill_null"): {"strategy": {"num_a": "mean"}},
    ("transform", "sql"): {"query": "select * from data where num_b > 1"},
}


def _builtins() -> list[tuple[str, str]]:
    return sorted({(e.kind, e.name) for e in Registry.from_environment().entries()
                   if e.distribution == "driftline"})


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract")
    frame = contract_frame()
    frame.write_csv(folder / "data.csv")
    frame.write_parquet(folder / "data.parquet")
    return folder


@pytest.mark.parametrize("kind,name", _builtins())
def test_every_builtin_passes(kind, name, files):
    params = BUILTIN_EXAMPLES.get((kind, name))
    if (kind, name) in (("source", "csv"), ("source", "parquet")):
        params = {"path": str(files / f"data.{name}")}
    results = check_component(Registry.from_environment(), kind, name, params=params)
    assert [r for r in results if not r.ok] == []
    assert {r.package for r in results} == {"driftline"}
    # import, protocol, params, and a behaviour check for every kind that has one.
    assert len(results) >= (3 if kind == "alert" else 4)


# -- the contract frame --------------------------------------------------------------------
def test_contract_frame_is_seeded_and_as_documented():
    a, b, other = contract_frame(), contract_frame(), contract_frame(seed=1)
    assert a.equals(b) and not a.equals(other)
    assert a.height == CONTRACT_ROWS
    assert dict(a.schema) == {
        "row_id": pl.Int64, "num_a": pl.Float64, "num_b": pl.Int64, "cat": pl.String,
        "flag": pl.Boolean, "day": pl.Date, "y_binary": pl.Int64, "y_multiclass": pl.Int64,
        "y_regression": pl.Float64}
    assert 0 < a["num_a"].null_count() < 30 and 0 < a["cat"].null_count() < 30
    assert sorted(a["y_multiclass"].unique().to_list()) == [0, 1, 2]
    # Every class is present in the train (row_id % 5 < 3) and test (== 4) folds.
    for fold in (a.filter(pl.col("row_id") % 5 < 3), a.filter(pl.col("row_id") % 5 == 4)):
        assert fold["y_binary"].n_unique() == 2 and fold["y_multiclass"].n_unique() == 3


# -- a small correct model, and broken variants ------------------------------------------------
class MeanModel(Model):
    """Predicts the training class shares (or mean): tiny, correct, JSON-saved."""

    @dataclass(frozen=True)
    class Params:
        # Added to every count before taking shares (Laplace smoothing).
        smoothing: float = field(default=1.0, metadata={"ge": 0.0})

    format = "mean-json"
    file_name = "mean.json"

    def fit(self, data, ctx):
        y = np.asarray(data.y_train, dtype=np.float64)
        if data.task == "regression":
            self.state = {"task": data.task, "values": [float(y.mean())]}
            return
        k = data.n_classes
        counts = np.bincount(y.astype(np.int64), minlength=k) + self.params.smoothing
        self.state = {"task": data.task, "values": (counts / counts.sum()).tolist()}

    def predict(self, frame):
        values = np.asarray(self.state["values"])
        if self.state["task"] == "multiclass":
            return np.tile(values, (frame.height, 1))
        value = values[0] if self.state["task"] == "regression" else values[1]
        return np.full(frame.height, value)

    def dumps(self):
        return json.dumps(self.state, sort_keys=True).encode()

    def metadata(self):
        return {"task": self.state["task"]}

    @classmethod
    def loads(cls, data, metadata, params=None):
        model = cls(params)
        model.state = json.loads(data)
        return model


class LoadsDifferently(MeanModel):
    @classmethod
    def loads(cls, data, metadata, params=None):
        model = super().loads(data, metadata, params)
        model.state["values"] = [v * 0.5 for v in model.state["values"]]
        return model


class NoDefault(MeanModel):
    @dataclass(frozen=True)
    class Params:
        # Required: no default.
        smoothing: float


class NonDeterministic(MeanModel):
    def dumps(self):
        return json.dumps({**self.state, "saved_at": time.perf_counter_ns()}).encode()


class NoPredict(Model):
    def fit(self, data, ctx):
        pass


class WrongShape(MeanModel):
    def predict(self, frame):
        if self.state["task"] == "binary":
            return np.zeros((frame.height, 2))  # binary must be (n,)
        return super().predict(frame)


class MetadataNotJson(MeanModel):
    def metadata(self):
        return {"classes": {1, 2}}


class DefaultOutOfRange(MeanModel):
    @dataclass(frozen=True)
    class Params:
        # Must be at least 1, but the default is 0.
        smoothing: int = field(default=0, metadata={"ge": 1})


class CardFileName(MeanModel):
    file_name = "model.json"


class FitFails(MeanModel):
    def fit(self, data, ctx):
        raise ValueError("singular matrix")


def _results(kind, name, cls, **kw):
    reg = Registry()
    reg.add(kind, name, cls, distribution="acme")
    return check_component(reg, kind, name, **kw)


def _failures(kind, cls, **kw):
    return [(r.check, r.reason) for r in _results(kind, "fake", cls, **kw) if not r.ok]


def test_a_correct_model_passes_every_check_for_every_task():
    results = _results("model", "mean", MeanModel)
    assert [(r.check, r.ok) for r in results] == [
        ("import", True), ("protocol", True), ("params", True),
        ("predict [binary]", True), ("predict [multiclass]", True), ("predict [regression]", True),
        ("round-trip [binary]", True), ("round-trip [multiclass]", True),
        ("round-trip [regression]", True), ("deterministic [binary]", True),
        ("deterministic [multiclass]", True), ("deterministic [regression]", True)]
    assert {(r.kind, r.name, r.package) for r in results} == {("model", "mean", "acme")}


@pytest.mark.parametrize("cls,expected", [
    pytest.param(LoadsDifferently, [
        (f"round-trip [{t}]", f"the model loaded from dumps() predicts differently on the {t} "
         f"task (largest difference") for t in ("binary", "multiclass", "regression")],
        id="loads-predicts-differently"),
    pytest.param(NoDefault, [("params", "Params field(s) smoothing have no default and no "
                              "example_params gives them")], id="params-without-default"),
    pytest.param(NonDeterministic, [
        (f"deterministic [{t}]", f"two trainings with the same data and seed gave different "
         f"dumps() on the {t} task") for t in ("binary", "multiclass", "regression")],
        id="non-deterministic-dumps"),
    pytest.param(NoPredict, [("protocol", "does not implement predict, dumps, metadata, loads "
                              "of the model protocol (driftline.engine.components.kinds.model.Model).")],
                 id="methods-missing"),
    pytest.param(WrongShape, [("predict [binary]", "predict on the binary task must return "
                               "shape (48,); got (48, 2).")], id="wrong-binary-shape"),
    pytest.param(MetadataNotJson, [
        (f"round-trip [{t}]", "metadata() must be JSON data: Object of type set")
        for t in ("binary", "multiclass", "regression")], id="metadata-not-json"),
    pytest.param(DefaultOutOfRange, [("params", "the default parameters do not fit their own "
                                      "declared types or ranges: ConfigError: out of range: "
                                      "model.smoothing=0, must be >= 1.")],
                 id="default-out-of-range"),
    pytest.param(CardFileName, [("protocol", "file_name 'model.json' is a file driftline "
                                 "writes in the run folder itself")], id="file-name-clash"),
])
def test_broken_model_fails_for_the_right_reason(cls, expected):
    failures = _failures("model", cls)
    assert [check for check, _ in failures] == [check for check, _ in expected]
    for (_, reason), (_, start) in zip(failures, expected):
        assert reason.startswith(start), reason


def test_a_failing_fit_is_reported_with_its_cause_not_raised():
    failures = _failures("model", FitFails)
    assert failures[0] == ("predict [binary]",
                           "fit on the binary task raised ValueError: singular matrix")


class ScaledMetric(Metric):
    tasks = frozenset({"regression"})

    @dataclass(frozen=True)
    class Params:
        # Required: the factor the error is multiplied by.
        scale: float = field(metadata={"gt": 0.0})

    example_params = {"scale": 2.0}

    def compute(self, y_true, y_score, task):
        return float(self.params.scale * np.mean(np.abs(y_score - y_true)))


def test_example_params_build_a_component_whose_params_have_no_default():
    assert all(r.ok for r in _results("metric", "fake", ScaledMetric))
    # Explicit params (the test class's `params`) take precedence.
    assert _failures("metric", ScaledMetric, params={"scale": -1.0}) == [
        ("params", "example_params do not validate: ConfigError: out of range: "
                   "metric.scale=-1.0, must be > 0.0.")]


def test_a_model_that_cannot_load_without_params_fails_its_round_trip():
    """The engine calls loads(data, metadata) without params: required params break it."""
    class WithExample(NoDefault):
        example_params = {"smoothing": 2.0}

    failures = _failures("model", WithExample)
    assert [check for check, _ in failures] == [
        "round-trip [binary]", "round-trip [multiclass]", "round-trip [regression]"]
    assert failures[0][1].startswith("loads() of the binary model raised TypeError: ")


def test_tasks_limit_the_model_checks():
    class RegressionOnly(MeanModel):
        tasks = frozenset({"regression"})

    checks = [r.check for r in _results("model", "fake", RegressionOnly)]
    assert checks[3:] == ["predict [regression]", "round-trip [regression]",
                          "deterministic [regression]"]


def test_a_plugin_that_fails_to_import_fails_the_import_check_only():
    reg = Registry([Entry("model", "broken", "tests.engine.components.broken_component:Thing", "acme", "1.0")])
    [result] = check_component(reg, "model", "broken")
    assert (result.check, result.ok, result.package, result.version) == ("import", False, "acme", "1.0")
    assert "failed to load" in result.reason and "libfoo.so.1" in result.reason


def test_two_packages_claiming_a_name_fail_the_import_check_naming_both():
    reg = Registry([Entry("metric", "auc", "x:Y", "pkg-one", "1.0"),
                    Entry("metric", "auc", "x:Y", "pkg-two", "2.0")])
    [result] = check_installed(reg, "auc")
    assert not result.ok and result.package == "pkg-one + pkg-two"
    assert "'pkg-one 1.0'" in result.reason and "'pkg-two 2.0'" in result.reason


def test_check_installed_rejects_an_unknown_name_with_a_suggestion():
    from driftline.engine.errors import PluginError

    reg = Registry([Entry("metric", "brier", "x:Y", "acme", "1.0")])
    with pytest.raises(PluginError, match=r"no installed component is called 'breir'\. "
                                          r"Did you mean: brier\?"):
        check_installed(reg, "breir")


# -- metrics, transforms, splitters ---------------------------------------------------------
class GoodMetric(Metric):
    tasks = frozenset({"binary", "regression"})
    higher_is_better = False

    def compute(self, y_true, y_score, task):
        return float(np.mean((np.asarray(y_score) - y_true) ** 2))


class ArrayMetric(GoodMetric):
    def compute(self, y_true, y_score, task):
        return np.asarray(y_score) - y_true


class NanMetric(GoodMetric):
    def compute(self, y_true, y_score, task):
        return float("nan")


def test_metric_checks():
    assert all(r.ok for r in _results("metric", "fake", GoodMetric))
    assert _failures("metric", ArrayMetric) == [
        ("compute [binary]", "compute on the binary task must return a float; got ndarray."),
        ("compute [regression]", "compute on the regression task must return a float; got ndarray.")]
    assert _failures("metric", NanMetric)[0] == (
        "compute [binary]", "compute on well-formed binary inputs returned nan.")


class EagerTransform(Transform):
    def apply(self, frame, ctx):
        return frame.collect()


class LazyTransform(Transform):
    def apply(self, frame, ctx):
        return frame.with_columns(pl.col("num_a") * 2)


def test_transform_checks():
    assert all(r.ok for r in _results("transform", "fake", LazyTransform))
    assert _failures("transform", EagerTransform) == [
        ("apply", "apply must return a polars LazyFrame; got DataFrame.")]


class ShufflingSplitter(Splitter):
    def split(self, frame, ctx):
        shuffled = frame.sample(fraction=1.0, shuffle=True, seed=ctx.seed)
        return {"train": shuffled.head(200), "test": shuffled.tail(frame.height - 200)}


class LosingSplitter(Splitter):
    def split(self, frame, ctx):
        return {"train": frame.head(100), "test": frame.slice(150)}


class OrderedSplitter(Splitter):
    def split(self, frame, ctx):
        return {"train": frame.head(200), "valid": None, "test": frame.tail(frame.height - 200)}


def test_splitter_checks():
    assert all(r.ok for r in _results("splitter", "fake", OrderedSplitter))
    assert _failures("splitter", ShufflingSplitter) == [
        ("split", "split part 'train' does not keep the input row order.")]
    assert _failures("splitter", LosingSplitter) == [
        ("split", "the split parts do not hold every row exactly once.")]


# -- the pytest classes, as a plugin's tests use them ------------------------------------------
class TestMeanModelContract(ModelContract):
    component = MeanModel


class TestLightGBMContract(ModelContract):
    name = "lightgbm"


class TestAucContract(MetricContract):
    name = "auc"


class TestDropColumnsContract(TransformContract):
    name = "drop_columns"
    params = {"columns": ["flag"]}


class TestStratifiedContract(SplitterContract):
    name = "stratified"


def test_contract_class_fails_a_broken_model_with_the_reason():
    class Broken(ModelContract):
        component = LoadsDifferently

    with pytest.raises(AssertionError) as err:
        Broken().test_round_trip_predicts_identically()
    assert isinstance(err.value, CheckFailed)
    assert str(err.value).startswith("model 'loadsdifferently': round-trip [binary]: the model "
                                     "loaded from dumps() predicts differently")
    Broken().test_predicts_documented_shape()  # the other checks still pass
    Broken().test_dumps_is_deterministic()


def test_contract_class_without_a_component_says_what_to_set():
    from driftline.engine.errors import ConfigError

    class Empty(ModelContract):
        pass

    with pytest.raises(ConfigError, match="set 'component' \\(a class\\) or 'name'"):
        Empty().test_implements_protocol()


# -- drift tests -----------------------------------------------------------------------------
class MeanGap(DriftTest):
    column_kinds = frozenset({"numeric"})
    role = "effect"

    def compute(self, ref, cur):
        return TestResult(abs(cur.mean - ref.mean), None, "|mean difference|", {"n": cur.n})


class ShareGap(DriftTest):
    """A significance test over categories: chi-square of the aligned counts (scipy)."""

    column_kinds = frozenset({"categorical"})
    role = "significance"

    def compute(self, ref, cur):
        from scipy.stats import chi2_contingency

        stat, p, dof, _ = chi2_contingency(np.vstack([cur.ref_counts, cur.counts]) + 0.5)
        return TestResult(float(stat), float(p), "chi-square, +0.5 per cell", {"dof": int(dof)})


class NoPValue(ShareGap):
    def compute(self, ref, cur):
        return TestResult(super().compute(ref, cur).statistic, None, "chi-square")


class Constant(MeanGap):
    def compute(self, ref, cur):
        return TestResult(0.5, None, "always 0.5")


class PlainDict(MeanGap):
    def compute(self, ref, cur):
        return {"statistic": 1.0, "p_value": None}


class NoRole(MeanGap):
    role = "size"


def test_drift_test_checks():
    assert all(r.ok for r in _results("drift_test", "fake", MeanGap))
    assert all(r.ok for r in _results("drift_test", "fake", ShareGap))
    assert _failures("drift_test", NoPValue) == [
        ("compute", "a significance test's p_value must be a float in [0, 1]; got None.")]
    assert _failures("drift_test", PlainDict) == [
        ("compute", "compute must return an engine TestResult; got dict.")]
    assert _failures("drift_test", NoRole) == [
        ("compute", "class attribute 'role' must be one of significance, effect; got 'size'.")]
    [(check, reason)] = _failures("drift_test", Constant)
    assert reason.startswith("on a numeric column, a clearly shifted batch got statistic 0.5 "
                             "<= 0.5 of a batch from the same distribution")


def test_drift_inputs_shift_the_batch_as_documented():
    from driftline.engine.conformance.inputs import DRIFT_SHIFT, drift_inputs

    num = drift_inputs("numeric")
    ref, same = num["same"]
    _, shifted = num["shifted"]
    batch = contract_frame(seed=8)["num_a"]
    assert same.mean == pytest.approx(batch.mean()) and ref.mean == pytest.approx(
        contract_frame()["num_a"].mean())
    assert shifted.mean - same.mean == pytest.approx(DRIFT_SHIFT * batch.std())
    _, cat_shifted = drift_inputs("categorical")["shifted"]
    counts = dict(zip(cat_shifted.bins, cat_shifted.counts.tolist()))
    assert counts["c"] > counts["a"] + counts["b"]


class TestMeanGapContract(DriftTestContract):
    component = MeanGap
