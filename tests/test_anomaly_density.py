"""Tests of ssl_keras.anomaly.density: embeddings, Gaussian and kNN scores, maps, projection."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_keras import anomaly


def _noise_image(size=(64, 64), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random((*size, 3)).astype(np.float32)


def test_density_scores_shifted_samples_higher():
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(8, 8))
    good = rng.normal(size=(200, 8)) @ mixing
    test_good = rng.normal(size=(50, 8)) @ mixing
    # 5 standard deviations along one latent axis
    shifted = rng.normal(size=(50, 8)) @ mixing + 5.0 * mixing[0]
    labels = np.r_[np.zeros(50), np.ones(50)]
    for scorer in (anomaly.GaussianDensity(), anomaly.GaussianDensity(0.1), anomaly.KNNScorer(3)):
        scorer.fit(good)
        scores = scorer.score(np.r_[test_good, shifted])
        assert scores.shape == (100,) and scores.dtype == np.float32 and (scores >= 0).all()
        assert anomaly.image_auroc(scores, labels) > 0.95
    density = anomaly.GaussianDensity().fit(good)
    assert 0.0 <= density.shrinkage_ <= 1.0 and density.precision_.shape == (8, 8)
    # Fewer samples than dimensions: the shrunk covariance stays invertible.
    few = anomaly.GaussianDensity().fit(rng.normal(size=(5, 20)))
    assert np.isfinite(few.score(rng.normal(size=(3, 20)))).all()


def test_density_bad_inputs():
    with pytest.raises(ValueError, match="not fitted"):
        anomaly.GaussianDensity().score(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="dimensions"):
        anomaly.GaussianDensity().fit(np.random.rand(10, 3)).score(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        anomaly.GaussianDensity().fit(np.full((4, 2), np.nan))
    with pytest.raises(ValueError, match="at least 2"):
        anomaly.GaussianDensity().fit(np.zeros((1, 2)))


def test_project_2d():
    rng = np.random.default_rng(0)
    points, ratio = anomaly.project_2d(rng.normal(size=(30, 5)), fit_on=rng.normal(size=(10, 5)))
    assert points.shape == (30, 2) and ratio.shape == (2,)


def test_model_embeddings_and_map_shape_equal_image_shape():
    images = np.stack([_noise_image((38, 45), seed=i) for i in range(3)])
    model = anomaly.pretext_model((38, 45, 3), depth=2, base_filters=4, hidden=8)
    assert model.output_shape == (None, 3)
    assert anomaly.embed(model, images, ("enc2", "bottleneck")).shape == (3, 8 + 16)
    features = anomaly.patch_features(model, images, "enc2")  # padded to 40x48, stride 2
    assert features.shape == (3, 20, 24, 8)
    density = anomaly.fit_patch_density(features)
    maps = anomaly.anomaly_maps(density, features, (38, 45), sigma=2.0)
    assert maps.shape == (3, 38, 45) and maps.dtype == np.float32
    assert np.isfinite(maps).all()
