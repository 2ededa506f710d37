"""``driftline init``: scaffold a project of one's own (conf/, runs/, README)."""

from __future__ import annotations

from pathlib import Path

from driftline.engine.lineage.atomic import atomic_write_text
from driftline.engine.errors import UsageError

CONFIG_YAML = """\
# {name}: a driftline project. Run with `driftline run [key=value ...]`;
# `driftline run --help` lists the config groups and their options.
defaults:
  - data: {name}_data        # conf/data/{name}_data.yaml: where your data is
  - schema: none             # write one with: driftline schema infer DATA > conf/schema/{name}.yaml
  - split: random
  - model: lightgbm
  - metrics: default
  - store: default
  - drift: default
  - _self_

# Groups related runs.
experiment: {name}
# Seed of every random choice (split, model).
seed: 0
# binary | multiclass | regression
task: binary
# The column to predict: change this to your target column.
target: target
# Columns never used as features (ids, leakage). Date/time columns never are.
exclude: []
"""

DATA_YAML = """\
# Where the data comes from. kind: csv | parquet | sql | synthetic (see `driftline plugins`).
kind: csv
# A path relative to the project folder (the one holding conf/), or a glob such as
# data/*.csv; the same from any subfolder you run driftline in.
path: data/{name}.csv
"""

README = """\
# {name}

A [driftline](https://pypi.org/project/driftline/) project.

    driftline run                      # train, evaluate, record lineage in runs/lineage.db
    driftline run model.params.num_leaves=63
    driftline runs                     # what ran
    driftline show latest              # everything recorded about the last run

Edit `conf/config.yaml` (target, task) and `conf/data/{name}_data.yaml` (where your data is).
"""

RUNS_GITIGNORE = "# run folders and the lineage store stay out of git\n*\n!.gitignore\n"


def init_project(folder: Path) -> list[Path]:
    """Write the scaffold into ``folder``; refuse to overwrite an existing project."""
    folder = folder.resolve()
    config = folder / "conf" / "config.yaml"
    if config.exists():
        raise UsageError(f"{config} already exists; driftline init does not overwrite a project.")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} exists and is not a folder.")
    name = _project_name(folder.name)
    files = {
        config: CONFIG_YAML.format(name=name),
        folder / "conf" / "data" / f"{name}_data.yaml": DATA_YAML.format(name=name),
        folder / "runs" / ".gitignore": RUNS_GITIGNORE,
    }
    # The folder the data config points at, so copying the data in is the only step left.
    if not (folder / "data").exists():
        files[folder / "data" / ".gitkeep"] = ""
    readme = folder / "README.md"
    if not readme.exists():
        files[readme] = README.format(name=name)
    for path, text in files.items():
        atomic_write_text(path, text)
    return list(files)


def _project_name(raw: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in raw.lower()).strip("_")
    return cleaned or "project"
