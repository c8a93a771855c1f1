import pytest


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
def TUBINGEN(shared_data):  # noqa: N802 - reads as the file it names
    return shared_data / "content" / "tubingen.jpg"


@pytest.fixture
def STARRY(shared_data):  # noqa: N802
    return shared_data / "style" / "starry_night.jpg"
