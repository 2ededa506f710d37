"""``driftline plugins show``: every group option on the run's search path, and its parameters.

The packaged options, a project's own conf/ and a plugin distribution's config package,
each marked with where it comes from; an option's parameters with the default and the
comment of its YAML file (read here independently of driftline's reader); unknown names
are one line and exit 2.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from tests.e2e.conftest import Cli

PACKAGED = importlib.resources.files("driftline.plugins.conf")
MINE = "# My own split: the last quarter is the test part.\nkind: time\ntest_size: 0.25\n"


def comment_above(file, key: str) -> str:
    """The comment lines directly above ``key:`` in a YAML file, joined (a test's own reader)."""
    lines = file.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    above = []
    for line in reversed(lines[:at]):
        if not line.startswith("#"):
            break
        above.insert(0, line[1:].strip())
    return " ".join(above)


def squashed(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    conf = tmp_path / "proj" / "conf"
    (conf / "split").mkdir(parents=True)
    (conf / "config.yaml").write_text((PACKAGED / "config.yaml").read_text(encoding="utf-8"))
    (conf / "split" / "mine.yaml").write_text(MINE)
    return tmp_path / "proj"


def test_the_list_has_the_packaged_split_options(cli):
    doc = cli.json("plugins", "show")
    split = {o["name"]: o for o in doc["groups"]["split"]}
    assert {"time", "random"} <= set(split)
    assert split["time"]["origin"] == "driftline"
    assert split["time"]["where"] == "pkg://driftline.plugins.conf"
    assert split["time"]["select"] == "split=time"
    assert {"data", "model", "schema", "metrics", "drift", "store"} <= set(doc["groups"])
    out = cli("plugins", "show")
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if line.startswith("split "))
    assert "driftline" in row and "random" in row and "time" in row


def test_a_group_lists_its_options_with_their_first_comment_sentence(cli):
    out = cli("plugins", "show", "split")
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("time "))
    first = (PACKAGED / "split" / "time.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first.lstrip("# ") in line
    options = cli.json("plugins", "show", "split")["options"]
    assert [o["name"] for o in options] == sorted(o["name"] for o in options)


def test_an_option_shows_each_parameter_with_its_yaml_default_and_comment(cli):
    file = PACKAGED / "split" / "time.yaml"
    values = OmegaConf.to_container(OmegaConf.load(file))
    comment = comment_above(file, "test_size")
    assert comment  # the packaged file documents it
    doc = cli.json("plugins", "show", "split/time")
    assert Path(doc["file"]).resolve() == Path(str(file)).resolve()
    assert doc["component"]["kind"] == "splitter" and doc["component"]["name"] == "time"
    assert doc["component"]["error"] is None
    params = {p["key"]: p for p in doc["parameters"]}
    assert set(params) == set(values) - {"kind"}
    size = params["test_size"]
    assert size["default"] == values["test_size"]
    assert size["comment"] == comment and size["comment_from"] == "yaml"
    assert size["type"] == "float" and size["override"] == "split.test_size"
    out = cli("plugins", "show", "split/time")
    assert out.returncode == 0, out.stderr
    assert f"split.test_size = {values['test_size']}" in out.stdout
    assert comment in squashed(out.stdout)
    assert "splitter 'time'" in out.stdout


def test_the_project_s_own_option_is_marked_as_the_project_s(cli, project):
    doc = cli.json("plugins", "show", cwd=project)
    split = {o["name"]: o for o in doc["groups"]["split"]}
    assert split["mine"]["origin"] == "project"
    assert Path(split["mine"]["file"]) == project / "conf" / "split" / "mine.yaml"
    assert split["time"]["origin"] == "driftline"
    assert doc["locations"][0] == {"origin": "project", "where": str(project / "conf"),
                                   "error": None}
    out = cli("plugins", "show", cwd=project)
    assert out.returncode == 0, out.stderr
    rows = out.stdout.splitlines()
    at = next(i for i, line in enumerate(rows) if line.startswith("split "))
    assert rows[at].split() == ["split", "project", "mine"]  # the first location first
    assert rows[at + 1].split()[0] == "driftline" and "time" in rows[at + 1]
    text = cli("plugins", "show", "split", cwd=project).stdout
    assert any(line.split()[:2] == ["mine", "project"] and "My own split" in line
               for line in text.splitlines())
    detail = cli.json("plugins", "show", "split/mine", cwd=project)
    assert detail["origin"] == "project"
    assert {p["key"]: p["default"] for p in detail["parameters"] if p["in_file"]} == {
        "test_size": 0.25}


def test_a_project_option_of_a_packaged_name_hides_it(cli, project):
    (project / "conf" / "split" / "time.yaml").write_text("# Project time.\nkind: time\n")
    split = {o["name"]: o for o in cli.json("plugins", "show", cwd=project)["groups"]["split"]}
    assert split["time"]["origin"] == "project"
    assert split["time"]["overrides"] == ["driftline"]


def test_a_plugin_distribution_s_conf_package_is_listed_under_its_name(tmp_path):
    site = tmp_path / "site"
    info = site / "fancy_conf-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fancy-conf\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[driftline.conf]\nfancy = fancy_conf\n")
    (site / "fancy_conf" / "split").mkdir(parents=True)
    (site / "fancy_conf" / "__init__.py").write_text("")
    (site / "fancy_conf" / "split" / "fancy.yaml").write_text(
        "# A fancy split.\nkind: random\n# Share of rows for testing.\ntest_size: 0.3\n")
    cli = Cli(tmp_path)
    cli.env["PYTHONPATH"] = os.pathsep.join([str(site), cli.env.get("PYTHONPATH", "")])
    split = {o["name"]: o for o in cli.json("plugins", "show")["groups"]["split"]}
    assert split["fancy"]["origin"] == "fancy-conf"
    assert split["fancy"]["where"] == "pkg://fancy_conf"
    detail = cli.json("plugins", "show", "split/fancy")
    assert detail["parameters"][0]["comment"] == "Share of rows for testing."


@pytest.mark.parametrize(("target", "start", "names"), [
    ("split/tme", "unknown option 'tme' for group 'split'.", ["random", "time"]),
    ("splt", "unknown config group 'splt'.", ["split", "data"]),
])
def test_an_unknown_name_is_one_line_and_exit_2(cli, target, start, names):
    out = cli("plugins", "show", target)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith(f"driftline: error: {start}")
    assert all(name in lines[0] for name in names)


def test_run_help_points_to_plugins_show(cli):
    out = cli("run", "--help")
    assert out.returncode == 0, out.stderr
    assert "driftline plugins show [GROUP[/OPTION]]" in out.stdout
