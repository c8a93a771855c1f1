"""Builders of odd and broken image files, made fresh in each test's tmp_path."""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

RED, BLUE = (255, 0, 0), (0, 0, 255)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 30000) -> bytes:
    """A PNG that declares side x side pixels in a few dozen bytes: Pillow's bomb guard must refuse it."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + _png_chunk(b"IEND", b""))


def jpeg_bytes(img: Image.Image, **save) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=95, **save)
    return buffer.getvalue()


def exif_rotated_jpeg() -> bytes:
    """Stored 40x20, red left half, blue right half; EXIF orientation 6 says: turn 90 degrees clockwise."""
    img = Image.new("RGB", (40, 20), BLUE)
    img.paste(RED, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    return jpeg_bytes(img, exif=exif.tobytes())


def good_files() -> dict[str, bytes]:
    """Every odd-but-valid kind of image, by relative path."""
    rng = np.random.default_rng(0)
    files = {}

    def png(img: Image.Image, **save) -> bytes:
        buffer = io.BytesIO()
        img.save(buffer, format="PNG", **save)
        return buffer.getvalue()

    files["gray.png"] = png(Image.fromarray(rng.integers(0, 255, (30, 40), dtype=np.uint8), "L"))
    rgba = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    rgba.paste((255, 0, 0, 255), (0, 0, 16, 32))
    files["rgba.png"] = png(rgba)
    palette = Image.new("P", (24, 24), 0)
    palette.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    palette.paste(1, (6, 6, 18, 18))
    files["palette_transparent.png"] = png(palette, transparency=0)
    deep = np.full((20, 20), 65535, dtype=np.uint16)
    deep[:, 10:] = 32896  # 128 * 257: mid grey once scaled to 8 bits
    files["deep16.png"] = png(Image.fromarray(deep))
    files["cmyk.jpg"] = jpeg_bytes(Image.new("CMYK", (30, 30), (0, 255, 255, 0)))
    files["exif_rotated.jpg"] = exif_rotated_jpeg()
    files["wide.jpg"] = jpeg_bytes(Image.new("RGB", (200, 20), (10, 200, 30)))
    files["tall.png"] = png(Image.new("RGB", (10, 150), (200, 10, 30)))
    files["nested/deeper/small.gif"] = _gif()
    return files


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (8, 12), 3).save(buffer, format="GIF")
    return buffer.getvalue()


def broken_files() -> dict[str, tuple[bytes, str]]:
    """Unusable files by relative path, with the start of the reason each must be skipped for."""
    rng = np.random.default_rng(1)
    noise = Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8), "RGB")
    full = jpeg_bytes(noise)
    return {
        "truncated.jpg": (full[: len(full) // 2], "truncated or corrupt image"),
        "empty.png": (b"", "empty file"),
        "text.png": (b"this is a text file, not a picture\n" * 10, "not an image Pillow can read"),
        "random.jpg": (rng.integers(0, 256, 2000, dtype=np.uint8).tobytes(), "not an image Pillow can read"),
        "bomb.png": (bomb_png(), "too many pixels (decompression-bomb guard)"),
    }


def ignored_files() -> dict[str, bytes]:
    """Files that are not candidates at all: wrong extension, hidden, macOS resource forks."""
    pixel = io.BytesIO()
    Image.new("RGB", (4, 4)).save(pixel, format="PNG")
    return {
        "notes.txt": b"not an image\n",
        "data.csv": b"a,b\n1,2\n",
        ".hidden.png": pixel.getvalue(),
        ".git/object.png": pixel.getvalue(),
        "__MACOSX/._gray.png": b"\x00\x05\x16\x07resource fork",
    }


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def make_corpus(root: Path) -> Path:
    """The full folder corpus, with a symlink loop and a self-referencing link added."""
    write_files(root, good_files())
    write_files(root, {rel: data for rel, (data, _) in broken_files().items()})
    write_files(root, ignored_files())
    os.symlink("..", root / "nested" / "loop")
    os.symlink("self.png", root / "self.png")
    return root


def make_zip(path: Path, prefix: str = "corpus/") -> Path:
    """The same corpus as a .zip inside one top folder, as archivers usually make it."""
    with zipfile.ZipFile(path, "w") as archive:
        for group in (good_files(), {r: d for r, (d, _) in broken_files().items()}, ignored_files()):
            for rel, data in group.items():
                archive.writestr(prefix + rel, data)
        archive.writestr(prefix + "nested/", b"")
    return path
