import pytest
import torch
import torch.nn.functional as F

from ganvas.errors import GanvasError
from ganvas.style.vgg import CAFFE_MEAN_BGR, IMAGENET_MEAN, VGGFeatures, layer_names, normalise

MEAN_RGB = tuple(reversed(CAFFE_MEAN_BGR))


def flat_image(rgb, size=16):
    return torch.tensor(rgb, dtype=torch.float32).view(1, 3, 1, 1).expand(1, 3, size, size).clone()


def test_the_mean_pixel_maps_to_zero_so_conv1_1_gives_its_bias(caffe_state):
    net = VGGFeatures(caffe_state, ("conv1_1",), model="caffe-vgg19")
    out = net(flat_image(MEAN_RGB))["conv1_1"]
    centre = out[0, :, 8, 8]
    assert torch.allclose(centre, caffe_state["conv1_1.bias"], atol=1e-4)


def test_pure_red_pins_bgr_order_and_mean(caffe_state):
    net = VGGFeatures(caffe_state, ("conv1_1", "relu1_1"), model="caffe-vgg19")
    out = net(flat_image((255.0, 0.0, 0.0)))
    bgr = torch.tensor([0.0, 0.0, 255.0]) - torch.tensor(CAFFE_MEAN_BGR)
    w, b = caffe_state["conv1_1.weight"], caffe_state["conv1_1.bias"]
    expected = (w.sum(dim=(2, 3)) * bgr).sum(dim=1) + b
    assert torch.allclose(out["conv1_1"][0, :, 8, 8], expected, rtol=1e-4, atol=1e-3)
    assert torch.allclose(out["relu1_1"][0, :, 8, 8], F.relu(expected), rtol=1e-4, atol=1e-3)
    assert out["relu1_1"].mean() > 0  # the statistic is not trivially zero


def test_only_layers_up_to_the_deepest_needed_are_built(caffe_state):
    net = VGGFeatures(caffe_state, ("relu1_1", "relu3_1"), model="caffe-vgg19")
    assert net.names[-1] == "relu3_1"
    out = net(torch.rand(1, 3, 40, 48) * 255)
    assert set(out) == {"relu1_1", "relu3_1"}
    assert out["relu3_1"].shape == (1, 256, 10, 12)


def test_avg_pooling_changes_deeper_features(caffe_state):
    image = torch.rand(1, 3, 32, 32) * 255
    a = VGGFeatures(caffe_state, ("relu2_1",), model="caffe-vgg19", pooling="max")(image)["relu2_1"]
    b = VGGFeatures(caffe_state, ("relu2_1",), model="caffe-vgg19", pooling="avg")(image)["relu2_1"]
    assert not torch.allclose(a, b)


def test_unknown_layer_is_a_clear_error(caffe_state):
    with pytest.raises(GanvasError, match="relu9_9"):
        VGGFeatures(caffe_state, ("relu9_9",), model="caffe-vgg19")


def test_torchvision_normalisation_maps_imagenet_mean_to_zero():
    image = flat_image(tuple(255 * m for m in IMAGENET_MEAN), size=4)
    assert torch.allclose(normalise(image, "torchvision-vgg19"), torch.zeros(1, 3, 4, 4), atol=1e-5)
    white = normalise(torch.full((1, 3, 1, 1), 255.0), "torchvision-vgg19").flatten()
    assert torch.allclose(white, torch.tensor([(1 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225]))


def test_layer_names_follow_vgg19():
    names = layer_names()
    assert names[:5] == ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1")
    assert len([n for n in names if n.startswith("conv")]) == 16
    assert names[-1] == "pool5"
