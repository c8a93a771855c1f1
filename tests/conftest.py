"""Suite-wide setup: every test writes caches under a temporary folder, never the user's."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _find_shared_data() -> Path:
    """$GANVAS_SHARED_DATA, else ../shared/data beside this checkout, else beside the checkout it was
    cloned from (a throwaway local clone has no shared/ of its own)."""
    if os.environ.get("GANVAS_SHARED_DATA"):
        return Path(os.environ["GANVAS_SHARED_DATA"])
    beside = REPO.parent / "shared" / "data"
    if beside.is_dir():
        return beside
    origin = subprocess.run(["git", "-C", str(REPO), "config", "--get", "remote.origin.url"],
                            capture_output=True, text=True).stdout.strip()
    if origin and Path(origin).is_dir():
        return Path(origin).resolve().parent / "shared" / "data"
    return beside


SHARED_DATA = _find_shared_data()


@pytest.fixture(autouse=True, scope="session")
def session_cache(tmp_path_factory):
    """The whole session's GANVAS_CACHE: dequantised weights and built kernels are made once."""
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


@pytest.fixture
def records() -> list[dict]:
    from tests.records import synthetic_records

    return synthetic_records()
