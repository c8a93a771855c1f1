import pytest
import torch

from ganvas.device import Placement
from ganvas.models import build_generator
from ganvas.models.invoke import generate, takes_option

from .specs import spec


def _generator(**kw):
    torch.manual_seed(0)
    return build_generator(spec("dcgan", channels=3, width=4, **kw))


def test_images_come_back_as_float32_on_the_cpu_in_batches():
    g = _generator()
    events = []
    images = generate(g, torch.randn(70, 8), batch=32, progress=events.append, task="grid")
    assert images.shape == (70, 3, 16, 16) and images.dtype == torch.float32 and images.is_contiguous()
    assert images.abs().max() <= 1
    assert [(e.task, e.kind, e.step) for e in events] == [
        ("grid", "start", 0), ("grid", "update", 32), ("grid", "update", 64), ("grid", "update", 70),
        ("grid", "end", 70)]


@pytest.mark.parametrize("training", [True, False])
def test_the_mode_is_restored_and_no_gradient_is_kept(training):
    g = _generator().train(training)
    z = torch.randn(4, 8)
    images = generate(g, z)
    assert g.training == training and not images.requires_grad
    # In eval mode BatchNorm uses its running statistics: an image does not depend on its batch.
    assert torch.allclose(generate(g, z[:1])[0], images[0], atol=1e-6)


def test_the_global_rng_is_untouched():
    class Noisy(torch.nn.Module):  # a generator that draws its own noise, as StyleGANs do
        def forward(self, z, labels=None):
            return torch.tanh(z[:, :3, None, None] + torch.randn(len(z), 3, 4, 4))

    torch.manual_seed(3)
    expected = torch.rand(5)
    torch.manual_seed(3)
    generate(Noisy(), torch.zeros(6, 8))
    assert torch.equal(torch.rand(5), expected)


def test_bf16_placement_runs_the_convolutions_in_bf16():
    g = _generator()
    seen = []
    for layer in g.modules():
        if isinstance(layer, torch.nn.ConvTranspose2d):
            layer.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    placement = Placement(torch.device("cpu"), True)
    images = generate(placement.place(g), torch.randn(3, 8), placement=placement)
    assert seen and set(seen) == {torch.bfloat16}
    assert images.dtype == torch.float32


def test_sampling_options_reach_generators_that_take_them():
    class Truncating(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.seen = []

        def forward(self, z, labels=None, *, truncation=None):
            self.seen.append(truncation)
            return torch.zeros(len(z), 1, 4, 4)

    g = Truncating()
    assert takes_option(g, "truncation") and not takes_option(_generator(), "truncation")
    generate(g, torch.randn(3, 8), truncation=0.5)
    assert g.seen == [0.5]
