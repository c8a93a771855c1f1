import os

import numpy as np
import pytest
import torch

from ganvas.data import Dataset, builtin_settings, prepare, write_skipped_report
from ganvas.data import pipeline
from ganvas.errors import GanvasError

from .corpus import broken_files, good_files, make_corpus, make_zip, write_files


def _notes(events):
    return [e.message for e in events if e.kind == "note"]


def test_folder_corpus_uses_every_good_file_and_skips_each_broken_one_with_its_reason(tmp_path):
    root = make_corpus(tmp_path / "corpus")
    events = []
    data = prepare(str(root), resolution=16, progress=events.append)

    assert isinstance(data, Dataset)
    assert len(data) == len(good_files()) == 9
    assert data.images.dtype == torch.uint8 and data.images.shape == (9, 3, 16, 16)
    assert data.labels is None and data.classes == []
    assert data.source == str(root)
    expected = {os.path.join(str(root), rel): reason for rel, (_, reason) in broken_files().items()}
    assert sorted(name for name, _ in data.skipped) == sorted(expected)
    for name, reason in data.skipped:
        assert reason.startswith(expected[name]), (name, reason)
        assert "\n" not in reason

    notes = _notes(events)
    assert f"9 images from {root} (5 skipped, see skipped.txt)" in notes
    assert any(n.startswith(f"skipped {root}/empty.png: empty file") for n in notes)
    # hidden files, resource forks, other extensions and symlink loops are ignored without a word
    assert not any(word in " ".join(notes) for word in ("hidden", "MACOSX", "notes.txt", "self.png", "loop"))


def test_zip_corpus_matches_the_folder_and_names_members(tmp_path):
    archive = make_zip(tmp_path / "corpus.zip")
    folder = make_corpus(tmp_path / "corpus")
    zipped = prepare(str(archive), resolution=16)
    unzipped = prepare(str(folder), resolution=16)

    assert torch.equal(zipped.images, unzipped.images)
    assert zipped.fingerprint == unzipped.fingerprint
    expected = {f"{archive}:corpus/{rel}": reason for rel, (_, reason) in broken_files().items()}
    assert {name for name, _ in zipped.skipped} == set(expected)
    assert all(reason.startswith(expected[name]) for name, reason in zipped.skipped)


def test_channels_are_one_when_every_image_is_grayscale_and_an_explicit_count_wins(tmp_path):
    files = good_files()
    write_files(tmp_path / "gray", {k: files[k] for k in ("gray.png", "deep16.png")})
    gray = prepare(str(tmp_path / "gray"), resolution=16)
    assert gray.images.shape == (2, 1, 16, 16)

    as_rgb = prepare(str(tmp_path / "gray"), resolution=16, channels=3)
    assert as_rgb.images.shape == (2, 3, 16, 16)
    assert torch.equal(as_rgb.images[:, 0], as_rgb.images[:, 2])

    write_files(tmp_path / "colour", {k: files[k] for k in ("gray.png", "tall.png")})
    colour = prepare(str(tmp_path / "colour"), resolution=16)
    assert colour.images.shape[1] == 3
    as_gray = prepare(str(tmp_path / "colour"), resolution=16, channels=1)
    assert as_gray.images.shape == (2, 1, 16, 16)
    # tall.png is (200, 10, 30): ITU-R 601 luma, as Pillow computes it
    assert abs(int(as_gray.images[1, 0, 8, 8]) - round((200 * 299 + 10 * 587 + 30 * 114) / 1000)) <= 1


def test_classes_come_from_two_or_more_subfolders(tmp_path):
    files = good_files()
    write_files(tmp_path / "pets", {"cats/a.png": files["tall.png"], "cats/deep/b.png": files["rgba.png"],
                                    "dogs/c.jpg": files["wide.jpg"], "dogs/broken.jpg": b""})
    data = prepare(str(tmp_path / "pets"), resolution=16)
    assert data.classes == ["cats", "dogs"]
    assert data.labels.dtype == torch.int64 and data.labels.tolist() == [0, 0, 1]

    write_files(tmp_path / "one", {"only/a.png": files["tall.png"], "only/b.png": files["rgba.png"]})
    assert prepare(str(tmp_path / "one"), resolution=16).labels is None


