"""The option catalogue: locations in Hydra's order, the winning option, its parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from driftline.engine.components.registry import Registry
from driftline.engine.config.options import (
    PROJECT_ORIGIN, Location, Option, constraints, declared_params, field_comments, parameters,
    read_catalogue, type_name,
)
from driftline.engine.config.project import Project
from driftline.engine.errors import UsageError


@dataclass
class Inner:
    # Leaves per tree.
    num_leaves: int = field(default=31, metadata={"ge": 2, "le": 131072})


@dataclass
class BaseParams:
    # Has no default.
    needed: int
    # Share of rows in the test part.
    test_size: float = field(default=0.2, metadata={"gt": 0, "lt": 1})


@dataclass
class Params(BaseParams):
    """A docstring line that looks like a field:
    column: not a field comment
    """

    # Column that orders the rows.
    column: str = "date"
    path: str = ""
    mode: Literal["a", "b"] = "a"
    # Nested parameters.
    inner: Inner = field(default_factory=Inner)
    cutoff: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list, metadata={"choices": ("x", "y")})


def option(text: str, group: str = "split", name: str = "mine") -> Option:
    location = Location(PROJECT_ORIGIN, "/conf")
    return Option(group, name, location, f"/conf/{group}/{name}.yaml", text)


def test_type_names_read_as_written():
    assert type_name(float | None) == "float | None"
    assert type_name(dict[str, Any]) == "dict[str, Any]"
    assert type_name(list[str]) == "list[str]"
    assert type_name(Literal["a", "b"]) == "'a' | 'b'"
    assert type_name(Inner) == "Inner"
    assert type_name("Forward") == "Forward"


def test_constraints_from_field_metadata():
    assert constraints({"gt": 0, "lt": 1}) == "> 0, < 1"
    assert constraints({"choices": ("train", "all")}) == "one of train, all"
    assert constraints({}) == ""


def test_field_comments_come_from_the_class_and_its_bases_never_its_docstring():
    found = field_comments(Params)
    assert found["test_size"] == "Share of rows in the test part."
    assert found["column"] == "Column that orders the rows."
    assert found["mode"] == ""
    assert field_comments(int) == {}


def test_declared_params_flatten_nested_dataclasses():
    declared = declared_params(Params)
    assert declared["inner"].section
    assert declared["inner.num_leaves"].type == "int"
    assert declared["inner.num_leaves"].constraints == ">= 2, <= 131072"
    assert declared["inner.num_leaves"].comment == "Leaves per tree."
    assert declared["test_size"].default == 0.2
    assert declared["extra"].default == {}
    assert not declared["column"].required
    assert declared_params(int) == {}


def test_parameters_in_file_order_with_yaml_then_class_meaning():
    text = ("# My split.\nkind: time\n# The ordering column.\ncolumn: day  # a Date column\n"
            "test_size: 0.25\npath: ???\ninner:\n  num_leaves: 7\n")
    found = {p.key: p for p in parameters(option(text), declared_params(Params))}
    assert list(found)[:5] == ["column", "test_size", "path", "inner", "inner.num_leaves"]
    assert "kind" not in found  # the component selector, reported apart
    column = found["column"]
    assert (column.default, column.comment, column.comment_from, column.type) == (
        "day", "The ordering column. a Date column", "yaml", "str")
    assert column.override == "split.column" and column.in_file
    assert found["test_size"].comment == "Share of rows in the test part."
    assert found["test_size"].comment_from == "class"
    assert found["path"].required
    assert found["inner"].section and not found["inner.num_leaves"].section
    assert not found["cutoff"].in_file and found["cutoff"].default is None
    assert found["mode"].type == "'a' | 'b'"
    assert found["needed"].required and not found["needed"].in_file
    assert found["needed"].comment == "Has no default."


def test_step_groups_and_global_packages_change_the_override_key():
    assert parameters(option("kind: log1p\ncolumns: ???\n", group="transforms"))[0].override == (
        "transforms.STEP.columns")
    assert parameters(option("# @package _global_\nseed: 1\n", group="extra"))[0].override == (
        "seed")
    assert option("a: 1\n", group="hydra/launcher").prefix == "hydra.launcher"
    assert option("kind: x\n", group="transforms").selection({}) == (
        "+transforms@transforms.STEP=mine")
    assert option("kind: x\n").selection({"split": "time"}) == "split=mine"
    assert option("a: 1\n", group="extra").selection({}) == "+extra=mine"
    assert option("n_jobs: 2\n", group="hydra/launcher").selection({}) == "hydra/launcher=mine"
    assert parameters(option("null\n", group="schema")) == []


@pytest.fixture
def project(tmp_path: Path) -> Project:
    conf = tmp_path / "conf"
    (conf / "split").mkdir(parents=True)
    (conf / "config.yaml").write_text("defaults:\n  - split: mine\n  - optional data: csv\n"
                                      "  - _self_\n")
    (conf / "split" / "mine.yaml").write_text("# Mine.\nkind: time\n")
    (conf / "split" / "time.yaml").write_text("# Project time.\nkind: time\n")
    (conf / "split" / "_skipped").mkdir()
    (conf / "split" / "notes.txt").write_text("not an option")
    return Project(root=tmp_path, runs_dir=tmp_path / "runs")


def test_the_project_conf_comes_first_and_hides_packaged_options(project):
    catalogue = read_catalogue(project, Registry.from_environment())
    assert [loc.origin for loc in catalogue.locations][:2] == [PROJECT_ORIGIN, "driftline"]
    split = {o.name: o for o in catalogue.options("split")}
    assert {"mine", "time", "random", "stratified"} <= set(split)
    assert split["mine"].origin == PROJECT_ORIGIN and split["mine"].summary == "Mine."
    assert split["time"].origin == PROJECT_ORIGIN and split["time"].overrides == ("driftline",)
    assert split["random"].origin == "driftline"
    assert catalogue.defaults == {"split": "mine", "data": "csv"}


def test_lookup_and_one_line_errors_naming_what_exists(project):
    catalogue = read_catalogue(project, Registry.from_environment())
    assert catalogue.lookup("split") == ("split", None)
    assert catalogue.lookup("split/time") == ("split", "time")
    assert catalogue.lookup("split/time.yaml/") == ("split", "time")
    with pytest.raises(UsageError) as exc:
        catalogue.lookup("split/tme")
    message = str(exc.value)
    assert message.startswith("unknown option 'tme' for group 'split'. Did you mean: time?")
    assert "Options: mine, random, stratified, time." in message and "\n" not in message
    with pytest.raises(UsageError, match=r"unknown config group 'splt'\. Did you mean: split\? "
                       r"Groups: .*split"):
        catalogue.lookup("splt/time")
