"""R1 against a penalty computed by hand."""
import contextlib

import torch

from ganvas.gan.regularize import gradient_penalty


class Linear(torch.nn.Module):
    """D(x) = <w, x> + (x^2 summed) / 2, so dD/dx = w + x and the penalty is ||w + x||^2 per image."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(1, 2, 3, 3, generator=torch.Generator().manual_seed(0)))

    def forward(self, x, labels=None):
        return (self.w * x).sum((1, 2, 3)) + 0.5 * x.square().sum((1, 2, 3))


def test_r1_matches_the_hand_computed_gradient_penalty():
    D, x = Linear(), torch.randn(5, 2, 3, 3, generator=torch.Generator().manual_seed(1))
    penalty, logits = gradient_penalty(D, x, None, lambda t: t, contextlib.nullcontext)
    expected = (D.w + x).square().sum((1, 2, 3)).mean()
    assert torch.allclose(penalty, expected) and logits.shape == (5,)


def test_the_penalty_is_taken_through_the_augmentation_and_trains_d():
    D, x = Linear(), torch.randn(5, 2, 3, 3)
    penalty, _ = gradient_penalty(D, x, None, lambda t: 2 * t, contextlib.nullcontext)
    # d/dx D(2x) = 2 (w + 2x)
    assert torch.allclose(penalty, (2 * (D.w + 2 * x)).square().sum((1, 2, 3)).mean())
    penalty.backward()
    assert D.w.grad is not None and D.w.grad.abs().sum() > 0
