"""The downstream protocol of the pretext comparison: a linear probe on frozen features.

Every encoder is read the same way — the mean and standard deviation over space of each
channel of one level (:func:`ssl_keras.transfer.probe_features`) — and the features are
standardised with the statistics of the whole training pool (no labels are used for that,
so it is fair to every arm). Then, for each label count and seed, ``n`` labeled images per
class are drawn (:func:`ssl_keras.transfer.sample_per_class`), a logistic regression with a
fixed regularisation ``C`` is fitted on their features, and its balanced accuracy on the
test images is recorded. With a handful of labels there is nothing to tune ``C`` on, so it
is fixed for every arm alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.preprocessing import StandardScaler

from ssl_keras import models, report
from ssl_keras.transfer import probe_features, sample_per_class


def encoder_features(unet: keras.Model, images, level: int | str | None = None) -> np.ndarray:
    """Pooled features of ``images`` (float32 ``(N, H, W, 3)`` in [0, 1]) at ``level`` of the
    U-Net's encoder (``None``: the bottleneck; see :func:`ssl_keras.models.encoder_from`):
    float32 ``(N, 2·C)``, per channel its mean and standard deviation over space."""
    return probe_features(models.encoder_from(unet, level=level), images)


def linear_probe(
    train_features,
    y_train,
    test_features,
    y_test,
    label_counts: Sequence[int],
    seeds: Sequence[int],
    C: float = 0.1,
) -> list[dict]:
    """Balanced test accuracy of a logistic regression on ``n`` labeled examples per class,
    for every ``n`` in ``label_counts`` and every seed (which draws the labeled subset).

    ``train_features`` (``(N, F)``) are the whole training pool's; they are standardised
    with the pool's mean and spread, and so are ``test_features``. Returns one dict per run:
    ``{"n_per_class", "seed", "accuracy"}``.
    """
    train_features = np.asarray(train_features, np.float64)
    test_features = np.asarray(test_features, np.float64)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if train_features.ndim != 2 or len(train_features) != len(y_train):
        raise ValueError(
            f"train_features must be (N, F) with one row per label, got {train_features.shape} "
            f"for {len(y_train)} labels."
        )
    if test_features.ndim != 2 or test_features.shape[1] != train_features.shape[1]:
        raise ValueError(
            f"test_features must be (M, {train_features.shape[1]}), got {test_features.shape}."
        )
    if len(test_features) != len(y_test):
        raise ValueError(f"{len(test_features)} test features for {len(y_test)} test labels.")
    if not float(C) > 0:
        raise ValueError(f"C must be > 0, got {C!r}.")
    scaler = StandardScaler().fit(train_features)
    train_features, test_features = (
        scaler.transform(train_features),
        scaler.transform(test_features),
    )
    rows = []
    for n in label_counts:
        for seed in seeds:
            chosen = sample_per_class(y_train, int(n), seed=int(seed))
            classifier = LogisticRegression(C=C, max_iter=5000)
            classifier.fit(train_features[chosen], y_train[chosen])
            predicted = classifier.predict(test_features)
            accuracy = float(balanced_accuracy_score(y_test, predicted))
            rows.append({"n_per_class": int(n), "seed": int(seed), "accuracy": accuracy})
    return rows


def arm_models(name: str, arm: keras.Model | Sequence[keras.Model], n_seeds: int) -> list:
    """An arm of a study as a list: one U-Net for every seed, or one per seed (e.g. a pretext
    task trained with each seed). ``ValueError`` naming the arm for any other count."""
    models_ = [arm] if isinstance(arm, keras.Model) else list(arm)
    if len(models_) not in (1, n_seeds):
        raise ValueError(
            f"{name!r} has {len(models_)} models; give one, or one per seed ({n_seeds})."
        )
    return models_


def probe_study(
    unets: Mapping[str, keras.Model | Sequence[keras.Model]],
    x_train,
    y_train,
    x_test,
    y_test,
    label_counts: Sequence[int],
    seeds: Sequence[int],
    level: int | str | None = None,
    C: float = 0.1,
) -> list[dict]:
    """:func:`linear_probe` for every arm of ``unets`` (name → U-Net, or one U-Net per seed,
    e.g. a pretext task trained with each seed: seed ``i`` of ``seeds`` then reads the
    ``i``-th). Returns rows ``{"method", "n_per_class", "seed", "accuracy"}``."""
    rows = []
    for name, arm in unets.items():
        arm = arm_models(name, arm, len(seeds))
        features = {}
        for i, seed in enumerate(seeds):
            model = arm[i if len(arm) > 1 else 0]
            if id(model) not in features:
                features[id(model)] = (
                    encoder_features(model, x_train, level),
                    encoder_features(model, x_test, level),
                )
            train, test = features[id(model)]
            for row in linear_probe(train, y_train, test, y_test, label_counts, [seed], C):
                rows.append({"method": name} | row)
    return rows


def ranking(rows: Sequence[dict], n_per_class: int) -> list[tuple[str, report.SeedStats]]:
    """The arms of ``rows`` at ``n_per_class`` labels per class, best mean first, each with
    its :class:`~ssl_keras.report.SeedStats` (mean, SD, 95 % interval over seeds)."""
    methods = dict.fromkeys(r["method"] for r in rows)
    ranked = []
    for method in methods:
        values = [
            r["accuracy"] for r in rows if r["method"] == method and r["n_per_class"] == n_per_class
        ]
        if not values:
            raise ValueError(f"No runs of {method!r} at {n_per_class} labels per class.")
        ranked.append((method, report.seed_stats(values)))
    return sorted(ranked, key=lambda item: -item[1].mean)


VGG16_LAYER = "block3_conv3"
"""The VGG16 layer the ImageNet reference is read at: 256 channels at a quarter of the
input side, about as deep into the image as the U-Nets' probed levels."""

