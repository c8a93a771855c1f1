"""The quality-per-time table: one row per family, and an "auto" row that is the chosen family's run."""
import pytest

from benchmarks.archquality import ROWS, with_auto
from benchmarks.oxygen import at_size
from benchmarks.smalldata import slug
from ganvas.config.archs import NAMES


def test_every_family_has_a_row_with_its_own_run_folder():
    assert {options["arch"] for _, options in ROWS} == set(NAMES) - {"mlp"}
    slugs = [slug(name) for name, _ in ROWS]
    assert len(set(slugs)) == len(slugs)


def test_the_auto_row_repeats_the_chosen_familys_numbers_under_its_own_name():
    rows = [{"config": "dcgan", "KID x1e3": "1.0"}, {"config": "msg", "KID x1e3": "2.0"}]
    table = with_auto(rows, "msg")
    assert table[:2] == rows
    assert table[2] == {"config": "auto (picks msg)", "KID x1e3": "2.0"}
    with pytest.raises(ValueError, match="resnet"):
        with_auto(rows, "resnet")


def test_each_size_has_its_own_folder_and_theme():
    (folder_64, theme_64), (folder_128, theme_128) = at_size(64), at_size(128)
    assert folder_64 != folder_128 and theme_64.name == "64x64" and theme_128.name == "128x128"
