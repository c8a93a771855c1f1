"""Uploads are checked with training's decoder before anything uses them; the serving check refuses escapes."""
from __future__ import annotations

import zipfile

import pytest

from ganvas.errors import GanvasError
from ganvas.ui.paths import Layout, resolve_request, safe_name
from ganvas.ui.uploads import Limits, accept_dataset, accept_pictures, upload_record
from tests.ui.images import bomb_png, images_zip, picture, text_as_png, truncated_png


def test_good_images_are_kept_and_each_bad_file_is_refused_by_name_with_its_reason(tmp_path):
    files = [picture(tmp_path / "a.png"), picture(tmp_path / "b.png", seed=1), text_as_png(tmp_path / "notes.png"),
             truncated_png(tmp_path / "cut.png"), bomb_png(tmp_path / "bomb.png"),
             (tmp_path / "readme.txt").resolve()]
    files[-1].write_text("hello")
    checked = accept_dataset(files, tmp_path / "uploads")
    assert sorted(checked.accepted) == ["a.png", "b.png"]
    reasons = dict(checked.refused)
    assert "not an image" in reasons["notes.png"]
    assert "truncated" in reasons["cut.png"]
    assert "decompression-bomb" in reasons["bomb.png"]
    assert "not an image file type" in reasons["readme.txt"]
    assert sorted(p.name for p in checked.folder.iterdir()) == [".upload.json", "a.png", "b.png"]
    assert upload_record(checked.folder)["images"] == 2 and checked.folder.name.startswith("data-")
    assert "notes.png" in checked.report() and "2 image(s) accepted" in checked.report()


def test_a_zip_keeps_its_class_folders_and_its_member_names_cannot_climb_out(tmp_path):
    archive = images_zip(tmp_path / "blobs.zip", n=3)
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("../../escape.png", picture(tmp_path / "x.png").read_bytes())
        zf.writestr("__MACOSX/._blob.png", b"resource fork")
        zf.writestr("bad/notes.png", b"not an image")
    checked = accept_dataset([archive], tmp_path / "uploads")
    assert upload_record(checked.folder)["name"] == "blobs"
    # ".." is a hidden name to the listing, as to training's: the member is passed over, never written
    assert sorted(checked.accepted) == ["blobs/blob-00.png", "blobs/blob-01.png", "blobs/blob-02.png"]
    assert [name for name, _ in checked.refused] == ["blobs.zip/bad/notes.png"]
    inside = [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    assert all(checked.folder in p.parents for p in inside) and not (tmp_path / "escape.png").exists()


def test_limits_refuse_an_upload_before_decoding_it(tmp_path):
    files = [picture(tmp_path / f"{i}.png", seed=i) for i in range(3)]
    with pytest.raises(GanvasError, match="--max-upload-files"):
        accept_dataset(files, tmp_path / "uploads", Limits(max_files=2))
    with pytest.raises(GanvasError, match="--max-upload-mb"):
        accept_dataset(files, tmp_path / "uploads", Limits(max_mb=0.0001))
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.png", b"\0" * (3 << 20))  # 3 MB unpacked, a few kB packed
    with pytest.raises(GanvasError, match="unpacked"):
        accept_dataset([bomb], tmp_path / "uploads", Limits(max_mb=1))
    assert not any((tmp_path / "uploads").glob("data-*/*"))


def test_nothing_usable_leaves_no_dataset_folder(tmp_path):
    checked = accept_dataset([text_as_png(tmp_path / "notes.png")], tmp_path / "uploads")
    assert checked.folder is None and not any((tmp_path / "uploads").glob("data-*"))


def test_pictures_for_a_stylisation_are_numbered_and_checked(tmp_path):
    checked = accept_pictures([picture(tmp_path / "photo.jpg.png"), text_as_png(tmp_path / "x.png")], tmp_path / "in")
    assert checked.accepted == ["0.png"] and checked.refused[0][0] == "x.png"


@pytest.mark.parametrize("request_path", ["../secret", "a/../../secret", "/etc/passwd", "C:/x", "a\\..\\b", "",
                                          "a/\x00", "a/./../.."])
def test_requests_that_climb_or_name_absolute_paths_are_refused(tmp_path, request_path):
    layout = Layout.at(tmp_path / "runs")
    (layout.runs / "a").mkdir()
    (layout.runs / "a" / "b").write_text("inside")
    assert resolve_request(request_path, layout.served_roots) is None


def test_a_link_out_of_the_runs_folder_is_refused_and_files_inside_are_served(tmp_path):
    layout = Layout.at(tmp_path / "runs")
    (tmp_path / "secret").write_text("outside")
    (layout.runs / "link").symlink_to(tmp_path / "secret")
    (layout.runs / "run").mkdir()
    (layout.runs / "run" / "report.html").write_text("<p>ok</p>")
    assert resolve_request("link", layout.served_roots) is None
    assert resolve_request("run/report.html", layout.served_roots) == (layout.runs / "run" / "report.html").resolve()
    assert resolve_request("run", layout.served_roots) is None  # folders are not listed


def test_safe_names_stay_one_visible_component():
    assert safe_name("../my run/x") == "my-run-x"
    assert safe_name(".hidden") == "hidden" and safe_name("...") == "run"
