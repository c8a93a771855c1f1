"""Built-in dataset names and their usual settings."""
from __future__ import annotations

from typing import Optional

import torch

from ..progress import silent
from . import idx, shapes
from .tensors import pad_square, resize_square

SHAPES_COUNT = 12_000
SHAPES_SEEDS = {"train": 0, "test": 1}

FASHION_MNIST = idx.IdxSet(
    name="fashion-mnist",
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
             "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
    md5={"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
         "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
         "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
         "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
    splits={"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
            "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")},
    debian_package="dataset-fashion-mnist",
)
MNIST = idx.IdxSet(
    name="mnist",
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    md5={"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
         "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
         "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
         "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
    splits=FASHION_MNIST.splits,
)
IDX_SETS = {s.name: s for s in (FASHION_MNIST, MNIST)}
CLASSES = {
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    "mnist": [str(d) for d in range(10)],
    "shapes": list(shapes.CLASSES),
}
# 28x28 digits and garments are padded to 32 with their own black background: no resampling blur,
# and 32 is the power of two the DCGAN stack needs.
SETTINGS = {
    "fashion-mnist": {"resolution": 32, "channels": 1},
    "mnist": {"resolution": 32, "channels": 1},
    "shapes": {"resolution": 32, "channels": 3},
}
NAMES = tuple(SETTINGS)


def is_builtin(source: str) -> bool:
    return source in SETTINGS


def builtin_settings(source: str) -> dict:
    """Usual training settings of a built-in name; {} for folders and zips."""
    return dict(SETTINGS.get(source, {}))


def identity(name: str, split: str, data_root: Optional[str], progress=silent) -> dict:
    """What decides a built-in's content, for the cache key (locating idx files, downloading if needed)."""
    if name == "shapes":
        return {"name": name, "count": SHAPES_COUNT, "seed": SHAPES_SEEDS[split]}
    files = idx.locate(IDX_SETS[name], split, data_root, progress)
    stamps = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return {"name": name, "split": split, "files": stamps}


def load(ident: dict, resolution: int) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images [N, C, R, R] and int64 labels of a built-in, as identified by `identity`."""
    if ident["name"] == "shapes":
        return shapes.generate(ident["count"], resolution, ident["seed"])
    images_path, labels_path = (f[0] for f in ident["files"])
    images, labels = idx.load_split(images_path, labels_path)
    batch = torch.from_numpy(images.copy())[:, None]  # frombuffer arrays are read-only
    side = max(batch.shape[-2:])
    padded = pad_square(batch, 1 << (side - 1).bit_length())
    return resize_square(padded, resolution), torch.from_numpy(labels)
