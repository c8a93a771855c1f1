import pytest
import torch
import torch.nn.functional as F

from ganvas.style import winograd
from ganvas.style.vgg import VGGFeatures
from ganvas.style.winograd import TILE_SIZES, WinogradConv3x3, transform_kernels, transforms, winograd_conv3x3


@pytest.mark.parametrize("m", TILE_SIZES)
def test_transforms_compute_a_one_dimensional_correlation(m):
    bt, g, at = transforms(m)
    torch.manual_seed(m)
    d, kernel = torch.randn(m + 2, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    expected = torch.stack([(d[j:j + 3] * kernel).sum() for j in range(m)])
    assert torch.allclose(at @ ((g @ kernel) * (bt @ d)), expected, atol=1e-12)


@pytest.mark.parametrize("m", TILE_SIZES)
@pytest.mark.parametrize("size", [(8, 12), (9, 13), (1, 1), (2, 7), (7, 8)])
def test_matches_the_direct_convolution_and_its_image_gradient(m, size):
    torch.manual_seed(0)
    weight, bias = torch.randn(5, 7, 3, 3), torch.randn(5)
    conv = WinogradConv3x3(weight, bias, dtype=torch.float64, m=m)
    x = torch.randn(2, 7, *size, dtype=torch.float64, requires_grad=True)
    probe = torch.randn(2, 5, *size, dtype=torch.float64)
    (conv(x) * probe).sum().backward()
    reference = x.detach().clone().requires_grad_(True)
    expected = F.conv2d(reference, weight.double(), bias.double(), padding=1)
    (expected * probe).sum().backward()
    assert torch.allclose(conv(x), expected, atol=1e-10)
    assert torch.allclose(x.grad, reference.grad, atol=1e-10)


def test_c_transforms_are_built_here():
    # CI installs a C compiler; without the transforms the bf16 path silently runs at PyTorch speed.
    assert winograd._kernels() is not None


@pytest.mark.parametrize("m", TILE_SIZES)
@pytest.mark.parametrize("shape", [(1, 70, 13, 17), (2, 64, 6, 5), (1, 3, 1, 1), (1, 130, 31, 9)])
@pytest.mark.parametrize("bias_dtype", [torch.bfloat16, torch.float32])
def test_c_transforms_agree_with_the_exact_convolution(m, shape, bias_dtype, monkeypatch):
    # A tiny chunk forces several rows-of-tiles passes, including a short last one.
    monkeypatch.setattr(winograd, "_CHUNK_BYTES", 1)
    torch.manual_seed(1)
    weight, bias = torch.randn(66, shape[1], 3, 3) / shape[1] ** 0.5, torch.randn(66)
    x = torch.randn(shape).bfloat16()
    exact = F.conv2d(x.double(), weight.double(), bias.double(), padding=1)
    fast = winograd_conv3x3(x, transform_kernels(weight, m).bfloat16(), bias.to(bias_dtype))
    assert fast.dtype == torch.bfloat16 and fast.is_contiguous(memory_format=torch.channels_last)
    assert ((fast.double() - exact).norm() / exact.norm()).item() < 0.01 * m


def test_without_the_c_transforms_only_the_widest_layers_use_tiles(caffe_state, monkeypatch):
    monkeypatch.setattr(winograd, "_kernels", lambda: None)
    net = VGGFeatures(caffe_state, ("relu4_1",), model="caffe-vgg19", winograd=True)
    kinds = {name: type(layer).__name__ for name, layer in zip(net.names, net.layers) if name.startswith("conv")}
    assert kinds["conv3_1"] == "Conv2d" and kinds["conv3_2"] == "WinogradConv3x3"
    image = torch.rand(1, 3, 32, 32, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        net(image * 255)["relu4_1"].float().sum().backward()
    assert torch.isfinite(image.grad).all() and image.grad.abs().sum() > 0


def test_bf16_error_stays_near_the_direct_bf16_convolution(caffe_state):
    torch.manual_seed(0)
    weight = caffe_state["conv4_2.weight"]
    x = torch.relu(torch.randn(1, 512, 24, 32) + 0.5)
    exact = F.conv2d(x.double(), weight.double(), padding=1)
    fast = winograd_conv3x3(x.bfloat16(), transform_kernels(weight, winograd.TILE).bfloat16())
    direct = F.conv2d(x.bfloat16(), weight.bfloat16(), padding=1)
    error = lambda y: ((y.double() - exact).norm() / exact.norm()).item()  # noqa: E731
    assert error(fast) < 3 * error(direct) < 0.02


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
    assert kinds.pop("conv1_1") == "Conv2d"  # 3 input channels: below the C transforms' minimum
    assert set(kinds.values()) == {"WinogradConv3x3"}
    assert caffe_state["conv1_2.weight"].shape[1] == winograd.min_channels() == winograd.MIN_CHANNELS_NATIVE
    image = torch.rand(1, 3, 64, 64) * 255
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = fast(image)["relu4_1"].float()
        want = plain(image)["relu4_1"].float()
    assert ((got - want).norm() / want.norm()).item() < 0.03
