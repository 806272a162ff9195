"""What a frozen encoder's features say: per-level summaries streamed batch by batch, the
pooled features a probe reads, and the probe classifier with its head."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from ssl_keras import layers, models, pipelines


@dataclasses.dataclass(frozen=True)
class FeatureStatistics:
    """Per-level summaries of feature maps over a set of images (:func:`feature_statistics`).

    ``pooled[level]``: float32 ``(N, C)``, each map averaged over space (global average
    pooling), in image order; ``mean_activation[level]``: the mean over all images, positions
    and channels; ``inactive_fraction[level]``: the share of activations ≤ 0, in [0, 1].
    """

    pooled: dict[str, np.ndarray]
    mean_activation: dict[str, float]
    inactive_fraction: dict[str, float]


def _image_batches(images, batch_size: int):
    if isinstance(images, tf.data.Dataset):
        for element in images:
            yield element[0] if isinstance(element, (tuple, list)) else element
        return
    array = np.asarray(images, np.float32)
    if array.ndim != 4 or len(array) == 0:
        raise ValueError(f"images must be a non-empty batch (N, H, W, C), got {array.shape}.")
    for start in range(0, len(array), batch_size):
        yield array[start : start + batch_size]


def feature_statistics(extractor: keras.Model, images, batch_size: int = 32) -> FeatureStatistics:
    """Run ``images`` through ``extractor`` batch by batch and keep only per-level summaries.

    Memory stays at one batch of feature maps plus the ``(N, C)`` pooled features, where
    keeping every map would not fit: at 128 px the five levels of a base-32 U-Net hold
    about 4 MB per image.

    Args:
        extractor: a model returning ``{level: (n, h, w, C)}`` maps
            (:func:`ssl_keras.models.feature_extractor`), or one ``(n, h, w, C)`` tensor
            (an encoder), summarised under the key ``"features"``.
        images: float32 ``(N, H, W, 3)`` in [0, 1], or a ``tf.data.Dataset`` of such batches
            (or of ``(images, labels)`` batches; labels are ignored).
        batch_size: images per forward pass for arrays (a dataset keeps its own batches).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"batch_size must be an int ≥ 1, got {batch_size!r}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be an int ≥ 1, got {batch_size!r}.")
    pooled: dict[str, list[np.ndarray]] = {}
    totals: dict[str, list[float]] = {}  # level → [sum, inactive count, count]
    for batch in _image_batches(images, batch_size):
        outputs = extractor.predict_on_batch(batch)
        if not isinstance(outputs, dict):
            outputs = {"features": outputs}
        for level, maps in outputs.items():
            maps = np.asarray(maps, np.float32)  # float16 under mixed precision
            pooled.setdefault(level, []).append(maps.mean(axis=(1, 2)))
            total = totals.setdefault(level, [0.0, 0.0, 0.0])
            total[0] += float(maps.sum(dtype=np.float64))
            total[1] += float(np.count_nonzero(maps <= 0))
            total[2] += maps.size
    if not pooled:
        raise ValueError("images is empty: there are no images to extract features from.")
    return FeatureStatistics(
        pooled={level: np.concatenate(parts) for level, parts in pooled.items()},
        mean_activation={level: t[0] / t[2] for level, t in totals.items()},
        inactive_fraction={level: t[1] / t[2] for level, t in totals.items()},
    )


def pooled_features(extractor: keras.Model, images, batch_size: int = 32) -> dict[str, np.ndarray]:
    """Global-average-pooled features per level, float32 ``(N, C)``, streamed batch by batch:
    ``feature_statistics(extractor, images, batch_size).pooled``."""
    return feature_statistics(extractor, images, batch_size).pooled


def probe_features(encoder: keras.Model, images, batch_size: int = 64) -> np.ndarray:
    """What a probe reads from ``encoder``: the mean and the standard deviation over space of
    each output channel (:class:`~ssl_keras.layers.MeanStdPooling2D`), float32 ``(N, 2·C)``,
    in image order. ``images``: float32 ``(N, H, W, 3)`` in [0, 1]; BatchNorm runs in
    inference mode."""
    array = np.asarray(images, np.float32)
    if array.ndim != 4 or len(array) == 0:
        raise ValueError(f"images must be a non-empty batch (N, H, W, C), got {array.shape}.")
    pooled = keras.Model(encoder.inputs, layers.MeanStdPooling2D(name="pool")(encoder.outputs[0]))
    return np.asarray(pipelines.predict(pooled, array, batch_size), np.float32)


def probe_classifier(
    encoder: keras.Model,
    images,
    hidden: int = 0,
    dropout: float = 0.0,
    name: str = "probe_classifier",
) -> keras.Model:
    """The stage-1 classifier: frozen ``encoder`` → mean and standard deviation of each
    channel (:class:`~ssl_keras.layers.MeanStdPooling2D`) → ``Normalization`` → the head:
    ``Dense(1, sigmoid)`` (a linear probe, ``hidden=0``) or Dense(``hidden``, relu) →
    Dropout(``dropout``) → Dense(1, sigmoid). With ``hidden=0`` the dropout acts on the
    standardised features.

    The Normalization layer is adapted to the pooled features of ``images`` (float32
    ``(N, H, W, 3)`` in [0, 1], the labeled training images): a frozen denoiser's channels
    differ in scale by orders of magnitude, and standardising them, as for any linear probe,
    lets the head use the small but informative ones. Returns a model mapping images to
    P(class 1), float32 ``(N, 1)``; unfreeze top blocks later with
    :func:`ssl_keras.models.set_trainable_levels`.
    """
    pooled = probe_features(encoder, images)
    inputs = keras.Input(shape=tuple(encoder.inputs[0].shape[1:]), name="image")
    x = layers.MeanStdPooling2D(name="pool")(encoder(inputs))
    standardize = keras.layers.Normalization(name="standardize")
    standardize.adapt(pooled)
    outputs = _head_layers(standardize(x), hidden, dropout)
    model = keras.Model(inputs, outputs, name=name)
    models.set_trainable_levels(model, 0)
    return model


def _head_layers(x, hidden: int, dropout: float):
    """[Dense(hidden, relu)] → Dropout → Dense(1, sigmoid, float32) on ``x``
    (:func:`ssl_keras.models.classification_head`; ``hidden`` 0: a linear head)."""
    return models.classification_head(x, 2, hidden, dropout)


def _head(n_features: int, hidden: int, dropout: float) -> keras.Model:
    """The head of :func:`probe_classifier` on standardised pooled features."""
    inputs = keras.Input(shape=(n_features,), name="pooled_features")
    return keras.Model(inputs, _head_layers(inputs, hidden, dropout), name="ssl_head")
