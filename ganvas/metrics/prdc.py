"""Precision and recall of a generator with k-NN manifolds (Kynkäänniemi et al., 2019).

Each set's manifold is the union of balls around its points, each ball reaching the point's k-th
nearest neighbour in the same set. Precision: share of generated points inside the real manifold.
Recall: share of real points inside the generated manifold.
"""
from __future__ import annotations

import numpy as np
import torch

CHUNK = 1024


def _sq_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    dots = a @ b.T
    return ((a * a).sum(1, keepdim=True) + (b * b).sum(1)[None] - 2 * dots).clamp_min(0)


def knn_radii(points: torch.Tensor, k: int) -> torch.Tensor:
    """Squared distance from each point to its k-th nearest other point."""
    if len(points) <= k:
        raise ValueError(f"need more than k={k} points for a k-NN manifold, got {len(points)}")
    radii = []
    for start in range(0, len(points), CHUNK):
        dist = _sq_distances(points[start:start + CHUNK], points)
        # The k+1-th smallest skips the point itself (distance 0).
        radii.append(dist.kthvalue(k + 1, dim=1).values)
    return torch.cat(radii)


def coverage_of(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> float:
    """Share of query points that fall inside at least one ball (centre, radius)."""
    inside = 0
    for start in range(0, len(queries), CHUNK):
        dist = _sq_distances(queries[start:start + CHUNK], centres)
        inside += int((dist <= radii[None]).any(dim=1).sum())
    return inside / len(queries)


def precision_recall(real: np.ndarray, fake: np.ndarray, *, k: int = 3) -> tuple[float, float]:
    """(precision, recall) of `fake` against `real`, both feature arrays [N, D]."""
    real_t = torch.as_tensor(np.asarray(real), dtype=torch.float64)
    fake_t = torch.as_tensor(np.asarray(fake), dtype=torch.float64)
    precision = coverage_of(fake_t, real_t, knn_radii(real_t, k))
    recall = coverage_of(real_t, fake_t, knn_radii(fake_t, k))
    return precision, recall
