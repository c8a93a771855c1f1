"""The VGG19 feature stack, cut after the deepest layer a loss needs, with its own input normalisation."""
from __future__ import annotations

import torch
from torch import nn

from ..errors import GanvasError
from . import weights as vgg_weights
from .weights import VGG19_BLOCKS
from .winograd import WinogradConv3x3, min_channels

# Caffe's mean pixel in BGR order, on 0..255 inputs.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def layer_names() -> tuple[str, ...]:
    """Every named output of the stack in order: conv1_1, relu1_1, ..., pool5."""
    names = []
    for block, count, _ in VGG19_BLOCKS:
        for i in range(1, count + 1):
            names += [f"conv{block}_{i}", f"relu{block}_{i}"]
        names.append(f"pool{block}")
    return tuple(names)


def normalise(image: torch.Tensor, model: str) -> torch.Tensor:
    """RGB 0..255 [N,3,H,W] -> the input the chosen network was trained on."""
    if model == "caffe-vgg19":
        mean = torch.tensor(CAFFE_MEAN_BGR, dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
        return image.flip(1) - mean
    mean = torch.tensor(IMAGENET_MEAN, dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
    return (image / 255.0 - mean) / std


class VGGFeatures(nn.Module):
    """Runs only up to the deepest requested layer and returns those layers' outputs by name."""

    def __init__(self, state: dict[str, torch.Tensor], wanted: tuple[str, ...], *, model: str,
                 pooling: str = "max", channels_last: bool = True, winograd: bool = False):
        super().__init__()
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        names = layer_names()
        unknown = [w for w in wanted if w not in names]
        if unknown:
            raise GanvasError(f"layer {unknown[0]}: not a VGG19 layer; use names like relu4_2 or conv3_1")
        self.model = model
        self.wanted = tuple(wanted)
        last = max(names.index(w) for w in wanted)
        self.names = names[: last + 1]
        self.layers = nn.ModuleList(self._make(name, state, pooling, winograd) for name in self.names)
        self.requires_grad_(False)
        self.eval()

    @staticmethod
    def _make(name: str, state: dict, pooling: str, winograd: bool) -> nn.Module:
        if name.startswith("conv"):
            weight = state[f"{name}.weight"]
            if winograd and weight.shape[1] >= min_channels():
                return WinogradConv3x3(weight, state[f"{name}.bias"])
            conv = nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1)
            conv.weight.data.copy_(weight)
            conv.bias.data.copy_(state[f"{name}.bias"])
            return conv
        if name.startswith("relu"):
            # In place is safe: conv backward needs its input, never its output.
            return nn.ReLU(inplace=True)
        return nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2)

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """image: RGB 0..255 [N,3,H,W]."""
        x = normalise(image, self.model).contiguous(memory_format=self.memory_format)
        out = {}
        for name, layer in zip(self.names, self.layers):
            x = layer(x)
            if name in self.wanted:
                # A wanted conv output would be overwritten by the in-place ReLU after it.
                out[name] = x.clone() if name.startswith("conv") else x
        return out


def load_vgg(model: str, wanted: tuple[str, ...], pooling: str = "max", channels_last: bool = True,
             winograd: bool = False) -> VGGFeatures:
    """`winograd`: bf16 Winograd tiles for the layers wide enough to gain (the CPU fast path; fp32 runs
    stay direct)."""
    state = vgg_weights.caffe_vgg19() if model == "caffe-vgg19" else vgg_weights.torchvision_vgg19()
    net = VGGFeatures(state, wanted, model=model, pooling=pooling, channels_last=channels_last, winograd=winograd)
    return net.to(memory_format=net.memory_format)
