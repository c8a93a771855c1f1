"""The lean residual GAN: identity blocks at the start, grouped bottlenecks, no normalisation."""
import torch

from ganvas.models import build_discriminator, build_generator
from ganvas.models.resnet import ResidualBlock

from .specs import spec


def _pair(**options):
    torch.manual_seed(0)
    shape = spec("resnet", z_dim=8, resolution=16, channels=3, **{"width": 16, "max_channels": 32, **options})
    return build_generator(shape), build_discriminator(shape)


def test_every_block_starts_as_the_identity_and_still_learns():
    g, d = _pair()
    blocks = [m for net in (g, d) for m in net.modules() if isinstance(m, ResidualBlock)]
    assert blocks
    x = torch.randn(2, 16, 4, 4)
    first = next(b for b in blocks if b.expand.in_channels == 16)
    assert torch.equal(first(x), x)
    d(g(torch.randn(2, 8))).sum().backward()
    assert all(b.project.weight.grad.abs().sum() > 0 for b in blocks)  # zero-initialised, not frozen


def test_the_3x3_is_grouped_by_the_group_size():
    g, _ = _pair(group_size=8)
    block = next(m for m in g.modules() if isinstance(m, ResidualBlock))
    hidden = block.expand.out_channels
    assert block.spatial.groups == hidden // 8
    g, _ = _pair(group_size=0)
    assert all(m.spatial.groups == 1 for m in g.modules() if isinstance(m, ResidualBlock))


def test_blocks_per_stage_and_expansion_are_options():
    g, _ = _pair(blocks=2, expansion=3)
    stages = g.stages
    assert all(len(stage) == 2 for stage in stages)
    block = stages[0][0]
    assert block.expand.out_channels == 3 * block.expand.in_channels


def test_training_output_is_unclamped_and_samples_are_clamped():
    g, _ = _pair()
    with torch.no_grad():
        for p in g.parameters():
            p.mul_(20)
        z = torch.randn(4, 8)
        assert g.train()(z).abs().max() > 1
        assert g.eval()(z).abs().max() <= 1