ROTNET_CIFAR10 = {
    "counts": (20, 100, 400, 1000, 5000),
    "RotNet (published)": (0.646, 0.753, 0.828, 0.864, 0.919),
    "supervised NIN (published)": (0.337, 0.473, 0.742, 0.835, 0.931),
}
"""Test accuracy (1 − error rate) on CIFAR-10 against labeled images per class, from Gidaris,
Singh and Komodakis, "Unsupervised Representation Learning by Predicting Image Rotations"
(ICLR 2018), semi-supervised setting: a Network-in-Network RotNet trained on the rotations of
all 50,000 training images on a GPU, then a randomly initialised convolutional block and a
linear layer trained on its frozen second-block features with the labeled subset; the
supervised line is the same network trained on the labeled subset alone. Their read-out is
a trained convolutional block, not a linear probe."""


def vgg16_features(images, layer: str = VGG16_LAYER, weights=None) -> np.ndarray:
    """ImageNet VGG16 read the way every U-Net arm is read: the mean and standard deviation
    over space of each channel of ``layer``, float32 ``(N, 2·C)``, for float32 RGB ``images``
    ``(N, H, W, 3)`` in [0, 1] (VGG16's own preprocessing is applied here).

    ``weights``: a VGG16 weights file (``include_top=False``); ``None`` downloads the ImageNet
    weights once (:func:`ssl_keras.colorization.backbone.imagenet_weights`; offline it raises
    :class:`~ssl_keras.datasets.download.DownloadError` within seconds)."""
    from ssl_keras.colorization.backbone import imagenet_weights

    array = np.asarray(images, np.float32)
    if array.ndim != 4 or array.shape[-1] != 3 or len(array) == 0:
        raise ValueError(f"images must be a non-empty RGB batch (N, H, W, 3), got {array.shape}.")
    if array.min() < 0.0 or array.max() > 1.0:
        raise ValueError("images must lie in [0, 1]; VGG16's preprocessing is applied here.")
    path = weights if weights is not None else imagenet_weights()
    vgg = keras.applications.VGG16(
        include_top=False, weights=str(path), input_shape=(None, None, 3)
    )
    try:
        output = vgg.get_layer(layer).output
    except ValueError:
        raise ValueError(
            f"VGG16 has no layer {layer!r}; use one of {[each.name for each in vgg.layers[1:]]}."
        ) from None
    encoder = keras.Model(vgg.inputs, output, name=f"vgg16_{layer}")
    return probe_features(encoder, keras.applications.vgg16.preprocess_input(array * 255.0))
