"""The registry: lazy discovery, attributed errors, protocol checks."""

import subprocess
import sys

import pytest

from driftline.engine.errors import ConfigError, PluginError
from driftline.engine.components.registry import Entry, Registry

GOOD = "tests.engine.components.fake_components:GoodSource"


def entry(name, value=GOOD, dist="acme-plugins", kind="source"):
    return Entry(kind, name, value, dist, "1.2.0")


def test_unknown_name_lists_options_and_suggests_closest():
    reg = Registry([entry("parquet"), entry("csv")])
    with pytest.raises(PluginError) as err:
        reg.load("source", "parqet")
    assert str(err.value) == "unknown source 'parqet'. Did you mean: parquet? Available: csv, parquet."


def test_failing_import_names_plugin_package_and_cause():
    reg = Registry([entry("broken", "tests.engine.components.broken_component:Thing")])
    with pytest.raises(PluginError) as err:
        reg.load("source", "broken")
    msg = str(err.value)
    assert "source 'broken' from package 'acme-plugins 1.2.0' failed to load" in msg
    assert "libfoo.so.1" in msg
    assert isinstance(err.value.__cause__, ImportError)


def test_broken_plugin_breaks_only_runs_that_use_it():
    reg = Registry([entry("broken", "tests.engine.components.broken_component:Thing"), entry("good")])
    assert reg.create("source", {"kind": "good"}, where="data").params.rows == 10


def test_two_packages_claiming_one_name_names_both():
    reg = Registry([entry("csv", dist="pkg-one"), entry("csv", dist="pkg-two")])
    with pytest.raises(PluginError) as err:
        reg.load("source", "csv")
    assert "'pkg-one 1.2.0'" in str(err.value) and "'pkg-two 1.2.0'" in str(err.value)


def test_same_distribution_seen_twice_is_one_claim():
    reg = Registry([entry("csv"), entry("csv")])
    assert reg.load("source", "csv").registered_name == "csv"


def test_object_not_implementing_protocol_is_rejected():
    reg = Registry([entry("odd", "tests.engine.components.fake_components:NotAComponent")])
    with pytest.raises(PluginError, match="does not implement the source protocol"):
        reg.load("source", "odd")


def test_create_checks_parameters_with_full_key():
    reg = Registry([entry("good")])
    with pytest.raises(ConfigError) as err:
        reg.create("source", {"kind": "good", "rowz": 5}, where="data")
    assert str(err.value) == ("unknown parameter 'rowz' (key: data.rowz). Did you mean: rows? "
                              "Available: rows.")
    with pytest.raises(ConfigError, match=r"out of range: data.rows=0, must be >= 1"):
        reg.create("source", {"kind": "good", "rows": 0}, where="data")


def test_unknown_kind_in_config_is_a_config_error_with_key():
    reg = Registry([entry("csv")])
    with pytest.raises(ConfigError) as err:
        reg.create("source", {"kind": "cvs"}, where="data")
    assert "(key: data.kind)" in str(err.value) and "Did you mean: csv?" in str(err.value)


def test_registered_name_does_not_leak_between_registries():
    a = Registry([entry("one")])
    b = Registry([entry("two")])
    assert a.load("source", "one").registered_name == "one"
    assert b.load("source", "two").registered_name == "two"


def test_discovery_imports_no_plugin_module():
    code = ("import sys; from driftline.engine.components.registry import Registry; r = Registry.from_environment(); "
            "assert 'lightgbm' in r.names('model'); "
            "print(sorted(m for m in sys.modules if m.startswith('plugins') or m in "
            "('lightgbm', 'polars', 'pandera', 'sqlmodel')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_builtin_entry_point_loads():
    reg = Registry.from_environment()
    builtins = [e for e in reg.entries() if e.distribution == "driftline"]
    assert len(builtins) >= 20
    for e in builtins:
        reg.load(e.kind, e.name)
    assert ("driftline.plugins.conf", "driftline") in reg.conf_packages


@pytest.mark.parametrize("own_engine", [False, True], ids=["no-engine-module", "project-engine"])
def test_plugin_importing_the_old_top_level_name_is_told_the_new_one(tmp_path, own_engine):
    """A plugin written for the old `engine` import name gets one line naming the new one,
    whether `engine` is missing or is some other project's own package."""
    (tmp_path / "old_plugin.py").write_text("from engine import Source\n\n"
                                            "class Old(Source):\n    pass\n")
    if own_engine:
        (tmp_path / "engine").mkdir()
        (tmp_path / "engine" / "__init__.py").write_text("SPEED = 1\n")
    code = ("from driftline.engine.components.registry import Entry, Registry\n"
            "from driftline.engine import PluginError\n"
            "reg = Registry([Entry('source', 'old', 'old_plugin:Old', 'acme', '1.0')])\n"
            "try:\n    reg.load('source', 'old')\nexcept PluginError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, check=True)
    message = out.stdout.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith("source 'old' from package 'acme 1.0' failed to load")
    assert "it imports 'engine'" in message
    assert "'from driftline.engine import Model'" in message