def test_second_prepare_decodes_nothing(tmp_path, monkeypatch, private_cache):
    root = make_corpus(tmp_path / "corpus")
    first = prepare(str(root), resolution=16)
    assert list((private_cache / "prepared").glob("*.safetensors"))

    def must_not_decode(*args, **kwargs):
        raise AssertionError("decoded again despite the cache")

    monkeypatch.setattr(pipeline, "decode_listing", must_not_decode)
    events = []
    second = prepare(str(root), resolution=16, progress=events.append)
    assert torch.equal(first.images, second.images)
    assert second.skipped == first.skipped and second.fingerprint == first.fingerprint
    assert f"9 images from {root} (5 skipped, see skipped.txt)" in _notes(events)

    # a changed file or other settings are a different dataset
    with pytest.raises(AssertionError):
        prepare(str(root), resolution=32)
    (root / "gray.png").write_bytes(good_files()["tall.png"])
    with pytest.raises(AssertionError):
        prepare(str(root), resolution=16)


def test_skipped_report_lists_file_and_reason_per_line(tmp_path):
    root = make_corpus(tmp_path / "corpus")
    data = prepare(str(root), resolution=16)
    report = tmp_path / "run" / "skipped.txt"
    write_skipped_report(data, report)
    lines = report.read_text().splitlines()
    assert len(lines) == 5
    assert f"{root}/empty.png: empty file" in lines


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "no such folder"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "no images found"),
    (lambda p: write_files(p / "junk", {"a.txt": b"x"}) or p / "junk", "no images found"),
    (lambda p: write_files(p / "bad", {"a.png": b"", "b.jpg": b"xx"}) or p / "bad", "none of its 2 image files"),
    (lambda p: write_files(p, {"single.png": good_files()["tall.png"]}) or p / "single.png", "neither a folder"),
])
def test_unusable_sources_fail_with_one_line(tmp_path, make, message):
    source = make(tmp_path)
    with pytest.raises(GanvasError) as err:
        prepare(str(source))
    assert message in str(err.value) and str(source) in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("kwargs, flag", [
    ({"resolution": 48}, "--resolution"), ({"resolution": 512}, "--resolution"), ({"resolution": 8}, "--resolution"),
    ({"channels": 2}, "--channels"), ({"fit": "stretch"}, "--fit"),
])
def test_bad_settings_name_their_flag(tmp_path, kwargs, flag):
    write_files(tmp_path / "ok", {"a.png": good_files()["tall.png"]})
    with pytest.raises(GanvasError, match=flag):
        prepare(str(tmp_path / "ok"), **kwargs)


def test_folder_default_resolution_and_every_power_of_two(tmp_path):
    write_files(tmp_path / "ok", {"a.png": good_files()["tall.png"]})
    assert prepare(str(tmp_path / "ok")).images.shape[-2:] == (64, 64)
    for side in (16, 32, 128, 256):
        assert prepare(str(tmp_path / "ok"), resolution=side).images.shape[-2:] == (side, side)


def test_builtin_settings():
    assert builtin_settings("fashion-mnist") == {"resolution": 32, "channels": 1}
    assert builtin_settings("mnist") == {"resolution": 32, "channels": 1}
    assert builtin_settings("shapes") == {"resolution": 32, "channels": 3}
    assert builtin_settings("~/pictures") == {}


def test_shapes_builtin_is_labelled_and_cached():
    data = prepare("shapes")
    assert data.images.shape == (12_000, 3, 32, 32)
    assert data.classes == ["circle", "square", "triangle", "diamond", "cross", "ring"]
    assert np.bincount(data.labels.numpy()).tolist() == [2000] * 6
    again = prepare("shapes")
    assert again.fingerprint == data.fingerprint
    assert prepare("shapes", split="test").fingerprint != data.fingerprint
