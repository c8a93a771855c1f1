"""The three Gatys losses: content (features), style (Gram matrices) and total variation."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


# Elements of fp32 features per matmul: about 16 MB, whatever the image size.
_CHUNK_ELEMENTS = 1 << 22
# Elements of bf16 features per matmul. Each bf16 product is rounded to bf16 once, so many small
# partial sums added in fp32 keep the Gram within ~5e-4 of fp32 (one product: ~1.5e-3).
_BF16_CHUNK_ELEMENTS = 1 << 18


class _ChunkedGram(torch.autograd.Function):
    """F^T F in fp32 from bf16 or fp32 features, without an fp32 copy of bf16 features.

    At 2048 px, an fp32 copy of relu1_1 alone is 800 MB. bf16 row chunks are multiplied in bf16 (at
    twice the fp32 speed, accumulating in fp32 inside the matmul) and their products summed in fp32.
    """

    @staticmethod
    def forward(ctx, flat: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(flat)
        low_precision = flat.dtype in (torch.bfloat16, torch.float16)
        rows = max(1, (_BF16_CHUNK_ELEMENTS if low_precision else _CHUNK_ELEMENTS) // flat.shape[1])
        out = flat.new_zeros((flat.shape[1], flat.shape[1]), dtype=torch.float32)
        with torch.autocast(flat.device.type, enabled=False):
            for chunk in flat.split(rows):
                if low_precision:
                    out += chunk.t() @ chunk
                else:
                    chunk = chunk.float()
                    out.addmm_(chunk.t(), chunk)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (flat,) = ctx.saved_tensors
        # The features' gradient ends up in their own dtype anyway, so the product is taken in that
        # dtype (bf16 matmuls accumulate in fp32) rather than through an fp32 copy of the features.
        with torch.autocast(flat.device.type, enabled=False):
            return flat @ (grad + grad.t()).to(flat.dtype)


def gram(features: torch.Tensor) -> torch.Tensor:
    """[1,C,H,W] -> [C,C] in fp32, divided by H*W (the reference normalisation)."""
    _, c, h, w = features.shape
    # Viewing as [HW, C] keeps channels_last tensors copy-free.
    flat = features.permute(0, 2, 3, 1).reshape(h * w, c)
    return _ChunkedGram.apply(flat) / (h * w)


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels, across and down (smooth for L-BFGS)."""
    dx = image[..., :, 1:] - image[..., :, :-1]
    dy = image[..., 1:, :] - image[..., :-1, :]
    return dx.float().pow(2).mean() + dy.float().pow(2).mean()


@dataclass
class Targets:
    """Everything the objective compares against, computed once per scale."""

    content: dict[str, torch.Tensor]
    grams: list[dict[str, torch.Tensor]]  # one dict per style image
    style_weights: list[float]


@dataclass
class Weights:
    content: float
    style: float
    tv: float


def objective(features: dict[str, torch.Tensor], image: torch.Tensor, targets: Targets,
              weights: Weights) -> dict[str, torch.Tensor]:
    """The loss parts and their weighted sum ("loss")."""
    content = sum(F.mse_loss(features[k].float(), t) for k, t in targets.content.items())
    style = image.new_zeros((), dtype=torch.float32)
    for layer in targets.grams[0]:
        g = gram(features[layer])
        per_layer = sum(w * F.mse_loss(g, grams[layer]) for w, grams in zip(targets.style_weights, targets.grams))
        style = style + per_layer / g.shape[0] ** 2
    tv = total_variation(image)
    parts = {"content": weights.content * content, "style": weights.style * style, "tv": weights.tv * tv}
    parts["loss"] = parts["content"] + parts["style"] + parts["tv"]
    return parts
