import torch

from ganvas.gan.ema import EMA


def test_decay_warms_up_to_the_configured_value():
    ema = EMA(torch.nn.Linear(2, 2), 0.999)
    decays = [ema.decay_at(step) for step in (0, 10, 100, 1000, 100_000)]
    assert decays == sorted(decays) and decays[0] == 0.1 and decays[-1] == 0.999


def test_update_moves_toward_the_model_and_copies_buffers():
    model = torch.nn.BatchNorm1d(3)
    ema = EMA(model, 0.9)
    with torch.no_grad():
        model.weight.fill_(2.0)
        model.running_mean.fill_(5.0)
    ema.update(model, step=10_000)
    assert torch.allclose(ema.model.weight, torch.full((3,), 1.1))  # 1 + 0.1 * (2 - 1)
    assert torch.equal(ema.model.running_mean, model.running_mean)
    assert not any(p.requires_grad for p in ema.model.parameters())
