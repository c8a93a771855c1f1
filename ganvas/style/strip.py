"""Pictures side by side at one height, e.g. photo | painting | result, to judge a run at a glance."""
from __future__ import annotations

from typing import Sequence

from PIL import Image

GAP = 8


def side_by_side(images: Sequence[Image.Image], height: int | None = None, gap: int = GAP,
                 background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """One RGB image: `images` left to right, each scaled to `height` px (default: the first one's),
    `gap` px of `background` between them."""
    if not images:
        raise ValueError("side_by_side: needs at least one image")
    height = height or images[0].height
    panels = [_at_height(img.convert("RGB"), height) for img in images]
    width = sum(p.width for p in panels) + gap * (len(panels) - 1)
    strip = Image.new("RGB", (width, height), background)
    left = 0
    for panel in panels:
        strip.paste(panel, (left, 0))
        left += panel.width + gap
    return strip


def _at_height(img: Image.Image, height: int) -> Image.Image:
    if img.height == height:
        return img
    width = max(1, round(img.width * height / img.height))
    return img.resize((width, height), Image.Resampling.LANCZOS)
