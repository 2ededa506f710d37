"""Atomic writes: whole file or old file, never a part; usual permissions; no temp left."""

import os
import stat

import pytest

from driftline.engine.lineage.atomic import atomic_write_bytes


def test_writes_whole_file_with_umask_permissions(tmp_path):
    target = tmp_path / "sub" / "model.txt"
    atomic_write_bytes(target, b"abc")
    assert target.read_bytes() == b"abc"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


def test_failure_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "model.txt"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.txt"]
