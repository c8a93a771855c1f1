import numpy as np
import torch

from ganvas.data.shapes import CLASSES, generate


def test_same_seed_same_images_other_seed_other_images():
    a, la = generate(600, 32, seed=3)
    b, lb = generate(600, 32, seed=3)
    c, _ = generate(600, 32, seed=4)
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert not torch.equal(a, c)


def test_types_shapes_and_balanced_classes():
    images, labels = generate(1200, 64, seed=0)
    assert images.dtype == torch.uint8 and images.shape == (1200, 3, 64, 64)
    assert labels.dtype == torch.int64 and np.bincount(labels.numpy()).tolist() == [200] * len(CLASSES)


def test_each_shape_is_whole_and_stands_out_from_its_background():
    images, labels = generate(600, 32, seed=1)
    arr = images.numpy().astype(np.int32)
    corner = arr[:, :, :1, :1]
    border = np.concatenate([arr[:, :, 0], arr[:, :, -1], arr[:, :, :, 0], arr[:, :, :, -1]], axis=2)
    # nothing of the shape touches the frame
    assert (np.abs(border - corner[:, :, 0]) <= 1).all()
    # and a good part of the image is far from the background colour
    far = np.abs(arr - corner).sum(axis=1) > 100
    area = far.mean(axis=(1, 2))
    assert area.min() > 0.04 and area.max() < 0.7


def test_classes_differ_in_form():
    images, labels = generate(1200, 32, seed=2)
    arr = images.numpy().astype(np.int32)
    fg = (np.abs(arr - arr[:, :, :1, :1]).sum(axis=1) > 100)
    # fraction of the shape's bounding box it fills: each class has its own typical value
    fill = []
    for mask in fg:
        ys, xs = np.nonzero(mask)
        box = (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
        fill.append(mask.sum() / box)
    fill = np.array(fill)
    per_class = {name: np.median(fill[labels.numpy() == k]) for k, name in enumerate(CLASSES)}
    assert per_class["square"] > 0.9
    assert 0.7 < per_class["circle"] < 0.85
    assert 0.4 < per_class["triangle"] < 0.6 and 0.4 < per_class["diamond"] < 0.6
    assert per_class["ring"] < per_class["circle"] - 0.12
    assert per_class["cross"] < 0.65
