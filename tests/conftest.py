"""Suite-wide setup: every test writes caches under a temporary folder, never the user's."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("ganvas-cache")
    old = os.environ.get("GANVAS_CACHE")
    os.environ["GANVAS_CACHE"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("GANVAS_CACHE", None)
    else:
        os.environ["GANVAS_CACHE"] = old


@pytest.fixture
def shared_data() -> Path:
    assert SHARED_DATA.is_dir(), f"tests need the shared images at {SHARED_DATA}"
    return SHARED_DATA
