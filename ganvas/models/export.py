"""A trained generator as a standalone file: TorchScript for PyTorch users, ONNX for everyone else.

Both take `z` [N, z_dim] (and `labels` [N] int64 for conditional generators) and return images in
[-1, 1] of shape [N, C, R, R]; N may differ from the batch used while exporting.
"""
from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Iterator

import torch
from torch import nn

from ..errors import GanvasError
from ..io import atomic_write_bytes

META_FILE = "ganvas.json"  # stored inside the TorchScript archive, read back with torch.jit.load


class Exportable(nn.Module):
    """Fixes the call signature: tracers and ONNX want positional tensors, not an optional keyword."""

    def __init__(self, generator: nn.Module, conditional: bool):
        super().__init__()
        self.generator = generator
        self.conditional = conditional

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z, labels if self.conditional else None)


def example_inputs(meta: dict, n: int = 2) -> tuple[torch.Tensor, ...]:
    z = torch.randn(n, meta["z_dim"], generator=torch.Generator().manual_seed(0))
    if meta.get("num_classes", 0):
        return z, torch.arange(n) % meta["num_classes"]
    return (z,)


def _portable(generator: nn.Module, meta: dict) -> Exportable:
    # channels_last or a GPU are training-time choices; an exported file should load anywhere. The copy
    # leaves the caller's generator where it was.
    generator = copy.deepcopy(generator).to("cpu", memory_format=torch.contiguous_format).eval()
    return Exportable(generator, bool(meta.get("num_classes", 0))).eval()


def to_torchscript(generator: nn.Module, meta: dict, path: str | os.PathLike) -> Path:
    """Trace the generator and save it with its meta, atomically."""
    model = _portable(generator, meta)
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # TorchScript is deprecated upstream but still the one format plain PyTorch loads without our code;
        # the tracer's notes concern input checks that a valid call never trips.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(model, example_inputs(meta), check_trace=False)
        torch.jit.save(traced, buffer, _extra_files={META_FILE: json.dumps(_public(meta))})
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def onnx_missing() -> list[str]:
    return [name for name in ("onnx", "onnxscript") if importlib.util.find_spec(name) is None]


def to_onnx(generator: nn.Module, meta: dict, path: str | os.PathLike) -> Path:
    """Export with torch.onnx (a dynamic batch axis), atomically."""
    missing = onnx_missing()
    if missing:
        raise GanvasError(f"ONNX export needs {' and '.join(missing)}: `pip install ganvas[onnx]`, "
                          "or use --format torchscript")
    model = _portable(generator, meta)
    inputs = example_inputs(meta)
    names = ["z", "labels"][:len(inputs)]
    batch = torch.export.Dim("batch", min=1)
    with torch.no_grad():
        program = torch.onnx.export(model, inputs, input_names=names, output_names=["images"],
                                    dynamic_shapes=tuple({0: batch} for _ in inputs), dynamo=True,
                                    external_data=False, verbose=False)
    with atomic_path(path) as tmp:
        program.save(str(tmp))
    return Path(path)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary file beside `path` for a writer that wants a file name; renamed into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; a finished output is an ordinary file
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _public(meta: dict) -> dict:
    keys = ("arch", "z_dim", "num_classes", "channels", "resolution", "classes", "width")
    return {k: meta[k] for k in keys if k in meta}
