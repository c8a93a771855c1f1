import pytest
import torch
import torch.nn.functional as F

from ganvas.style.vgg import VGGFeatures
from ganvas.style.winograd import MIN_CHANNELS, WinogradConv3x3, transform_kernels, winograd_conv3x3


@pytest.mark.parametrize("size", [(8, 12), (9, 13), (1, 1), (2, 7), (7, 8)])
def test_matches_the_direct_convolution_and_its_image_gradient(size):
    torch.manual_seed(0)
    weight, bias = torch.randn(5, 7, 3, 3), torch.randn(5)
    conv = WinogradConv3x3(weight, bias, dtype=torch.float64)
    x = torch.randn(2, 7, *size, dtype=torch.float64, requires_grad=True)
    probe = torch.randn(2, 5, *size, dtype=torch.float64)
    (conv(x) * probe).sum().backward()
    reference = x.detach().clone().requires_grad_(True)
    expected = F.conv2d(reference, weight.double(), bias.double(), padding=1)
    (expected * probe).sum().backward()
    assert torch.allclose(conv(x), expected, atol=1e-10)
    assert torch.allclose(x.grad, reference.grad, atol=1e-10)


def test_bf16_error_stays_near_the_direct_bf16_convolution():
    torch.manual_seed(0)
    weight, x = torch.randn(64, 256, 3, 3) * 0.05, torch.randn(1, 256, 24, 32)
    exact = F.conv2d(x, weight, padding=1)
    fast = winograd_conv3x3(x.bfloat16(), transform_kernels(weight).bfloat16()).float()
    direct = F.conv2d(x.bfloat16(), weight.bfloat16(), padding=1).float()
    error = lambda y: ((y - exact).norm() / exact.norm()).item()  # noqa: E731
    assert error(fast) < 4 * error(direct) < 0.02


@pytest.mark.parametrize("size", [(6, 6), (5, 6), (6, 5), (5, 5)])
def test_output_is_channels_last_and_safe_for_an_in_place_relu(size):
    conv = WinogradConv3x3(torch.randn(4, 3, 3, 3), torch.zeros(4), dtype=torch.float32)
    x = torch.randn(1, 3, *size, requires_grad=True)
    y = conv(x)
    assert y.is_contiguous(memory_format=torch.channels_last)
    y.relu_().sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


def test_network_uses_winograd_only_for_wide_layers_and_agrees_with_direct(caffe_state):
    wanted = ("relu3_1", "relu4_1")
    fast = VGGFeatures(caffe_state, wanted, model="caffe-vgg19", winograd=True)
    plain = VGGFeatures(caffe_state, wanted, model="caffe-vgg19")
    kinds = {name: type(layer).__name__ for name, layer in zip(fast.names, fast.layers) if name.startswith("conv")}
    assert kinds["conv3_1"] == "Conv2d"  # 128 input channels: below MIN_CHANNELS
    assert kinds["conv3_2"] == kinds["conv4_1"] == "WinogradConv3x3"
    assert caffe_state["conv3_2.weight"].shape[1] >= MIN_CHANNELS
    image = torch.rand(1, 3, 64, 64) * 255
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = fast(image)["relu4_1"].float()
        want = plain(image)["relu4_1"].float()
    assert ((got - want).norm() / want.norm()).item() < 0.03
