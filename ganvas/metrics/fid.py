"""Fréchet Inception Distance: the Fréchet distance between two Gaussians fitted to features."""
from __future__ import annotations

import numpy as np


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of features [N, D], in float64."""
    feats = np.asarray(features, dtype=np.float64)
    if feats.ndim != 2 or len(feats) < 2:
        raise ValueError(f"need at least 2 feature rows, got shape {feats.shape}")
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix via its eigen-decomposition."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr((sigma1 sigma2)^(1/2)) without a general, complex-valued sqrtm.

    sigma1 sigma2 is similar to S sigma2 S with S = sigma1^(1/2), which is symmetric PSD, so its
    eigenvalues are real and non-negative up to round-off; clipping them is the only fix needed.
    """
    root = _psd_sqrt(sigma1)
    inner = root @ sigma2 @ root
    values = np.linalg.eigvalsh((inner + inner.T) / 2)
    return float(np.sqrt(np.clip(values, 0, None)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)), computed in float64."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(f"statistics disagree in shape: {mu1.shape}/{sigma1.shape} vs {mu2.shape}/{sigma2.shape}")
    mean_term = float(np.sum((mu1 - mu2) ** 2))
    cov_term = float(np.trace(sigma1) + np.trace(sigma2)) - 2.0 * trace_sqrt_product(sigma1, sigma2)
    # Round-off can push a distance between identical statistics a hair below zero.
    return max(mean_term + cov_term, 0.0)


def fid_from_features(real: np.ndarray, fake: np.ndarray) -> float:
    """FID between two feature sets [N, D].

    With fewer samples than dimensions the covariances have low rank, and with A, B the centred
    features scaled by 1/sqrt(N-1), tr((A'A B'B)^(1/2)) is the sum of singular values of A B':
    an N x N problem instead of a D x D one, and exact.
    """
    a, b = _scaled_centred(real), _scaled_centred(fake)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sizes differ: {a.shape[1]} vs {b.shape[1]}")
    if min(len(a), len(b)) >= a.shape[1]:
        return frechet_distance(*gaussian_stats(real), *gaussian_stats(fake))
    mean_term = float(np.sum((np.mean(real, axis=0, dtype=np.float64) - np.mean(fake, axis=0, dtype=np.float64)) ** 2))
    cross = float(np.linalg.svd(a @ b.T, compute_uv=False).sum())
    return max(mean_term + float(np.sum(a * a) + np.sum(b * b)) - 2.0 * cross, 0.0)


def _scaled_centred(features: np.ndarray) -> np.ndarray:
    feats = np.asarray(features, dtype=np.float64)
    if feats.ndim != 2 or len(feats) < 2:
        raise ValueError(f"need at least 2 feature rows, got shape {feats.shape}")
    return (feats - feats.mean(axis=0)) / np.sqrt(len(feats) - 1)
