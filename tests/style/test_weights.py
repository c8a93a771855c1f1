import torch

from ganvas.style import weights
from ganvas.style.weights import CONV_NAMES, caffe_vgg19, conv_shapes


def test_every_conv_has_its_vgg19_shape(caffe_state):
    assert len(CONV_NAMES) == 16
    for name, shape in conv_shapes().items():
        assert tuple(caffe_state[f"{name}.weight"].shape) == shape
        assert tuple(caffe_state[f"{name}.bias"].shape) == (shape[0],)
        assert caffe_state[f"{name}.weight"].dtype == torch.float32
    assert conv_shapes()["conv5_4"] == (512, 512, 3, 3)


def test_dequantised_weights_are_cached_as_safetensors(caffe_state, session_cache):
    cached = list(session_cache.glob("vgg19-caffe-*.safetensors"))
    assert len(cached) == 1
    again = caffe_vgg19()
    assert torch.equal(again["conv3_2.weight"], caffe_state["conv3_2.weight"])


def test_codebook_values_only(caffe_state):
    # Dequantisation maps every weight onto the layer's 256-entry codebook.
    assert caffe_state["conv1_1.weight"].unique().numel() <= 256


def test_hwio_kernels_are_turned_into_oihw():
    hwio = torch.arange(3 * 3 * 3 * 64, dtype=torch.float32).reshape(3, 3, 3, 64)
    oihw = weights._to_oihw(hwio, (64, 3, 3, 3), path=None)
    assert oihw.shape == (64, 3, 3, 3)
    assert oihw[5, 2, 1, 0] == hwio[1, 0, 2, 5]
