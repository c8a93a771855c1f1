import json

import pytest
import torch

from ganvas.config.evaluate import EvalConfig
from ganvas.errors import GanvasError
from ganvas.evaluation import evaluate, latent_source
from ganvas.metrics import score
from ganvas.metrics.score import evaluate_images

from .fakes import fake_run, tiny_inception


def _images(n=48, channels=1, size=16, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, channels, size, size), dtype=torch.uint8, generator=gen)


@pytest.fixture
def tiny_net(monkeypatch):
    net = tiny_inception()
    monkeypatch.setattr(score, "load_inception", lambda *a, **k: net)
    return net


def test_swd_alone_needs_no_feature_network():
    real = _images()
    result = evaluate_images(real.clone(), real, config=EvalConfig(n=48, metrics="swd"))
    assert result["metrics"]["swd"]["value"] == 0.0
    protocol = result["protocol"]
    assert protocol["n_generated"] == 48 and protocol["seed"] == 0 and "feature_network" not in protocol


def test_every_metric_on_identical_sets(tiny_net):
    real = _images()
    result = evaluate_images(real.float() / 127.5 - 1, real, config=EvalConfig(n=48, kid_subsets=5))
    scores = result["metrics"]
    assert scores["fid"]["value"] == pytest.approx(0.0, abs=1e-3)
    assert scores["precision"]["value"] == 1.0 and scores["recall"]["value"] == 1.0
    assert scores["kid"]["subset_size"] == 48 and scores["kid"]["subsets"] == 5
    protocol = result["protocol"]
    for key in ("feature_network", "weights_sha256", "resize", "precision", "kid", "precision_recall", "swd"):
        assert key in protocol
    assert "299" in protocol["resize"]


def test_different_sets_score_worse(tiny_net):
    real, other = _images(seed=0), (_images(seed=1) // 2)
    config = EvalConfig(n=48, kid_subsets=5)
    same = evaluate_images(_images(seed=2), real, config=config)["metrics"]
    apart = evaluate_images(other, real, config=config)["metrics"]
    for name in ("fid", "kid", "swd"):
        assert apart[name]["value"] > same[name]["value"]


def test_a_generator_function_is_drawn_exactly_n_times(tiny_net):
    drawn = []

    def fake(count):
        drawn.append(count)
        return torch.rand(count, 1, 16, 16) * 2 - 1

    evaluate_images(fake, _images(), config=EvalConfig(n=30, batch_size=8, metrics="fid,swd", cache=False))
    assert sum(drawn) == 30
    assert tiny_net.net.seen == 30 + 48


def test_too_few_given_images_is_an_error():
    with pytest.raises(GanvasError, match="--n"):
        evaluate_images(_images(n=4), _images(), config=EvalConfig(n=10, metrics="swd"))


@pytest.fixture
def run_folder(tmp_path, monkeypatch):
    return fake_run(tmp_path, monkeypatch)


def test_evaluate_a_run_writes_its_results(run_folder, tiny_net, tmp_path):
    out = tmp_path / "scores.json"
    result = evaluate(run_folder, metrics=("fid", "swd"), n=20, json_path=str(out))
    assert set(result["metrics"]) == {"fid", "swd"}
    assert "20 of 24 images" in result["protocol"]["reference"]
    saved = json.loads((run_folder / "evaluation.json").read_text())
    assert saved["metrics"]["fid"]["value"] == pytest.approx(result["metrics"]["fid"]["value"])
    assert json.loads(out.read_text())["protocol"] == saved["protocol"]


def test_a_run_without_a_dataset_record_asks_for_data(run_folder):
    (run_folder / "run.json").write_text("{}")
    with pytest.raises(GanvasError, match="--data"):
        evaluate(run_folder, metrics="swd", n=4)


def test_the_latents_of_an_evaluation_repeat_per_seed_and_cover_every_class():
    from ganvas.models import ModelSpec

    class Echo(torch.nn.Module):  # shows its latent's first value and its label
        def forward(self, z, labels=None):
            return torch.stack([z[:, 0], labels.float()], 1)[:, :, None, None].clamp(-1, 1)

    spec = ModelSpec("echo", z_dim=3, resolution=1, channels=2, num_classes=3)
    draw = latent_source(Echo(), spec, seed=4, n=9)
    first = torch.cat([draw(4), draw(5)])
    again = latent_source(Echo(), spec, seed=4, n=9)(9)
    assert torch.equal(first, again)
    assert first[:, 1, 0, 0].tolist() == [0, 1, 1, 0, 1, 1, 0, 1, 1]  # classes 0, 1, 2 in turn, clamped to 1
    assert not torch.equal(first, latent_source(Echo(), spec, seed=5, n=9)(9))
