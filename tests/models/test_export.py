"""TorchScript and ONNX exports of DCGAN and the MLP (the modern families: test_export_archs.py)."""
import json

import pytest
import torch

from ganvas import generate
from ganvas.errors import GanvasError
from ganvas.models.export import META_FILE

from tests.generators import make_generator


# ---- export ---------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
@pytest.mark.parametrize("arch", ["dcgan", "mlp"])
@pytest.mark.parametrize("num_classes", [0, 3])
def test_torchscript_round_trip(tmp_path, arch, num_classes):
    g, meta = make_generator(num_classes, arch=arch)
    path = generate.export_generator(g, meta, "torchscript", tmp_path / "g.pt")
    extra = {META_FILE: ""}
    loaded = torch.jit.load(str(path), _extra_files=extra)
    assert json.loads(extra[META_FILE])["z_dim"] == 8
    z = torch.randn(5, 8)  # another batch size than the one traced
    labels = torch.tensor([2, 0, 1, 1, 0]) if num_classes else None
    with torch.no_grad():
        expected = g(z, labels)
        got = loaded(z, labels) if num_classes else loaded(z)
    assert torch.allclose(got, expected, atol=1e-6)


def test_export_leaves_the_callers_generator_alone(tmp_path):
    g, meta = make_generator()
    g = g.train().to(memory_format=torch.channels_last)
    generate.export_generator(g, meta, "torchscript", tmp_path / "g.pt")
    assert g.training
    assert g.net[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_onnx_without_its_package_is_a_one_line_error(tmp_path, monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    g, meta = make_generator()
    with pytest.raises(GanvasError, match=r"pip install ganvas\[onnx\]"):
        generate.export_generator(g, meta, "onnx", tmp_path / "g.onnx")
    assert not (tmp_path / "g.onnx").exists()


def test_onnx_export_when_installed(tmp_path):
    onnx = pytest.importorskip("onnx", reason="ONNX export is the optional extra ganvas[onnx]")
    pytest.importorskip("onnxscript")
    g, meta = make_generator(num_classes=3)
    path = generate.export_generator(g, meta, "onnx", tmp_path / "g.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == ["z", "labels"]
