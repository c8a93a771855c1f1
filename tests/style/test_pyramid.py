import pytest
import torch

from ganvas.errors import GanvasError
from ganvas.style.pyramid import auto_scales, check_scales, fit_long_side, to_pil, to_tensor, upsample


def test_auto_scales_double_from_the_smallest():
    assert auto_scales(2048, 256) == (256, 512, 1024, 2048)
    assert auto_scales(512, 256) == (256, 512)
    assert auto_scales(300, 256) == (300,)
    assert auto_scales(100, 256) == (100,)


def test_given_scales_always_end_at_the_output_size():
    assert check_scales((128, 256), 256) == (128, 256)
    assert check_scales((128, 256, 1024), 512) == (128, 256, 512)
    with pytest.raises(GanvasError, match="--scales"):
        check_scales((256, 128), 256)
    with pytest.raises(GanvasError, match="--scales"):
        check_scales((16, 64), 64)


def test_fit_long_side_keeps_aspect_ratio():
    assert fit_long_side(1024, 768, 512) == (512, 384)
    assert fit_long_side(640, 1024, 256) == (160, 256)


def test_upsample_and_round_trip():
    image = torch.rand(1, 3, 6, 8) * 255
    assert upsample(image, 12, 16).shape == (1, 3, 12, 16)
    back = to_tensor(to_pil(image))
    assert (back - image).abs().max() <= 0.5 + 1e-4
