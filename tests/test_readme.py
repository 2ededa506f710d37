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


def test_every_readme_command_runs(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRIFTLINE_", "HYDRA_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
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
