"""Working in W, for generators with a mapping network (StyleGAN2): latent walks and style mixing grids.

Such a generator's forward takes `latent="w"`, so the images are still made by `models.invoke.generate`
(placement, eval mode, batching, the RNG untouched) from w instead of z. W is where StyleGAN's styles
live and is not Gaussian, so walks there are straight lines between the keys' w (StyleGAN's own
choice), where z walks are spherical.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .errors import GanvasError
from .progress import Callback, silent

if TYPE_CHECKING:
    from .device import Placement
    from .models.spec import ModelSpec

MAX_SOURCES = 8  # a style mixing grid takes up to this many images from each seed


def has_w(G) -> bool:
    from .models.invoke import takes_option

    return takes_option(G, "latent")


def walk_in_w(G, spec: "ModelSpec", *, keys: int, frames: int, seed: int, placement: Optional["Placement"] = None,
              progress: Callback = silent):
    """The frames of a looping straight walk through the w of `keys` seeded latents, uint8."""
    import torch

    from .models.invoke import generate, map_latents
    from .models.latent import LatentSampler, interpolation_path
    from .pixels import to_uint8

    key_z, _ = LatentSampler(spec.z_dim, spec.num_classes).fixed(keys, seed)
    # A class change mid-walk would be a jump cut, so the whole walk keeps one class.
    one_class = torch.full((keys,), seed % spec.num_classes, dtype=torch.long) if spec.num_classes else None
    key_w = map_latents(G, key_z, one_class, placement=placement)
    path = interpolation_path(key_w, frames, loop=True, spherical=False)
    return to_uint8(generate(G, path, None, placement=placement, progress=progress, task="interpolate", latent="w"))


def style_mix_grid(G, spec: "ModelSpec", seed_a: int, seed_b: int, *, n: int, truncation: Optional[float] = None,
                   placement: Optional["Placement"] = None, progress: Callback = silent):
    """StyleGAN's mixing figure as uint8 cells and the row length: seed B's images along the top, seed A's
    down the left, and in each cell A's image with B's coarse styles (the layers up to 8x8: pose and
    shape from B; colours and detail from A)."""
    import torch

    from .models.invoke import generate, map_latents
    from .models.latent import LatentSampler
    from .models.stylegan2 import COARSE_UP_TO
    from .pixels import to_uint8

    if not has_w(G):
        raise GanvasError(f"--style-mix: {spec.arch} has no mapping network; style mixing needs --arch stylegan2")
    k = max(1, min(n, MAX_SOURCES))
    sampler = LatentSampler(spec.z_dim, spec.num_classes)
    w_a, w_b = (G.per_layer(map_latents(G, *sampler.fixed(k, seed), placement=placement)) for seed in (seed_a, seed_b))
    coarse = torch.tensor([size <= COARSE_UP_TO for size in G.synthesis.layer_resolution])
    mixed = torch.where(coarse[None, None, :, None], w_b[None, :], w_a[:, None]).flatten(0, 1)  # [A, B] cells
    sampling = {"truncation": truncation} if truncation is not None else {}
    images = generate(G, torch.cat([w_b, w_a, mixed]), None, placement=placement, progress=progress,
                      task="sample", latent="w", **sampling)
    tops, lefts, cells = images[:k], images[k:2 * k], images[2 * k:].view(k, k, *images.shape[1:])
    blank = torch.ones_like(images[:1])  # white, like the grid's padding
    rows = [torch.cat([blank, tops])] + [torch.cat([lefts[i:i + 1], cells[i]]) for i in range(k)]
    return to_uint8(torch.cat(rows)), k + 1
