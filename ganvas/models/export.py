"""A trained generator as a standalone file: TorchScript for PyTorch users, ONNX for everyone else.

Both take `z` [N, z_dim] (and `labels` [N] int64 for conditional generators) and return images in
[-1, 1] of shape [N, C, R, R]; N may differ from the batch used while exporting.
"""
from __future__ import annotations

import copy
import importlib.util
import io
import json
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import GanvasError
from ..io import atomic_path, atomic_write_bytes
from .latent import LatentSampler
from .spec import ModelSpec

META_FILE = "ganvas.json"  # stored inside the TorchScript archive, read back with torch.jit.load


class Exportable(nn.Module):
    """Fixes the call signature: tracers and ONNX want positional tensors, not an optional keyword."""

    def __init__(self, generator: nn.Module, conditional: bool):
        super().__init__()
        self.generator = generator
        self.conditional = conditional

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z, labels if self.conditional else None)


def example_inputs(spec: ModelSpec, n: int = 2) -> tuple[torch.Tensor, ...]:
    z, labels = LatentSampler(spec.z_dim, spec.num_classes).fixed(n, seed=0)
    return (z,) if labels is None else (z, labels)


def _portable(generator: nn.Module, spec: ModelSpec) -> Exportable:
    # channels_last or a GPU are training-time choices; an exported file should load anywhere. The copy
    # leaves the caller's generator where it was.
    generator = copy.deepcopy(generator).to("cpu", memory_format=torch.contiguous_format).eval()
    return Exportable(generator, spec.num_classes > 0).eval()


def to_torchscript(generator: nn.Module, spec: ModelSpec, path: str | os.PathLike) -> Path:
    """Trace the generator and save it with its spec (`ModelSpec.public()`, as JSON), atomically."""
    model = _portable(generator, spec)
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # TorchScript is deprecated upstream but still the one format plain PyTorch loads without our code;
        # the tracer's notes concern input checks that a valid call never trips.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(model, example_inputs(spec), check_trace=False)
        torch.jit.save(traced, buffer, _extra_files={META_FILE: json.dumps(spec.public())})
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def onnx_missing() -> list[str]:
    return [name for name in ("onnx", "onnxscript") if importlib.util.find_spec(name) is None]


def to_onnx(generator: nn.Module, spec: ModelSpec, path: str | os.PathLike) -> Path:
    """Export with torch.onnx (a dynamic batch axis), atomically."""
    missing = onnx_missing()
    if missing:
        raise GanvasError(f"ONNX export needs {' and '.join(missing)}: `pip install ganvas[onnx]`, "
                          "or use --format torchscript")
    model = _portable(generator, spec)
    inputs = example_inputs(spec)
    names = ["z", "labels"][:len(inputs)]
    batch = torch.export.Dim("batch", min=1)
    with torch.no_grad():
        program = torch.onnx.export(model, inputs, input_names=names, output_names=["images"],
                                    dynamic_shapes=tuple({0: batch} for _ in inputs), dynamo=True,
                                    external_data=False, verbose=False)
    with atomic_path(path) as tmp:
        program.save(str(tmp))
    return Path(path)
