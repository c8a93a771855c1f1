"""The small-data rows run on any ganvas: options its TrainConfig lacks are dropped and named."""
from benchmarks.smalldata import ROWS, slug, supported_options


def test_unknown_options_are_dropped_and_named():
    kept, dropped = supported_options({"beta1": 0.5, "no_such_option": 1, "another_one": "x"})
    assert kept == {"beta1": 0.5}
    assert dropped == ["another_one", "no_such_option"]


def test_every_row_has_its_own_run_folder():
    slugs = [slug(name) for name, _ in ROWS]
    assert len(set(slugs)) == len(slugs)
    assert slug("0.1 defaults") == "0-1-defaults"
