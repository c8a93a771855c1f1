"""Training every family end to end, tiny: the arch's own recipe, its options, conditioning."""
import dataclasses
import json

import pytest
import torch

from ganvas import checkpoint as ckpt
from ganvas.config import TrainConfig
from ganvas.errors import GanvasError
from ganvas.gan import presets
from ganvas.gan.build import arch_options, model_spec
from ganvas.evaluation import evaluate
from ganvas.gan.train import train
from ganvas.webpage import report

from .helpers import TINY_RUN

MODERN = ("msg", "stylegan2", "resnet")


def _config(run_json):
    return json.loads(run_json.read_text())["config"]


@pytest.mark.parametrize("arch", MODERN)
def test_each_modern_arch_trains_conditionally_with_its_own_recipe(tmp_path, arch):
    run = tmp_path / arch
    summary = train(out=str(run), arch=arch, steps=6, conditional=True,
                    **dict(TINY_RUN, width=4, batch_size=8, log_every=3, checkpoint_every=6, sample_every=6))
    assert summary["step"] == 6
    cfg = _config(run / "run.json")
    recipe = presets.ARCH_RECIPES[arch]
    assert (cfg["loss"], cfg["lr_g"], cfg["lr_d"], cfg["beta1"], cfg["beta2"]) == (
        recipe["loss"], recipe["lr_g"], recipe["lr_g"], 0.0, 0.99)
    tensors, info = ckpt.load_latest(run)
    assert info["model"]["num_classes"] == len(info["model"]["classes"]) > 1
    assert info["model"]["options"]["width"] == 4
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert all(torch.isfinite(torch.tensor(r["d_loss"])) for r in records if "d_loss" in r)
    assert list((run / "samples").glob("*.png"))
    if arch == "stylegan2":
        assert "path_length.mean" in tensors and "G.mapping.w_avg" in tensors
    result = evaluate(run, metrics="swd", n=16)  # the services read any arch's run
    assert result["metrics"]["swd"]["value"] >= 0
    assert report(run).exists()


def test_widths_and_r1_follow_the_family():
    cfg = TrainConfig(arch="stylegan2", resolution=64, batch_size=32)
    chosen = presets.resolve(cfg, n_images=300, builtin=False)
    assert chosen.width == 32 and chosen.r1_gamma == pytest.approx(0.0002 * 64 ** 2 / 32)
    assert presets.resolve(cfg, 300, False, gpu=True).width == 256
    assert presets.resolve(cfg, 300, False, gpu=True).arch_options == ("max_channels=512",)
    resnet = presets.resolve(dataclasses.replace(cfg, arch="resnet"), 300, False)
    assert resnet.loss == "rpgan" and resnet.r1_gamma == pytest.approx(0.2)
    dcgan = presets.resolve(TrainConfig(resolution=64), 300, False)
    assert (dcgan.width, dcgan.loss, dcgan.lr_g, dcgan.beta2) == (32, "ns", 2e-4, 0.999)  # a small folder
    own = presets.resolve(dataclasses.replace(cfg, width=8, lr_g=1e-3, loss="hinge"), 300, False)
    assert (own.width, own.lr_g, own.lr_d, own.loss) == (8, 1e-3, 1e-3, "hinge")  # the user's choice wins


def test_arch_options_are_typed_checked_and_spelled_out_in_the_spec():
    cfg = TrainConfig(arch="stylegan2", resolution=16, channels=3, width=8,
                      arch_options=("mapping_layers=3", "w_dim=32"))
    spec = model_spec(cfg, [])
    assert spec.options == {"width": 8, "max_channels": 256, "w_dim": 32, "mapping_layers": 3, "mbstd_group": 4,
                            "spectral_norm": False}
    with pytest.raises(GanvasError, match="mapping_layers, mbstd_group"):
        arch_options(dataclasses.replace(cfg, arch_options=("depth=3",)))
    with pytest.raises(GanvasError, match="takes a int"):
        arch_options(dataclasses.replace(cfg, arch_options=("w_dim=big",)))
    with pytest.raises(GanvasError, match="true or false"):
        arch_options(dataclasses.replace(cfg, arch="dcgan", arch_options=("spectral_norm=maybe",)))
    assert arch_options(dataclasses.replace(cfg, arch_options=("spectral-norm=yes",)))["spectral_norm"] is True


def test_a_wrong_arch_option_fails_before_the_run_folder_is_written(tmp_path):
    with pytest.raises(GanvasError, match="--arch-options"):
        train(out=str(tmp_path / "run"), arch="resnet", arch_options=("depth=2",), steps=2, **TINY_RUN)
    assert not (tmp_path / "run").exists()


def test_arch_options_without_a_family_are_refused_before_the_run_folder_is_written(tmp_path):
    with pytest.raises(GanvasError, match="name the family with --arch"):
        train(out=str(tmp_path / "run"), arch_options=("blocks=2",), steps=2, **TINY_RUN)
    assert not (tmp_path / "run").exists()


def test_auto_records_the_family_it_chose_so_the_run_resumes_as_it(tmp_path):
    run = tmp_path / "run"
    train(out=str(run), steps=2, **TINY_RUN)
    config = _config(run / "run.json")
    assert config["arch"] in presets.ARCH_FAMILIES and config["arch"] != "auto"
    assert ckpt.load_latest(run)[1]["model"]["arch"] == config["arch"]
