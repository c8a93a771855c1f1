"""Has the generator copied its training set? Nearest-neighbour distances in a feature space.

The NN ratio is the mean distance from each generated image to its nearest training image, over the
mean distance from each training image to its nearest *other* training image. Copies score about 0;
images as new as the training images are to one another score about 1. With a few hundred training
images a GAN that memorises looks excellent by KID, so this number sits beside it.
"""
from __future__ import annotations

import numpy as np


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances [len(a), len(b)], in float64 so near-copies do not round to noise."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(squared, 0.0))


def nearest_distances(queries: np.ndarray, pool: np.ndarray, *, leave_one_out: bool = False) -> np.ndarray:
    """Distance from each query to its nearest pool row; leave_one_out when queries are the pool."""
    distances = pairwise_distances(queries, pool)
    if leave_one_out:
        np.fill_diagonal(distances, np.inf)
    return distances.min(axis=1)


def nn_ratio(generated: np.ndarray, training: np.ndarray) -> float:
    """Mean generated-to-training NN distance / mean training leave-one-out NN distance."""
    if len(training) < 2:
        raise ValueError("the NN ratio needs at least 2 training images")
    spacing = nearest_distances(training, training, leave_one_out=True).mean()
    if spacing == 0:
        raise ValueError("the training features hold exact duplicates only; the NN ratio is undefined")
    return float(nearest_distances(generated, training).mean() / spacing)
