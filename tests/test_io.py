import json
import os
import stat

import pytest

from ganvas.io import atomic_path, atomic_write_bytes
from ganvas.jsonl import read_jsonl, scan_jsonl


def test_atomic_bytes_replace_the_file_and_leave_nothing_behind(tmp_path):
    target = tmp_path / "deep" / "out.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(target.parent) == ["out.bin"]
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask  # an ordinary file, not mkstemp's 0600


def test_a_writer_that_fails_leaves_the_old_file(tmp_path):
    target = tmp_path / "video.mp4"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            assert tmp.parent == tmp_path and tmp.suffix == ".mp4" and tmp != target
            tmp.write_bytes(b"half")
            raise RuntimeError("the encoder died")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["video.mp4"]


def test_a_writer_by_name_lands_under_the_final_name(tmp_path):
    target = tmp_path / "model.onnx"
    with atomic_path(target) as tmp:
        assert not target.exists()
        tmp.write_bytes(b"graph")
    assert target.read_bytes() == b"graph" and os.listdir(tmp_path) == ["model.onnx"]
    with atomic_path(tmp_path / "d.bin", suffix=".part") as tmp:
        assert tmp.name.endswith(".part")
        tmp.write_bytes(b"")


def test_jsonl_keeps_every_record_and_counts_the_rest(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b"".join([json.dumps({"step": 1}).encode() + b"\n", b"\n", b"[1, 2]\n",
                               json.dumps({"step": 2, "name": "\u00e9"}).encode() + b"\n",
                               b"\xff\xfe not utf-8\n", b'{"step": 3, "torn']))
    records, bad = scan_jsonl(path)
    assert [r["step"] for r in records] == [1, 2] and records[1]["name"] == "\u00e9" and bad == 3
    assert read_jsonl(path) == records
    assert scan_jsonl(tmp_path / "missing.jsonl") == ([], 0) and read_jsonl(tmp_path / "missing.jsonl") == []
