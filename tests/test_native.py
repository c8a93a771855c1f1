import pytest

from ganvas import native

ADD = "long add(long a, long b) { return a + b; }\n"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GANVAS_CACHE", str(tmp_path / "cache"))
    native.load.cache_clear()
    yield
    native.load.cache_clear()


def test_builds_once_into_the_cache_and_loads(tmp_path):
    source = tmp_path / "adder.c"
    source.write_text(ADD)
    assert native.load(source).add(2, 40) == 42
    built = list((tmp_path / "cache" / "native").iterdir())
    assert [p.suffix for p in built] == [".so"] and built[0].name.startswith("adder-")
    stamp = built[0].stat().st_mtime_ns
    native.load.cache_clear()
    assert native.load(source).add(1, 1) == 2
    assert [p.stat().st_mtime_ns for p in (tmp_path / "cache" / "native").iterdir()] == [stamp]


def test_a_changed_source_gets_its_own_library(tmp_path):
    source = tmp_path / "adder.c"
    source.write_text(ADD)
    native.load(source)
    source.write_text(ADD.replace("a + b", "a + b + 1"))
    native.load.cache_clear()
    assert native.load(source).add(1, 1) == 3
    assert len(list((tmp_path / "cache" / "native").iterdir())) == 2


def test_without_a_compiler_it_warns_and_returns_none(tmp_path, monkeypatch):
    source = tmp_path / "adder.c"
    source.write_text(ADD)
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    with pytest.warns(RuntimeWarning, match="adder.c not built"):
        assert native.load(source) is None


def test_a_build_error_warns_names_the_file_and_leaves_nothing_behind(tmp_path):
    source = tmp_path / "broken.c"
    source.write_text("this is not C\n")
    with pytest.warns(RuntimeWarning, match="broken.c"):
        assert native.load(source) is None
    assert list((tmp_path / "cache" / "native").iterdir()) == []


def test_needs_build_until_the_library_is_in_the_cache(tmp_path, monkeypatch):
    source = tmp_path / "adder.c"
    source.write_text(ADD)
    assert native.needs_build(source)
    native.load(source)
    assert not native.needs_build(source)
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    assert not native.needs_build(source), "nothing will be compiled without a compiler"
