"""Hand-made masks and predictions shared by the tests of losses and segmentation scores."""

from __future__ import annotations

import numpy as np

VOID = 11


def halves(size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Truth = left half, prediction = top half of a square: they overlap in a quarter."""
    truth = np.zeros((1, size, size, 1), np.float32)
    truth[:, :, : size // 2] = 1
    prediction = np.zeros_like(truth)
    prediction[:, : size // 2] = 1
    return truth, prediction


def to_logits(probabilities: np.ndarray) -> np.ndarray:
    return np.where(probabilities > 0.5, 20.0, -20.0).astype(np.float32)


def multiclass_example(seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 12, (2, 6, 6, 1))  # 0-10 classes, 11 = void
    logits = rng.normal(size=(2, 6, 6, 11)).astype(np.float32)
    return labels, logits
