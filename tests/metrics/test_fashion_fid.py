"""The real feature network on real data: Fashion-MNIST's train and test splits must look alike."""
import numpy as np
import pytest
import torch

from ganvas.data import prepare
from ganvas.metrics.features import extract_features
from ganvas.metrics.fid import fid_from_features
from ganvas.metrics.inception import load_inception
from ganvas.metrics.kid import kid

N = 64  # small enough for a CPU test; FID is biased upward at this N, so only comparisons count


@pytest.mark.slow
def test_train_and_test_splits_are_far_closer_than_noise_or_moved_images():
    net = load_inception()
    assert net.standard, "the bundled InceptionV3 weights should be the standard file"
    gen = torch.Generator().manual_seed(0)
    train = prepare("fashion-mnist", resolution=32, channels=1, split="train").images
    test = prepare("fashion-mnist", resolution=32, channels=1, split="test").images
    train = train[torch.randperm(len(train), generator=gen)[:N]]
    test = test[torch.randperm(len(test), generator=gen)[:N]]
    noise = torch.randint(0, 256, test.shape, dtype=torch.uint8, generator=gen)
    moved = torch.zeros_like(test)
    moved[..., 8:, 8:] = test[..., :-8, :-8]  # garments pushed 8 px down-right, partly out of frame

    feats = {name: extract_features(images, N, net) for name, images in
             (("train", train), ("test", test), ("noise", noise), ("moved", moved))}
    assert all(np.isfinite(f).all() and f.shape == (N, 2048) for f in feats.values())
    fid = {name: fid_from_features(feats["train"], feats[name]) for name in ("test", "noise", "moved")}
    kids = {name: kid(feats["train"], feats[name], subsets=10, subset_size=N)[0] for name in ("test", "moved")}
    assert fid["test"] < 0.5 * fid["noise"]
    assert fid["test"] < fid["moved"]
    assert kids["test"] < 0.25 * kids["moved"]
