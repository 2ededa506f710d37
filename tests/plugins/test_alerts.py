"""The alert kind: the built-in ``log`` and ``file`` alerts, the event, failure translation."""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
from pathlib import Path

import pytest

from driftline.engine import Alert, PluginError, Registry
from driftline.engine.components.kinds.alert import deliver, drift_event

REPORT = {
    "drifted": True, "share": 0.2, "baseline_run": "run0123456789abcdef",
    "batch": {"hash": "d" * 64, "rows": 1000, "source": "batch.parquet"},
    "columns": [
        {"column": "credit_score", "drifted": True}, {"column": "grade", "drifted": True},
        {"column": "age", "drifted": False},
    ],
}
AT = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)


def event(**changes) -> dict:
    return {**drift_event(REPORT, check_id="chk42", at=AT), **changes}


@pytest.fixture
def registry() -> Registry:
    return Registry.from_environment()


def test_drift_event_shape():
    assert drift_event(REPORT, check_id="chk42", at=AT) == {
        "kind": "drift", "baseline_run": "run0123456789abcdef", "check_id": "chk42",
        "drifted_columns": ["credit_score", "grade"], "share": 0.2,
        "batch": {"hash": "d" * 64, "rows": 1000, "source": "batch.parquet"},
        "at": "2025-03-04T05:06:07+00:00",
    }


def test_drift_event_time_defaults_to_now_in_utc():
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    at = dt.datetime.fromisoformat(drift_event(REPORT, check_id="c")["at"])
    assert at.utcoffset() == dt.timedelta(0)
    assert before <= at <= dt.datetime.now(dt.timezone.utc)


def test_builtin_alerts_are_registered(registry):
    assert {"log", "file"} <= set(registry.names("alert"))
    assert issubclass(registry.load("alert", "file"), Alert)


# -- log ---------------------------------------------------------------------------------------
def test_log_alert_writes_one_warning_line(registry, caplog):
    alert = registry.create("alert", {"kind": "log"}, where="alerts[0]")
    with caplog.at_level(logging.WARNING, logger="driftline.alerts"):
        deliver(alert, event(drifted_columns=["credit_score", "bad\nname"]))
    (record,) = caplog.records
    assert record.name == "driftline.alerts" and record.levelno == logging.WARNING
    message = record.getMessage()
    assert "\n" not in message
    assert message == ("drift detected against run run0123456789abcdef: 2 column(s) drifted "
                       "(share 20%): credit_score, bad name; batch batch.parquet (1000 rows, "
                       "hash dddddddddddd); check chk42 at 2025-03-04T05:06:07+00:00")


def test_log_alert_bounds_the_listed_columns(registry, caplog):
    alert = registry.create("alert", {"kind": "log"}, where="alerts[0]")
    with caplog.at_level(logging.WARNING, logger="driftline.alerts"):
        alert.send(event(drifted_columns=[f"c{i}" for i in range(25)], share=float("nan")))
    message = caplog.records[0].getMessage()
    assert "25 column(s) drifted (share ?): c0, c1" in message
    assert "c9 ... and 15 more;" in message and "c10" not in message


# -- file --------------------------------------------------------------------------------------
def test_file_alert_appends_one_json_line_per_event(registry, tmp_path):
    path = tmp_path / "deep" / "er" / "alerts.jsonl"
    alert = registry.create("alert", {"kind": "file", "path": str(path)}, where="alerts[0]")
    first, second = event(), event(check_id="chk43", share=float("nan"))
    deliver(alert, first)
    deliver(alert, second)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and path.read_bytes().endswith(b"\n")
    assert json.loads(lines[0]) == first
    assert json.loads(lines[1]) == {**second, "share": None}


