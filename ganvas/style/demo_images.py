"""The pictures `stylize` knows by name: the classic photo-and-painting pair, and a pair drawn in code.

The demo repaints Andreas Praefcke's photo of the Neckarfront in Tübingen in the manner of Van Gogh's
The Starry Night, the pair Gatys et al. showed the method with: a recognisable photo repainted in a
famous painting's manner is what shows what the transfer does. Both ship, downscaled, as package data
(credits in data/NOTICE.md) and are read through importlib.resources, so they load from a wheel too.

The procedural pair (a lakeside landscape and a field of bright swirling strokes) is for tests and
other quick checks: tiny, made on the spot, no files.
"""
from __future__ import annotations

from importlib import resources

import numpy as np
from PIL import Image

PHOTO = "builtin:tubingen"
PAINTING = "builtin:starry-night"
PROCEDURAL_PHOTO = "builtin:landscape"
PROCEDURAL_PAINTING = "builtin:swirls"

PACKAGED_FILES = {PHOTO: "tubingen.jpg", PAINTING: "starry_night.jpg"}

# What `ganvas stylize --demo` changes: only the pictures. Size, steps and weights stay StyleConfig's
# defaults, so the demo shows what a plain run does and cannot drift from it.
DEMO_OVERRIDES = {"content": PHOTO, "styles": (PAINTING,)}


def packaged(filename: str) -> Image.Image:
    """One of the images in ganvas/style/data/, decoded to RGB."""
    with (resources.files(__package__) / "data" / filename).open("rb") as fh:
        with Image.open(fh) as img:
            return img.convert("RGB")


def classic_pair() -> tuple[Image.Image, Image.Image]:
    """The demo's (photo, painting): Tübingen and The Starry Night."""
    return packaged(PACKAGED_FILES[PHOTO]), packaged(PACKAGED_FILES[PAINTING])


def procedural_pair() -> tuple[Image.Image, Image.Image]:
    """A drawn (photo, painting) for tests: no files, and painted in a second at test sizes."""
    return landscape(), swirls()


def _mix(a, b, t):
    return a + (b - a) * t[..., None]


def landscape(width: int = 512, height: int = 384) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = x / width, y / height
    horizon = 0.62
    img = _mix(np.array([70.0, 120, 200]), np.array([250.0, 200, 150]), np.clip(v / horizon, 0, 1))
    sun = np.exp(-(((u - 0.72) ** 2 + (v - 0.30) ** 2) / 0.004))
    img = _mix(img, np.array([255.0, 240, 190]), np.clip(sun * 1.5, 0, 1))
    for depth, (amp, freq, base, colour) in enumerate([(0.08, 7, 0.45, (95, 110, 140)),
                                                       (0.06, 11, 0.52, (60, 95, 70)),
                                                       (0.04, 17, 0.58, (40, 70, 45))]):
        ridge = base + amp * (np.sin(u * freq + depth) * 0.6 + np.sin(u * freq * 2.3 + 1.7 * depth) * 0.4)
        img = np.where((v > ridge)[..., None], np.array(colour, dtype=np.float64), img)
    water = v > horizon
    mirror = np.clip(2 * horizon - v, 0, 1)
    reflected = _mix(np.array([70.0, 120, 200]), np.array([250.0, 200, 150]), np.clip(mirror / horizon, 0, 1))
    ripple = 0.08 * np.sin(v * 160 + np.sin(u * 30) * 2)
    water_colour = _mix(reflected * 0.75, np.array([20.0, 50, 80]), np.clip((v - horizon) * 1.5 + ripple, 0, 1))
    img = np.where(water[..., None], water_colour, img)
    for cx in (0.08, 0.16, 0.27, 0.88, 0.95):
        tree = (np.abs(u - cx) < (v - 0.42) * 0.35) & (v < horizon + 0.02) & (v > 0.42)
        img = np.where(tree[..., None], np.array([25.0, 60, 30]), img)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def swirls(size: int = 384, seed: int = 7) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    angle = np.zeros_like(x)
    for cx, cy, turn in rng.uniform([0, 0, -1], [1, 1, 1], size=(6, 3)):
        # Whole turns only, so the pattern has no seam where the angle wraps.
        spin = 1.0 if turn > 0 else -1.0
        dx, dy = x - cx, y - cy
        radius = np.sqrt(dx ** 2 + dy ** 2) + 0.05
        angle += spin * np.arctan2(dy, dx) + 3.0 * spin / radius * 0.1
    strokes = np.sin(angle * 3 + 40 * (x * np.cos(angle) + y * np.sin(angle)))
    hue = (angle / (2 * np.pi) + 0.25 * strokes) % 1.0
    light = 0.55 + 0.35 * strokes
    rgb = np.stack([0.5 + 0.5 * np.cos(2 * np.pi * (hue + shift)) for shift in (0.0, 0.33, 0.67)], axis=-1)
    img = rgb * light[..., None] * 255
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def builtin(name: str) -> Image.Image | None:
    """The built-in image called `name`, or None when `name` is an ordinary path."""
    if name in PACKAGED_FILES:
        return packaged(PACKAGED_FILES[name])
    return {PROCEDURAL_PHOTO: landscape, PROCEDURAL_PAINTING: swirls}.get(name, lambda: None)()
