"""Every architecture exports, and the exported file draws what PyTorch draws, at another batch size."""
import json

import pytest
import torch

from ganvas.models import ARCHS, build_generator
from ganvas.models.export import META_FILE, to_onnx, to_torchscript

from .specs import spec

TINY = {"dcgan": {"width": 4}, "mlp": {"width": 2}, "progressive": {"width": 4, "progressive": True}}
MODERN_TINY = {"width": 4, "max_channels": 8}
CASES = sorted(ARCHS) + ["progressive"]  # a growing DCGAN, exported mid-fade


def _generator(case):
    torch.manual_seed(0)
    arch = "dcgan" if case == "progressive" else case
    shape = spec(arch, z_dim=8, resolution=16, channels=3, num_classes=3, **TINY.get(case, MODERN_TINY))
    g = build_generator(shape).eval()
    if case == "progressive":
        g.set_stage(1, 0.5)
    if case in TINY:
        with torch.no_grad():  # a fresh DCGAN paints flat grey; louder weights let a wrong export show
            for p in g.parameters():
                p.mul_(3)
    return g, shape


def _inputs():
    return torch.randn(5, 8, generator=torch.Generator().manual_seed(1)), torch.tensor([2, 0, 1, 1, 0])


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
@pytest.mark.parametrize("arch", CASES)
def test_torchscript_round_trip(tmp_path, arch):
    g, shape = _generator(arch)
    path = to_torchscript(g, shape, tmp_path / "g.pt")
    extra = {META_FILE: ""}
    loaded = torch.jit.load(str(path), _extra_files=extra)
    assert json.loads(extra[META_FILE])["arch"] == shape.arch
    z, labels = _inputs()
    with torch.no_grad():
        assert torch.allclose(loaded(z, labels), g(z, labels), atol=1e-5)


@pytest.mark.parametrize("arch", CASES)
def test_onnx_round_trip(tmp_path, arch):
    onnx = pytest.importorskip("onnx", reason="ONNX export is the optional extra ganvas[onnx]")
    pytest.importorskip("onnxscript")
    from onnx.reference import ReferenceEvaluator

    g, shape = _generator(arch)
    path = to_onnx(g, shape, tmp_path / "g.onnx")
    z, labels = _inputs()
    (got,) = ReferenceEvaluator(onnx.load(str(path))).run(None, {"z": z.numpy(), "labels": labels.numpy()})
    with torch.no_grad():
        expected = g(z, labels)
    assert got.shape == tuple(expected.shape)
    assert torch.allclose(torch.from_numpy(got), expected, atol=1e-4)
