import math

import pytest
import torch

from ganvas.gan.losses import d_loss, g_loss

LN2 = math.log(2.0)


def t(*values):
    return torch.tensor(values, dtype=torch.float32)


def test_ns_and_minimax_at_an_undecided_discriminator():
    # D(x) = sigmoid(0) = 0.5 for everything: each BCE term is ln 2.
    assert d_loss(t(0.0), t(0.0), "ns").item() == pytest.approx(2 * LN2)
    assert d_loss(t(0.0), t(0.0), "minimax").item() == pytest.approx(2 * LN2)
    assert g_loss(t(0.0), "ns").item() == pytest.approx(LN2)
    assert g_loss(t(0.0), "minimax").item() == pytest.approx(-LN2)


def test_ns_generator_loss_matches_minus_log_d():
    logits = t(-3.0, 0.5, 2.0)
    expected = -torch.log(torch.sigmoid(logits)).mean()
    assert g_loss(logits, "ns").item() == pytest.approx(expected.item(), rel=1e-6)


def test_minimax_generator_loss_is_log_one_minus_d():
    logits = t(-1.0, 1.5)
    expected = torch.log(1 - torch.sigmoid(logits)).mean()
    assert g_loss(logits, "minimax").item() == pytest.approx(expected.item(), rel=1e-6)


def test_one_sided_label_smoothing_moves_only_the_real_target():
    # BCE(x, target) = softplus(x) - target * x; the fake term is untouched.
    x = 2.0
    real_term = math.log1p(math.exp(x)) - 0.9 * x
    fake_term = math.log1p(math.exp(-3.0))
    assert d_loss(t(x), t(-3.0), "ns", smoothing=0.1).item() == pytest.approx(real_term + fake_term, rel=1e-6)


def test_hinge_values():
    assert d_loss(t(1.0, 2.0), t(-1.0, -5.0), "hinge").item() == pytest.approx(0.0)
    assert d_loss(t(0.0), t(0.0), "hinge").item() == pytest.approx(2.0)
    assert g_loss(t(2.0, 4.0), "hinge").item() == pytest.approx(-3.0)


def test_least_squares_values():
    assert d_loss(t(1.0), t(0.0), "ls").item() == pytest.approx(0.0)
    assert d_loss(t(0.0), t(1.0), "ls").item() == pytest.approx(1.0)
    assert g_loss(t(0.0), "ls").item() == pytest.approx(0.5)


def test_losses_accept_bf16_logits_and_return_fp32():
    assert d_loss(t(0.3).bfloat16(), t(-0.3).bfloat16()).dtype == torch.float32


def test_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="unknown loss"):
        g_loss(t(0.0), "wasserstein-ish")
