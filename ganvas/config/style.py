"""Options of one style-transfer run: the one home of its defaults, shared by CLI and Python."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .fields import opt

MODELS = ("caffe-vgg19", "torchvision-vgg19")

# Loss weights tuned per feature network, used where a weight is left as None. The Caffe row is the
# Gatys reference setting (content 0.01 on relu4_2, style 10/C^2 per layer on Grams divided by H*W),
# so results compare with other Gatys implementations. torchvision's network sees inputs about 58x
# smaller than Caffe's (divided by the ImageNet std), so its feature MSEs shrink by ~58^2 and its Gram
# MSEs by ~58^4; its row keeps the Caffe balance between the three terms under that scaling.
MODEL_WEIGHTS = {
    "caffe-vgg19": {"content_weight": 0.01, "style_weight": 10.0, "tv_weight": 1e-3},
    "torchvision-vgg19": {"content_weight": 1.0, "style_weight": 3e6, "tv_weight": 3e-5},
}


@dataclass
class StyleConfig:
    # what to paint
    content: str = opt("", "the photo to repaint", cli=False)
    styles: tuple[str, ...] = opt((), "one or more style images", cli=False)
    out: str = opt("stylized.png", "where the result is written", cli=False)
    strip: Optional[str] = opt(None, "where photo | style images | result, side by side, is also written; "
                                     "None: nowhere", cli=False)
    style_weights: Optional[tuple[float, ...]] = opt(None, "relative weight of each style image; None: equal")
    style_scale: float = opt(1.0, "style image size relative to the content size")
    preserve_color: Optional[str] = opt(None, "keep the photo's colours", choices=("luminance", "histogram"))

    # the feature network and the objective
    model: str = opt("caffe-vgg19", "feature network", choices=MODELS)
    pooling: str = opt("max", "pooling inside the feature network", choices=("max", "avg"))
    content_layers: tuple[str, ...] = opt(("relu4_2",), "layers whose features the result keeps from the photo")
    style_layers: tuple[str, ...] = opt(("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
                                        "layers whose Gram matrices the result takes from the style")
    content_weight: Optional[float] = opt(None, "content loss weight; None takes the model's tuned value")
    style_weight: Optional[float] = opt(None, "style loss weight, spread over layers as 1/C^2; None: tuned")
    tv_weight: Optional[float] = opt(None, "total-variation weight; None takes the model's tuned value")

    # resolution
    size: int = opt(512, "long side of the result in pixels")
    scales: Optional[tuple[int, ...]] = opt(None, "long sides to optimise at, coarse to fine; None: auto")
    min_scale: int = opt(256, "smallest long side the automatic pyramid starts from")

    # optimisation
    init: str = opt("content", "starting image: content, noise, or a path to an image")
    optimizer: str = opt("lbfgs", "optimiser", choices=("lbfgs", "adam"))
    steps: int = opt(300, "optimisation steps at the final scale")
    coarse_steps: int = opt(100, "steps at each coarser scale of the pyramid")
    lr: Optional[float] = opt(None, "step size in pixel units; None: 1 for L-BFGS, 2 for Adam")
    history_size: int = opt(10, "L-BFGS memory; bounded so large images fit in RAM")

    # reproducibility, speed, output
    seed: int = opt(0, "random seed")
    deterministic: bool = opt(False, "deterministic kernels, so a run repeats bit for bit")
    precision: str = opt("auto", "bf16 autocast where the CPU/GPU supports it", choices=("auto", "bf16", "fp32"))
    device: str = opt("auto", "cpu, cuda, cuda:N or auto")
    threads: Optional[int] = opt(None, "CPU threads (default: PyTorch's choice)")
    save_every: int = opt(0, "write the current image every N steps beside --out (0: never)")
