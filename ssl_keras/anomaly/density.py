"""Embeddings of a trained encoder, the densities that score them, and dense anomaly maps.

Image embeddings (:func:`embed`) go to a :class:`GaussianDensity` (mean and Ledoit-Wolf
shrunk covariance of good images; score = Mahalanobis distance) or a :class:`KNNScorer`.
Patch embeddings (:func:`patch_features`) go to one density over all positions
(:func:`fit_patch_density`), whose scores, upsampled and smoothed, are the anomaly maps
(:func:`anomaly_maps`). :func:`project_2d` draws embeddings in the plane.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import models, pipelines
from ssl_keras._checks import check_int, check_size

POOLINGS = ("mean", "max", "meanmax")


def _as_images(images, name: str = "images") -> np.ndarray:
    array = np.asarray(images)
    if array.ndim != 4 or not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"{name} must be a float (N, H, W, C) array in [0, 1], got shape {array.shape} "
            f"and dtype {array.dtype}."
        )
    return array.astype(np.float32)


def embed(
    model: keras.Model,
    images,
    levels: str | Sequence[str] = "bottleneck",
    pooling: str = "mean",
    batch_size: int = 32,
) -> np.ndarray:
    """Image embeddings: globally pooled encoder features of ``levels``, concatenated.

    ``model`` is a :func:`~ssl_keras.anomaly.network.pretext_model` (or any model holding a
    U-Net encoder); ``levels`` are block names (``"enc1"``…, ``"bottleneck"``). ``pooling``:
    ``"mean"`` (global average, as the pretext head sees it), ``"max"`` (keeps a small
    defect's strongest response) or ``"meanmax"`` (both, concatenated). Returns float32
    ``(N, D)``.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
    levels = [levels] if isinstance(levels, str) else list(levels)
    extractor = models.feature_extractor(model, levels)
    maps = pipelines.predict(extractor, _as_images(images), batch_size)
    parts = []
    for level in levels:
        if pooling in ("mean", "meanmax"):
            parts.append(maps[level].mean(axis=(1, 2)))
        if pooling in ("max", "meanmax"):
            parts.append(maps[level].max(axis=(1, 2)))
    return np.concatenate(parts, -1).astype(np.float32)


def patch_features(
    model: keras.Model, images, level: str = "enc3", batch_size: int = 32
) -> np.ndarray:
    """Dense patch embeddings: the encoder's ``level`` feature map, float32 ``(N, h, w, C)``.

    Each position describes the image patch under its receptive field; ``enc{i}`` has
    stride ``2**(i-1)``.
    """
    extractor = models.feature_extractor(model, [level])
    return pipelines.predict(extractor, _as_images(images), batch_size)[level]


def _as_matrix(x, name: str) -> np.ndarray:
    array = np.asarray(x, dtype=np.float64)
    if array.ndim != 2 or len(array) == 0:
        raise ValueError(f"{name} must be a non-empty (N, D) array, got shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or Inf values; check the model's outputs.")
    return array


class GaussianDensity:
    """A Gaussian fitted to embeddings of good images; score = Mahalanobis distance.

    The covariance is shrunk towards a scaled identity (Ledoit-Wolf, chosen from the data,
    or a fixed ``shrinkage`` in [0, 1]), which keeps it invertible when there are fewer
    images than dimensions.

    >>> density = GaussianDensity().fit(train_embeddings)   # (N, D)
    >>> scores = density.score(test_embeddings)               # (M,), larger = more anomalous
    """

    def __init__(self, shrinkage: float | None = None):
        if shrinkage is not None and not 0.0 <= shrinkage <= 1.0:
            raise ValueError(
                f"shrinkage must be None (Ledoit-Wolf) or in [0, 1], got {shrinkage!r}."
            )
        self.shrinkage = shrinkage

    def fit(self, embeddings) -> GaussianDensity:
        """Fit mean ``(D,)``, covariance and precision ``(D, D)`` to ``(N, D)`` embeddings, N ≥ 2."""
        from sklearn.covariance import LedoitWolf, ShrunkCovariance

        x = _as_matrix(embeddings, "embeddings")
        if len(x) < 2:
            raise ValueError(f"fit needs at least 2 embeddings, got {len(x)}.")
        estimator = (
            LedoitWolf() if self.shrinkage is None else ShrunkCovariance(shrinkage=self.shrinkage)
        ).fit(x)
        self.mean_ = estimator.location_
        self.covariance_ = estimator.covariance_
        self.precision_ = estimator.precision_
        self.shrinkage_ = float(estimator.shrinkage_ if self.shrinkage is None else self.shrinkage)
        return self

    def score(self, embeddings) -> np.ndarray:
        """Mahalanobis distance of each row of ``(M, D)`` embeddings: float32 ``(M,)`` ≥ 0."""
        if not hasattr(self, "mean_"):
            raise ValueError("GaussianDensity is not fitted: call fit(good_embeddings) first.")
        x = _as_matrix(embeddings, "embeddings")
        if x.shape[1] != len(self.mean_):
            raise ValueError(
                f"embeddings have {x.shape[1]} dimensions, the density was fitted on "
                f"{len(self.mean_)}."
            )
        centered = x - self.mean_
        squared = np.einsum("nd,de,ne->n", centered, self.precision_, centered)
        return np.sqrt(np.maximum(squared, 0.0)).astype(np.float32)


class KNNScorer:
    """Mean Euclidean distance to the ``k`` nearest good embeddings (a non-Gaussian score)."""

    def __init__(self, k: int = 5):
        self.k = check_int(k, "k")

    def fit(self, embeddings) -> KNNScorer:
        """Store the ``(N, D)`` good embeddings (N ≥ 1)."""
        from sklearn.neighbors import NearestNeighbors

        x = _as_matrix(embeddings, "embeddings")
        self.index_ = NearestNeighbors(n_neighbors=min(self.k, len(x))).fit(x)
        self.dim_ = x.shape[1]
        return self

    def score(self, embeddings) -> np.ndarray:
        """Float32 ``(M,)`` mean distance to the nearest good embeddings."""
        if not hasattr(self, "index_"):
            raise ValueError("KNNScorer is not fitted: call fit(good_embeddings) first.")
        x = _as_matrix(embeddings, "embeddings")
        if x.shape[1] != self.dim_:
            raise ValueError(
                f"embeddings have {x.shape[1]} dimensions, the scorer was fitted on {self.dim_}."
            )
        distances, _ = self.index_.kneighbors(x)
        return distances.mean(axis=1).astype(np.float32)


def fit_patch_density(
    features, max_patches: int = 20000, seed: int = 0, shrinkage: float | None = None
) -> GaussianDensity:
    """One :class:`GaussianDensity` over all patch embeddings ``(N, h, w, C)`` of good images.

    At most ``max_patches`` randomly chosen (seeded) positions are used. One Gaussian for
    every position suits textures and roughly aligned objects; see the notebook's exercises.
    """
    features = np.asarray(features)
    if features.ndim != 4:
        raise ValueError(f"features must be (N, h, w, C), got shape {features.shape}.")
    flat = features.reshape(-1, features.shape[-1])
    if len(flat) > max_patches:
        flat = flat[np.random.default_rng(seed).choice(len(flat), max_patches, replace=False)]
    return GaussianDensity(shrinkage).fit(flat)


def anomaly_maps(
    scorer: GaussianDensity | KNNScorer,
    features,
    image_size: int | tuple[int, int],
    sigma: float = 4.0,
) -> np.ndarray:
    """Per-pixel anomaly maps: patch scores, bilinearly upsampled and Gaussian-smoothed.

    Args:
        scorer: fitted on patch embeddings of good images (:func:`fit_patch_density`).
        features: ``(N, h, w, C)`` from :func:`patch_features`.
        image_size: ``(H, W)`` of the images. A U-Net that padded its input (sizes not a
            multiple of ``2**depth``) gives maps of the padded size; the image is cut from
            their centre.
        sigma: standard deviation in pixels of the smoothing (0: none).

    Returns:
        float32 ``(N, H, W)``, larger = more anomalous.
    """
    import cv2

    features = np.asarray(features)
    if features.ndim != 4:
        raise ValueError(f"features must be (N, h, w, C), got shape {features.shape}.")
    height, width = check_size(image_size, "image_size")
    n, h, w, c = features.shape
    scores = scorer.score(features.reshape(-1, c)).reshape(n, h, w, 1)
    stride = 2 ** max(0, math.ceil(math.log2(max(height / h, width / w)) - 1e-9))
    up = tf.image.resize(scores, (h * stride, w * stride), "bilinear").numpy()[..., 0]
    top, left = (h * stride - height) // 2, (w * stride - width) // 2
    if top < 0 or left < 0:
        raise ValueError(
            f"features of {h}x{w} cannot cover a {height}x{width} image; pass the size of the "
            "images the features were computed from."
        )
    maps = up[:, top : top + height, left : left + width]
    if sigma > 0:
        maps = np.stack([cv2.GaussianBlur(m, (0, 0), sigma) for m in maps])
    return maps.astype(np.float32)


def project_2d(embeddings, fit_on=None) -> tuple[np.ndarray, np.ndarray]:
    """PCA projection to 2-D: ``(points (N, 2), explained variance ratio (2,))``.

    The axes are fitted on ``fit_on`` (e.g. good embeddings only) or on ``embeddings``.
    """
    from sklearn.decomposition import PCA

    x = _as_matrix(embeddings, "embeddings")
    reference = x if fit_on is None else _as_matrix(fit_on, "fit_on")
    if reference.shape[1] != x.shape[1] or len(reference) < 2:
        raise ValueError(
            f"fit_on must have at least 2 rows of {x.shape[1]} dimensions, got {reference.shape}."
        )
    pca = PCA(n_components=2, random_state=0).fit(reference)
    return pca.transform(x).astype(np.float32), pca.explained_variance_ratio_
