import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test prepares into its own cache and never sees the user's data folders."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("GANVAS_CACHE", str(cache))
    monkeypatch.delenv("GANVAS_DATA", raising=False)
    return cache
