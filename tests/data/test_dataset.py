import torch

from ganvas.data import Dataset, write_skipped_report


def test_skipped_report_writes_every_name_even_undecodable_ones(tmp_path):
    images = torch.zeros((2, 1, 16, 16), dtype=torch.uint8)
    data = Dataset(images, None, [], "f" * 64, "pics", [("pics/a.png", "empty file"), ("pics/\udcff.jpg", "x")])
    assert len(data) == 2
    write_skipped_report(data, tmp_path / "out" / "skipped.txt")
    lines = (tmp_path / "out" / "skipped.txt").read_text("utf-8").splitlines()
    assert lines == ["pics/a.png: empty file", "pics/\\udcff.jpg: x"]
    write_skipped_report(Dataset(images, None, [], "f", "pics", []), tmp_path / "none.txt")
    assert (tmp_path / "none.txt").read_text() == ""
