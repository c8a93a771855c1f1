import pytest
import torch

from ganvas.metrics.features import extract_features, inception_input, iter_batches, to_uint8

from .fakes import tiny_inception


def test_generated_images_are_quantised_like_png():
    images = torch.tensor([-1.0, -0.5, 0.0, 1.0, 1.5]).view(1, 1, 1, 5)
    assert to_uint8(images).flatten().tolist() == [0, 64, 128, 255, 255]


def test_network_input_follows_the_tf_scaling_at_299_px():
    batch = torch.tensor([0, 128, 255], dtype=torch.uint8).view(1, 1, 1, 3).expand(2, 1, 3, 3)
    x = inception_input(batch.contiguous(), "bilinear")
    assert x.shape == (2, 3, 299, 299)
    assert x.min().item() == pytest.approx(-1.0)
    assert x.max().item() == pytest.approx(127 / 128)
    assert torch.equal(x[:, 0], x[:, 2])  # grayscale becomes three equal channels


@pytest.mark.parametrize("resize", ["bilinear", "bicubic"])
def test_filters_keep_values_in_range(resize):
    batch = (torch.rand(2, 3, 32, 32) > 0.5).to(torch.uint8) * 255
    x = inception_input(batch, resize)
    assert -1.0 <= x.min().item() and x.max().item() <= 127 / 128


def test_batches_come_from_tensors_and_functions():
    images = torch.arange(7, dtype=torch.uint8).view(7, 1, 1, 1)
    assert [len(b) for b in iter_batches(images, 7, 3)] == [3, 3, 1]
    drawn = []

    def source(count):
        drawn.append(count)
        return torch.zeros(count, 1, 4, 4)

    assert sum(len(b) for b in iter_batches(source, 5, 2)) == 5 and drawn == [2, 2, 1]


def test_features_keep_image_order_in_both_precisions():
    net = tiny_inception()
    images = torch.randint(0, 256, (5, 3, 16, 16), dtype=torch.uint8)
    whole = extract_features(images, 5, net, batch_size=5)
    pieces = extract_features(images, 5, net, batch_size=2)
    assert whole.shape == (5, 64) and whole.dtype.name == "float32"
    assert torch.allclose(torch.from_numpy(whole), torch.from_numpy(pieces), atol=1e-4)
    fast = extract_features(images, 5, net, batch_size=5, precision="bf16")
    assert torch.allclose(torch.from_numpy(fast), torch.from_numpy(whole), rtol=0.05, atol=0.05)
    with pytest.raises(ValueError):
        extract_features(images, 5, net, resize="nearest")
