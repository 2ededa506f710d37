"""Every command the README shows is run here, in order, so the README cannot go stale.

Lines in ```bash blocks are commands (a trailing `# ...` is a comment; one ending in `exit N` states
the expected exit code). `python -m pip install ...` and `python -m pytest` are the set-up and
test commands: they must be exactly what .ci/run runs, and are not re-run here.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
_EXPECT = re.compile(r"\s#.*\bexit\s+(\d+)\s*$")


def readme_commands() -> list[tuple[str, int]]:
    text = README.read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            expect = int(m.group(1)) if (m := _EXPECT.search(line)) else 0
            command = re.split(r"\s{2,}#|\s#\s", line)[0].strip()
            commands.append((command, expect))
    return commands


def test_setup_and_test_commands_are_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [c for c, _ in readme_commands()]
    assert "python -m pip install -e . && driftline run" in commands
    test_command = "python -m pip install -e '.[test]' && python -m pytest"
    assert test_command in commands
    assert test_command in ci.splitlines()


def _clone_like(folder: Path, env: dict[str, str]) -> None:
    """What a user has after cloning: this repository's conf/ and .gitignore, committed."""
    shutil.copytree(ROOT / "conf", folder / "conf")
    shutil.copy(ROOT / ".gitignore", folder / ".gitignore")
    for args in (["init", "-q"], ["add", "-A"],
                 ["-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "clone"]):
        subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True)


def test_every_readme_command_runs(tmp_path):
    """The README followed top to bottom in a fresh clone: every command exits as stated,
    and what it says about its results is true."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRIFTLINE_", "HYDRA_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    _clone_like(tmp_path, env)
    ran = 0
    for command, expect in readme_commands():
        parts = [p.strip() for p in command.split("&&")]
        parts = [p for p in parts if not p.startswith(("python -m pip install", "python -m pytest"))]
        for part in parts:
            argv = shlex.split(part)
            if argv[0] == "sqlite3" and shutil.which("sqlite3") is None:
                pytest.fail("the README shows sqlite3 commands; install the sqlite3 shell "
                            "(.ci/run does: apt-get install sqlite3)")
            out = subprocess.run(part, shell=True, cwd=tmp_path, env=env, capture_output=True,
                                 text=True, timeout=600)
            assert out.returncode == expect, f"{part!r} exited {out.returncode}:\n{out.stderr}"
            ran += 1
    assert ran >= 10
    _check_claims(tmp_path, env)


def _check_claims(folder: Path, env: dict[str, str]) -> None:
    import json
    import sqlite3

    def cli(*args: str) -> dict:
        out = subprocess.run(["driftline", *args, "--json"], cwd=folder, env=env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    # "a seed no run trained on": the no-drift batch is new data, only drift-checked
    usage = cli("lineage", "scratch/new_batch.parquet")
    assert usage["runs"] == [] and len(usage["drift_checks"]) == 1
    assert usage["drift_checks"][0]["drifted"] is False
    # "the seed=7 run above" is what production pointed to first
    history = cli("aliases")[0]["history"]
    assert cli("show", history[-1]["run_id"])["seed"] == 7
    # the README's files are not code changes: no run is recorded as dirty
    with sqlite3.connect(folder / "runs" / "lineage.db") as con:
        dirty = con.execute("SELECT COUNT(*), SUM(git_dirty), COUNT(git_commit) FROM runs").fetchone()
    assert dirty[0] >= 5 and dirty[1] == 0 and dirty[2] == dirty[0]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=folder, env=env,
                            capture_output=True, text=True, check=True).stdout
    assert status == "", f"the README's commands left files git sees:\n{status}"
