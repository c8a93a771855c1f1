"""The Python face of ganvas: every CLI command is one of these functions, and calls nothing else.

    train(config=None, *, resume, force, progress, **options) -> summary dict
    sample(run, n, out, grid, seed, truncation, labels, progress) -> [PNG paths]
    interpolate(run, out, keys, frames, seed, fps, progress) -> GIF/MP4 path
    export(run, format, out) -> ONNX/TorchScript path
    evaluate(run, *, data, metrics, n, seed, json_path, inception, config, progress) -> results dict
    report(run, out, progress) -> HTML path
    stylize(content, style, *, progress, should_stop, **options) -> PIL image
    stylize_to_file(config: StyleConfig, progress, should_stop) -> path of config.out (what `ganvas stylize` does)
    studio(config: StudioConfig=None, **options) -> serves the web studio until stopped (what `ganvas ui` does)

Each service is imported on first use, so `import ganvas.api` (and `ganvas --help`, which reads the
services' signatures for its defaults) does not pay for torch, matplotlib or the VGG weights.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOMES = {
    "train": ("ganvas.gan.train", "train"),
    "sample": ("ganvas.generate", "sample"),
    "interpolate": ("ganvas.generate", "interpolate"),
    "export": ("ganvas.generate", "export"),
    "evaluate": ("ganvas.evaluation", "evaluate"),
    "report": ("ganvas.webpage", "report"),
    "stylize": ("ganvas.style.run", "stylize"),
    "stylize_to_file": ("ganvas.style.run", "stylize_config"),
    "studio": ("ganvas.ui.server", "serve"),
}

__all__ = list(_HOMES)

if TYPE_CHECKING:
    from .evaluation import evaluate
    from .gan.train import train
    from .generate import export, interpolate, sample
    from .webpage import report
    from .style.run import stylize
    from .style.run import stylize_config as stylize_to_file
    from .ui.server import serve as studio


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ganvas.api' has no attribute {name!r}")
    module, attribute = _HOMES[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
