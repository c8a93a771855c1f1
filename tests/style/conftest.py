import pytest


@pytest.fixture(scope="session")
def caffe_state(session_cache):
    from ganvas.style.weights import caffe_vgg19

    return caffe_vgg19()


@pytest.fixture
def TUBINGEN(shared_data):  # noqa: N802 - reads as the file it names
    return shared_data / "content" / "tubingen.jpg"


@pytest.fixture
def STARRY(shared_data):  # noqa: N802
    return shared_data / "style" / "starry_night.jpg"
