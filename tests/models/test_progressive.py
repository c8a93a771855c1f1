"""Progressive growing's networks: every level's shapes, and a fade-in that starts where the level below ends."""
import pytest
import torch
import torch.nn.functional as F

from ganvas.models import build_discriminator, build_generator
from ganvas.models.progressive import blend_reals, sizes_of

from .specs import spec


def _pair(resolution=32, num_classes=0):
    torch.manual_seed(0)
    shape = spec("dcgan", z_dim=8, resolution=resolution, channels=3, num_classes=num_classes, width=8,
                 progressive=True)
    g, d = build_generator(shape), build_discriminator(shape)
    with torch.no_grad():  # louder to-RGBs than DCGAN's init, so the images differ visibly
        for to_rgb in g.to_rgbs:
            to_rgb.weight.mul_(50)
    return g.eval(), d.eval()


@pytest.mark.parametrize("resolution", [16, 32, 64, 128, 256])
def test_every_level_draws_full_size_images_and_d_reads_them(resolution):
    g, d = _pair(resolution)
    assert g.sizes == sizes_of(resolution) and g.sizes[0] == 8 and g.sizes[-1] == resolution
    z = torch.randn(2, 8)
    for level in range(len(g.sizes)):
        g.set_stage(level, 1.0)
        d.set_stage(level, 1.0)
        with torch.no_grad():
            images = g(z)
            logits = d(images)
        assert images.shape == (2, 3, resolution, resolution) and logits.shape == (2,)
        size = g.sizes[level]  # the current level, repeated up to the full size
        assert torch.equal(images, F.interpolate(images[..., ::resolution // size, ::resolution // size],
                                                 scale_factor=resolution // size, mode="nearest"))


def test_fade_in_starts_at_the_level_below_and_ends_at_the_new_block_alone():
    g, d = _pair()
    z = torch.randn(3, 8)
    with torch.no_grad():
        for level in (1, 2):
            g.set_stage(level - 1, 1.0)
            below = g(z)
            g.set_stage(level, 0.0)
            assert torch.allclose(g(z), below, atol=1e-6)
            x = g.first(z[:, :, None, None])
            for block in g.blocks[:level]:
                x = block(x)
            alone = F.interpolate(torch.tanh(g.to_rgbs[level](x)), size=32, mode="nearest")
            g.set_stage(level, 1.0)
            assert torch.allclose(g(z), alone, atol=1e-6)
            g.set_stage(level, 0.5)
            halfway = g(z)
            assert not torch.allclose(halfway, below) and not torch.allclose(halfway, alone)


def test_training_s_level_size_images_are_the_full_size_ones_before_the_repeat():
    g, d = _pair()
    z, real = torch.randn(3, 8), torch.rand(3, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        for level, alpha in ((0, 1.0), (1, 0.3), (2, 1.0)):
            g.set_stage(level, alpha)
            d.set_stage(level, alpha)
            size = g.sizes[level]
            native, full = g(z, native=True), g(z)
            assert native.shape[-1] == size
            assert torch.equal(F.interpolate(native, size=32, mode="nearest"), full)
            # D reads either form alike, and so do the reals
            assert torch.allclose(d(native), d(full), atol=1e-5)
            reals = blend_reals(real, level, alpha, g.sizes, native=True)
            assert reals.shape[-1] == size
            assert torch.equal(F.interpolate(reals, size=32, mode="nearest"), blend_reals(real, level, alpha, g.sizes))


def test_d_fades_in_the_same_way():
    _, d = _pair()
    images = torch.rand(3, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        for level in (1, 2):
            d.set_stage(level - 1, 1.0)
            below = d(images)
            d.set_stage(level, 0.0)
            assert torch.allclose(d(images), below, atol=1e-5)
            d.set_stage(level, 1.0)
            assert not torch.allclose(d(images), below)


def test_reals_are_crossfaded_like_the_fakes():
    real = torch.rand(2, 3, 32, 32)
    level_image = F.avg_pool2d(real, 2)  # level 1 of 32 px: 16 px
    coarse = F.interpolate(F.avg_pool2d(level_image, 2), scale_factor=2.0, mode="nearest")
    up = lambda x: F.interpolate(x, size=32, mode="nearest")  # noqa: E731
    assert torch.allclose(blend_reals(real, 1, 1.0, [8, 16, 32]), up(level_image))
    assert torch.allclose(blend_reals(real, 1, 0.0, [8, 16, 32]), up(coarse))
    assert torch.allclose(blend_reals(real, 1, 0.25, [8, 16, 32]), up(0.75 * coarse + 0.25 * level_image))
    assert torch.equal(blend_reals(real, 2, 1.0, [8, 16, 32]), real)


def test_all_blocks_exist_from_the_start_and_the_stage_is_a_buffer():
    g, d = _pair()
    before = [id(p) for p in g.parameters()]
    g.set_stage(0, 0.0)
    assert [id(p) for p in g.parameters()] == before
    state = g.state_dict()
    assert int(state["level"]) == 0 and float(state["alpha"]) == 0.0
    with pytest.raises(ValueError, match="level"):
        g.set_stage(3, 1.0)


@pytest.mark.parametrize("resolution,spectral_norm", [(32, False), (64, True)])
def test_the_last_level_is_dcgan_layer_for_layer(resolution, spectral_norm):
    grown = spec("dcgan", z_dim=8, resolution=resolution, channels=3, width=8, progressive=True,
                 spectral_norm=spectral_norm)
    plain = spec("dcgan", z_dim=8, resolution=resolution, channels=3, width=8, spectral_norm=spectral_norm)
    torch.manual_seed(0)
    g, d = build_generator(grown).eval(), build_discriminator(grown).eval()
    g_plain, d_plain = build_generator(plain).eval(), build_discriminator(plain).eval()
    last = len(g.sizes) - 1
    g_path = [*g.first, *(layer for block in g.blocks for layer in block), g.to_rgbs[last]]
    d_path = [*d.from_rgbs[last], *(layer for block in reversed(d.blocks) for layer in block)]
    _copy_layers(g_path, [m for m in g_plain.net if not isinstance(m, torch.nn.Tanh)])
    _copy_layers(d_path, list(d_plain.features))
    d_plain.head.load_state_dict(d.head.state_dict())
    z, images = torch.randn(4, 8), torch.rand(4, 3, resolution, resolution) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(g(z), g_plain(z), atol=1e-6)
        assert torch.allclose(d(images), d_plain(images), atol=1e-5)
    unused = sum(p.numel() for p in g.to_rgbs[:last].parameters())
    assert sum(p.numel() for p in g.parameters()) - unused == sum(p.numel() for p in g_plain.parameters())


def _copy_layers(source, target):
    assert [type(m).__name__ for m in source] == [type(m).__name__ for m in target]
    for src, dst in zip(source, target):
        dst.load_state_dict(src.state_dict())
