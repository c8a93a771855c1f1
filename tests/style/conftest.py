import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
TUBINGEN_PATH = DATA / "content" / "tubingen.jpg"
STARRY_PATH = DATA / "style" / "starry_night.jpg"


@pytest.fixture(scope="session", autouse=True)
def style_cache(tmp_path_factory):
    """Dequantised weights go to a throwaway cache, built once for the whole session."""
    with pytest.MonkeyPatch.context() as mp:
        folder = tmp_path_factory.mktemp("ganvas-cache")
        mp.setenv("GANVAS_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="session")
def caffe_state(style_cache):
    from ganvas.style.weights import caffe_vgg19

    return caffe_vgg19()


@pytest.fixture
def TUBINGEN():  # noqa: N802 - reads as the file it names
    return TUBINGEN_PATH


@pytest.fixture
def STARRY():  # noqa: N802
    return STARRY_PATH
