"""Colour preservation: luminance-only transfer (YIQ) and colour-statistics matching."""
from __future__ import annotations

import torch

# NTSC YIQ; Y carries the brightness that style transfer reshapes, I and Q the colour to keep.
_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114],
                            [0.595716, -0.274453, -0.321263],
                            [0.211456, -0.522591, 0.311135]])


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    """[N,3,H,W] RGB -> YIQ in the same value range."""
    return torch.einsum("ij,njhw->nihw", _RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", torch.linalg.inv(_RGB_TO_YIQ).to(image), image)


def luminance(image: torch.Tensor) -> torch.Tensor:
    """The Y channel repeated into three, so the network sees a gray image."""
    return rgb_to_yiq(image)[:, :1].expand(-1, 3, -1, -1).contiguous()


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Gray style whose brightness mean and spread match the content's (Gatys et al. 2016)."""
    ys, yc = luminance(style), luminance(content)
    scaled = (ys - ys.mean()) * (yc.std() / ys.std().clamp_min(1e-6)) + yc.mean()
    return scaled.clamp(0, 255)


def recombine(stylised_luma: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Y from the stylised result, I and Q from the photo."""
    yiq = rgb_to_yiq(content)
    yiq[:, :1] = rgb_to_yiq(stylised_luma)[:, :1]
    return yiq_to_rgb(yiq).clamp(0, 255)


def _sqrt_and_inv_sqrt(cov: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    values, vectors = torch.linalg.eigh(cov)
    values = values.clamp_min(1e-5)
    sqrt = vectors @ torch.diag(values.sqrt()) @ vectors.T
    inv = vectors @ torch.diag(values.rsqrt()) @ vectors.T
    return sqrt, inv


def match_histogram(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Affinely recolour the style so its RGB mean and covariance equal the content's."""
    def stats(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        flat = img[0].reshape(3, -1).double()
        mean = flat.mean(dim=1, keepdim=True)
        centred = flat - mean
        return flat, mean, centred @ centred.T / flat.shape[1]

    flat_s, mean_s, cov_s = stats(style)
    _, mean_c, cov_c = stats(content)
    sqrt_c, _ = _sqrt_and_inv_sqrt(cov_c)
    _, inv_sqrt_s = _sqrt_and_inv_sqrt(cov_s)
    recoloured = sqrt_c @ inv_sqrt_s @ (flat_s - mean_s) + mean_c
    return recoloured.reshape(style.shape).to(style.dtype).clamp(0, 255)
