"""The small-data benchmark's training set: a fixed few hundred Oxygen icons at 64 px, copied into a folder
the benchmark owns.

Debian's oxygen-icon-theme is public and installs the same files everywhere, so every machine builds
the same folder: real files (the theme's symlinks are aliases) of the object-like categories, minus
near-duplicates, the first MAX_IMAGES of a seeded shuffle. Mimetypes icons are left out: most are one
sheet of paper with a different badge, which would make copying the training set look like quality.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image

from ganvas.io import load_image

SIZE = 64
THEMES = Path("/usr/share/icons/oxygen/base")
THEME = THEMES / f"{SIZE}x{SIZE}"
CATEGORIES = ("apps", "categories", "devices", "places")
INSTALL_HINT = "apt-get install oxygen-icon-theme"
OUTPUTS = Path(__file__).resolve().parents[1] / "outputs" / "bench"
FOLDER = OUTPUTS / f"oxygen-{SIZE}"
MANIFEST = "manifest.txt"  # not an image extension, so ganvas does not list it as a training file
MAX_IMAGES = 400
SEED = 0
THUMBNAIL = 16
# RMS distance in [0, 1] between 16-px thumbnails. 0.03 catches the renamed copies (toys/preschool) and
# the Wi-Fi signal-strength series, and keeps the folder icons that differ only in colour (~0.08).
NEAR_DUPLICATE = 0.03


def missing_theme(theme: Path = THEME) -> Optional[str]:
    """One line saying how to get the icons, or None when they are installed."""
    if all((theme / category).is_dir() for category in CATEGORIES):
        return None
    return f"smalldata: skipped, the Oxygen icons are not in {theme}; install them with `{INSTALL_HINT}`"


def candidate_icons(theme: Path = THEME) -> list[Path]:
    return [path for category in CATEGORIES for path in sorted((theme / category).glob("*.png"))
            if not path.is_symlink()]


def thumbnail(path: Path) -> np.ndarray:
    # load_image composites transparency exactly as ganvas's training data does, so near-duplicates
    # are judged on the pixels the GAN will see.
    image = load_image(path, mode="RGB").resize((THUMBNAIL, THUMBNAIL), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float32).ravel() / 255.0


def drop_near_duplicates(paths: list[Path], threshold: float = NEAR_DUPLICATE) -> list[Path]:
    """Each path unless it is within `threshold` of one already kept; the earlier one wins."""
    kept: list[Path] = []
    kept_thumbs: list[np.ndarray] = []
    for path in paths:
        thumb = thumbnail(path)
        if kept_thumbs and np.sqrt(((np.stack(kept_thumbs) - thumb) ** 2).mean(axis=1)).min() < threshold:
            continue
        kept.append(path)
        kept_thumbs.append(thumb)
    return kept


def choose_icons(theme: Path = THEME, limit: int = MAX_IMAGES, seed: int = SEED) -> tuple[list[Path], int]:
    """The chosen icons, sorted, and how many near-duplicates were left out."""
    candidates = candidate_icons(theme)
    distinct = drop_near_duplicates(candidates)
    order = np.random.default_rng(seed).permutation(len(distinct))[:limit]
    return sorted(distinct[i] for i in order), len(candidates) - len(distinct)


def copy_name(path: Path) -> str:
    return f"{path.parent.name}-{path.name}"  # apps/kde.png and places/kde.png must not collide


def at_size(size: int) -> tuple[Path, Path]:
    """The training folder and the theme folder for icons drawn at `size` px (the theme ships 8-256)."""
    return OUTPUTS / f"oxygen-{size}", THEMES / f"{size}x{size}"


def build_folder(folder: Path = FOLDER, theme: Path = THEME) -> tuple[Path, int, int]:
    """The training folder (rebuilt only when the selection changed, so ganvas's dataset cache still
    hits), its image count and the near-duplicates left out."""
    icons, duplicates = choose_icons(theme)
    manifest = "\n".join(str(path) for path in icons) + f"\nnear-duplicates left out: {duplicates}\n"
    if (folder / MANIFEST).is_file() and (folder / MANIFEST).read_text() == manifest:
        return folder, len(icons), duplicates
    if folder.exists():
        if not (folder / MANIFEST).is_file():
            raise RuntimeError(f"{folder}: exists but was not built by this benchmark; move it away")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in icons:
        shutil.copy2(path, folder / copy_name(path))  # copy2 keeps the theme's mtimes: same cache key
    (folder / MANIFEST).write_text(manifest)
    return folder, len(icons), duplicates
