import json
import shutil
from pathlib import Path

import pytest
import torch

from ganvas import checkpoint
from ganvas.errors import GanvasError
from ganvas.models import ModelSpec, build_generator
from ganvas.runs import dataset_source, load_generator, run_info, training_config

RUN_0_1 = Path(__file__).resolve().parent / "fixtures" / "run-0.1"
SPEC = ModelSpec("mlp", z_dim=4, resolution=16, channels=1, num_classes=2, classes=("a", "b"),
                 options={"width": 2})


def _run(folder: Path, model: dict, *, ema: bool = True) -> tuple[Path, torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    g, average = build_generator(SPEC), build_generator(SPEC)
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"config": {"fit": "pad"}, "dataset": {"source": "shapes"}}))
    tensors = checkpoint.module_tensors("G", g)
    if ema:
        tensors.update(checkpoint.module_tensors("ema", average))
    checkpoint.save(folder, 3, tensors, {"model": model})
    return folder, g, average


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_the_ema_or_the_raw_generator_with_its_spec(tmp_path):
    run, g, average = _run(tmp_path / "run", SPEC.to_dict())
    loaded, spec = load_generator(run)
    assert spec == SPEC and not loaded.training and _same_weights(loaded, average)
    raw, _ = load_generator(run, which="raw")
    assert _same_weights(raw, g) and not _same_weights(raw, average)


def test_a_run_without_ema_gives_g_for_ema(tmp_path):
    run, g, _ = _run(tmp_path / "run", SPEC.to_dict(), ema=False)
    assert _same_weights(load_generator(run)[0], g)


def test_a_ganvas_0_1_run_loads(tmp_path):
    run = tmp_path / "legacy"
    shutil.copytree(RUN_0_1, run)
    g, spec = load_generator(run)
    assert spec == ModelSpec("dcgan", z_dim=8, resolution=16, channels=3, options={"width": 4, "spectral_norm": False})
    with torch.no_grad():
        images = g(torch.randn(2, 8))
    assert images.shape == (2, 3, 16, 16) and torch.isfinite(images).all()
    assert dataset_source(run) == "shapes" and training_config(run)["width"] == 4


def test_unknown_weights_are_refused(tmp_path):
    run, _, _ = _run(tmp_path / "run", SPEC.to_dict())
    with pytest.raises(GanvasError, match="--which best"):
        load_generator(run, which="best")


@pytest.mark.parametrize("model,needle", [
    ({"arch": "mlp", "z_dim": 4}, "describes no generator"),
    ({**SPEC.to_dict(), "arch": "stylegan9"}, "describes no generator"),
    ({**SPEC.to_dict(), "options": {"width": 2, "depth": 3}}, "describes no generator"),
    ({**SPEC.to_dict(), "options": {"width": 3}}, "do not fit"),
])
def test_a_checkpoint_whose_spec_does_not_fit_is_one_line(tmp_path, model, needle):
    run, _, _ = _run(tmp_path / "run", model)
    with pytest.raises(GanvasError, match=needle) as caught:
        load_generator(run)
    assert "step-0000003" in str(caught.value) and "\n" not in str(caught.value)


def test_folders_that_are_not_runs(tmp_path):
    with pytest.raises(GanvasError, match="no run.json"):
        load_generator(tmp_path)
    (tmp_path / "run.json").write_text("[")
    with pytest.raises(GanvasError, match="damaged"):
        run_info(tmp_path)
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(GanvasError, match="no intact checkpoint"):
        load_generator(tmp_path)
    with pytest.raises(GanvasError, match="--data"):
        dataset_source(tmp_path)
    assert training_config(tmp_path) == {}