def test_file_alert_writes_each_line_with_one_write_call(registry, tmp_path, monkeypatch):
    import driftline.plugins.alerts as alerts

    calls = []
    real_write = alerts.os.write
    monkeypatch.setattr(alerts.os, "write", lambda fd, data: calls.append(data) or real_write(fd, data))
    alert = registry.create("alert", {"kind": "file", "path": str(tmp_path / "a.jsonl")},
                            where="alerts[0]")
    big = event(drifted_columns=[f"column_{i}" for i in range(3000)])
    alert.send(big)
    assert len(calls) == 1 and calls[0].endswith(b"\n") and json.loads(calls[0]) == big


def _append_many(path: str, writer: int, count: int) -> None:
    from driftline.plugins.alerts import FileAlert

    alert = FileAlert(FileAlert.Params(path=path))
    padding = [f"{writer}-{i}" * 40 for i in range(60)]  # ~10 KB per line: above PIPE_BUF
    for i in range(count):
        alert.send({"kind": "drift", "writer": writer, "seq": i, "drifted_columns": padding})


def test_concurrent_writers_never_interleave_lines(tmp_path):
    path = tmp_path / "alerts.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(str(path), w, 150)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(records) == 600
    for writer in range(4):
        assert [r["seq"] for r in records if r["writer"] == writer] == list(range(150))


def _below_a_file(tmp: Path) -> Path:
    (tmp / "file").write_text("")
    return tmp / "file" / "a.jsonl"


@pytest.mark.parametrize("make_bad", [
    pytest.param(lambda tmp: tmp, id="path-is-a-folder"),
    pytest.param(_below_a_file, id="parent-is-a-file"),
])
def test_file_alert_failure_is_one_line_naming_the_alert_and_path(registry, tmp_path, make_bad):
    path = make_bad(tmp_path)
    alert = registry.create("alert", {"kind": "file", "path": str(path)}, where="alerts[0]")
    with pytest.raises(PluginError) as info:
        deliver(alert, event())
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"alert 'file' could not append to {path}: ")
    assert info.value.kind == "alert" and info.value.name == "file"


def test_file_alert_rejects_unknown_parameters(registry):
    from driftline.engine import ConfigError

    with pytest.raises(ConfigError, match=r"unknown parameter 'pth' \(key: alerts\[0\]\.pth\)"):
        registry.create("alert", {"kind": "file", "pth": "x"}, where="alerts[0]")


# -- third-party alerts ------------------------------------------------------------------------
class FlakySlack(Alert):
    def send(self, event):
        raise ConnectionError("HTTP 503 from hooks.example\nretry later")


class Misconfigured(Alert):
    def send(self, event):
        raise PluginError("alert 'strict' needs a webhook url", kind="alert", name="strict")


def test_a_failing_third_party_alert_becomes_one_line_plugin_error():
    reg = Registry()
    reg.add("alert", "slack", FlakySlack)
    alert = reg.create("alert", {"kind": "slack"}, where="alerts[1]")
    with pytest.raises(PluginError) as info:
        deliver(alert, event())
    assert str(info.value) == (
        "alert 'slack' failed to send the drift event: ConnectionError: HTTP 503 from "
        "hooks.example retry later. Check that alert's settings and the service it sends to.")
    assert info.value.name == "slack" and isinstance(info.value.__cause__, ConnectionError)


def test_an_alert_raising_a_driftline_error_is_passed_through():
    reg = Registry()
    reg.add("alert", "strict", Misconfigured)
    with pytest.raises(PluginError, match=r"^alert 'strict' needs a webhook url$"):
        deliver(reg.create("alert", {"kind": "strict"}, where="alerts[0]"), event())


def test_an_object_that_is_not_an_alert_is_refused():
    reg = Registry()
    reg.add("alert", "fake", type("Fake", (), {"send": lambda self, e: None}))
    with pytest.raises(PluginError, match="does not implement the alert protocol"):
        reg.load("alert", "fake")


def test_path_param_is_declared_with_a_default():
    from driftline.plugins.alerts import FileAlert

    assert Path(FileAlert.Params().path).name == "drift_alerts.jsonl"
