import pytest
import torch

from ganvas.metrics.swd import laplacian_pyramid, swd, swd_levels


def _images(n=64, channels=3, size=32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    smooth = torch.nn.functional.avg_pool2d(torch.rand(n, channels, size, size, generator=gen), 3, 1, 1)
    return smooth * 2 - 1


@pytest.mark.parametrize("channels,size", [(1, 16), (1, 28), (3, 32), (3, 64)])
def test_identical_sets_score_zero(channels, size):
    images = _images(channels=channels, size=size)
    assert swd(images, images.clone()) == 0.0


def test_grows_monotonically_as_one_set_is_shifted():
    images = _images()
    values = [swd(images, images + shift) for shift in (0.0, 0.05, 0.1, 0.2, 0.4)]
    assert values[0] == 0.0
    assert all(later > earlier for earlier, later in zip(values, values[1:]))


def test_grows_as_one_set_moves_towards_another_distribution():
    images, noise = _images(), torch.rand(64, 3, 32, 32) * 2 - 1
    values = [swd(images, (1 - t) * images + t * noise) for t in (0.0, 0.25, 0.5, 1.0)]
    assert all(later > earlier for earlier, later in zip(values, values[1:]))


def test_pyramid_levels_rebuild_the_image():
    images = _images(n=2, size=64)
    levels = laplacian_pyramid(images)
    assert [level.shape[-1] for level in levels] == [64, 32, 16]
    rebuilt = levels[-1]
    for band in reversed(levels[:-1]):
        rebuilt = band + torch.nn.functional.interpolate(rebuilt, size=band.shape[-2:], mode="bilinear",
                                                         align_corners=False)
    assert torch.allclose(rebuilt, images, atol=1e-5)


def test_levels_are_keyed_by_resolution_and_seed_repeats():
    a, b = _images(seed=1, size=64), _images(seed=2, size=64)
    levels = swd_levels(a, b, seed=3, patches_per_image=8, directions=64)
    assert list(levels) == [64, 32, 16]
    assert levels == swd_levels(a, b, seed=3, patches_per_image=8, directions=64)


def test_unequal_set_sizes_and_bad_shapes():
    assert swd(_images(n=40), _images(n=64, seed=5)) > 0
    with pytest.raises(ValueError):
        swd(_images(size=8), _images(size=8))
    with pytest.raises(ValueError):
        swd(_images(channels=1), _images(channels=3))


def test_eight_bit_images_are_read_on_the_generator_scale():
    images = _images()
    as_bytes = ((images + 1) * 127.5).round().to(torch.uint8)
    assert swd(as_bytes, as_bytes.float() / 127.5 - 1) == 0.0
