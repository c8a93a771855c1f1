"""Small files the studio tests upload: generated images, a .zip of them, and files that must be refused."""
from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def picture(path: Path, seed: int = 0, size: tuple[int, int] = (20, 20)) -> Path:
    """A colourful blob on a plain background: something a GAN can learn in a few dozen steps."""
    rng = np.random.default_rng(seed)
    h, w = size[1], size[0]
    y, x = np.mgrid[0:h, 0:w]
    cy, cx, r = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w, rng.uniform(0.2, 0.35) * min(h, w)
    blob = ((y - cy) ** 2 + (x - cx) ** 2 < r * r)[..., None]
    colour = rng.integers(40, 255, size=3)
    img = np.where(blob, colour, np.array([235, 235, 235])).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)
    return path


def images_zip(path: Path, n: int = 24) -> Path:
    folder = path.parent / f"{path.stem}-src"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(n):
            zf.write(picture(folder / f"blob-{i:02d}.png", seed=i), f"blobs/blob-{i:02d}.png")
    return path


def text_as_png(path: Path) -> Path:
    path.write_text("these are notes, not an image\n")
    return path


def truncated_png(path: Path) -> Path:
    data = picture(path.with_suffix(".full.png"), seed=99, size=(64, 64)).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def bomb_png(path: Path, side: int = 20_000) -> Path:
    """A PNG whose header claims side x side pixels (more than Pillow's bomb limit); its data is a stub."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
                     + chunk(b"IEND", b""))
    return path
