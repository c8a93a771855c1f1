import os

from ganvas.data.sources import class_names, list_source

from .corpus import broken_files, good_files, make_corpus, make_zip


def test_folder_listing_skips_hidden_other_extensions_and_loops(tmp_path):
    root = make_corpus(tmp_path / "c")
    os.symlink("missing.png", root / "dangling.png")
    listing = list_source(str(root))
    expected = sorted(list(good_files()) + list(broken_files()))
    assert [e.rel for e in listing.entries] == expected
    assert listing.broken == [(os.path.join(str(root), "dangling.png"), "broken symbolic link")]


def test_symlinked_folders_are_followed_once(tmp_path):
    root = make_corpus(tmp_path / "c")
    os.symlink(root / "nested", root / "alias")
    rels = [e.rel for e in list_source(str(root)).entries]
    assert rels.count("nested/deeper/small.gif") + rels.count("alias/deeper/small.gif") == 1


def test_zip_listing_skips_hidden_and_resource_forks(tmp_path):
    listing = list_source(str(make_zip(tmp_path / "c.zip")))
    assert listing.kind == "zip"
    assert [e.rel for e in listing.entries] == sorted("corpus/" + r for r in list(good_files()) + list(broken_files()))


def test_class_names():
    assert class_names(["cats/a.png", "dogs/b.png", "dogs/x/c.png"]) == ["cats", "dogs", "dogs"]
    assert class_names(["top/cats/a.png", "top/dogs/b.png"]) == ["cats", "dogs"]
    assert class_names(["cats/a.png", "cats/b.png"]) is None
    assert class_names(["cats/a.png", "dogs/b.png", "loose.png"]) is None
    assert class_names(["a.png", "b.png"]) is None
    assert class_names([]) is None
