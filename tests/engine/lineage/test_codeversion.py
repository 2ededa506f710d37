"""The code version of a run: a git checkout's commit and whether tracked files changed."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from driftline.engine.lineage.codeversion import git_state, package_versions


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "train.py").write_text("print(1)\n")
    git(tmp_path, "add", "train.py")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_a_clean_checkout_is_not_dirty(repo):
    head = git(repo, "rev-parse", "HEAD").strip()
    assert git_state(repo) == {"commit": head, "dirty": False, "diff_hash": None}


def test_untracked_files_are_not_a_change_to_the_code(repo):
    (repo / "sample.csv").write_text("a,b\n1,2\n")
    (repo / "scratch").mkdir()
    (repo / "scratch" / "drift.html").write_text("<html></html>")
    assert git_state(repo)["dirty"] is False


def test_an_edited_or_staged_tracked_file_is_dirty_with_the_hash_of_its_diff(repo):
    (repo / "train.py").write_text("print(2)\n")
    state = git_state(repo)
    want = hashlib.sha256(git(repo, "diff", "HEAD", "--binary", "--", ".").encode()).hexdigest()
    assert (state["dirty"], state["diff_hash"]) == (True, want)
    git(repo, "add", "train.py")
    assert git_state(repo)["diff_hash"] == want  # staged: the same change
    (repo / "train.py").write_text("print(3)\n")
    assert git_state(repo)["diff_hash"] != want


def test_outside_a_checkout_everything_is_unknown(tmp_path):
    assert git_state(tmp_path) == {"commit": None, "dirty": None, "diff_hash": None}
    assert git_state(None) == {"commit": None, "dirty": None, "diff_hash": None}


def test_package_versions_name_python_and_the_plugins_distributions():
    versions = package_versions(["driftline"])
    assert versions["python"].count(".") == 2 and versions["polars"]
    assert versions["plugins"] == {"driftline": versions["driftline"]}
